// Calls in the full checker: prototypes of actions and subroutines, printf()/printa()
// formats, the aggregation actions, stack()/ustack() constants, aggregations and their
// functions' parameters (dt_cg.c's dt_cg_agg_*), and DTrace's rules on the order of
// speculate()/commit() and data-recording actions in a clause (dt_cg_clsflags).

import { unsupported } from "./check-expr.ts";
import { compatible, VarChecker } from "./check-vars.ts";
import { DTypeError, type Position } from "./errors.ts";
import { type FnSpec, FUNCTIONS, type Param } from "./functions.ts";
import { isBuiltinVariable } from "./library.ts";
import { aggregationValueType, type FormatArg, validateFormat } from "./printf.ts";
import type { AggInfo, LinearParams, LogLinearParams } from "./scope.ts";
import { suggest } from "./subset.ts";
import type { AggregateStmt, AggVar, CallExpr, Expr } from "./syntax.ts";
import { type DType, DYNAMIC, isInteger, isScalar, isStringLike, typeName, VOID } from "./types.ts";

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? " " : "s "}`;

/** Clause flags of DTrace's dt_cg_clsflags. */
interface Flags {
	datarec: boolean;
	aggregation: boolean;
	speculate: boolean;
	commit: boolean;
}

export abstract class CallChecker extends VarChecker {
	readonly aggregations = new Map<string, AggInfo>();
	protected flags: Flags = { datarec: false, aggregation: false, speculate: false, commit: false };

	/** An aggregation used as a value: DTrace types it as <DYN>, which no operator takes. */
	protected aggregation(e: AggVar): DType {
		if (!this.aggregations.has(e.name))
			throw new DTypeError(e.pos, `failed to resolve @${e.name}: Unknown variable name`, "D_IDENT_UNDEF");
		this.scope(e, "aggregation");
		return DYNAMIC;
	}

	/** An aggregation named as an argument: it must exist already (in program order). */
	private aggArg(e: Expr, fn: string, n: number, code: string): AggInfo {
		if (e.kind !== "aggvar") {
			const t = e.kind === "string" ? "string" : typeName(this.expr(e));
			throw new DTypeError(
				e.pos,
				`${fn}( ) argument #${n} is incompatible with prototype: prototype: aggregation; argument: ${t}`,
				`${code}AGGARG`,
			);
		}
		this.scope(e, "aggregation");
		const a = this.aggregations.get(e.name);
		if (!a) throw new DTypeError(e.pos, `undefined aggregation: @${e.name}`, `${code}AGGBAD`);
		this.facts?.aggregations.add(e.name);
		return a;
	}

	private protoLen(e: { pos: Position }, name: string, n: number, expected: string): DTypeError {
		return new DTypeError(
			e.pos,
			`${name}( ) prototype mismatch: ${plural(n, "arg")}passed, ${expected} expected`,
			"D_PROTO_LEN",
		);
	}

	private accepts(p: Param, t: DType, arg: Expr): boolean {
		switch (p) {
			case "int":
				return isInteger(t);
			case "str":
				return isStringLike(t) || t.k === "ptr" || this.isNull(arg);
			case "addr":
				return isInteger(t) || t.k === "ptr";
			case "ptr":
				return t.k === "ptr" || this.isNull(arg);
			default:
				return t.k !== "void" && t.k !== "dynamic";
		}
	}

	/** Check arguments against a prototype (dt_idcook_func). */
	private prototype(e: CallExpr, spec: FnSpec): DType[] {
		const n = e.args.length;
		const required = spec.optionalFrom ?? spec.params.length;
		const max = spec.varargs ? Number.POSITIVE_INFINITY : spec.params.length;
		if (n < required)
			throw this.protoLen(e, e.fn, n, `${spec.varargs || required < max ? "at least " : ""}${required}`);
		if (n > max) throw this.protoLen(e, e.fn, n, `${required < max ? "at most " : ""}${max}`);
		return e.args.map((a, i) => {
			const t = this.expr(a);
			const p = spec.params[i];
			if (p && !this.accepts(p, t, a)) {
				throw new DTypeError(
					a.pos,
					`${e.fn}( ) argument #${i + 1} is incompatible with prototype: prototype: ${spec.protos[i]}; argument: ${typeName(t)}`,
					"D_PROTO_ARG",
				);
			}
			return t;
		});
	}

	/** A non-zero positive integer constant argument. */
	private positive(a: Expr, message: string, code: string, zeroOk = false): bigint {
		const t = this.expr(a);
		const c = isInteger(t) ? this.constant(a) : undefined;
		const v = c ? BigInt.asIntN(64, c.value) : undefined;
		if (v === undefined || v < 0n || (v === 0n && !zeroOk)) throw new DTypeError(a.pos, message, code);
		return v;
	}

	protected call(e: CallExpr, statement: boolean): DType {
		const spec = FUNCTIONS.get(e.fn);
		if (!spec) {
			if (isBuiltinVariable(e.fn) || this.globals.has(e.fn) || this.inlines.has(e.fn))
				throw new DTypeError(e.pos, `variable '${e.fn}' may not be referenced as a function`, "D_FUNC_IDKIND");
			const guess = suggest(e.fn, [...FUNCTIONS.keys()]);
			throw new DTypeError(
				e.pos,
				`undefined function name: ${e.fn}${guess ? `; did you mean ${guess}()?` : ""}`,
				"D_FUNC_UNDEF",
			);
		}
		this.facts?.functions.add(e.fn);
		if (spec.unsupported) throw unsupported(e.pos, `'${e.fn}' is not supported: ${spec.unsupported}`);
		if (this.clause === null && spec.kind !== "subroutine")
			throw new DTypeError(e.pos, `${e.fn}( ) may only be called in a probe clause`, "D_CG_EXPR");
		const misplaced = spec.kind === "aggregating" || (spec.kind === "action" && spec.ret.k === "void" && !statement);
		// An action misplaced in an expression gets only its prototype checked: DTrace
		// rejects it when generating code, before it would look at its format or constants.
		let t = misplaced ? undefined : this.special(e, spec);
		if (t === undefined) {
			this.prototype(e, spec);
			t = spec.ret;
		}
		if (misplaced) {
			// DTrace finds these when it generates code, after the clause's other errors.
			const what = spec.kind === "aggregating" ? "aggregating function" : "action";
			this.defer(
				new DTypeError(
					e.pos,
					`${what} ${e.fn}( ) may not be called from a D expression (D program context required)`,
					"D_CG_EXPR",
				),
			);
			return VOID;
		}
		if (statement) this.clauseFlags(e, spec);
		if (spec.destructive && this.facts) this.facts.destructive = true;
		return t;
	}

	/** Actions and subroutines with rules beyond their prototype; undefined for the rest. */
	private special(e: CallExpr, spec: FnSpec): DType | undefined {
		const a = e.args;
		switch (e.fn) {
			case "printf":
			case "system":
			case "freopen": {
				if (a.length === 0) throw this.protoLen(e, e.fn, 0, "at least 1");
				const f = a[0]!;
				const ft = this.expr(f);
				if (!isStringLike(ft)) {
					throw new DTypeError(
						f.pos,
						`${e.fn}( ) argument #1 is incompatible with prototype: prototype: string; argument: ${typeName(ft)}`,
						"D_PROTO_ARG",
					);
				}
				if (f.kind !== "string") {
					throw new DTypeError(
						f.pos,
						`${e.fn}( ) argument #1 is incompatible with prototype: prototype: string constant; argument: ${typeName(ft)}`,
						"D_PRINTF_ARG_FMT",
					);
				}
				const args = a.slice(1).map((x): FormatArg => ({ type: this.expr(x), pos: x.pos }));
				if (e.fn === "freopen" && f.value === "") return spec.ret;
				validateFormat(f.value, args, { fn: e.fn, pos: e.pos, exact: true });
				return spec.ret;
			}
			case "printa":
				return this.printa(e, spec);
			case "trace": {
				if (a.length !== 1) throw this.protoLen(e, "trace", a.length, "1");
				if (a[0]!.kind === "aggvar" || (a[0]!.kind === "ident" && this.globals.get(a[0]!.name)?.keys))
					throw new DTypeError(a[0]!.pos, "trace( ) may not be applied to a dynamic expression", "D_TRACE_DYN");
				const t = this.expr(a[0]!);
				if (t.k === "void")
					throw new DTypeError(a[0]!.pos, "trace( ) may not be applied to a void expression", "D_TRACE_VOID");
				if (!isScalar(t) && t.k !== "string" && t.k !== "stack" && t.k !== "symaddr") {
					throw new DTypeError(
						a[0]!.pos,
						`trace( ) argument #1 is incompatible with prototype: prototype: scalar or string; argument: ${typeName(t)}`,
						"D_PROTO_ARG",
					);
				}
				return spec.ret;
			}
			case "tracemem": {
				this.prototype(e, spec);
				const t = this.expr(a[0]!);
				if (!isInteger(t) && t.k !== "ptr")
					throw new DTypeError(
						a[0]!.pos,
						`tracemem( ) argument #1 is incompatible with prototype: prototype: pointer or integer; argument: ${typeName(t)}`,
						"D_TRACEMEM_ADDR",
					);
				this.positive(
					a[1]!,
					"tracemem( ) argument #2 must be a non-zero positive integral constant expression",
					"D_TRACEMEM_SIZE",
				);
				return spec.ret;
			}
			case "clear":
			case "denormalize":
				if (a.length !== 1) throw this.protoLen(e, e.fn, a.length, "1");
				this.aggArg(a[0]!, e.fn, 1, e.fn === "clear" ? "D_CLEAR_" : "D_NORMALIZE_");
				return spec.ret;
			case "trunc":
				if (a.length < 1 || a.length > 2)
					throw this.protoLen(e, "trunc", a.length, a.length < 1 ? "at least 1" : "at most 2");
				this.aggArg(a[0]!, "trunc", 1, "D_TRUNC_");
				if (a[1] && !isInteger(this.expr(a[1]))) {
					throw new DTypeError(
						a[1].pos,
						`trunc( ) argument #2 is incompatible with prototype: prototype: int64_t; argument: ${typeName(this.expr(a[1]))}`,
						"D_PROTO_ARG",
					);
				}
				return spec.ret;
			case "normalize":
				if (a.length !== 2) throw this.protoLen(e, "normalize", a.length, "2");
				if (!isScalar(this.expr(a[1]!)))
					throw new DTypeError(
						a[1]!.pos,
						`normalize( ) argument #2 is incompatible with prototype: prototype: uint64_t; argument: ${typeName(this.expr(a[1]!))}`,
						"D_PROTO_ARG",
					);
				this.aggArg(a[0]!, "normalize", 1, "D_NORMALIZE_");
				if (!isScalar(this.expr(a[1]!)))
					throw new DTypeError(a[1]!.pos, "normalize( ) argument #2 must be of scalar type", "D_NORMALIZE_SCALAR");
				return spec.ret;
			case "stack":
			case "kstack":
			case "ustack":
			case "jstack": {
				this.prototype(e, spec);
				const code = e.fn === "stack" || e.fn === "kstack" ? "D_STACK_SIZE" : "D_USTACK_FRAMES";
				if (a[0]) this.positive(a[0], `${e.fn}( ) argument #1 must be a non-zero positive integer constant`, code);
				if (a[1])
					this.positive(a[1], "ustack( ) argument #2 must be a positive integer constant", "D_USTACK_STRSIZE", true);
				return spec.ret;
			}
			default:
				return undefined;
		}
	}

	private printa(e: CallExpr, spec: FnSpec): DType {
		const a = e.args;
		if (a.length === 0) throw this.protoLen(e, "printa", 0, "at least 1");
		const hasFormat = a[0]!.kind === "string";
		if (hasFormat && a.length === 1) {
			throw new DTypeError(e.pos, "printa( ) prototype mismatch: 1 args passed, 2 expected", "D_PRINTA_PROTO");
		}
		if (!hasFormat && a[0]!.kind !== "aggvar") {
			const t = this.expr(a[0]!);
			if (isStringLike(t))
				throw new DTypeError(
					a[0]!.pos,
					`printa( ) argument #1 is incompatible with prototype: prototype: string constant; argument: ${typeName(t)}`,
					"D_PRINTF_ARG_FMT",
				);
		}
		const first = hasFormat ? 1 : 0;
		const aggs = a.slice(first).map((x, i) => this.aggArg(x, "printa", first + i + 1, "D_PRINTA_"));
		const lead = aggs[0]!;
		aggs.slice(1).forEach((other, i) => {
			const l = lead.keys.length;
			const o = other.keys.length;
			if (l !== o) {
				throw new DTypeError(
					a[first + i + 1]!.pos,
					`printa( ): @${lead.name} and @${other.name} do not have matching key signatures: @${lead.name} has ${l} key${l === 1 ? "" : "s"}, @${other.name} has ${o} key${o === 1 ? "" : "s"}`,
					"D_PRINTA_AGGKEY",
				);
			}
			other.keys.forEach((k, j) => {
				if (!compatible(lead.keys[j]!, k)) {
					throw new DTypeError(
						a[first + i + 1]!.pos,
						`printa( ): @${other.name}[ ] key #${j + 1} is incompatible with @${lead.name}: @${lead.name} key #${j + 1}: ${typeName(lead.keys[j]!)}; @${other.name} key #${j + 1}: ${typeName(k)}`,
						"D_PRINTA_AGGPROTO",
					);
				}
			});
		});
		if (hasFormat) {
			const f = a[0] as { value: string; pos: Position };
			const keys = lead.keys.map((type): FormatArg => ({ type, pos: f.pos }));
			validateFormat(f.value, keys, {
				fn: "printa",
				pos: e.pos,
				exact: false,
				aggregation: aggregationValueType(lead.fn),
			});
		}
		return spec.ret;
	}

	/** DTrace's rules on what may follow speculate() and commit() in a clause. */
	private clauseFlags(e: CallExpr, spec: FnSpec): void {
		const f = this.flags;
		const err = (code: string, reason: string) => new DTypeError(e.pos, reason, code);
		if (e.fn === "commit") {
			if (f.datarec || f.aggregation) throw err("D_COMM_DREC", "commit( ) may not follow data-recording action(s)");
			f.commit = true;
			return;
		}
		if (e.fn === "discard") return;
		if (e.fn === "speculate") {
			if (f.speculate) throw err("D_SPEC_SPEC", "speculate( ) may not follow speculate( )");
			if (f.commit) throw err("D_SPEC_COMM", "speculate( ) may not follow commit( )");
			if (f.datarec || f.aggregation) throw err("D_SPEC_DREC", "speculate( ) may not follow data-recording action(s)");
			f.speculate = true;
			if (this.facts) this.facts.speculative = true;
			return;
		}
		if (f.speculate) {
			if (spec.destructive) throw err("D_ACT_SPEC", "destructive actions may not follow speculate( )");
			if (e.fn === "exit") throw err("D_EXIT_SPEC", "exit( ) may not follow speculate( )");
		}
		if (!spec.records) return;
		if (f.commit) throw err("D_DREC_COMM", "data-recording actions may not follow commit( )");
		f.datarec = true;
		if (this.facts) this.facts.records = true;
	}

	// -- aggregations -----------------------------------------------------------------

	protected aggregate(s: AggregateStmt): void {
		const label = `@${s.name}`;
		const spec = FUNCTIONS.get(s.fn);
		if (!spec) {
			const guess = suggest(s.fn, [...FUNCTIONS.keys()]);
			throw new DTypeError(
				s.fnPos,
				`undefined function name: ${s.fn}${guess ? `; did you mean ${guess}()?` : ""}`,
				"D_FUNC_UNDEF",
			);
		}
		if (spec.kind !== "aggregating") {
			throw new DTypeError(s.fnPos, `${label} must be assigned the result of an aggregating function`, "D_AGG_FUNC");
		}
		const prev = this.aggregations.get(s.name);
		const keys = s.keys.map((k, i) => {
			const t = this.expr(k);
			if (t.k === "void" || t.k === "dynamic")
				throw new DTypeError(
					k.pos,
					`${typeName(t)} expression may not be used as aggregation index: key #${i + 1}`,
					"D_KEY_TYPE",
				);
			return t;
		});
		if (prev) {
			if (prev.keys.length !== keys.length) {
				const n = keys.length;
				throw new DTypeError(
					s.pos,
					`${label}[ ] prototype mismatch: ${plural(n, "key")}passed, ${prev.keys.length} expected`,
					"D_PROTO_LEN",
				);
			}
			keys.forEach((t, i) => {
				if (!compatible(prev.keys[i]!, t))
					throw new DTypeError(
						s.keys[i]!.pos,
						`${label}[ ] key #${i + 1} is incompatible with prototype: prototype: ${typeName(prev.keys[i]!)}; key: ${typeName(t)}`,
						"D_PROTO_ARG",
					);
			});
			if (prev.fn !== s.fn)
				throw new DTypeError(
					s.fnPos,
					`aggregation redefined: ${label}; current: ${label} = ${s.fn}( ); previous: ${label} = ${prev.fn}( ) : line ${prev.pos.line}`,
					"D_AGG_REDEF",
				);
		}
		const info = this.aggregateArgs(s, spec, keys);
		if (prev && info.params && prev.params) this.sameParams(s, prev.params, info.params);
		if (this.flags.commit) throw new DTypeError(s.pos, "aggregating actions may not follow commit( )", "D_AGG_COMM");
		if (this.flags.speculate)
			throw new DTypeError(s.pos, "aggregating actions may not follow speculate( )", "D_AGG_SPEC");
		this.flags.aggregation = true;
		if (!prev) this.aggregations.set(s.name, info);
		this.facts?.aggregations.add(s.name);
	}

	private aggregateArgs(s: AggregateStmt, spec: FnSpec, keys: DType[]): AggInfo {
		const a = s.args;
		const n = a.length;
		const at = { pos: s.fnPos };
		const fixed = spec.optionalFrom ?? spec.params.length;
		const max = spec.params.length;
		if (n < fixed) throw this.protoLen(at, s.fn, n, `${fixed < max ? "at least " : ""}${fixed}`);
		if (n > max) throw this.protoLen(at, s.fn, n, `${fixed < max ? "at most " : ""}${max}`);
		const types = a.map((x) => this.expr(x));
		let valueType: DType | null = null;
		if (n > 0) {
			valueType = types[0]!;
			if (!isScalar(valueType))
				throw new DTypeError(
					a[0]!.pos,
					`${s.fn}( ) argument #1 must be of scalar type, not ${typeName(valueType)}`,
					"D_AGG_SCALAR",
				);
		}
		let params: LinearParams | LogLinearParams | null = null;
		if (s.fn === "lquantize") params = this.linear(s);
		if (s.fn === "llquantize") params = this.logLinear(s);
		const weightAt = s.fn === "quantize" ? 1 : s.fn === "lquantize" ? 4 : s.fn === "llquantize" ? 5 : -1;
		const weighted = weightAt > 0 && n > weightAt;
		if (weighted && !isScalar(types[weightAt]!))
			throw new DTypeError(
				a[weightAt]!.pos,
				`${s.fn}( ) increment value (argument #${weightAt}) must be of scalar type`,
				"D_PROTO_ARG",
			);
		return { name: s.name, fn: s.fn, keys, valueType, params, weighted, pos: s.pos };
	}

	/** An integer constant argument of lquantize()/llquantize(), numbered as DTrace does. */
	private intArg(s: AggregateStmt, i: number, code: string): bigint {
		const x = s.args[i]!;
		const c = isInteger(this.types.get(x)!) ? this.constant(x) : undefined;
		if (!c) throw new DTypeError(x.pos, `${s.fn}( ) argument #${i} must be an integer constant`, code);
		return BigInt.asIntN(64, c.value);
	}

	private linear(s: AggregateStmt): LinearParams {
		const fail = (x: Expr | AggregateStmt, code: string, m: string) =>
			new DTypeError("fnPos" in x ? x.fnPos : x.pos, m, code);
		const base = this.intArg(s, 1, "D_LQUANT_BASETYPE");
		if (base < -(2n ** 31n) || base > 2n ** 31n - 1n)
			throw fail(s.args[1]!, "D_LQUANT_BASEVAL", "lquantize( ) argument #1 must be a 32-bit quantity");
		const limit = this.intArg(s, 2, "D_LQUANT_LIMTYPE");
		if (limit < -(2n ** 31n) || limit > 2n ** 31n - 1n)
			throw fail(s.args[2]!, "D_LQUANT_LIMVAL", "lquantize( ) argument #2 must be a 32-bit quantity");
		if (limit <= base)
			throw fail(s, "D_LQUANT_MISMATCH", "lquantize( ) base (argument #1) must be less than limit (argument #2)");
		let step = 1n;
		if (s.args[3]) {
			step = this.positive(
				s.args[3],
				"lquantize( ) argument #3 must be a non-zero positive integer constant",
				"D_LQUANT_STEPTYPE",
			);
			if (step > 65535n)
				throw fail(s.args[3], "D_LQUANT_STEPVAL", "lquantize( ) argument #3 must be a 16-bit quantity");
		}
		const levels = (limit - base) / step;
		if (levels === 0n)
			throw fail(
				s,
				"D_LQUANT_STEPLARGE",
				"lquantize( ) step (argument #3) too large: must have at least one quantization level",
			);
		if (levels > 65535n)
			throw fail(
				s,
				"D_LQUANT_STEPSMALL",
				"lquantize( ) step (argument #3) too small: number of quantization levels must be a 16-bit quantity",
			);
		return { kind: "lquantize", base: Number(base), limit: Number(limit), step: Number(step), levels: Number(levels) };
	}

	private logLinear(s: AggregateStmt): LogLinearParams {
		const fail = (i: number, code: string, m: string) => new DTypeError(s.args[i]!.pos, m, code);
		const factor = this.intArg(s, 1, "D_LLQUANT_FACTORTYPE");
		if (factor < 2n || factor > 65535n)
			throw fail(
				1,
				"D_LLQUANT_FACTORVAL",
				"llquantize( ) argument #1 must be an unsigned 16-bit quantity greater than or equal to 2",
			);
		const low = this.intArg(s, 2, "D_LLQUANT_LMAGTYPE");
		if (low < 0n || low > 65535n)
			throw fail(2, "D_LLQUANT_LMAGVAL", "llquantize( ) argument #2 must be an unsigned 16-bit quantity");
		const high = this.intArg(s, 3, "D_LLQUANT_HMAGTYPE");
		if (high < 0n || high > 65535n)
			throw fail(3, "D_LLQUANT_HMAGVAL", "llquantize( ) argument #3 must be an unsigned 16-bit quantity");
		if (high < low)
			throw fail(
				3,
				"D_LLQUANT_HMAGVAL",
				"llquantize( ) argument #3 (high magnitude) must be at least argument #2 (low magnitude)",
			);
		if (factor ** (high + 1n) > 2n ** 64n - 1n)
			throw fail(3, "D_LLQUANT_HMAGVAL", "llquantize( ) argument #3 (high magnitude) will cause overflow of 64 bits");
		const steps = this.positive(
			s.args[4]!,
			"llquantize( ) argument #4 must be a non-zero positive integer constant",
			"D_LLQUANT_STEPTYPE",
		);
		if (steps > 65535n)
			throw fail(4, "D_LLQUANT_STEPVAL", "llquantize( ) argument #4 must be an unsigned 16-bit quantity");
		if (steps < factor && factor % steps !== 0n)
			throw fail(
				1,
				"D_LLQUANT_STEPVAL",
				"llquantize() argument #4 (steps) must evenly divide argument #1 (factor) when steps<factor",
			);
		if (steps > factor) {
			if (steps % factor !== 0n)
				throw fail(
					1,
					"D_LLQUANT_STEPVAL",
					"llquantize() argument #4 (steps) must be a multiple of argument #1 (factor) when steps>factor",
				);
			const power = low === 0n ? factor * factor : factor ** (low + 1n);
			if (power % steps !== 0n)
				throw fail(
					1,
					"D_LLQUANT_STEPVAL",
					low === 0n
						? "llquantize() argument #4 (steps) must evenly divide the square of argument #1 (factor) when steps>factor and lmag==0"
						: "llquantize() argument #4 (steps) must evenly divide pow(argument #1 (factor), lmag (argument #2) + 1) when steps>factor and lmag>0",
				);
		}
		return { kind: "llquantize", factor: Number(factor), low: Number(low), high: Number(high), steps: Number(steps) };
	}

	private sameParams(s: AggregateStmt, p: LinearParams | LogLinearParams, q: LinearParams | LogLinearParams): void {
		const fail = (code: string, what: string, expected: number, found: number) =>
			new DTypeError(
				s.fnPos,
				`${s.fn}( ) ${what} doesn't match previous declaration: expected ${expected}, found ${found}`,
				code,
			);
		if (p.kind === "lquantize" && q.kind === "lquantize") {
			if (p.base !== q.base) throw fail("D_LQUANT_MATCHBASE", "base (argument #1)", p.base, q.base);
			if (p.levels * p.step !== q.levels * q.step)
				throw fail("D_LQUANT_MATCHLIM", "limit (argument #2)", p.base + p.levels * p.step, q.base + q.levels * q.step);
			if (p.step !== q.step) throw fail("D_LQUANT_MATCHSTEP", "step (argument #3)", p.step, q.step);
		}
		if (p.kind === "llquantize" && q.kind === "llquantize") {
			if (p.factor !== q.factor) throw fail("D_LLQUANT_MATCHFACTOR", "factor (argument #1)", p.factor, q.factor);
			if (p.low !== q.low) throw fail("D_LLQUANT_MATCHLMAG", "lmag (argument #2)", p.low, q.low);
			if (p.high !== q.high) throw fail("D_LLQUANT_MATCHHMAG", "hmag (argument #3)", p.high, q.high);
			if (p.steps !== q.steps) throw fail("D_LLQUANT_MATCHSTEPS", "steps (argument #4)", p.steps, q.steps);
		}
	}
}
