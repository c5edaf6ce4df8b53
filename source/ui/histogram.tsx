// DTrace's distribution display for quantize() and lquantize():
//
//            value  ------------- Distribution ------------- count
//                0 |                                         0
//                1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1
//                2 |                                         0
//
// Same rows as DTrace prints: from one bucket below the first non-empty one to one
// above the last; lquantize's edge rows read "< base" and ">= limit"; bars are
// '@' scaled to the sum of the shown counts (rounded half up); when both negative
// and positive counts occur the bars grow both ways from a centre line. At a pane
// narrower than DTrace's 68 columns the value column and then the bar shrink.

import type { HistogramBucket } from "../session/view.ts";
import { type Line, Lines, seg } from "./line.tsx";
import { padStart, width } from "./text.ts";

export type HistogramKind = "quantize" | "lquantize";

interface Slot {
	label: string;
	count: number;
}

const MIN_Q = -(2n ** 63n);
const MAX_Q = 2n ** 62n;

function qNext(v: bigint): bigint {
	if (v < -1n) return v / 2n;
	if (v === -1n) return 0n;
	if (v === 0n) return 1n;
	return v * 2n;
}

function qPrev(v: bigint): bigint {
	if (v > 1n) return v / 2n;
	if (v === 1n) return 0n;
	if (v === 0n) return -1n;
	return v * 2n;
}

function quantizeSlots(buckets: readonly HistogramBucket[]): Slot[] {
	const counts = new Map<bigint, number>();
	for (const b of buckets) if (b.count !== 0) counts.set(b.lo, (counts.get(b.lo) ?? 0) + b.count);
	if (counts.size === 0) return [-1n, 0n, 1n].map((lo) => ({ label: String(lo), count: 0 }));
	let lo = MAX_Q;
	let hi = MIN_Q;
	for (const k of counts.keys()) {
		if (k < lo) lo = k;
		if (k > hi) hi = k;
	}
	if (lo > MIN_Q) lo = qPrev(lo);
	if (hi < MAX_Q) hi = qNext(hi);
	const slots: Slot[] = [];
	for (let v = lo; ; v = qNext(v)) {
		slots.push({ label: String(v), count: counts.get(v) ?? 0 });
		if (v >= hi || slots.length > 130) break;
	}
	return slots;
}

function gcd(a: bigint, b: bigint): bigint {
	while (b !== 0n) [a, b] = [b, a % b];
	return a < 0n ? -a : a;
}

function lquantizeSlots(buckets: readonly HistogramBucket[]): Slot[] {
	const under = buckets.find((b) => b.edge === "under");
	const over = buckets.find((b) => b.edge === "over");
	const levels = new Map<bigint, number>();
	for (const b of buckets) if (!b.edge) levels.set(b.lo, (levels.get(b.lo) ?? 0) + b.count);
	// The grid: under's lo is the base, over's lo the limit, levels in between at one
	// step. Missing (sparse) levels are filled in at the step the given ones imply.
	const grid = [...levels.keys()];
	if (under) grid.push(under.lo);
	if (over) grid.push(over.lo);
	grid.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
	let step = 0n;
	for (let i = 1; i < grid.length; i++) step = gcd(step, grid[i] - grid[i - 1]);
	const all: Slot[] = [];
	if (under) all.push({ label: `< ${under.lo}`, count: under.count });
	if (grid.length > 0) {
		const first = under ? under.lo : grid[0];
		const last = over ? over.lo - (step || 1n) : grid[grid.length - 1];
		if (step === 0n) {
			for (const [lo, count] of levels) all.push({ label: String(lo), count });
		} else {
			for (let v = first; v <= last && all.length < 10_000; v += step) {
				all.push({ label: String(v), count: levels.get(v) ?? 0 });
			}
		}
	}
	if (over) all.push({ label: `>= ${over.lo}`, count: over.count });
	let firstBin = all.findIndex((s) => s.count !== 0);
	if (firstBin === -1) return all.slice(0, 3);
	let lastBin = all.length - 1;
	while (lastBin > 0 && all[lastBin].count === 0) lastBin--;
	if (firstBin > 0) firstBin--;
	if (lastBin < all.length - 1) lastBin++;
	return all.slice(firstBin, lastBin + 1);
}

/** The rows DTrace would print for these buckets, before layout. */
export function histogramSlots(buckets: readonly HistogramBucket[], kind: HistogramKind): Slot[] {
	return kind === "quantize" ? quantizeSlots(buckets) : lquantizeSlots(buckets);
}

function distributionTitle(barWidth: number): string {
	const word = " Distribution ";
	if (barWidth < word.length) return "Distribution".slice(0, Math.max(0, barWidth));
	const dashes = barWidth - word.length;
	const left = Math.floor(dashes / 2);
	return "-".repeat(left) + word + "-".repeat(dashes - left);
}

/** The histogram as plain text lines fitted to `cols` columns (DTrace's layout at 68+). */
export function histogramText(buckets: readonly HistogramBucket[], kind: HistogramKind, cols = 80): string[] {
	const slots = histogramSlots(buckets, kind);
	let positives = false;
	let negatives = false;
	let total = 0;
	for (const s of slots) {
		if (s.count > 0) positives = true;
		if (s.count < 0) negatives = true;
		total += Math.abs(s.count);
	}
	const countWidth = Math.max(5, ...slots.map((s) => String(s.count).length));
	const labelWidth = Math.max(5, ...slots.map((s) => width(s.label)));
	let valueWidth = 16;
	let barWidth = 40;
	if (valueWidth + 3 + barWidth + countWidth > cols) {
		valueWidth = Math.max(labelWidth, Math.min(16, cols - 3 - barWidth - countWidth));
		barWidth = Math.max(4, Math.min(40, cols - valueWidth - 3 - countWidth));
	}
	const out = [`${padStart("value", valueWidth)} ${padStart(distributionTitle(barWidth), barWidth + 1)} count`];
	const half = Math.floor(barWidth / 2);
	for (const s of slots) {
		const label = padStart(s.label, valueWidth);
		const mag = Math.abs(s.count);
		let bar: string;
		if (!negatives) {
			const depth = positives ? Math.floor((mag * barWidth) / total + 0.5) : 0;
			bar = `|${"@".repeat(depth)}${" ".repeat(barWidth - depth)}`;
		} else if (!positives) {
			const depth = Math.floor((mag * barWidth) / total + 0.5);
			bar = `${" ".repeat(barWidth - depth)}${"@".repeat(depth)}|`;
		} else {
			const depth = Math.floor((mag * half) / total + 0.5);
			bar =
				s.count <= 0
					? `${" ".repeat(half - depth)}${"@".repeat(depth)}|${" ".repeat(half)}`
					: `${" ".repeat(half)}|${"@".repeat(depth)}${" ".repeat(half - depth)}`;
		}
		out.push(`${label} ${bar} ${s.count}`);
	}
	return out;
}

/** Histogram lines for a pane: the header dimmed, the bars in the accent colour. */
export function histogramLines(buckets: readonly HistogramBucket[], kind: HistogramKind, cols: number): Line[] {
	const text = histogramText(buckets, kind, cols);
	return text.map((t, i) => {
		if (i === 0) return [seg(t, { dim: true })];
		const bar = t.indexOf("@");
		if (bar === -1) return [seg(t)];
		const end = t.lastIndexOf("@") + 1;
		return [seg(t.slice(0, bar)), seg(t.slice(bar, end), { color: "cyan" }), seg(t.slice(end))];
	});
}

export function Histogram({
	buckets,
	kind,
	width: cols,
	height,
}: {
	buckets: readonly HistogramBucket[];
	kind: HistogramKind;
	width: number;
	height?: number;
}) {
	return <Lines lines={histogramLines(buckets, kind, cols)} height={height} width={cols} />;
}
