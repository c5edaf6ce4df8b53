// Aggregating statements in the full checker (`@a[keys] = fn(args)`): the function's
// arguments and the parameters of lquantize()/llquantize() as dt_cg.c's
// dt_cg_agg_* check them, and the same aggregation used alike everywhere.

import { CallChecker, plural } from "./check-calls.ts";
import { compatible } from "./check-vars.ts";
import { DTypeError } from "./errors.ts";
import { type FnSpec, FUNCTIONS } from "./functions.ts";
import type { AggInfo, LinearParams, LogLinearParams } from "./scope.ts";
import { suggest } from "./subset.ts";
import type { AggregateStmt, Expr } from "./syntax.ts";
import { type DType, isInteger, isScalar, typeName } from "./types.ts";

export abstract class AggChecker extends CallChecker {
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
