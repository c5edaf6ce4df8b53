// Turning session values into short display strings. Everything that came from a
// traced process or a binary passes through escapeForTerminal here.

import type { AggRow, AggregationView, EnablingView, HistogramBucket, KeyPart } from "../session/view.ts";
import { escapeForTerminal } from "../util/escape.ts";
import { formatCount, formatRate } from "./text.ts";

/** One key part for display; a stack shows its innermost frame. */
export function formatKeyPart(part: KeyPart): string {
	switch (part.kind) {
		case "int":
			return part.value.toString();
		case "string":
			return escapeForTerminal(part.value);
		case "stack":
			return part.frames.length > 0 ? escapeForTerminal(part.frames[0]) : "(empty stack)";
	}
}

/** A whole key, parts joined by ", "; the anonymous key is "". */
export function formatKey(key: readonly KeyPart[]): string {
	return key.map(formatKeyPart).join(", ");
}

export function hasStack(agg: AggregationView): boolean {
	return agg.rows.some((r) => r.key.some((p) => p.kind === "stack"));
}

export function isHistogram(agg: AggregationView): boolean {
	return agg.fn === "quantize" || agg.fn === "lquantize";
}

/** `@name[key, …] = fn()` as D would spell the aggregation. */
export function aggTitle(agg: AggregationView): string {
	const keys = agg.keys.length > 0 ? `[${agg.keys.map(escapeForTerminal).join(", ")}]` : "";
	return `@${escapeForTerminal(agg.name)}${keys} = ${agg.fn}(${escapeForTerminal((agg.args ?? []).join(", "))})`;
}

function formatValue(v: number): string {
	return Number.isInteger(v) ? formatCount(v) : v.toFixed(1);
}

/** The bucket holding the median of a histogram, as its lower bound. */
export function medianBucket(buckets: readonly HistogramBucket[]): HistogramBucket | undefined {
	let total = 0;
	for (const b of buckets) total += b.count;
	if (total <= 0) return undefined;
	let seen = 0;
	for (const b of buckets) {
		seen += b.count;
		if (seen * 2 >= total) return b;
	}
	return undefined;
}

function histogramSummary(agg: AggregationView, row: AggRow): string {
	const m = medianBucket(row.histogram ?? []);
	const median = m ? ` p50 ${m.edge === "under" ? "<" : m.edge === "over" ? ">=" : "~"}${m.lo}` : "";
	return `${agg.fn} n=${formatCount(row.value)}${median}`;
}

/** One line about an enabling's (first) aggregation, for the enabled table. */
export function aggSummary(enabling: EnablingView): string {
	if (enabling.error) return `error: ${escapeForTerminal(enabling.error)}`;
	const events = enabling.eventRate === undefined ? "" : `${formatRate(enabling.eventRate)} events/s`;
	const agg = aggOnly(enabling);
	return events && agg ? `${events}, ${agg}` : events || agg;
}

function aggOnly(enabling: EnablingView): string {
	const agg = enabling.aggregations[0];
	if (!agg) return "";
	const more = enabling.aggregations.length > 1 ? ` (+${enabling.aggregations.length - 1} aggs)` : "";
	if (agg.rows.length === 0) return `${aggTitle(agg)}${more}`;
	if (agg.keys.length === 0) {
		const row = agg.rows[0];
		return (isHistogram(agg) ? histogramSummary(agg, row) : `${agg.fn} ${formatValue(row.value)}`) + more;
	}
	let top = agg.rows[0];
	for (const r of agg.rows) if (r.value > top.value) top = r;
	const others = agg.rows.length > 1 ? ` +${agg.rows.length - 1}` : "";
	const value = isHistogram(agg) ? `n=${formatCount(top.value)}` : formatValue(top.value);
	return `${formatKey(top.key)} ${value}${others}${more}`;
}
