// Decoding aggregation maps: per-CPU values merged, keys turned back into
// values, and each key's rolling statistics kept across ticks.
import type { AggFn, LQuantize } from "../../kernel/codegen/ir.ts";
import { lquantizeBuckets, QUANTIZE_BUCKETS, quantizeBucketLow } from "../../kernel/codegen/layout.ts";
import type { IntSize, Resolved } from "../output/model.ts";
import type { KeyDecode } from "./lower.ts";
import type { SymFn } from "./lower-syms.ts";
import type { RollingCounter } from "./rolling.ts";
import type { HistogramBucket } from "./view.ts";

export interface Merged {
	count: bigint;
	/** sum/avg: the sum; min/max: the extreme; stddev: the sum. */
	v: bigint;
	sumsq?: bigint;
	buckets?: bigint[];
}

/** Merge one entry's per-CPU values (each at `cpuStride` bytes within `buf` from `at`). */
export function mergePerCpu(
	fn: AggFn,
	lq: LQuantize | undefined,
	buf: Buffer,
	at: number,
	cpus: number,
	cpuStride: number,
): Merged {
	let count = 0n;
	let v = 0n;
	let sumsq = 0n;
	let seen = false;
	let buckets: bigint[] | undefined;
	const nb =
		fn === "quantize" ? QUANTIZE_BUCKETS : fn === "lquantize" || fn === "llquantize" ? lquantizeBuckets(lq!) : 0;
	if (nb) buckets = new Array<bigint>(nb).fill(0n);
	for (let c = 0; c < cpus; c++) {
		const o = at + c * cpuStride;
		const n = buf.readBigUInt64LE(o);
		count += n;
		switch (fn) {
			case "sum":
			case "avg":
				v += buf.readBigInt64LE(o + 8);
				break;
			case "min":
			case "max":
				if (n > 0n) {
					const x = buf.readBigInt64LE(o + 8);
					if (!seen || (fn === "min" ? x < v : x > v)) v = x;
					seen = true;
				}
				break;
			case "stddev":
				v += buf.readBigInt64LE(o + 8);
				sumsq += buf.readBigUInt64LE(o + 16) + (buf.readBigUInt64LE(o + 24) << 64n);
				break;
			case "quantize":
			case "lquantize":
			case "llquantize":
				// Signed: a negative weight (quantize(x, -5)) makes a negative bucket, as in DTrace.
				for (let b = 0; b < nb; b++) buckets![b] += buf.readBigInt64LE(o + 8 + b * 8);
				break;
		}
	}
	return { count, v, sumsq, buckets };
}

/** The value DTrace would print. */
export function displayValue(fn: AggFn, m: Merged): number {
	switch (fn) {
		case "count":
		case "quantize":
		case "lquantize":
		case "llquantize":
			return Number(m.count);
		case "sum":
		case "min":
		case "max":
			return Number(m.v);
		case "avg":
			return m.count ? Number(m.v / m.count) : 0;
		case "stddev": {
			if (!m.count) return 0;
			// DTrace: sqrt(E[x²] - E[x]²), integer arithmetic.
			const mean = m.v / m.count;
			const msq = (m.sumsq ?? 0n) / m.count;
			const variance = msq - mean * mean;
			return variance > 0n ? Math.floor(Math.sqrt(Number(variance))) : 0;
		}
	}
}

export function histogram(fn: AggFn, lq: LQuantize | undefined, m: Merged): HistogramBucket[] | undefined {
	if (!m.buckets) return undefined;
	if (fn === "quantize") {
		return m.buckets.map((c, i) => ({ lo: quantizeBucketLow(i), count: Number(c) }));
	}
	const q = lq!;
	const n = m.buckets.length;
	// llquantize: the buckets in DTrace's order, named by index (the printer knows the parameters).
	if (fn === "llquantize") return m.buckets.map((c, i) => ({ lo: BigInt(i), count: Number(c) }));
	return m.buckets.map((c, i) => {
		if (i === 0) return { lo: q.lo, count: Number(c), edge: "under" as const };
		if (i === n - 1) return { lo: q.hi, count: Number(c), edge: "over" as const };
		return { lo: q.lo + BigInt(i - 1) * q.step, count: Number(c) };
	});
}

export type DecodedKeyPart =
	| { kind: "int"; value: bigint; size?: IntSize; signed?: boolean }
	| { kind: "string"; value: string }
	| { kind: "stack"; user: boolean; pid: number; id: number }
	/** A stack of the .eh_frame unwinder: `uid` is its record's id; the record holds the pid. */
	| { kind: "ustack"; uid: bigint; depth: number }
	/** func() ufunc() & co: the address (the symbol's start once symkeys.ts normalized it) and, for user ones, the pid. */
	| { kind: "sym"; fn: SymFn; addr: bigint; pid?: number; at?: Resolved };

/** Split a key's bytes into its fields. */
export function decodeKey(decode: KeyDecode[], key: Buffer, at: number): DecodedKeyPart[] {
	const out: DecodedKeyPart[] = [];
	let o = at;
	for (const d of decode) {
		switch (d.k) {
			case "int":
				out.push(
					d.size
						? { kind: "int", value: key.readBigInt64LE(o), size: d.size, signed: d.signed }
						: { kind: "int", value: key.readBigInt64LE(o) },
				);
				o += 8;
				break;
			case "probe":
			case "container":
				out.push({ kind: "int", value: key.readBigInt64LE(o) });
				o += 8;
				break;
			case "str": {
				const end = key.indexOf(0, o);
				const stop = end < 0 || end > o + d.size ? o + d.size : end;
				out.push({ kind: "string", value: key.toString("utf8", o, stop) });
				o += d.size;
				break;
			}
			case "sym": {
				const pid = d.user ? Number(key.readBigUInt64LE(o)) : undefined;
				if (d.user) o += 8;
				out.push({ kind: "sym", fn: d.fn, addr: key.readBigUInt64LE(o), pid });
				o += 8;
				break;
			}
			case "stack": {
				const raw = key.readBigUInt64LE(o);
				if (d.unwound) {
					out.push({ kind: "ustack", uid: raw, depth: d.depth });
					o += 8;
					break;
				}
				out.push({
					kind: "stack",
					user: d.user,
					id: Number(BigInt.asIntN(32, raw & 0xffffffffn)),
					pid: Number(raw >> 32n),
				});
				o += 8;
				break;
			}
		}
	}
	return out;
}

export interface RowState {
	counter: RollingCounter;
	parts: DecodedKeyPart[];
	merged: Merged;
	seenTick: number;
}

/** Two entries' values as one (keys DTrace aggregates together: one function's addresses). */
export function combineMerged(fn: AggFn, a: Merged, b: Merged): Merged {
	const out: Merged = { count: a.count + b.count, v: a.v + b.v, sumsq: (a.sumsq ?? 0n) + (b.sumsq ?? 0n) };
	// biome-ignore lint/complexity/useMathMinMax: the values are bigints, which Math.min and Math.max refuse
	if (fn === "min") out.v = a.v < b.v ? a.v : b.v;
	// biome-ignore lint/complexity/useMathMinMax: as above
	if (fn === "max") out.v = a.v > b.v ? a.v : b.v;
	if (a.buckets && b.buckets) out.buckets = a.buckets.map((x, i) => x + (b.buckets![i] ?? 0n));
	return out;
}
