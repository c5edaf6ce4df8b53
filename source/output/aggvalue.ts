// The numbers DTrace prints for an aggregation's value, computed as DTrace
// computes them: 64-bit integer division for avg(), and for stddev() the
// square root of (sum of squares / count) - (sum / count)^2 in 128-bit
// integer arithmetic, rounded down. normalize()'s factor divides each.
//
// Where DTrace for Linux does unsigned arithmetic on signed data (a negative
// avg() through printa's %@d, a negative sum divided by a normalization
// factor) it prints a wrapped value; dtop prints the signed result instead.
// For a normalized stddev() dtop divides the sum of squares by normal²
// (illumos DTrace does; DTrace for Linux divides once, which is not the
// deviation of the normalized values).

import {
	type AggData,
	type AggregationSnapshot,
	type IntValue,
	type LLQuantizeParams,
	type LQuantizeParams,
	QUANTIZE_NBUCKETS,
} from "./model.ts";

const i64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);

function div(a: bigint, b: bigint): bigint {
	return b === 0n ? a : a / b;
}

/** A normalization factor as DTrace uses it: an unsigned 64-bit divisor (0 taken as 1). */
export function normalFactor(normal: bigint | undefined): bigint {
	const n = u64(normal ?? 1n);
	return n === 0n ? 1n : n;
}

/** avg(): sum / normal / count, truncated toward zero; 0 with no values. */
export function avgValue(count: bigint, sum: bigint, normal = 1n): bigint {
	const n = i64(count);
	if (n === 0n) return 0n;
	return i64(div(i64(sum), normalFactor(normal)) / n);
}

/** The largest r with r² <= v. */
export function isqrt(v: bigint): bigint {
	if (v < 2n) return v < 0n ? 0n : v;
	let x = BigInt(Math.floor(Math.sqrt(Number(v))));
	while (x * x > v) x--;
	while ((x + 1n) * (x + 1n) <= v) x++;
	return x;
}

/** stddev(): DTrace's dt_stddev(); 0 with no values. */
export function stddevValue(count: bigint, sum: bigint, sumsq: bigint, normal = 1n): bigint {
	const n = u64(count);
	if (n === 0n) return 0n;
	const nf = normalFactor(normal);
	const avgOfSquares = BigInt.asUintN(128, sumsq) / nf / nf / n;
	let avg = i64(sum) / i64(nf) / i64(n);
	if (avg < 0n) avg = -avg;
	const diff = BigInt.asUintN(128, avgOfSquares - avg * avg);
	return isqrt(diff);
}

/**
 * The value a %@ conversion (or the default layout) prints for a scalar
 * aggregating function: count is unsigned, the others signed, all 64-bit.
 */
export function scalarValue(d: AggData, normal = 1n): IntValue | undefined {
	const nf = normalFactor(normal);
	switch (d.fn) {
		case "count":
			return { kind: "int", value: u64(d.value) / nf, size: 8, signed: false };
		case "sum":
		case "min":
		case "max":
			return { kind: "int", value: i64(div(i64(d.value), nf)), size: 8, signed: true };
		case "avg":
			return { kind: "int", value: avgValue(d.count, d.sum, nf), size: 8, signed: true };
		case "stddev":
			return { kind: "int", value: stddevValue(d.count, d.sum, d.sumsq, nf), size: 8, signed: false };
		default:
			return undefined;
	}
}

/** A histogram bucket count as the count column shows it (normalized). */
export function bucketCount(v: bigint, normal = 1n): bigint {
	return i64(div(i64(v), normalFactor(normal)));
}

/** The number of llquantize() buckets for its parameters. */
export function llquantizeBins(p: LLQuantizeParams): number {
	return (p.hmag - p.lmag + 1) * (p.steps - Math.floor(p.steps / p.factor)) * 2 + 3;
}

export function lquantizeBins(p: LQuantizeParams): number {
	return p.levels + 2;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

/**
 * An aggregation's value with nothing recorded: what a multi-aggregation
 * printa() shows for a key another aggregation lacks (zeros, as DTrace's
 * zero-filled data), or what clear() leaves (`cleared`: min and max reset to
 * INT64_MAX and INT64_MIN, as DTrace resets them).
 */
export function emptyData(a: Pick<AggregationSnapshot, "fn" | "lquantize" | "llquantize">, cleared = false): AggData {
	const zeros = (n: number) => new Array<bigint>(n).fill(0n);
	switch (a.fn) {
		case "count":
		case "sum":
			return { fn: a.fn, value: 0n };
		case "min":
			return { fn: "min", value: cleared ? INT64_MAX : 0n };
		case "max":
			return { fn: "max", value: cleared ? INT64_MIN : 0n };
		case "avg":
			return { fn: "avg", count: 0n, sum: 0n };
		case "stddev":
			return { fn: "stddev", count: 0n, sum: 0n, sumsq: 0n };
		case "quantize":
			return { fn: "quantize", buckets: zeros(QUANTIZE_NBUCKETS) };
		case "lquantize": {
			const params = a.lquantize ?? { base: 0, step: 1, levels: 1 };
			return { fn: "lquantize", params, buckets: zeros(lquantizeBins(params)) };
		}
		case "llquantize": {
			const params = a.llquantize ?? { factor: 10, lmag: 0, hmag: 0, steps: 10 };
			return { fn: "llquantize", params, buckets: zeros(llquantizeBins(params)) };
		}
	}
}
