// Today's subset of D (what source/session/lower.ts compiles): a parser that accepts
// only it and a restriction of full programs to it, both with the messages dtop has
// always given ('printf' is not supported, global variables are not supported; use
// self->x, ...). The statement-level rules are those of dtop's first parser, so its
// messages and their columns stay the same.

import * as core from "./ast.ts";
import { asNull, asStringof } from "./bytes.ts";
import { kernelCast, kernelMember, kernelString, noteKernelAssignment } from "./ctypes/kernel.ts";
import * as ct from "./ctypes/rewrite.ts";
import { noteUserAssignment, userCast, userMember, userString } from "./ctypes/user.ts";
import { NO_POS, type Position } from "./errors.ts";
import { TAG } from "./errtags.ts";
import { AGG_ACTIONS } from "./functions.ts";
import type { Token } from "./lexer.ts";
import { syntax } from "./parse-expr.ts";
import { ProgramParser } from "./parse-program.ts";
import { checkPrototype } from "./protos.ts";
import { selfArrayAsAssoc } from "./self-arrays.ts";
import * as before from "./subset-checks.ts";
import { checkInlines, noRedeclaration } from "./subset-decls.ts";
import {
	AGG_NAMES,
	ASSIGN_OPS,
	BUILTINS,
	err,
	FUNCTION_NAMES,
	globalName,
	identifier,
	reserved,
	suggest,
	UNSUPPORTED_NAMES,
} from "./subset-names.ts";
import type { AssignStmt, Expr, Pragma, ProbeDescription, Program, Statement } from "./syntax.ts";
import { isInteger, resolveType } from "./types.ts";

export { constantValue } from "./constant.ts";
export { suggest, unknownName } from "./subset-names.ts";

/** Reject what cannot be assigned (the subset's lvalues: self->x, this->x, x, a[k, ...]). */
function restrictLValue(e: Expr, op: string, pos: Position): void {
	if (ct.fieldTarget(e, op, pos)) return;
	selfArrayAsAssoc(e);
	if (e.kind === "self" || e.kind === "this") return;
	if (e.kind === "ident") {
		if (!globalName(e.name)) identifier(e.name, e.pos);
		return;
	}
	if (e.kind === "index" && e.base.kind === "ident" && globalName(e.base.name)) {
		e.keys = ct.expandKeys(e.keys);
		e.keys.forEach(restrictExpr);
		return;
	}
	if (e.kind === "builtin") throw err(e.pos, `built-in variable '${e.name}' cannot be assigned`, TAG.notWritable(op));
	restrictExpr(e);
	throw err(pos, `'${op}' needs a variable on its left (self->x, this->x, x or a[key])`, TAG.notLvalue(op));
}

/** Reject, in source order, the first thing in `e` that the subset does not have. */
/**
 * jstack() is ustack() with DTrace's jstackframes default (50): dtop names a
 * JVM's compiled and interpreted frames from its perf map (/tmp/perf-PID.map),
 * as it does in any ustack(), where DTrace asks the JVM's ustack helper.
 */
function jstackAsUstack(e: Extract<Expr, { kind: "call" }>): void {
	e.fn = "ustack";
	if (e.args.length === 0) e.args.push({ kind: "int", value: 50n, pos: e.pos } as Expr);
}

/** A member of a struct variable, already resolved (ctypes/rewrite.ts). */
const isField = (e: Expr) => ["field", "kmem"].includes((e as { kind: string }).kind);

export function restrictExpr(e: Expr): void {
	if (isField(e)) return;
	switch (e.kind) {
		case "int":
		case "string":
		case "self":
			return;
		case "builtin":
			if (BUILTINS.has(e.name)) return;
			if (e.name === "curthread" && kernelMember(e, restrictExpr)) return;
			if (e.name === "args") throw err(e.pos, "'args[]' is not supported; use arg0 to arg9");
			throw err(e.pos, `'${e.name}' is not supported`);
		case "this":
			ct.wholeStruct(e);
			return;
		case "ident":
			if (asNull(e) || ct.enumConstant(e)) return;
			ct.wholeStruct(e);
			// A global variable; the checker insists that some clause assigns it.
			if (!globalName(e.name)) identifier(e.name, e.pos);
			return;
		case "aggvar":
			throw err(
				e.pos,
				`aggregation @${e.name} cannot be used in an expression; aggregations can only be assigned`,
				TAG.aggregationInExpression(),
			);
		case "macro": {
			const text = `$${e.stringify ? "$" : ""}${e.name}`;
			throw err(
				e.pos,
				/^[0-9]/.test(e.name) ? `macro argument ${text} is not defined` : `macro variable ${text} is not defined`,
			);
		}
		case "unary":
			before.unaryAction(e.op, e.operand, e.pos);
			if (e.op === "*" && (userMember(e, restrictExpr) || kernelMember(e, restrictExpr))) return;
			if (e.op === "*") throw err(e.pos, "pointer dereference ('*') is not supported");
			if (e.op === "&") throw err(e.pos, "taking an address ('&') is not supported");
			restrictExpr(e.operand);
			return;
		case "incdec":
			restrictLValue(e.operand, e.op, e.pos);
			return;
		case "binary":
			restrictExpr(e.left);
			if (e.op === ",") throw err(e.pos, `'${e.op}' is not supported`);
			restrictExpr(e.right);
			return;
		case "ternary":
			before.ternaryActions(e.whenTrue, e.whenFalse);
			restrictExpr(e.cond);
			restrictExpr(e.whenTrue);
			restrictExpr(e.whenFalse);
			return;
		case "assignexpr":
			// Only as the value of another assignment (the parser refuses it elsewhere).
			restrictLValue(e.target, e.op, e.pos);
			restrictExpr(e.value);
			return;
		case "call":
			if (e.fn === "jstack") jstackAsUstack(e);
			if (FUNCTION_NAMES.has(e.fn)) {
				checkPrototype(e, false);
				e.args.forEach(restrictExpr);
				return;
			}
			if (BUILTINS.has(e.fn)) {
				const at = { line: e.pos.line, column: e.pos.column + e.fn.length, offset: e.pos.offset + e.fn.length };
				throw err(at, `'${e.fn}' is a variable, not a function; remove the parentheses`);
			}
			if (reserved(e.fn)) checkPrototype(e);
			if (AGG_NAMES.has(e.fn) || reserved(e.fn)) identifier(e.fn, e.pos);
			{
				const guess = suggest(e.fn, [...core.FUNCTIONS, ...core.AGG_FUNCTIONS]);
				throw err(e.pos, `unknown function '${e.fn}'${guess ? `; did you mean '${guess}'?` : ""}`);
			}
		case "index":
			// uregs[R_PC]: a library constant (or integer) names the register.
			if (e.base.kind === "builtin" && e.base.name === "uregs") return;
			if (userMember(e, restrictExpr) || kernelMember(e, restrictExpr)) return;
			if (e.base.kind === "member" && ct.memberToField(e)) return;
			if (e.base.kind === "builtin" && e.base.name === "args") {
				before.argsIndex(e.keys);
				throw err(e.base.pos, "'args[]' is not supported; use arg0 to arg9");
			}
			selfArrayAsAssoc(e);
			if (e.base.kind === "ident") {
				if (!globalName(e.base.name)) identifier(e.base.name, e.base.pos);
				e.keys = ct.expandKeys(e.keys);
				e.keys.forEach(restrictExpr);
				return;
			}
			if (e.base.kind === "this")
				throw err(
					e.pos,
					`'${e.base.kind}->${e.base.name}[...]' (an array of ${e.base.kind}-> variables) is not supported`,
				);
			restrictExpr(e.base);
			throw err(e.pos, "array subscripts ('[') are not supported");
		case "member":
			if (userMember(e, restrictExpr) || kernelMember(e, restrictExpr) || ct.memberToField(e)) return;
			restrictExpr(e.base);
			throw err(e.pos, e.op === "->" ? "'->' is not supported" : "member access ('.') is not supported");
		case "cast": {
			if (userCast(e, restrictExpr) || kernelCast(e, restrictExpr)) return;
			ct.normalizeType(e.type);
			const to = resolveType(e.type);
			if (to.k === "string") {
				restrictExpr(e.operand);
				asStringof(e);
				return;
			}
			if (!isInteger(to))
				throw err(
					e.pos,
					`a cast to '${e.type.words.join(" ")}${"*".repeat(e.type.pointers)}' is not supported; only integer types`,
				);
			restrictExpr(e.operand);
			return;
		}
		case "sizeof": {
			if (ct.sizeofC(e)) return;
			if (e.type) ct.normalizeType(e.type);
			// sizeof of an integer type: a constant.
			const ty = e.type ? resolveType(e.type) : undefined;
			if (ty && isInteger(ty)) {
				Object.assign(e, { kind: "int", value: BigInt(ty.size) });
				return;
			}
			throw err(e.pos, "'sizeof' is supported only for integer types (sizeof (int), sizeof (uint64_t), ...)");
		}
		case "stringof":
			if (userString(e, restrictExpr) || kernelString(e, restrictExpr)) return;
			restrictExpr(e.operand);
			asStringof(e);
			return;
		case "offsetof":
			if (ct.offsetofC(e)) return;
			throw err(e.pos, `'${e.kind}' is not supported`);
		case "xlate":
			throw err(e.pos, `'${e.kind}' is not supported`);
	}
}

/** Probe descriptions: every provider the catalog has is the subset's (dtrace:::BEGIN too). */
export function restrictProbe(_d: ProbeDescription): void {}

const ACTION_NAMES: ReadonlySet<string> = new Set(core.ACTIONS);

/** An action call as a statement (`printf(...)`, `trace(e)`, `exit(n)`): its arguments are expressions of the subset. */
function restrictAction(e: Expr): boolean {
	if (e.kind !== "call" || !ACTION_NAMES.has(e.fn)) return false;
	before.aggActionArg(e.fn, e.args[0]);
	// printf( ) and printa( ) count their arguments as their formats say (check.ts).
	if (e.fn !== "printf" && e.fn !== "printa") checkPrototype(e, "arity");
	for (const a of e.args) {
		if (AGG_ACTIONS.has(e.fn) && a.kind === "aggvar") continue;
		// printf( )'s and trace( )'s aggregation or void argument: the checker words DTrace's error.
		if ((e.fn === "printf" || e.fn === "trace") && before.valueless(a)) continue;
		restrictExpr(a);
	}
	return true;
}

/** The subset has `#pragma D option` lines (DTrace's others say nothing dtop acts on). */
function restrictPragma(p: Pragma): void {
	if (p.name !== "option") throw err(p.pos, `'#pragma D ${p.name}' is not supported`);
}

function restrictStatement(s: Statement): void {
	switch (s.kind) {
		case "aggregate":
			s.keys.forEach(restrictExpr);
			if (UNSUPPORTED_NAMES.has(s.fn)) throw err(s.fnPos, `'${s.fn}' is not supported`, TAG.notAggregating());
			if (!AGG_NAMES.has(s.fn)) {
				throw err(
					s.fnPos,
					`@${s.name} must be assigned the result of an aggregating function (count, sum, avg, min, max, stddev, quantize, lquantize, llquantize)`,
					TAG.notAggregatingFunction(),
				);
			}
			s.args.forEach(restrictExpr);
			return;
		case "assign":
			if (ct.structAssign(s, restrictExpr)) {
				restrictStatement(s);
				return;
			}
			noteKernelAssignment(s.target, s.value, s.op, s.opPos);
			noteUserAssignment(s.target, s.value, s.op, s.opPos);
			restrictLValue(s.target, s.op, s.opPos);
			restrictExpr(s.value);
			return;
		case "expr":
			if (s.expr.kind === "call") checkPrototype(s.expr, reserved(s.expr.fn));
			if (restrictAction(s.expr)) return;
			restrictExpr(s.expr);
			if (s.expr.kind === "incdec") return;
			throw err(
				s.pos,
				"a statement must update an aggregation (@name[key] = count()), assign a variable (x = value) or call an action",
			);
		case "if":
			restrictExpr(s.cond);
			s.body.forEach(restrictStatement);
			s.otherwise?.forEach(restrictStatement);
			return;
	}
}

/** `x++;` as a statement is `x += 1;` (the subset's statements assign; its expressions need not). */
function asAssignment(s: Statement): Statement {
	if (s.kind === "expr" && s.expr.kind === "incdec") {
		const one = { kind: "int" as const, value: 1n, pos: NO_POS };
		const op = s.expr.op === "++" ? "+=" : "-=";
		const a: AssignStmt = { kind: "assign", op, target: s.expr.operand, value: one, pos: s.pos, opPos: s.expr.pos };
		return a;
	}
	if (s.kind === "if") {
		s.body = s.body.map(asAssignment);
		if (s.otherwise) s.otherwise = s.otherwise.map(asAssignment);
	}
	return s;
}

/** The subset declares integer and string variables: scalars of any scope, associative arrays of globals. */
export function restrictDeclaration(d: Program["declarations"][number]): void {
	if (d.kind !== "decl") throw err(d.pos, "'inline' is not supported: dtop has no declarations");
	const t = resolveType(d.type);
	const what = `${d.type.words.join(" ")}`;
	if (!isInteger(t) && t.k !== "string")
		throw err(d.type.pos, `variables of type '${what}' are not supported; declare integers or strings`);
	for (const v of d.declarators) {
		if (v.pointers > 0) throw err(v.pos, `pointer variables ('${what} *${v.name}') are not supported`);
		if (v.dimension !== null)
			throw err(v.pos, `scalar arrays ('${v.name}[${v.dimension}]') are not supported; use an associative array`);
		if (v.keys !== null && d.storage === "this")
			throw err(v.pos, `'${d.storage}->${v.name}[...]' (an array of ${d.storage}-> variables) is not supported`);
		for (const k of v.keys ?? []) {
			const kt = resolveType(k);
			if (!isInteger(kt) && kt.k !== "string") throw err(k.pos, "associative array keys must be integers or strings");
		}
	}
}

/** Narrow a program of the full language to the subset, or throw what it lacks. */
export function restrictProgram(p: Program): core.Program {
	p.pragmas.forEach(restrictPragma);
	p.declarations.forEach(restrictDeclaration);
	for (const c of p.clauses) {
		c.probes.forEach(restrictProbe);
		if (c.predicate) restrictExpr(c.predicate);
		c.statements.forEach(restrictStatement);
		c.statements = c.statements.map(asAssignment);
	}
	return p as unknown as core.Program;
}

/** The parser of the subset: the full parser with dtop's first statement rules. */
export class CoreParser extends ProgramParser {
	constructor(text: string, file?: boolean) {
		super(text, { language: "core", file });
	}

	protected override restrictBefore(e: Expr): void {
		restrictExpr(e);
	}

	protected override empty(t: Token): never {
		throw err(
			t.pos,
			"the program is empty; write a clause such as syscall::read:entry { @[execname] = count(); }",
			TAG.emptyProgram(),
		);
	}

	protected override declarationStart(_t: Token): void {}

	protected override probeDescription(t: Token): ProbeDescription {
		if (t.kind === "pspec" && (reserved(t.text) || t.text === "self" || t.text === "this")) {
			throw err(t.pos, `'${t.text}' is not supported: dtop has no declarations`);
		}
		const d = super.probeDescription(t);
		restrictProbe(d);
		return d;
	}

	protected override predicateExpression(): Expr {
		const e = this.expression();
		restrictExpr(e);
		return e;
	}

	private restricted(): Expr {
		const e = this.expression();
		restrictExpr(e);
		return e;
	}

	override program(): Program {
		const p = super.program();
		p.pragmas.forEach(restrictPragma);
		noRedeclaration(p.declarations);
		checkInlines(p.declarations);
		p.declarations.forEach(restrictDeclaration);
		return p;
	}

	/** The aggregations assigned so far in the program. */
	private readonly aggregations = new Set<string>();
	/** speculate( ) was called earlier in this clause's body. */
	private speculating = false;

	protected override body(): Statement[] {
		this.speculating = false;
		return super.body();
	}

	protected override statement(): Statement {
		const t = this.peek();
		if (t.kind === "agg") return this.aggregate();
		before.statementStart(t, this.is(this.peek(1), "("), this.speculating);
		if (t.kind === "ident" && ACTION_NAMES.has(t.text) && this.is(this.peek(1), "(")) {
			const e = this.expression();
			if (!restrictAction(e)) throw syntax(this.peek(), "';' after the action");
			if (e.kind === "call" && e.fn === "speculate") this.speculating = true;
			return { kind: "expr", expr: e, pos: t.pos };
		}
		if (t.kind === "ident" && t.text === "self" && !this.is(this.peek(3), "[")) return this.selfAssignment();
		if (this.is(t, "++") || this.is(t, "--") || (t.kind === "ident" && ["this", "if", "self"].includes(t.text)))
			return this.general();
		if (t.kind === "ident" && globalName(t.text) && !BUILTINS.has(t.text)) {
			const next = this.peek(1);
			if (
				this.is(next, "=") ||
				this.is(next, "[") ||
				this.is(next, ".") ||
				ASSIGN_OPS.has(next.text) ||
				this.is(next, "++") ||
				this.is(next, "--")
			)
				return this.general();
		}
		if (t.kind === "ident") {
			const next = this.peek(1);
			const known = BUILTINS.has(t.text) || FUNCTION_NAMES.has(t.text) || AGG_NAMES.has(t.text);
			if (BUILTINS.has(t.text) && (this.is(next, "=") || ASSIGN_OPS.has(next.text))) {
				throw err(t.pos, `built-in variable '${t.text}' cannot be assigned`, TAG.notWritable(next.text));
			}
			if (!known && !reserved(t.text) && t.text !== "this") {
				if (this.is(next, "=") || ASSIGN_OPS.has(next.text) || this.is(next, "++") || this.is(next, "--")) {
					throw err(t.pos, `global variables are not supported; use a thread-local variable such as self->${t.text}`);
				}
			}
		}
		const e = this.restricted();
		if (e.kind === "call") checkPrototype(e);
		if (e.kind === "call" && (e.fn === "ustack" || e.fn === "kstack")) {
			throw err(
				e.pos,
				`${e.fn}() as a statement is not supported; use it as an aggregation key, as in @[${e.fn}()] = count()`,
			);
		}
		throw err(
			t.pos,
			"a statement must update an aggregation (@name[key] = count()) or a thread-local variable (self->name = value)",
		);
	}

	/** A statement of the full grammar (assignments, x++, if/else), then narrowed to the subset. */
	private general(): Statement {
		this.statementLevel = true;
		let s: Statement;
		try {
			s = super.statement();
		} finally {
			this.statementLevel = false;
		}
		restrictStatement(s);
		return asAssignment(s);
	}

	private selfAssignment(): Statement {
		const self = this.take();
		const arrow = this.take();
		if (!this.is(arrow, "->")) throw syntax(arrow, "'->' after 'self'");
		const v = this.take();
		if (v.kind !== "ident") throw syntax(v, "a variable name after 'self->'");
		const target: core.SelfVar = { kind: "self", name: v.text, pos: self.pos };
		const op = this.peek();
		if (this.is(op, "++") || this.is(op, "--")) {
			this.take();
			const one = { kind: "int" as const, value: 1n, pos: NO_POS };
			return { kind: "assign", op: op.text === "++" ? "+=" : "-=", target, value: one, pos: target.pos, opPos: op.pos };
		}
		if (!this.is(op, "=") && !ASSIGN_OPS.has(op.text)) throw syntax(op, `'=' after self->${target.name}`);
		this.take();
		const value = this.expression();
		noteKernelAssignment(target, value, op.text, op.pos);
		noteUserAssignment(target, value, op.text, op.pos);
		restrictExpr(value);
		return { kind: "assign", op: op.text as AssignStmt["op"], target, value, pos: target.pos, opPos: op.pos };
	}

	private aggregate(): Statement {
		const at = this.take();
		const name = at.value as string;
		const label = `@${name}`;
		const keys: Expr[] = [];
		if (this.is(this.peek(), "[")) {
			this.take();
			if (this.is(this.peek(), "]")) throw syntax(this.peek(), "a key expression");
			for (;;) {
				const k = this.expression();
				before.keyType(k, keys.length + 1);
				restrictExpr(k);
				keys.push(k);
				const t = this.take();
				if (this.is(t, "]")) break;
				if (!this.is(t, ",")) throw syntax(t, "',' or ']'");
			}
		}
		const op = this.peek();
		if (ASSIGN_OPS.has(op.text) || this.is(op, "++") || this.is(op, "--")) {
			throw err(op.pos, `'${op.text}' is not supported; write ${label} = count() or similar`);
		}
		if (this.is(op, ";") || this.is(op, "}") || op.kind === "eof") {
			throw err(
				at.pos,
				`${label} must be assigned the result of an aggregating function, such as ${label} = count()`,
				TAG.aggregationAlone(name, keys.length > 0 || this.aggregations.has(name)),
			);
		}
		if (keys.length > 0 && this.is(op, "[")) before.multiDimensional(label, op.pos);
		if (!this.is(op, "=")) throw syntax(op, "'=' or '['");
		this.aggregations.add(name);
		this.take();
		const fn = this.peek();
		if (fn.kind !== "ident" || !AGG_NAMES.has(fn.text) || !this.is(this.peek(1), "(")) {
			if (fn.kind === "ident" && UNSUPPORTED_NAMES.has(fn.text))
				throw err(fn.pos, `'${fn.text}' is not supported`, TAG.notAggregating());
			throw err(
				fn.pos,
				`${label} must be assigned the result of an aggregating function (count, sum, avg, min, max, stddev, quantize, lquantize, llquantize)`,
				TAG.notAggregatingFunction(),
			);
		}
		this.take();
		this.take();
		const args: Expr[] = [];
		if (this.is(this.peek(), ")")) this.take();
		else {
			for (;;) {
				args.push(this.restricted());
				const t = this.take();
				if (this.is(t, ")")) break;
				if (!this.is(t, ",")) throw syntax(t, "',' or ')'");
			}
		}
		return { kind: "aggregate", name, keys, fn: fn.text, args, pos: at.pos, fnPos: fn.pos };
	}
}
