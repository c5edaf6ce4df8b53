// Byte layouts shared by the generated programs and the consumer that decodes
// them. Every aggregation value starts with a u64 count of the firings that
// updated it, so rates are uniform across functions.
import type { AggFn, KeyField, LQuantize } from "./ir.ts";
import { llquantizeBins } from "./llquantize.ts";

/** quantize: 63 negative power-of-two buckets, zero, 63 positive ones (DTrace's). */
export const QUANTIZE_BUCKETS = 128;
export const QUANTIZE_ZERO = 64;

export function lquantizeBuckets(lq: LQuantize): number {
	if (lq.ll) return llquantizeBins(lq.ll);
	return Number((lq.hi - lq.lo) / lq.step) + 2;
}

export function valueSize(fn: AggFn, lq?: LQuantize): number {
	switch (fn) {
		case "count":
			return 8;
		case "sum":
		case "avg":
		case "min":
		case "max":
			return 16;
		case "stddev":
			return 32;
		case "quantize":
			return 8 + QUANTIZE_BUCKETS * 8;
		case "lquantize":
		case "llquantize":
			if (!lq) throw new Error("lquantize needs its bounds");
			return 8 + lquantizeBuckets(lq) * 8;
	}
}

export function keyFieldSize(f: KeyField): number {
	return f.k === "str" ? f.size : 8;
}

export function keySize(fields: KeyField[]): number {
	// A map key cannot be empty: keyless aggregations use one zero u64.
	return Math.max(
		8,
		fields.reduce((n, f) => n + keyFieldSize(f), 0),
	);
}

/** Lower bound of quantize bucket `i` (DTrace's: ..., -2, -1, 0, 1, 2, 4, ...). */
export function quantizeBucketLow(i: number): bigint {
	if (i === QUANTIZE_ZERO) return 0n;
	if (i > QUANTIZE_ZERO) return 1n << BigInt(i - QUANTIZE_ZERO - 1);
	return -(1n << BigInt(QUANTIZE_ZERO - 1 - i));
}

/** The bucket a value falls in (the same computation the BPF program does). */
export function quantizeBucket(v: bigint): number {
	if (v === 0n) return QUANTIZE_ZERO;
	const a = v < 0n ? -v : v;
	let log = 0;
	while (a >> BigInt(log + 1) !== 0n && log < 62) log++;
	return v > 0n ? QUANTIZE_ZERO + 1 + log : QUANTIZE_ZERO - 1 - log;
}
