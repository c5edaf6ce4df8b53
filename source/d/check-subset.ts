// Helpers of the subset's checker (check.ts): messages' words, the inference of
// variable types from their assignments, printa() and lquantize() rules.
import type { ActionCall, AggregateStmt, AssignStmt, CallExpr, Expr, LValue, Program, Statement } from "./ast.ts";
import { STRING_BUILTINS } from "./ast.ts";
import type { AggregationInfo, DType, LquantizeParams } from "./check.ts";
import { checkStackArgs } from "./check-stack.ts";
import { checkStringCall, STRING_FUNCTIONS } from "./check-strings.ts";
import { DTypeError, type Position } from "./errors.ts";
import { TAG } from "./errtags.ts";
import { evaluate } from "./eval.ts";
import { FUNCTIONS } from "./functions.ts";
import { validateFormat } from "./printf.ts";
import { selfArrayName } from "./self-arrays.ts";
import { constantValue } from "./subset.ts";
import type * as full from "./syntax.ts";
import { INT64, type IntType, resolveType, STACK, STRING, UINT64 } from "./types.ts";

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const UINT16_MAX = 65535n;

export function article(t: DType): string {
	switch (t) {
		case "int":
			return "an integer";
		case "string":
			return "a string";
		case "ustack":
			return "a user stack";
		case "kstack":
			return "a kernel stack";
		case "sym":
			return "a symbol address";
	}
}

/** A subset type as DTrace's messages name it. */
export function dtraceName(t: DType): string {
	return t === "ustack" || t === "kstack" ? "stack" : t === "sym" ? "_symaddr" : t;
}

export function where(pos: Position): string {
	return pos.line > 0 ? ` at line ${pos.line}, column ${pos.column}` : "";
}

export function plural(n: number, word: string): string {
	return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The type an expression would have, without reporting errors; undefined while it
 * depends on a thread-local variable whose type is not known yet. */
export function guess(e: Expr, known: Map<string, "int" | "string">): DType | undefined {
	switch (e.kind) {
		case "kmem":
			return e.str !== undefined ? "string" : "int";
		case "int":
		case "field":
		case "unary":
		case "binary":
			return "int";
		case "string":
			return "string";
		case "builtin":
			return STRING_BUILTINS.has(e.name) ? "string" : "int";
		case "self":
		case "this":
		case "ident":
		case "index":
			return known.get(varKey(e));
		case "incdec":
		case "cast":
			return "int";
		case "assignexpr":
			return e.op === "=" ? guess(e.value, known) : "int";
		case "ternary":
			return guess(e.whenTrue, known) ?? guess(e.whenFalse, known);
		case "call":
			if (e.fn in STRING_FUNCTIONS) return STRING_FUNCTIONS[e.fn]!.ret;
			return e.fn === "copyinstr"
				? "string"
				: e.fn === "strlen" || e.fn === "progenyof"
					? "int"
					: SYM_FNS.has(e.fn)
						? "sym"
						: e.fn === "stack"
							? "kstack"
							: (e.fn as "ustack" | "kstack");
	}
}

/** A variable's name with its scope: `self:x`, `this:x`, `global:x`, `assoc:a`. */
export function varKey(e: LValue): string {
	switch (e.kind) {
		case "self":
			return `self:${e.name}`;
		case "this":
			return `this:${e.name}`;
		case "ident":
			return `global:${e.name}`;
		case "index":
			return `assoc:${e.base.name}`;
		case "field":
			return `field:${e.scope}:${e.name}`;
	}
}

/** How a variable is written in D, for messages. */
export function varText(e: LValue): string {
	switch (e.kind) {
		case "self":
			return `self->${e.name}`;
		case "this":
			return `this->${e.name}`;
		case "ident":
			return e.name;
		case "index":
			return `${e.base.name}[]`;
		case "field":
			return e.text;
	}
}

/** Is `e` a constant 0 by D's rules (eval.ts)? A constant no type holds is not one here. */
export function constantZero(e: Expr): boolean {
	try {
		return evaluate(e as full.Expr)?.value === 0n;
	} catch {
		return false;
	}
}

export function assignments(program: Program): AssignStmt[] {
	const out: AssignStmt[] = [];
	const walk = (ss: Statement[]) => {
		for (const s of ss) {
			if (s.kind === "assign") out.push(s);
			else if (s.kind === "if") {
				walk(s.body);
				walk(s.otherwise ?? []);
			}
		}
	};
	for (const c of program.clauses) walk(c.statements);
	// Assignments used as values (x = y = 0) assign too.
	const visit = (e: unknown): void => {
		if (!e || typeof e !== "object") return;
		if (Array.isArray(e)) {
			for (const x of e) visit(x);
			return;
		}
		const n = e as Partial<Extract<Expr, { kind: "assignexpr" }>>;
		if (n.kind === "assignexpr" && n.target && n.value && n.op && n.pos)
			out.push({ kind: "assign", op: n.op, target: n.target, value: n.value, pos: n.target.pos, opPos: n.pos });
		for (const [k, v] of Object.entries(e)) if (k !== "pos") visit(v);
	};
	visit(program.clauses);
	return out;
}

/** Give each thread-local variable the type of the values assigned to it, following
 * assignments from other variables until nothing changes. */
/** The variables `++` or `--` is applied to inside expressions (each is assigned an integer). */
function incremented(program: Program): LValue[] {
	const out: LValue[] = [];
	const visit = (e: unknown): void => {
		if (!e || typeof e !== "object") return;
		if (Array.isArray(e)) {
			for (const x of e) visit(x);
			return;
		}
		const n = e as { kind?: string; operand?: LValue };
		if (n.kind === "incdec" && n.operand) out.push(n.operand);
		for (const [k, v] of Object.entries(e)) if (k !== "pos") visit(v);
	};
	visit(program.clauses);
	return out;
}

/** Each declared variable by varKey, with its declared type. */
export function declaredVars(program: Program): Map<string, { type: IntType | { k: "string" }; pos: Position }> {
	const out = new Map<string, { type: IntType | { k: "string" }; pos: Position }>();
	for (const d of program.declarations) {
		const t = resolveType(d.type);
		if (t.k !== "int" && t.k !== "string") continue;
		for (const v of d.declarators) {
			const array = d.storage === "self" ? selfArrayName(v.name) : v.name;
			const key = v.keys ? `assoc:${array}` : `${d.storage}:${v.name}`;
			out.set(key, { type: t, pos: v.pos });
		}
	}
	return out;
}

export function inferSelfTypes(program: Program): Map<string, "int" | "string"> {
	const known = new Map<string, "int" | "string">();
	for (const [k, v] of declaredVars(program)) known.set(k, v.type.k === "string" ? "string" : "int");
	for (const v of incremented(program)) known.set(varKey(v), "int");
	const all = assignments(program);
	let changed = true;
	while (changed) {
		changed = false;
		for (const a of all) {
			const key = varKey(a.target);
			if (known.has(key)) continue;
			const t = a.op === "=" ? guess(a.value, known) : "int";
			if (t === "int" || t === "string") {
				known.set(key, t);
				changed = true;
			}
		}
	}
	return known;
}

/** printa([format,] @a, ...): every aggregation exists; a format fits the first's keys (DTrace's dt_printa_validate). */
export function checkPrinta(e: ActionCall, aggregations: Map<string, AggregationInfo>): void {
	const args = [...e.args];
	let format: string | undefined;
	if (args[0]?.kind === "string") format = (args.shift() as { value: string }).value;
	if (args.length === 0)
		throw new DTypeError(
			e.pos,
			"printa( ) prototype mismatch: an aggregation is expected",
			"D_PRINTA_PROTO",
			format === undefined ? {} : { dtrace: "printa( ) prototype mismatch: 1 args passed, 2 expected" },
		);
	const aggs: AggregationInfo[] = [];
	for (const [i, a] of args.entries()) {
		if (a.kind !== "aggvar")
			throw new DTypeError(
				a.pos,
				`printa( ) argument #${i + (format === undefined ? 1 : 2)} must be an aggregation`,
				...(a.kind === "int" || a.kind === "string"
					? TAG.printaArgument(i + (format === undefined ? 1 : 2), a.kind)
					: TAG.printaArgumentUntyped()),
			);
		const info = aggregations.get(a.name);
		if (!info) throw new DTypeError(a.pos, `printa( ) of @${a.name}, which no clause assigns`, "D_PRINTA_AGGARG");
		aggs.push(info);
	}
	for (const other of aggs.slice(1)) sameKeySignature(e, aggs[0]!, other);
	if (format === undefined) return;
	const keys = aggs[0]!.keys.map((k) => ({ type: formatKeyType(k), pos: e.pos }));
	validateFormat(format, keys, {
		fn: "printa",
		pos: e.pos,
		exact: false,
		aggregation: aggs[0]!.fn === "count" ? UINT64 : INT64,
	});
}

/** A key's C type as printa( )'s conversions see it: a stack is not an integer. */
function formatKeyType(k: DType) {
	if (k === "string") return STRING;
	if (k === "kstack" || k === "ustack") return STACK;
	if (k === "sym") return { k: "symaddr" as const, user: false };
	return INT64;
}

/** printa( ) of several aggregations: their keys agree in number and type (dt_printa_validate). */
function sameKeySignature(e: ActionCall, a: AggregationInfo, b: AggregationInfo): void {
	const [m, n] = [a.keys.length, b.keys.length];
	if (m !== n)
		throw new DTypeError(
			e.pos,
			`printa( ): @${a.name} and @${b.name} do not have matching key signatures: @${a.name} has ${plural(m, "key")}, @${b.name} has ${plural(n, "key")}`,
			"D_PRINTA_AGGKEY",
		);
	a.keys.forEach((k, i) => {
		if (k === b.keys[i]) return;
		const [x, y] = [dtraceName(k), dtraceName(b.keys[i]!)];
		throw new DTypeError(
			e.pos,
			`printa( ): @${b.name}[ ] key #${i + 1} is incompatible with @${a.name}: ${a.name} key #${i + 1}: ${x}; ${b.name} key #${i + 1}: ${y}`,
			"D_PRINTA_AGGPROTO",
		);
	});
}

/** clear(@a), trunc(@a[, n]), normalize(@a, n), denormalize(@a): DTrace's arities, an aggregation some clause assigns. */
export function checkAggAction(e: ActionCall, aggregations: Map<string, AggregationInfo>): void {
	const n = e.args.length;
	const [lo, hi] = e.fn === "trunc" ? [1, 2] : e.fn === "normalize" ? [2, 2] : [1, 1];
	if (n < lo || n > hi)
		throw new DTypeError(
			e.pos,
			`${e.fn}( ) prototype mismatch: ${n} arg${n === 1 ? "" : "s"} passed, ${lo === hi ? lo : `${lo} or ${hi}`} expected`,
			...TAG.protoLen(e.fn, n, lo, hi),
		);
	const a = e.args[0]!;
	if (a.kind !== "aggvar") throw new DTypeError(a.pos, `${e.fn}( ) argument #1 must be an aggregation`, "D_PROTO_ARG");
	if (!aggregations.has(a.name))
		throw new DTypeError(a.pos, `${e.fn}( ) of @${a.name}, which no clause assigns`, "D_PROTO_ARG");
	if (e.args[1]?.kind === "aggvar")
		throw new DTypeError(e.args[1].pos, `${e.fn}( ) argument #2 must be an integer`, "D_PROTO_ARG");
}

/** DTrace's rules for lquantize(value, base, limit[, step]). */
export function lquantizeParams(s: AggregateStmt): LquantizeParams {
	const bound = (i: number, what: string): bigint => {
		const a = s.args[i]!;
		const v = constantValue(a);
		if (v === undefined)
			throw new DTypeError(
				a.pos,
				`lquantize() ${what} (argument #${i + 1}) must be an integer constant`,
				...TAG.lquantize(i === 1 ? "BASETYPE" : "LIMTYPE"),
			);
		if (v < INT32_MIN || v > INT32_MAX) {
			throw new DTypeError(
				a.pos,
				`lquantize() ${what} (argument #${i + 1}) must be a 32-bit quantity`,
				...TAG.lquantize(i === 1 ? "BASEVAL" : "LIMVAL"),
			);
		}
		return v;
	};
	const lo = bound(1, "base");
	const hi = bound(2, "limit");
	if (hi <= lo)
		throw new DTypeError(
			s.fnPos,
			"lquantize() base (argument #2) must be less than limit (argument #3)",
			...TAG.lquantize("MISMATCH"),
		);
	let step = 1n;
	if (s.args.length > 3) {
		const a = s.args[3]!;
		const v = constantValue(a);
		if (v === undefined || v <= 0n) {
			throw new DTypeError(
				a.pos,
				"lquantize() step (argument #4) must be a non-zero positive integer constant",
				...TAG.lquantize("STEPTYPE"),
			);
		}
		if (v > UINT16_MAX)
			throw new DTypeError(
				a.pos,
				"lquantize() step (argument #4) must be a 16-bit quantity",
				...TAG.lquantize("STEPVAL"),
			);
		step = v;
	}
	const levels = (hi - lo) / step;
	if (levels === 0n) {
		throw new DTypeError(
			s.fnPos,
			"lquantize() step (argument #4) too large: must have at least one quantization level",
			...TAG.lquantize("STEPLARGE"),
		);
	}
	if (levels > UINT16_MAX) {
		throw new DTypeError(
			s.fnPos,
			"lquantize() step (argument #4) too small: number of quantization levels must be a 16-bit quantity",
			...TAG.lquantize("STEPSMALL"),
		);
	}
	return { lo: Number(lo), hi: Number(hi), step: Number(step), levels: Number(levels) };
}

/** An associative array's keys have the same types wherever it is used. */
export function sameAssocKeys(
	e: Extract<Expr, { kind: "index" }>,
	types: DType[],
	assocKeys: Map<string, { types: DType[]; pos: Position }>,
): void {
	const prev = assocKeys.get(e.base.name);
	if (!prev) {
		assocKeys.set(e.base.name, { types, pos: e.pos });
		return;
	}
	if (prev.types.length !== types.length)
		throw new DTypeError(
			e.pos,
			`${e.base.name}[] has ${plural(types.length, "key")} here but ${plural(prev.types.length, "key")}${where(prev.pos)}`,
			...TAG.assocArity(e.base.name, types.length, prev.types.length),
		);
	types.forEach((t, i) => {
		if (t !== prev.types[i])
			throw new DTypeError(
				e.keys[i]!.pos,
				`${e.base.name}[] key #${i + 1} is ${article(t)} here but ${article(prev.types[i]!)}${where(prev.pos)}`,
				...TAG.assocKey(e.base.name, i + 1, dtraceName(prev.types[i]!), dtraceName(t)),
			);
	});
}

/** A call in an expression of the subset: copyinstr, strlen, ustack/kstack (keys only). */
export function checkCall(
	e: CallExpr,
	asKey: boolean,
	expr: (e: Expr, asKey: boolean) => DType,
	functions: Set<string>,
): DType {
	functions.add(e.fn);
	const n = e.args.length;
	const spec = FUNCTIONS.get(e.fn);
	const max = spec?.params.length ?? 0;
	const arity = (expected: string) =>
		new DTypeError(
			e.pos,
			`${e.fn}() prototype mismatch: ${plural(n, "arg")} passed, ${expected} expected`,
			...TAG.protoLen(e.fn === "kstack" ? "stack" : e.fn, n, spec?.optionalFrom ?? max, max),
		);
	const argType = (i: number, want: "int" | "string", what: string) => {
		const t = expr(e.args[i]!, false);
		if (t !== want) {
			throw new DTypeError(
				e.args[i]!.pos,
				`${e.fn}() argument #${i + 1} must be ${what}, not ${article(t)}`,
				...TAG.protoArg(e.fn, i + 1, dtraceName(t)),
			);
		}
	};
	switch (e.fn) {
		case "copyinstr":
			if (n < 1 || n > 2) throw arity("1 or 2");
			argType(0, "int", "an integer address");
			if (n === 2) {
				argType(1, "int", "an integer length");
				const len = constantValue(e.args[1]!);
				if (len !== undefined && len <= 0n) {
					throw new DTypeError(e.args[1]!.pos, "copyinstr() argument #2 must be a positive length");
				}
			}
			return "string";
		case "strlen":
			if (n !== 1) throw arity("1");
			argType(0, "string", "a string");
			return "int";
		case "progenyof":
			if (n !== 1) throw arity("1");
			argType(0, "int", "a process id");
			return "int";
		default:
			return checkStringCall(e, (x) => expr(x, false))!;
		case "func":
		case "sym":
		case "mod":
		case "ufunc":
		case "usym":
		case "umod":
		case "uaddr":
			if (n !== 1) throw arity("1");
			argType(0, "int", "an integer address");
			return "sym";
		case "ustack":
		case "kstack":
		case "stack": {
			if (!asKey) {
				throw new DTypeError(e.pos, `${e.fn}() can only be used as an aggregation key, as in @[${e.fn}()] = count()`);
			}
			if (n > 1) throw arity("0 or 1");
			checkStackArgs(
				e,
				e.args.map((a) => expr(a, false)),
			);
			return e.fn === "stack" ? "kstack" : e.fn;
		}
	}
}

const SYM_FNS: ReadonlySet<string> = new Set(["func", "sym", "mod", "ufunc", "usym", "umod", "uaddr"]);
