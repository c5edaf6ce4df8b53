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
import type { AggInfo } from "./scope.ts";
import { suggest } from "./subset.ts";
import type { AggVar, CallExpr, Expr } from "./syntax.ts";
import { type DType, DYNAMIC, isInteger, isScalar, isStringLike, typeName, VOID } from "./types.ts";

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? " " : "s "}`;

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

	protected protoLen(e: { pos: Position }, name: string, n: number, expected: string): DTypeError {
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
	protected positive(a: Expr, message: string, code: string, zeroOk = false): bigint {
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
}
