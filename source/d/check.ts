// The type checker. check(program) checks today's subset (what the back end compiles)
// exactly as dtop always has: it infers a type for every expression, gathers the
// aggregations and thread-local variables, and rejects what DTrace would reject
// (strings compared with numbers, stacks outside aggregation keys, an aggregation used
// with two different functions or key signatures, bad lquantize() parameters, ...).
// check(program, { language: "full" }) checks the whole language (check-full.ts).

import type { ActionCall, AggregateStmt, BinaryExpr, Clause, Expr, Program, Statement } from "./ast.ts";
import { STRING_BUILTINS } from "./ast.ts";
import { checkFull } from "./check-full.ts";
import { checkWeight, type LogLinear, llquantizeParameters, sameLogLinear } from "./check-llquantize.ts";
import { checkSpeculationCall, checkSpeculationRules } from "./check-spec.ts";
import { checkStackArgs, checkTraceArg, checkUregsIndex, oddFormatArg } from "./check-stack.ts";
import {
	article,
	checkAggAction,
	checkCall,
	checkPrinta,
	constantZero,
	declaredVars,
	dtraceName,
	inferSelfTypes,
	lquantizeParams,
	plural,
	sameAssocKeys,
	varKey,
	varText,
	where,
} from "./check-subset.ts";
import { DSyntaxError, DTypeError, type Position } from "./errors.ts";
import { TAG } from "./errtags.ts";
import { validateFormat } from "./printf.ts";
import { probeFromText, probeText } from "./probe.ts";
import type { CheckOptions, FullCheckedProgram } from "./scope.ts";
import { constantValue, restrictProbe, restrictProgram, unknownName } from "./subset.ts";
import { INT64, int, STRING } from "./types.ts";

export { constantValue, varKey, varText };

import type { AggregationInfo, CheckedProgram, ClauseInfo, DType, LquantizeParams } from "./check-types.ts";
import type * as full from "./syntax.ts";

export type { AggregationInfo, CheckedProgram, ClauseInfo, DType, LquantizeParams } from "./check-types.ts";

/** A value's C type for printf's conversions: func() & co are _symaddr/_usymaddr, as in DTrace. */
function formatType(t: DType | undefined, e: Expr | { kind: "aggvar" }) {
	if (t === "string") return STRING;
	if (t === "sym") return { k: "symaddr" as const, user: e.kind === "call" && e.fn.startsWith("u") };
	// A member of a struct variable or a kernel value has its C type (ctypes/): `%c` of a char member.
	if (e.kind === "field") return e.type;
	if (e.kind === "kmem") return int(`${e.signed ? "" : "u"}int${e.size * 8}_t`, e.size, e.signed);
	return INT64;
}

class Checker {
	readonly types = new Map<Expr, DType>();
	readonly aggregations = new Map<string, AggregationInfo>();
	readonly selfVars = new Map<string, "int" | "string">();
	readonly vars = new Map<string, "int" | "string">();
	readonly assocKeys = new Map<string, { types: DType[]; pos: Position }>();
	private readonly firstAssign = new Map<string, { type: "int" | "string"; pos: Position }>();
	private info!: ClauseInfo;
	/** Each llquantize( ) aggregation's parameters, as its first use gave them. */
	private readonly logLinear = new Map<string, LogLinear>();
	/** printa() calls, checked once every aggregation is known (END clauses often come first). */
	readonly printas: ActionCall[] = [];

	/** Declared variables' types (`int x;`, `self string s;`). */
	declared = new Map<string, "int" | "string">();

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
		checkSpeculationRules(c);
		return this.info;
	}

	private statement(s: Statement): void {
		if (s.kind === "expr") {
			this.action(s.expr);
			return;
		}
		if (s.kind === "if") {
			const t = this.expr(s.cond, false);
			if (t !== "int") throw new DTypeError(s.cond.pos, `the condition of 'if' must be an integer, not ${article(t)}`);
			for (const x of [...s.body, ...(s.otherwise ?? [])]) this.statement(x);
			return;
		}
		if (s.kind === "assign") {
			const value = this.expr(s.value, false);
			if (value !== "int" && value !== "string")
				throw new DTypeError(s.value.pos, `${article(value)} cannot be assigned to a variable`);
			const target = s.target;
			if (target.kind === "field") {
				// A member of a struct variable: an integer of the member's type (ctypes/).
				if (value !== "int")
					throw new DTypeError(
						s.value.pos,
						`${target.text} is an integer member; it cannot be assigned ${article(value)}`,
					);
				this.types.set(target, "int");
				return;
			}
			const name = varKey(target);
			if (target.kind === "self") this.info.selfWrites.add(target.name);
			if (target.kind === "index") this.assocIndex(target);
			let t: "int" | "string" = value;
			if (s.op !== "=") {
				const left = this.declared.get(name) ?? this.inferred.get(name) ?? "int";
				if (value !== "int" || left === "string")
					throw new DTypeError(s.opPos, `operator ${s.op} needs integer operands`, "D_OP_INCOMPAT", {
						dtrace: `operands have incompatible types: "${dtraceName(left)}" ${s.op} "${dtraceName(value)}"`,
					});
				t = "int";
			}
			this.types.set(target, t);
			const declared = this.declared.get(name);
			if (declared && declared !== t)
				throw new DTypeError(
					s.pos,
					`${varText(target)} is ${article(declared)} variable; it cannot be assigned ${article(t)}`,
					"D_OP_INCOMPAT",
					{ dtrace: `operands have incompatible types: "${declared}" ${s.op} "${t}"` },
				);
			const prev = this.firstAssign.get(name);
			if (prev && prev.type !== t) {
				throw new DTypeError(
					s.pos,
					`${varText(target)} is assigned ${article(t)} here but ${article(prev.type)}${where(prev.pos)}; a variable keeps one type`,
					"D_OP_INCOMPAT",
					{ dtrace: `operands have incompatible types: "${prev.type}" ${s.op} "${t}"` },
				);
			}
			if (!prev) this.firstAssign.set(name, { type: t, pos: s.pos });
			if (target.kind === "self") this.selfVars.set(target.name, t);
			this.vars.set(name, t);
			return;
		}
		this.aggregate(s);
	}

	/** printf(format, ...), trace(e), exit(status): DTrace's prototypes and format checks. */
	private action(e: ActionCall): void {
		const n = e.args.length;
		const arity = (expected: string) =>
			new DTypeError(
				e.pos,
				`${e.fn}( ) prototype mismatch: ${plural(n, "arg")} passed, ${expected} expected`,
				"D_PROTO_LEN",
			);
		if (e.fn === "printa") {
			this.printas.push(e);
			return;
		}
		if (e.fn === "clear" || e.fn === "trunc" || e.fn === "normalize" || e.fn === "denormalize") {
			for (const a of e.args.slice(1))
				if (a.kind !== "aggvar" && this.expr(a, false) !== "int")
					throw new DTypeError(a.pos, `${e.fn}( ) argument #2 must be an integer`, "D_PROTO_ARG");
			this.printas.push(e);
			return;
		}
		if (e.fn === "trace" && n === 1) checkTraceArg(e.args[0]!);
		if (e.fn === "printf" && n > 1 && e.args[0]!.kind === "string") {
			// An aggregation or an action's (void) result as printf( )'s value: DTrace's D_PRINTF_ARG_TYPE.
			const odd = e.args.slice(1).map(oddFormatArg);
			if (odd.some((t) => t !== undefined)) {
				const args = e.args
					.slice(1)
					.map((a, i) => ({ type: odd[i] ?? formatType(this.expr(a as Expr, false), a), pos: a.pos }));
				validateFormat((e.args[0] as { value: string }).value, args, { fn: "printf", pos: e.pos, exact: true });
			}
		}
		const types = e.args.map((a) => {
			if (a.kind === "aggvar")
				throw new DTypeError(
					a.pos,
					`aggregation @${a.name} cannot be used in an expression; only printa() takes it`,
					...TAG.aggregationInExpression(),
				);
			return this.expr(a, false);
		});
		switch (e.fn) {
			case "exit":
				if (n !== 1) throw arity("1");
				if (types[0] !== "int")
					throw new DTypeError(
						e.args[0]!.pos,
						`exit( ) argument #1 must be an integer, not ${article(types[0]!)}`,
						...TAG.exitArgument(types[0]!),
					);
				return;
			case "trace":
				if (n !== 1) throw arity("1");
				return;
			case "stack":
			case "ustack":
				checkStackArgs(e, types);
				return;
			case "speculate":
			case "commit":
			case "discard":
				checkSpeculationCall(e.fn, e.args as Expr[], types, e.pos);
				return;
			case "printf": {
				if (n < 1) throw arity("at least 1");
				const f = e.args[0]!;
				if (f.kind !== "string")
					throw new DTypeError(
						f.pos,
						"printf( ) argument #1 must be a string constant (the format)",
						...TAG.printfFormat("printf", String(types[0])),
					);
				const args = e.args.slice(1).map((a, i) => ({ type: formatType(types[i + 1], a), pos: a.pos }));
				validateFormat(f.value, args, { fn: "printf", pos: e.pos, exact: true });
				return;
			}
		}
	}

	private aggregate(s: AggregateStmt): void {
		const label = `@${s.name}`;
		const keys = s.keys.map((k) => this.expr(k, true));
		const n = s.args.length;
		const arity = (expected: string) =>
			new DTypeError(
				s.fnPos,
				`${s.fn}() prototype mismatch: ${plural(n, "arg")} passed, ${expected} expected`,
				...TAG.aggregationArity(s.fn, plural(n, "arg"), expected),
			);
		let lquantize: LquantizeParams | null = null;
		if (s.fn === "count") {
			if (n !== 0) throw arity("0");
		} else if (s.fn === "lquantize") {
			if (n < 3 || n > 5) throw arity("3 to 5");
		} else if (s.fn === "llquantize") {
			if (n < 5 || n > 6) throw arity("5 or 6");
		} else if (s.fn === "quantize") {
			if (n < 1 || n > 2) throw arity("1 or 2");
		} else if (n !== 1) throw arity("1");
		const argTypes = s.args.map((a) => this.expr(a, false));
		if (n > 0 && argTypes[0] !== "int") {
			throw new DTypeError(
				s.args[0]!.pos,
				`${s.fn}() argument #1 must be an integer, not ${article(argTypes[0]!)}`,
				...TAG.aggregationScalar(),
			);
		}
		if (s.fn === "lquantize") lquantize = lquantizeParams(s);
		const logLinear = s.fn === "llquantize" ? llquantizeParameters(s) : undefined;
		checkWeight(s, argTypes);

		const prev = this.aggregations.get(s.name);
		if (logLinear) {
			const before = this.logLinear.get(s.name);
			if (before && prev?.fn === "llquantize") sameLogLinear(s, before, logLinear);
			else this.logLinear.set(s.name, logLinear);
		}
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
					...TAG.aggregationRedefined(),
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
				// DTrace numbers lquantize( )'s parameters from the base (#1), dtop from the value.
				const mismatch = (code: string, what: string, n: number, expected: number, found: number) =>
					new DTypeError(
						s.fnPos,
						`lquantize() ${what} (argument #${n + 1}) doesn't match previous declaration${where(prev.pos)}: expected ${expected}, found ${found}`,
						code,
						{
							dtrace: `lquantize( ) ${what} (argument #${n}) doesn't match previous declaration: expected ${expected}, found ${found}`,
						},
					);
				const limit = (q: LquantizeParams) => q.lo + q.levels * q.step;
				if (p.lo !== lquantize.lo) throw mismatch("D_LQUANT_MATCHBASE", "base", 1, p.lo, lquantize.lo);
				if (limit(p) !== limit(lquantize)) throw mismatch("D_LQUANT_MATCHLIM", "limit", 2, limit(p), limit(lquantize));
				if (p.step !== lquantize.step) throw mismatch("D_LQUANT_MATCHSTEP", "step", 3, p.step, lquantize.step);
			}
			prev.uses.push(s);
		}
		this.info.aggregations.add(s.name);
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
			case "field":
				return "int";
			case "kmem":
				if (e.base) this.expr(e.base, false);
				return e.str !== undefined ? "string" : "int";
			case "string":
				return "string";
			case "builtin":
				this.info.builtins.add(e.name);
				return STRING_BUILTINS.has(e.name) ? "string" : "int";
			case "self": {
				this.info.selfReads.add(e.name);
				// Read before any assignment in the program: 0, as in DTrace.
				const t = this.inferred.get(varKey(e)) ?? "int";
				if (!this.selfVars.has(e.name)) this.selfVars.set(e.name, t);
				this.vars.set(varKey(e), t);
				return t;
			}
			case "this":
			case "ident":
			case "index": {
				// uregs[R_PC]: the index is a library constant, lowered with it.
				if (e.kind === "index" && (e.base as { kind: string }).kind === "builtin") {
					checkUregsIndex(e, (k) => this.expr(k, false));
					return "int";
				}
				const t = this.inferred.get(varKey(e));
				if (e.kind === "index") this.assocIndex(e);
				if (t === undefined) {
					if (e.kind === "this")
						throw new DTypeError(e.pos, `this->${e.name} is read but no clause assigns it`, "D_IDENT_UNDEF");
					unknownName(e.kind === "ident" ? e.name : e.base.name, e.kind === "ident" ? e.pos : e.base.pos);
				}
				this.vars.set(varKey(e), t);
				return t;
			}
			case "assignexpr":
				this.statement({ kind: "assign", op: e.op, target: e.target, value: e.value, pos: e.target.pos, opPos: e.pos });
				return this.types.get(e.target) ?? "int";
			case "incdec": {
				const t = this.expr(e.operand, false);
				if (t !== "int")
					throw new DTypeError(
						e.pos,
						`operator ${e.op} needs an integer operand, not ${article(t)}`,
						...TAG.operand(e.op),
					);
				return "int";
			}
			case "ternary": {
				const c = this.expr(e.cond, false);
				if (c !== "int")
					throw new DTypeError(
						e.cond.pos,
						`the condition of ?: must be an integer, not ${article(c)}`,
						...TAG.ternaryCondition(),
					);
				const l = this.expr(e.whenTrue, false);
				const r = this.expr(e.whenFalse, false);
				if (l !== r) throw new DTypeError(e.pos, `?: has ${article(l)} and ${article(r)}: both must be of one type`);
				if (l !== "int" && l !== "string") throw new DTypeError(e.pos, `?: of ${article(l)} is not supported`);
				return l;
			}
			case "cast": {
				const t = this.expr(e.operand, false);
				if (t !== "int") throw new DTypeError(e.pos, `${article(t)} cannot be cast to an integer type`);
				return "int";
			}
			case "unary": {
				const t = this.expr(e.operand, false);
				if (t !== "int") {
					throw new DTypeError(
						e.pos,
						`operator ${e.op} needs an integer operand, not ${article(t)}`,
						...TAG.operand(e.op),
					);
				}
				return "int";
			}
			case "binary":
				return this.binary(e);
			case "call":
				return checkCall(e, asKey, (x, k) => this.expr(x, k), this.info.functions);
		}
	}

	/** An associative array's keys: integers or strings, the same types wherever it is used. */
	private assocIndex(e: Extract<Expr, { kind: "index" }>): void {
		const types = e.keys.map((k) => {
			const t = this.expr(k, false);
			if (t !== "int" && t !== "string")
				throw new DTypeError(k.pos, `${article(t)} cannot be a key of ${e.base.name}[]`, "D_DYN_TYPE");
			return t;
		});
		sameAssocKeys(e, types, this.assocKeys);
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
				if (bad)
					throw new DTypeError(
						e.pos,
						`operator ${e.op} needs integer operands, not ${article(bad)}`,
						...TAG.operands(e.op),
					);
				// D's constant rules (eval.ts: types, unsigned division), as the code generator computes.
				if ((e.op === "/" || e.op === "%") && constantZero(e.right)) {
					throw new DTypeError(e.pos, e.op === "/" ? "division by zero" : "modulus by zero", ...TAG.divisionByZero());
				}
				return "int";
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
	for (const [k, v] of declaredVars(program)) checker.declared.set(k, v.type.k === "string" ? "string" : "int");
	const clauses = program.clauses.map((c) => checker.clause(c));
	for (const p of checker.printas)
		if (p.fn === "printa") checkPrinta(p, checker.aggregations);
		else checkAggAction(p, checker.aggregations);
	const types = checker.types;
	return {
		program,
		types,
		aggregations: checker.aggregations,
		selfVars: checker.selfVars,
		vars: checker.vars,
		assocKeys: new Map([...checker.assocKeys].map(([k, v]) => [k, v.types])),
		clauses,
		typeOf(e: Expr): DType {
			const t = types.get(e);
			if (t === undefined) throw new RangeError("expression is not part of the checked program");
			return t;
		},
	};
}
