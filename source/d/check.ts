// The type checker. check(program) checks today's subset (what the back end compiles)
// exactly as dtop always has: it infers a type for every expression, gathers the
// aggregations and thread-local variables, and rejects what DTrace would reject
// (strings compared with numbers, stacks outside aggregation keys, an aggregation used
// with two different functions or key signatures, bad lquantize() parameters, ...).
// check(program, { language: "full" }) checks the whole language (check-full.ts).

import type {
	AggFunction,
	AggregateStmt,
	AssignStmt,
	BinaryExpr,
	BuiltinName,
	CallExpr,
	Clause,
	Expr,
	FunctionName,
	Program,
	Statement,
} from "./ast.ts";
import { STRING_BUILTINS } from "./ast.ts";
import { checkFull } from "./check-full.ts";
import { DSyntaxError, DTypeError, type Position } from "./errors.ts";
import { probeFromText, probeText } from "./probe.ts";
import type { CheckOptions, FullCheckedProgram } from "./scope.ts";
import { constantValue, restrictProbe, restrictProgram } from "./subset.ts";

export { constantValue };

import type * as full from "./syntax.ts";

/** Integers are 64-bit. Stacks (`ustack()`, `kstack()`) exist only as aggregation keys. */
export type DType = "int" | "string" | "ustack" | "kstack";

/** Parameters of an lquantize() aggregation: buckets [lo, lo + step), ... up to lo + levels * step,
 * plus DTrace's underflow (< lo) and overflow (>= lo + levels * step) buckets. */
export interface LquantizeParams {
	lo: number;
	hi: number;
	step: number;
	/** Number of linear buckets: floor((hi - lo) / step). */
	levels: number;
}

export interface AggregationInfo {
	/** Name without `@`; "" for the anonymous aggregation. */
	name: string;
	fn: AggFunction;
	/** Types of the key expressions, in order (empty for `@x = ...`). */
	keys: DType[];
	/** Type of the aggregated value (the first argument): null for count(). */
	valueType: "int" | null;
	/** Set for lquantize() only. */
	lquantize: LquantizeParams | null;
	/** Where the aggregation is first used. */
	pos: Position;
	/** Every statement that updates it, in program order. */
	uses: AggregateStmt[];
}

export interface ClauseInfo {
	clause: Clause;
	/** Built-in variables read by the predicate or the body. */
	builtins: Set<BuiltinName>;
	/** Functions called (copyinstr, strlen, ustack, kstack). */
	functions: Set<FunctionName>;
	/** Thread-local variables read / written by this clause. */
	selfReads: Set<string>;
	selfWrites: Set<string>;
	/** Names of the aggregations this clause updates. */
	aggregations: Set<string>;
}

export interface CheckedProgram {
	program: Program;
	/** The type of every expression node of the program (by identity). */
	types: Map<Expr, DType>;
	aggregations: Map<string, AggregationInfo>;
	/** Every thread-local variable assigned or read, with its type (int when only read). */
	selfVars: Map<string, "int" | "string">;
	/** One entry per clause, in program order. */
	clauses: ClauseInfo[];
	/** The type of an expression of this program; throws if the node is not part of it. */
	typeOf(e: Expr): DType;
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const UINT16_MAX = 65535n;

function article(t: DType): string {
	switch (t) {
		case "int":
			return "an integer";
		case "string":
			return "a string";
		case "ustack":
			return "a user stack";
		case "kstack":
			return "a kernel stack";
	}
}

function where(pos: Position): string {
	return pos.line > 0 ? ` at line ${pos.line}, column ${pos.column}` : "";
}

function plural(n: number, word: string): string {
	return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** The type an expression would have, without reporting errors; undefined while it
 * depends on a thread-local variable whose type is not known yet. */
function guess(e: Expr, known: Map<string, "int" | "string">): DType | undefined {
	switch (e.kind) {
		case "int":
		case "unary":
		case "binary":
			return "int";
		case "string":
			return "string";
		case "builtin":
			return STRING_BUILTINS.has(e.name) ? "string" : "int";
		case "self":
			return known.get(e.name);
		case "call":
			return e.fn === "copyinstr" ? "string" : e.fn === "strlen" || e.fn === "progenyof" ? "int" : e.fn;
	}
}

function assignments(program: Program): AssignStmt[] {
	const out: AssignStmt[] = [];
	for (const c of program.clauses) for (const s of c.statements) if (s.kind === "assign") out.push(s);
	return out;
}

/** Give each thread-local variable the type of the values assigned to it, following
 * assignments from other variables until nothing changes. */
function inferSelfTypes(program: Program): Map<string, "int" | "string"> {
	const known = new Map<string, "int" | "string">();
	const all = assignments(program);
	let changed = true;
	while (changed) {
		changed = false;
		for (const a of all) {
			if (known.has(a.target.name)) continue;
			const t = guess(a.value, known);
			if (t === "int" || t === "string") {
				known.set(a.target.name, t);
				changed = true;
			}
		}
	}
	return known;
}

class Checker {
	readonly types = new Map<Expr, DType>();
	readonly aggregations = new Map<string, AggregationInfo>();
	readonly selfVars = new Map<string, "int" | "string">();
	private readonly firstAssign = new Map<string, { type: "int" | "string"; pos: Position }>();
	private info!: ClauseInfo;

	constructor(private readonly inferred: Map<string, "int" | "string">) {}

	clause(c: Clause): ClauseInfo {
		for (const d of c.probes) {
			// A description built in code must be as valid as a parsed one.
			for (const f of [d.provider, d.module, d.function, d.name]) {
				if (f.includes(":")) {
					throw new DSyntaxError(d.pos, `probe description field ${JSON.stringify(f)} contains ':'`);
				}
			}
			probeFromText(probeText(d), d.pos);
			restrictProbe(d);
		}
		this.info = {
			clause: c,
			builtins: new Set(),
			functions: new Set(),
			selfReads: new Set(),
			selfWrites: new Set(),
			aggregations: new Set(),
		};
		if (c.predicate) {
			const t = this.expr(c.predicate, false);
			if (t === "string") {
				throw new DTypeError(
					c.predicate.pos,
					'the predicate is a string, not a condition; compare it, as in /execname == "bash"/',
				);
			}
		}
		for (const s of c.statements) this.statement(s);
		return this.info;
	}

	private statement(s: Statement): void {
		if (s.kind === "assign") {
			const t = this.expr(s.value, false) as "int" | "string";
			const name = s.target.name;
			this.info.selfWrites.add(name);
			this.types.set(s.target, t);
			const prev = this.firstAssign.get(name);
			if (prev && prev.type !== t) {
				throw new DTypeError(
					s.pos,
					`self->${name} is assigned ${article(t)} here but ${article(prev.type)}${where(prev.pos)}; a variable keeps one type`,
				);
			}
			if (!prev) this.firstAssign.set(name, { type: t, pos: s.pos });
			this.selfVars.set(name, t);
			return;
		}
		this.aggregate(s);
	}

	private aggregate(s: AggregateStmt): void {
		const label = `@${s.name}`;
		const keys = s.keys.map((k) => this.expr(k, true));
		const n = s.args.length;
		const arity = (expected: string) =>
			new DTypeError(s.fnPos, `${s.fn}() prototype mismatch: ${plural(n, "arg")} passed, ${expected} expected`);
		let lquantize: LquantizeParams | null = null;
		if (s.fn === "count") {
			if (n !== 0) throw arity("0");
		} else if (s.fn === "lquantize") {
			if (n < 3 || n > 4) throw arity("3 or 4");
		} else if (n !== 1) throw arity("1");
		const argTypes = s.args.map((a) => this.expr(a, false));
		if (n > 0 && argTypes[0] !== "int") {
			throw new DTypeError(s.args[0]!.pos, `${s.fn}() argument #1 must be an integer, not ${article(argTypes[0]!)}`);
		}
		if (s.fn === "lquantize") lquantize = this.lquantizeParams(s);

		const prev = this.aggregations.get(s.name);
		if (!prev) {
			this.aggregations.set(s.name, {
				name: s.name,
				fn: s.fn,
				keys,
				valueType: s.fn === "count" ? null : "int",
				lquantize,
				pos: s.pos,
				uses: [s],
			});
		} else {
			if (prev.fn !== s.fn) {
				throw new DTypeError(
					s.fnPos,
					`aggregation redefined: ${label} = ${s.fn}() here but ${label} = ${prev.fn}()${where(prev.pos)}; use another name`,
				);
			}
			if (prev.keys.length !== keys.length) {
				throw new DTypeError(
					s.pos,
					`${label} has ${plural(keys.length, "key")} here but ${plural(prev.keys.length, "key")}${where(prev.pos)}`,
				);
			}
			keys.forEach((t, i) => {
				if (t !== prev.keys[i]) {
					throw new DTypeError(
						s.keys[i]!.pos,
						`${label} key #${i + 1} is ${article(t)} here but ${article(prev.keys[i]!)}${where(prev.pos)}`,
					);
				}
			});
			if (lquantize && prev.lquantize) {
				const p = prev.lquantize;
				const mismatch = (what: string, expected: number, found: number) =>
					new DTypeError(
						s.fnPos,
						`lquantize() ${what} doesn't match previous declaration${where(prev.pos)}: expected ${expected}, found ${found}`,
					);
				if (p.lo !== lquantize.lo) throw mismatch("base (argument #2)", p.lo, lquantize.lo);
				if (p.lo + p.levels * p.step !== lquantize.lo + lquantize.levels * lquantize.step) {
					throw mismatch("limit (argument #3)", p.hi, lquantize.hi);
				}
				if (p.step !== lquantize.step) throw mismatch("step (argument #4)", p.step, lquantize.step);
			}
			prev.uses.push(s);
		}
		this.info.aggregations.add(s.name);
	}

	/** DTrace's rules for lquantize(value, base, limit[, step]). */
	private lquantizeParams(s: AggregateStmt): LquantizeParams {
		const bound = (i: number, what: string): bigint => {
			const a = s.args[i]!;
			const v = constantValue(a);
			if (v === undefined)
				throw new DTypeError(a.pos, `lquantize() ${what} (argument #${i + 1}) must be an integer constant`);
			if (v < INT32_MIN || v > INT32_MAX) {
				throw new DTypeError(a.pos, `lquantize() ${what} (argument #${i + 1}) must be a 32-bit quantity`);
			}
			return v;
		};
		const lo = bound(1, "base");
		const hi = bound(2, "limit");
		if (hi <= lo) throw new DTypeError(s.fnPos, "lquantize() base (argument #2) must be less than limit (argument #3)");
		let step = 1n;
		if (s.args.length > 3) {
			const a = s.args[3]!;
			const v = constantValue(a);
			if (v === undefined || v <= 0n) {
				throw new DTypeError(a.pos, "lquantize() step (argument #4) must be a non-zero positive integer constant");
			}
			if (v > UINT16_MAX) throw new DTypeError(a.pos, "lquantize() step (argument #4) must be a 16-bit quantity");
			step = v;
		}
		const levels = (hi - lo) / step;
		if (levels === 0n) {
			throw new DTypeError(
				s.fnPos,
				"lquantize() step (argument #4) too large: must have at least one quantization level",
			);
		}
		if (levels > UINT16_MAX) {
			throw new DTypeError(
				s.fnPos,
				"lquantize() step (argument #4) too small: number of quantization levels must be a 16-bit quantity",
			);
		}
		return { lo: Number(lo), hi: Number(hi), step: Number(step), levels: Number(levels) };
	}

	/** Type an expression; `asKey` is true only for a whole aggregation key. */
	private expr(e: Expr, asKey: boolean): DType {
		const t = this.typeOf(e, asKey);
		this.types.set(e, t);
		return t;
	}

	private typeOf(e: Expr, asKey: boolean): DType {
		switch (e.kind) {
			case "int":
				return "int";
			case "string":
				return "string";
			case "builtin":
				this.info.builtins.add(e.name);
				return STRING_BUILTINS.has(e.name) ? "string" : "int";
			case "self": {
				this.info.selfReads.add(e.name);
				// Read before any assignment in the program: 0, as in DTrace.
				const t = this.inferred.get(e.name) ?? "int";
				if (!this.selfVars.has(e.name)) this.selfVars.set(e.name, t);
				return t;
			}
			case "unary": {
				const t = this.expr(e.operand, false);
				if (t !== "int") {
					throw new DTypeError(e.pos, `operator ${e.op} needs an integer operand, not ${article(t)}`);
				}
				return "int";
			}
			case "binary":
				return this.binary(e);
			case "call":
				return this.call(e, asKey);
		}
	}

	private binary(e: BinaryExpr): DType {
		const l = this.expr(e.left, false);
		const r = this.expr(e.right, false);
		switch (e.op) {
			case "<":
			case "<=":
			case ">":
			case ">=":
			case "==":
			case "!=":
				if (l !== r) {
					throw new DTypeError(e.pos, `operands have incompatible types: "${l}" ${e.op} "${r}"`);
				}
				return "int";
			default: {
				const bad = l !== "int" ? l : r !== "int" ? r : undefined;
				if (bad) throw new DTypeError(e.pos, `operator ${e.op} needs integer operands, not ${article(bad)}`);
				if ((e.op === "/" || e.op === "%") && constantValue(e.right) === 0n) {
					throw new DTypeError(e.pos, e.op === "/" ? "division by zero" : "modulus by zero");
				}
				return "int";
			}
		}
	}

	private call(e: CallExpr, asKey: boolean): DType {
		this.info.functions.add(e.fn);
		const n = e.args.length;
		const arity = (expected: string) =>
			new DTypeError(e.pos, `${e.fn}() prototype mismatch: ${plural(n, "arg")} passed, ${expected} expected`);
		const argType = (i: number, want: "int" | "string", what: string) => {
			const t = this.expr(e.args[i]!, false);
			if (t !== want) {
				throw new DTypeError(e.args[i]!.pos, `${e.fn}() argument #${i + 1} must be ${what}, not ${article(t)}`);
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
			case "ustack":
			case "kstack": {
				if (!asKey) {
					throw new DTypeError(e.pos, `${e.fn}() can only be used as an aggregation key, as in @[${e.fn}()] = count()`);
				}
				if (n > 1) throw arity("0 or 1");
				if (n === 1) {
					this.expr(e.args[0]!, false);
					const v = constantValue(e.args[0]!);
					if (v === undefined || v <= 0n) {
						throw new DTypeError(e.args[0]!.pos, `${e.fn}() argument #1 must be a non-zero positive integer constant`);
					}
				}
				return e.fn;
			}
		}
	}
}

/** Type-check a program of today's subset (parsed or built). Throws DTypeError (or
 * DSyntaxError for a malformed probe description or a construct outside the subset). */
export function check(program: Program): CheckedProgram;
/** A program of the full language checked as the subset: what it lacks is refused. */
export function check(program: full.Program): CheckedProgram;
/** Type-check a program of the full language (see check-full.ts). */
export function check(program: full.Program, options: CheckOptions): FullCheckedProgram;
export function check(program: Program | full.Program, options?: CheckOptions): CheckedProgram | FullCheckedProgram {
	if (options?.language === "full") return checkFull(program as full.Program, options);
	return checkSubset(restrictProgram(program as full.Program));
}

function checkSubset(program: Program): CheckedProgram {
	const checker = new Checker(inferSelfTypes(program));
	const clauses = program.clauses.map((c) => checker.clause(c));
	const types = checker.types;
	return {
		program,
		types,
		aggregations: checker.aggregations,
		selfVars: checker.selfVars,
		clauses,
		typeOf(e: Expr): DType {
			const t = types.get(e);
			if (t === undefined) throw new RangeError("expression is not part of the checked program");
			return t;
		},
	};
}
