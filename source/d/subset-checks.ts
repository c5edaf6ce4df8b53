// What DTrace refuses in the subset's expressions before dtop would say it does not
// support them, with DTrace's tags and words: an action's (void) result where a value
// is needed, a key that is no value, args[ ] with an index no probe has.
import { constantValue } from "./constant.ts";
import type { Position } from "./errors.ts";
import { TAG } from "./errtags.ts";
import { AGG_ACTIONS, FUNCTIONS } from "./functions.ts";
import { near, type Token } from "./lexer.ts";
import { checkPrototype } from "./protos.ts";
import { DECLARATION_WORDS } from "./subset-decls.ts";
import { err, reserved } from "./subset-names.ts";
import type { Expr } from "./syntax.ts";
import { TYPE_WORDS } from "./types.ts";

/** A call of an action (its result is void). */
export function isVoidCall(e: Expr): boolean {
	return e.kind === "call" && isAction(e.fn);
}

/** ?: whose branch is an action: both branches' calls are checked against their prototypes first, as DTrace does. */
export function ternaryActions(whenTrue: Expr, whenFalse: Expr): void {
	for (const b of [whenTrue, whenFalse]) if (b.kind === "call" && reserved(b.fn)) checkPrototype(b);
	if (isVoidCall(whenTrue) || isVoidCall(whenFalse))
		throw err(whenTrue.pos, "an action cannot be a branch of ?:", [
			"D_OP_ACT",
			{ dtrace: "action cannot be used in a conditional context" },
		]);
}

/** An aggregation or an action's void result as aggregation key #`n` (DTrace's D_KEY_TYPE). */
export function keyType(k: Expr, n: number): void {
	if (k.kind !== "aggvar" && !isVoidCall(k)) return;
	const agg = k.kind === "aggvar";
	throw err(k.pos, `${agg ? "an aggregation" : "an action's result"} cannot be a key`, [
		"D_KEY_TYPE",
		{ dtrace: `${agg ? "<DYN>" : "void"} expression may not be used as aggregation index: key #${n}` },
	]);
}

/** args[ ] with a string or a negative index, which no probe has (before dtop says it has no args[ ]). */
export function argsIndex(keys: readonly Expr[]): void {
	const k = keys[0];
	if (keys.length !== 1 || !k) return;
	if (k.kind === "string")
		throw err(k.pos, "args[ ] takes an integer index", [
			"D_PROTO_ARG",
			{ dtrace: "args[ ] argument #1 is incompatible with prototype: prototype: int; argument: string" },
		]);
	const v = constantValue(k as unknown as Parameters<typeof constantValue>[0]);
	if (v !== undefined && BigInt.asIntN(64, v) < 0n)
		throw err(k.pos, `index ${BigInt.asIntN(64, v)} is out of range for args[ ]`, ["D_ARGS_IDX", {}]);
}

/**
 * A statement's first word, checked before dtop's own statement rules: a declaration
 * (D_SYNTAX in a clause's body) or a destructive action after speculate( ) (D_ACT_SPEC).
 * `call` says whether a `(` follows the word.
 */
export function statementStart(t: Token, call: boolean, speculating: boolean): void {
	if (t.kind !== "ident") return;
	if ((TYPE_WORDS.has(t.text) || DECLARATION_WORDS.has(t.text)) && !call)
		throw err(
			t.pos,
			`'${t.text}' cannot start a statement: declare variables outside the clause`,
			TAG.syntax(near(t.text)),
		);
	if (speculating && call && FUNCTIONS.get(t.text)?.destructive)
		throw err(t.pos, "destructive actions may not follow speculate( )", ["D_ACT_SPEC", {}]);
}

/** `-trace(0)`: an operator given an action's result (its prototype checked first). */
export function unaryAction(op: string, operand: Expr, pos: Position): void {
	if (operand.kind !== "call" || !isVoidCall(operand)) return;
	checkPrototype(operand);
	throw err(pos, `operator ${op} needs a value, not an action's result`, TAG.operand(op));
}

/** clear( ), trunc( ), normalize( ), denormalize( ) of what is no aggregation. */
export function aggActionArg(fn: string, first: Expr | undefined): void {
	if (!AGG_ACTIONS.has(fn) || fn === "printa" || !first || first.kind === "aggvar") return;
	throw err(first.pos, `${fn}( ) argument #1 must be an aggregation`, TAG.aggActionArg(fn, first));
}

/** `@a[k][j]`: an aggregation has one list of keys. */
export function multiDimensional(label: string, pos: Position): never {
	throw err(pos, `${label} has one list of keys: write ${label}[k, j], not ${label}[k][j]`, [
		"D_AGG_MDIM",
		{ dtrace: `improper attempt to reference ${label} as a multi-dimensional array` },
	]);
}

/** An aggregation or an action's result (its prototype checked): no value for printf( ) or trace( ). */
export function valueless(a: Expr): boolean {
	if (a.kind === "aggvar") return true;
	if (a.kind !== "call" || !isVoidCall(a)) return false;
	checkPrototype(a);
	return true;
}

/** A function whose result is void (an action or void subroutine, not an aggregating function). */
function isAction(fn: string): boolean {
	const s = FUNCTIONS.get(fn);
	return s !== undefined && s.kind !== "aggregating" && s.ret.k === "void";
}
