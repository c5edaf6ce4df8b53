// The order DTrace prints aggregation rows in (dt_aggregate.c's comparators):
// by value, smallest first, ties broken by key; with aggsortkey by key; with
// aggsortkeypos starting the key comparison at that key; aggsortrev reverses
// every comparison (so at exit even the order of the aggregations). Keys
// compare as DTrace compares their bytes: integers unsigned at their size,
// strings byte by byte, stacks by their raw addresses in memory order,
// user addresses by (process, address). Values compare as DTrace ranks them:
// avg by its integer mean, stddev by its deviation, histograms by the sum of
// bucket value × count and then by the count in the zero bucket. DTrace sums
// histograms in long double; dtop sums exactly.

import { stddevValue } from "./aggvalue.ts";
import type { AggData, AggOptions, KeyValue, StackValue } from "./model.ts";
import { QUANTIZE_NBUCKETS, QUANTIZE_ZEROBUCKET } from "./model.ts";
import { quantizeBucketValue } from "./quantize.ts";

const i64 = (v: bigint) => BigInt.asIntN(64, v);
const u64 = (v: bigint) => BigInt.asUintN(64, v);
const sign = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

const encoder = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
	const n = Math.min(a.length, b.length);
	for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
	return a.length - b.length === 0 ? 0 : a.length < b.length ? -1 : 1;
}

/** A stack's words as DTrace stores them: the pid first for ustack(), then the pcs. */
function stackWords(s: StackValue): bigint[] {
	const pcs = s.frames.map((f) => f.pc);
	return s.user ? [BigInt(s.pid ?? 0), ...pcs] : pcs;
}

/** memcmp of little-endian 64-bit words; a shorter stack is zero-filled. */
function compareStacks(a: StackValue, b: StackValue): number {
	if (a.text && b.text && !a.frames.length && !b.frames.length) return a.text.join("\n") < b.text.join("\n") ? -1 : 1;
	const wa = stackWords(a);
	const wb = stackWords(b);
	for (let i = 0; i < Math.max(wa.length, wb.length); i++) {
		let x = u64(wa[i] ?? 0n);
		let y = u64(wb[i] ?? 0n);
		for (let byte = 0; byte < 8; byte++, x >>= 8n, y >>= 8n) {
			const c = sign(x & 0xffn, y & 0xffn);
			if (c) return c;
		}
	}
	return 0;
}

/** One key component against another of the same aggregation. */
export function compareKeyPart(a: KeyValue, b: KeyValue): number {
	if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
	switch (a.kind) {
		case "int": {
			const bi = b as typeof a;
			if (a.size !== bi.size) return a.size < bi.size ? -1 : 1;
			const bits = a.size * 8;
			return sign(BigInt.asUintN(bits, a.value), BigInt.asUintN(bits, bi.value));
		}
		case "string":
			return a.value === (b as typeof a).value
				? 0
				: compareBytes(encoder.encode(a.value), encoder.encode((b as typeof a).value));
		case "sym": {
			const bs = b as typeof a;
			if (a.fn.startsWith("u")) {
				const c = sign(BigInt(a.pid ?? 0), BigInt(bs.pid ?? 0));
				if (c) return c;
			}
			return sign(u64(a.addr), u64(bs.addr));
		}
		case "stack":
			return compareStacks(a, b as StackValue);
	}
}

/** DTrace's dt_aggregate_keycmp: components in order, starting at `keypos` and wrapping. */
export function compareKeys(a: KeyValue[], b: KeyValue[], keypos = 0): number {
	const n = Math.min(a.length, b.length);
	if (a.length !== b.length) return a.length < b.length ? -1 : 1;
	const start = keypos >= n || keypos < 0 ? 0 : keypos;
	for (let i = 0; i < n; i++) {
		const k = (i + start) % n;
		const c = compareKeyPart(a[k], b[k]);
		if (c) return c;
	}
	return 0;
}

/** Σ value × count of a histogram, and its count at zero (DTrace's tie-break). */
function histogramRank(d: AggData): [bigint, bigint] {
	switch (d.fn) {
		case "quantize": {
			let total = 0n;
			for (let i = 0; i < QUANTIZE_NBUCKETS; i++) total += quantizeBucketValue(i) * i64(d.buckets[i] ?? 0n);
			return [total, i64(d.buckets[QUANTIZE_ZEROBUCKET] ?? 0n)];
		}
		case "lquantize": {
			const { base, step, levels } = d.params;
			const b = d.buckets.map(i64);
			let total = b[0] * BigInt(base - 1);
			let v = base;
			let zero = base - 1 === 0 ? b[0] : undefined;
			for (let i = 0; i < levels; i++, v += step) {
				total += b[i + 1] * BigInt(v);
				if (v === 0 && zero === undefined) zero = b[i + 1];
			}
			total += b[levels + 1] * BigInt(v + 1);
			if (zero === undefined && v + 1 === 0) zero = b[levels + 1];
			return [total, zero ?? 0n];
		}
		case "llquantize": {
			// DTrace's dt_aggregate_llquantizedsum, multiplied through by `steps` to stay integral.
			const { factor, steps } = d.params;
			let { lmag } = d.params;
			const F = BigInt(factor);
			const S = BigInt(steps);
			const sf = Math.floor(steps / factor);
			const bin0 = 1 + (d.params.hmag - lmag + 1) * (steps - sf);
			const b = (i: number) => i64(d.buckets[i] ?? 0n);
			let total = F ** BigInt(lmag) * S * (b(bin0 + 1) - b(bin0 - 1));
			let i = 1;
			if (lmag === 0 && steps > factor) {
				for (let step = 2; step <= factor; step++) {
					i += sf;
					total += BigInt(step) * S * (b(bin0 + i) - b(bin0 - i));
				}
				lmag = 1;
			}
			let scale = F ** BigInt(lmag + 1);
			for (let mag = lmag; mag <= d.params.hmag; mag++) {
				for (let step = sf + 1; step <= steps; step++) {
					i++;
					total += BigInt(step) * scale * (b(bin0 + i) - b(bin0 - i));
				}
				scale *= F;
			}
			return [total, b(bin0)];
		}
		default:
			return [0n, 0n];
	}
}

/** DTrace's dt_aggregate_valcmp for two values of one aggregating function. */
export function compareData(a: AggData, b: AggData): number {
	switch (a.fn) {
		case "count":
		case "sum":
		case "min":
		case "max":
			return sign(i64(a.value), i64((b as typeof a).value));
		case "avg": {
			const bb = b as typeof a;
			const la = i64(a.count) ? i64(a.sum) / i64(a.count) : 0n;
			const lb = i64(bb.count) ? i64(bb.sum) / i64(bb.count) : 0n;
			return sign(la, lb);
		}
		case "stddev": {
			const bb = b as typeof a;
			return sign(stddevValue(a.count, a.sum, a.sumsq), stddevValue(bb.count, bb.sum, bb.sumsq));
		}
		default: {
			const [ta, za] = histogramRank(a);
			const [tb, zb] = histogramRank(b);
			return sign(ta, tb) || sign(za, zb);
		}
	}
}

export interface SortableRow {
	key: KeyValue[];
	data: AggData;
}

/** The order of one aggregation's rows under the options (varvalcmp / varkeycmp). */
export function compareRows(a: SortableRow, b: SortableRow, o: AggOptions = {}): number {
	const c = o.aggsortkey
		? compareKeys(a.key, b.key, o.aggsortkeypos)
		: compareData(a.data, b.data) || compareKeys(a.key, b.key, o.aggsortkeypos);
	return o.aggsortrev ? -c : c;
}

/** Rows sorted as printa() and the exit printing show them. */
export function sortRows<T extends SortableRow>(rows: readonly T[], o: AggOptions = {}): T[] {
	return [...rows].sort((a, b) => compareRows(a, b, o));
}
