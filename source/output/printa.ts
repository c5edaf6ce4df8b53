// Batch output for today's session view (SessionView), through the DTrace
// formatters of this folder: each AggregationView becomes an
// AggregationSnapshot and prints in DTrace's layouts. Kept for today's
// callers (trace.ts) until they hand snapshots over directly; view values are
// JavaScript numbers, so these adapters are exact only to 2^53.

import type { AggregationView, HistogramBucket, KeyPart, SessionView } from "../session/view.ts";
import { jsonStringify } from "../util/escape.ts";
import { formatAggregations, formatPrinta } from "./aggregate.ts";
import { sortRows } from "./aggsort.ts";
import { foldedLines, histogramJson, jsonInt } from "./export.ts";
import type { AggData, AggOptions, AggregationSnapshot, KeyValue, LQuantizeParams } from "./model.ts";
import { QUANTIZE_NBUCKETS } from "./model.ts";
import { formatLQuantize, formatQuantize, quantizeBucket } from "./quantize.ts";
import { symText } from "./symbols.ts";

function keyOf(k: KeyPart): KeyValue {
	switch (k.kind) {
		case "int":
			return { kind: "int", value: k.value, size: k.size ?? 8, signed: k.signed ?? true };
		case "string":
			return k.sym ?? { kind: "string", value: k.value };
		case "stack":
			return { kind: "stack", user: k.user, frames: [], text: k.frames };
	}
}

const big = (n: number) => BigInt(Math.trunc(Number.isFinite(n) ? n : 0));

/** quantize buckets by their lower bounds (today's 128-bucket layout) in DTrace's 127. */
function quantizeCounts(h: HistogramBucket[]): bigint[] {
	const out = new Array<bigint>(QUANTIZE_NBUCKETS).fill(0n);
	for (const b of h) out[quantizeBucket(b.lo)] += big(b.count);
	return out;
}

function lquantizeParams(h: HistogramBucket[]): LQuantizeParams {
	const levels = Math.max(1, h.length - 2);
	const base = Number(h[0]?.lo ?? 0n);
	const next = h.length > 3 ? h[2].lo : (h[h.length - 1]?.lo ?? BigInt(base + 1));
	return { base, step: Math.max(1, Number(next - (h[1]?.lo ?? 0n))), levels };
}

function dataOf(a: AggregationView, value: number, h: HistogramBucket[] | undefined): AggData {
	switch (a.fn) {
		case "count":
		case "sum":
		case "min":
		case "max":
			return { fn: a.fn, value: big(value) };
		case "avg":
			return { fn: "avg", count: 1n, sum: big(value) };
		case "stddev":
			return { fn: "stddev", count: 1n, sum: 0n, sumsq: big(value) * big(value) };
		case "quantize":
			return { fn: "quantize", buckets: quantizeCounts(h ?? []) };
		case "lquantize":
			return { fn: "lquantize", params: lquantizeParams(h ?? []), buckets: (h ?? []).map((b) => big(b.count)) };
		case "llquantize":
			return { fn: "llquantize", params: a.llquantize!, buckets: (h ?? []).map((b) => big(b.count)) };
	}
}

/** A view's aggregation as a snapshot (`id`: its position, DTrace's printing order). */
export function snapshotOf(a: AggregationView, id = 0): AggregationSnapshot {
	const first = a.rows.find((r) => r.histogram)?.histogram;
	return {
		id,
		name: a.name,
		fn: a.fn,
		lquantize: a.fn === "lquantize" ? (a.lquantize ?? (first ? lquantizeParams(first) : undefined)) : undefined,
		llquantize: a.llquantize,
		normal: 1n,
		rows: a.rows.map((r) => ({ key: r.key.map(keyOf), data: dataOf(a, r.value, r.histogram) })),
	};
}

/** Every aggregation of a view as a snapshot, numbered 1, 2, ... in the view's order (printa() records use these ids). */
export function snapshots(view: SessionView): AggregationSnapshot[] {
	return pairs(view).map((s) => s.a);
}

function pairs(view: SessionView): { e: SessionView["enablings"][number]; a: AggregationSnapshot }[] {
	let id = 0;
	return view.enablings.flatMap((e) => e.aggregations.map((a) => ({ e, a: snapshotOf(a, ++id) })));
}

/** DTrace's distribution of today's histogram buckets (header and rows, without the leading blank line). */
export function formatDistribution(buckets: HistogramBucket[]): string[] {
	const text = buckets.some((b) => b.edge)
		? formatLQuantize(
				lquantizeParams(buckets),
				buckets.map((b) => big(b.count)),
			)
		: formatQuantize(quantizeCounts(buckets));
	return text.slice(1, -1).split("\n");
}

/** One aggregation as printa(@a) prints it. */
export function formatAggregation(a: AggregationView): string {
	return formatPrinta([snapshotOf(a)], undefined);
}

/** Every aggregation, as DTrace prints them when tracing ends ("" when none has a row). */
export function formatAll(view: SessionView, o: AggOptions = {}): string {
	const all = pairs(view).map((s) => s.a);
	if (!all.some((a) => a.rows.length)) return "";
	return `\n${formatAggregations(all, o)}`;
}

/** One JSON object per aggregation (schema in the README), every string safe for a terminal. */
export function formatJson(view: SessionView, time = new Date()): string {
	const lines: string[] = [];
	for (const { e, a } of pairs(view)) {
		const v = e.aggregations.find((x) => x.name === a.name)!;
		lines.push(
			jsonStringify({
				time: time.toISOString(),
				enabling: e.id,
				d: e.d,
				aggregation: a.name === "" ? "@" : `@${a.name}`,
				function: a.fn,
				keys: v.keys,
				evictions: v.evictions,
				drops: e.drops,
				truncated: e.truncated,
				faults: e.faults ?? 0,
				dynamicDrops: e.dynDrops,
				rows: sortRows(a.rows).map((r, i) => {
					const h = histogramJson(r.data);
					const src = v.rows[a.rows.indexOf(r)] ?? v.rows[i];
					return {
						key: r.key.map((k) =>
							k.kind === "int"
								? jsonInt(k.value)
								: k.kind === "string"
									? k.value
									: k.kind === "stack"
										? { stack: k.text ?? [], user: k.user }
										: symText(k),
						),
						value: src.value,
						...(h ? { histogram: h } : {}),
					};
				}),
			}),
		);
	}
	return lines.length ? `${lines.join("\n")}\n` : "";
}

/** Folded stacks (`outer;...;inner count`), other keys first, every frame escaped. */
export function formatFolded(view: SessionView): string {
	const out = pairs(view).flatMap((s) => foldedLines(s.a));
	return out.length ? `${out.join("\n")}\n` : "";
}
