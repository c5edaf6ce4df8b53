// quantize(), lquantize() and llquantize() as DTrace prints them: the
// value/Distribution/count header, the rows DTrace shows (one empty bucket
// either side of the recorded ones, clipped to the lowest and highest bucket
// that exists; the buckets around zero when nothing is left), bars of 40 '@'
// (two half bars around a centre line when counts are both positive and
// negative), and the count left-aligned in 9 columns. Bar lengths are exact
// rationals rounded half up (DTrace uses long double).
//
// Also the bucket of a value for each function (the same computation DTrace's
// code generator emits), for the consumer and for tests.

import { bucketCount } from "./aggvalue.ts";
import {
	type LLQuantizeParams,
	type LQuantizeParams,
	QUANTIZE_NBUCKETS as NB,
	QUANTIZE_ZEROBUCKET as ZERO,
} from "./model.ts";

const abs = (v: bigint) => (v < 0n ? -v : v);
const i64 = (v: bigint) => BigInt.asIntN(64, v);

/** The value DTrace labels quantize() bucket i with. */
export function quantizeBucketValue(i: number): bigint {
	if (i < ZERO) return -(1n << BigInt(ZERO - 1 - i));
	if (i === ZERO) return 0n;
	return 1n << BigInt(i - ZERO - 1);
}

/** The quantize() bucket of a value: 0, then powers of two up to 2^62 (and down to -2^62). */
export function quantizeBucket(value: bigint): number {
	const v = i64(value);
	if (v === 0n) return ZERO;
	const a = abs(v);
	let log = 0;
	while (log < 62 && a >> BigInt(log + 1) !== 0n) log++;
	return v > 0n ? ZERO + 1 + log : ZERO - 1 - log;
}

/** The lquantize() bucket: 0 below base, levels+1 at or above base + levels*step. */
export function lquantizeBucket(value: bigint, p: LQuantizeParams): number {
	const v = i64(value);
	const base = BigInt(p.base);
	if (v < base) return 0;
	const level = (v - base) / BigInt(p.step);
	return level >= BigInt(p.levels) ? p.levels + 1 : Number(level) + 1;
}

/** The llquantize() bucket (DTrace's dt_cg_agg_llquantize_bin). */
export function llquantizeBucket(value: bigint, p: LLQuantizeParams): number {
	const v = i64(value);
	const sf = Math.floor(p.steps / p.factor);
	const underflow = 1 + (p.hmag - p.lmag + 1) * (p.steps - sf);
	const tmp = BigInt.asUintN(64, v < 0n ? -v : v);
	let max = BigInt(p.factor) ** BigInt(p.lmag);
	if (tmp < max) return underflow;
	let mag = p.lmag;
	let ind = 0n;
	for (;;) {
		max *= BigInt(p.factor);
		if (tmp < max) {
			ind = mag !== 0 ? tmp / (max / BigInt(p.steps)) : (tmp * BigInt(p.steps)) / max;
			ind -= BigInt(sf);
			break;
		}
		if (++mag > p.hmag) break;
	}
	let bin = (mag - p.lmag) * (p.steps - sf) + Number(ind) + 1;
	if (v < 0n) bin = -bin;
	return bin + underflow;
}

export interface BarScale {
	/** The divisor of a bar's length: the sum of |counts| (or the zoomed maximum). */
	total: bigint;
	/** aggzoom: total is max|count| / 0.95, kept as max × 20/19. */
	zoom?: boolean;
	positives: boolean;
	negatives: boolean;
}

/** round(|val| * len / total), half up; with zoom, round(|val| * len * 0.95 / max). */
function depth(val: bigint, len: number, s: BarScale): number {
	if (s.total === 0n) return 0;
	const num = abs(val) * BigInt(len) * (s.zoom ? 19n : 1n);
	const den = s.total * (s.zoom ? 20n : 1n);
	return Number((2n * num + den) / (2n * den));
}

/** One row's bar and count (dt_print_quantline), ending with a newline. */
export function quantLine(val: bigint, normal: bigint, s: BarScale): string {
	const count = bucketCount(val, normal).toString().padEnd(9);
	if (!s.negatives) {
		const d = s.positives ? depth(val, 40, s) : 0;
		return `|${"@".repeat(d)}${" ".repeat(40 - d)} ${count}\n`;
	}
	if (!s.positives) {
		const d = depth(val, 40, s);
		return `${" ".repeat(40 - d)}${"@".repeat(d)}| ${count}\n`;
	}
	const d = depth(val, 20, s);
	if (val <= 0n) return `${" ".repeat(20 - d)}${"@".repeat(d)}|${" ".repeat(20)} ${count}\n`;
	return `${" ".repeat(20)}|${"@".repeat(d)}${" ".repeat(20 - d)} ${count}\n`;
}

/** The scale of the bars over buckets [first, last]. */
export function barScale(buckets: bigint[], first: number, last: number, zoom = false): BarScale {
	let total = 0n;
	let positives = false;
	let negatives = false;
	for (let i = first; i <= last; i++) {
		const v = i64(buckets[i] ?? 0n);
		if (v > 0n) positives = true;
		if (v < 0n) negatives = true;
		if (zoom) total = abs(v) > total ? abs(v) : total;
		else total += abs(v);
	}
	return { total, zoom, positives, negatives };
}

export const DIST_HEADER = `\n${"value".padStart(16)} ${"------------- Distribution -------------".padStart(41)} ${"count".padEnd(9)}\n`;

/** The recorded range widened by one bucket either side, or `empty` when nothing is recorded. */
function shownRange(buckets: bigint[], empty: [number, number]): [number, number] {
	let first = buckets.findIndex((v) => i64(v) !== 0n);
	if (first < 0) return empty;
	let last = buckets.length - 1;
	while (last > 0 && i64(buckets[last]) === 0n) last--;
	if (first > 0) first--;
	if (last < buckets.length - 1) last++;
	return [first, last];
}

function row(label: string, val: bigint, normal: bigint, s: BarScale): string {
	return `${label.padStart(16)} ${quantLine(val, normal, s)}`;
}

export interface HistogramOptions {
	normal?: bigint;
	zoom?: boolean;
}

/** quantize(): DTrace's dt_print_quantize. */
export function formatQuantize(buckets: bigint[], o: HistogramOptions = {}): string {
	const b = buckets.length === NB ? buckets : [...buckets, ...new Array<bigint>(NB).fill(0n)].slice(0, NB);
	const [first, last] = shownRange(b, [ZERO - 1, ZERO + 1]);
	const s = barScale(b, first, last, o.zoom);
	let out = DIST_HEADER;
	for (let i = first; i <= last; i++) out += row(quantizeBucketValue(i).toString(), b[i], o.normal ?? 1n, s);
	return out;
}

/** A C int's wraparound, for labels DTrace computes in int arithmetic. */
const int32 = (n: number) => n | 0;

/** lquantize(): DTrace's dt_print_lquantize. */
export function formatLQuantize(p: LQuantizeParams, buckets: bigint[], o: HistogramOptions = {}): string {
	const [first, last] = shownRange(buckets, [0, 2]);
	const s = barScale(buckets, first, last, o.zoom);
	let out = DIST_HEADER;
	for (let i = first; i <= last && i < buckets.length; i++) {
		const label =
			i === 0
				? `< ${p.base}`
				: i === p.levels + 1
					? `>= ${int32(p.base + Math.imul(p.levels, p.step))}`
					: `${int32(p.base + Math.imul(i - 1, p.step))}`;
		out += row(label, buckets[i], o.normal ?? 1n, s);
	}
	return out;
}

/** The row labels of llquantize() for buckets [from, to] (DTrace's, cut at 15 characters). */
export function llquantizeLabels(p: LLQuantizeParams, nbins: number, first: number, from: number, to: number) {
	const labels = new Map<number, string>();
	const set = (i: number, s: string) => {
		if (i >= from && i <= to) labels.set(i, s.slice(0, 15));
	};
	const factor = BigInt(p.factor);
	const sf = Math.floor(p.steps / p.factor);
	const bin0 = 1 + (p.hmag - p.lmag + 1) * (p.steps - sf);
	let scale = factor ** BigInt(p.lmag);
	if (scale === 1n) set(bin0, "0");
	else if (first >= bin0) set(bin0, `< ${scale}`);
	else set(bin0, `abs() < ${scale}`);
	set(bin0 - 1, `-${scale}`);
	set(bin0 + 1, `${scale}`);
	let mag = p.lmag;
	let i = 1;
	if (p.lmag === 0 && p.steps > p.factor) {
		for (let step = 2; step <= p.factor; step++) {
			i += sf;
			set(bin0 - i, `-${step}`);
			set(bin0 + i, `${step}`);
		}
		mag++;
	}
	scale = factor ** BigInt(mag + 1) / BigInt(p.steps);
	for (; mag <= p.hmag; mag++) {
		for (let step = sf + 1; step <= p.steps; step++) {
			i++;
			const v = BigInt.asUintN(64, BigInt(step) * scale);
			set(bin0 - i, `-${v}`);
			set(bin0 + i, `${v}`);
		}
		scale *= factor;
	}
	scale = factor ** BigInt(p.hmag + 1);
	set(0, `<= -${scale}`);
	set(nbins - 1, `>= ${scale}`);
	return labels;
}

/** llquantize(): DTrace's dt_print_llquantize, rows without a label (its "ghost bins") skipped. */
export function formatLLQuantize(p: LLQuantizeParams, buckets: bigint[], o: HistogramOptions = {}): string {
	const nbins = buckets.length;
	const sf = Math.floor(p.steps / p.factor);
	const bin0 = 1 + (p.hmag - p.lmag + 1) * (p.steps - sf);
	let first = buckets.findIndex((v) => i64(v) !== 0n);
	let last: number;
	if (first < 0) first = last = bin0 + 1;
	else {
		last = nbins - 1;
		while (i64(buckets[last]) === 0n) last--;
	}
	const s = barScale(buckets, first, last, o.zoom);
	if (first > 0) first--;
	if (last < nbins - 1) last++;
	const pad = p.lmag === 0 && p.steps > p.factor ? sf : 0;
	const labels = llquantizeLabels(p, nbins, first, first - pad, last + pad);
	const borrow = (at: number, dir: number) => {
		if (pad === 0 || labels.has(at)) return;
		for (let k = 1; k < pad; k++) {
			const l = labels.get(at + dir * k);
			if (l !== undefined) {
				labels.set(at, l);
				return;
			}
		}
	};
	borrow(first, -1);
	borrow(last, 1);
	let out = DIST_HEADER;
	for (let i = first; i <= last; i++) {
		const label = labels.get(i);
		if (label !== undefined && label !== "") out += row(label, buckets[i], o.normal ?? 1n, s);
	}
	return out;
}
