// llquantize( )'s parameters in the subset checker, with DTrace's rules, tags and
// words (dt_cg.c's dt_cg_agg_llquantize numbers them from the factor: argument #1
// is the factor, #4 the steps per magnitude), and one aggregation's llquantize( )
// calls agreeing on them (D_LLQUANT_MATCH*).
import type { AggregateStmt, Expr } from "./ast.ts";
import { constantValue } from "./constant.ts";
import { DTypeError } from "./errors.ts";

export interface LogLinear {
	factor: bigint;
	lmag: bigint;
	hmag: bigint;
	steps: bigint;
}

const U16 = 65535n;

function fail(at: Expr | AggregateStmt, code: string, words: string): DTypeError {
	return new DTypeError("fnPos" in at ? at.fnPos : at.pos, words, code);
}

/** The factor, magnitudes and steps of `s` (an llquantize( ) of five or six arguments), or DTrace's error. */
export function llquantizeParameters(s: AggregateStmt): LogLinear {
	const arg = (i: number) => s.args[i]!;
	const constant = (i: number, code: string, words: string): bigint => {
		const v = constantValue(arg(i));
		if (v === undefined) throw fail(arg(i), code, words);
		return v;
	};
	const factor = constant(1, "D_LLQUANT_FACTORTYPE", "llquantize( ) argument #1 must be an integer constant");
	if (factor < 2n || factor > U16)
		throw fail(
			arg(1),
			"D_LLQUANT_FACTORVAL",
			"llquantize( ) argument #1 must be an unsigned 16-bit quantity greater than or equal to 2",
		);
	const lmag = constant(2, "D_LLQUANT_LMAGTYPE", "llquantize( ) argument #2 must be an integer constant");
	if (lmag < 0n || lmag > U16)
		throw fail(arg(2), "D_LLQUANT_LMAGVAL", "llquantize( ) argument #2 must be an unsigned 16-bit quantity");
	const hmag = constant(3, "D_LLQUANT_HMAGTYPE", "llquantize( ) argument #3 must be an integer constant");
	if (hmag < 0n || hmag > U16)
		throw fail(arg(3), "D_LLQUANT_HMAGVAL", "llquantize( ) argument #3 must be an unsigned 16-bit quantity");
	if (hmag < lmag)
		throw fail(
			arg(3),
			"D_LLQUANT_HMAGVAL",
			"llquantize( ) argument #3 (high magnitude) must be at least argument #2 (low magnitude)",
		);
	if (factor ** (hmag + 1n) > 2n ** 64n - 1n)
		throw fail(
			arg(3),
			"D_LLQUANT_HMAGVAL",
			"llquantize( ) argument #3 (high magnitude) will cause overflow of 64 bits",
		);
	const steps = constantValue(arg(4));
	if (steps === undefined || steps <= 0n)
		throw fail(arg(4), "D_LLQUANT_STEPTYPE", "llquantize( ) argument #4 must be a non-zero positive integer constant");
	if (steps > U16)
		throw fail(arg(4), "D_LLQUANT_STEPVAL", "llquantize( ) argument #4 must be an unsigned 16-bit quantity");
	if (steps < factor && factor % steps !== 0n)
		throw fail(
			arg(1),
			"D_LLQUANT_STEPVAL",
			"llquantize() argument #4 (steps) must evenly divide argument #1 (factor) when steps<factor",
		);
	if (steps > factor) {
		if (steps % factor !== 0n)
			throw fail(
				arg(1),
				"D_LLQUANT_STEPVAL",
				"llquantize() argument #4 (steps) must be a multiple of argument #1 (factor) when steps>factor",
			);
		if (lmag === 0n ? (factor * factor) % steps !== 0n : factor ** (lmag + 1n) % steps !== 0n)
			throw fail(
				arg(1),
				"D_LLQUANT_STEPVAL",
				lmag === 0n
					? "llquantize() argument #4 (steps) must evenly divide the square of argument #1 (factor) when steps>factor and lmag==0"
					: "llquantize() argument #4 (steps) must evenly divide pow(argument #1 (factor), lmag (argument #2) + 1) when steps>factor and lmag>0",
			);
	}
	return { factor, lmag, hmag, steps };
}

/** An aggregation's later llquantize( ) with other parameters than its first: DTrace's D_LLQUANT_MATCH* error. */
export function sameLogLinear(s: AggregateStmt, before: LogLinear, now: LogLinear): void {
	const check = (code: string, what: string, a: bigint, b: bigint) => {
		if (a !== b)
			throw fail(s, code, `llquantize() ${what} doesn't match previous declaration: expected ${a}, found ${b}`);
	};
	check("D_LLQUANT_MATCHFACTOR", "factor (argument #1)", before.factor, now.factor);
	check("D_LLQUANT_MATCHLMAG", "lmag (argument #2)", before.lmag, now.lmag);
	check("D_LLQUANT_MATCHHMAG", "hmag (argument #3)", before.hmag, now.hmag);
	check("D_LLQUANT_MATCHSTEPS", "steps (argument #4)", before.steps, now.steps);
}

/** quantize( )'s, lquantize( )'s and llquantize( )'s optional increment (their last argument) is an integer. */
export function checkWeight(s: AggregateStmt, types: readonly string[]): void {
	const at = s.fn === "quantize" ? 1 : s.fn === "lquantize" ? 4 : s.fn === "llquantize" ? 5 : -1;
	if (at < 0 || types.length <= at || types[at] === "int") return;
	throw new DTypeError(
		s.args[at]!.pos,
		`${s.fn}( ) increment value (argument #${at}) must be of scalar type`,
		"D_PROTO_ARG",
	);
}
