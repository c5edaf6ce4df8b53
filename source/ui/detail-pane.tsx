// The detail pane: everything about the selected enabling's aggregations — a
// breakdown by key with bars, DTrace-style histograms (one per key), or the top
// stacks — plus its errors, drops and evictions (lost data is shown, never hidden).

import type { AggregationView, EnablingView } from "../session/view.ts";
import { escapeForTerminal } from "../util/escape.ts";
import { breakdownLines } from "./breakdown.tsx";
import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { aggTitle, formatKey, hasStack, isHistogram } from "./format.ts";
import { histogramLines } from "./histogram.tsx";
import { type Line, Lines, seg } from "./line.tsx";
import { titleLine } from "./pane.tsx";
import { speculationLines } from "./speculation-lines.ts";
import { type StackRow, stackLines } from "./stacks.tsx";
import { formatCount, formatRate } from "./text.ts";
import { variableLines } from "./variables.ts";

/** Caps that keep a frame cheap however large an aggregation grows. */
const MAX_KEYS = 500;
const MAX_HISTOGRAM_KEYS = 20;
const MAX_STACKS = 50;

function aggLines(agg: AggregationView, cols: number, cs: Charset): Line[] {
	const lines: Line[] = [[seg(aggTitle(agg), { dim: true })]];
	if (agg.evictions > 0) {
		lines.push([
			seg(`${formatCount(agg.evictions)} keys evicted (map full): totals are incomplete`, { color: "yellow" }),
		]);
	}
	if (agg.rows.length === 0) {
		lines.push([seg("(no data yet)", { dim: true })]);
		return lines;
	}
	if (isHistogram(agg)) {
		const kind = agg.fn === "lquantize" ? "lquantize" : "quantize";
		const rows = [...agg.rows].sort((a, b) => b.value - a.value).slice(0, MAX_HISTOGRAM_KEYS);
		for (const row of rows) {
			if (agg.keys.length > 0) lines.push([seg(formatKey(row.key), { bold: true, color: "yellow" })]);
			lines.push(...histogramLines(row.histogram ?? [], kind, cols), []);
		}
		if (agg.rows.length > rows.length) {
			lines.push([seg(`${cs.more} ${agg.rows.length - rows.length} more keys`, { dim: true })]);
		}
		return lines;
	}
	if (hasStack(agg)) {
		const rows: StackRow[] = agg.rows.map((r) => {
			const stack = r.key.find((p) => p.kind === "stack");
			const others = r.key.filter((p) => p.kind !== "stack");
			return {
				frames: stack && stack.kind === "stack" ? stack.frames.map(escapeForTerminal) : [],
				count: r.value,
				label: others.length > 0 ? formatKey(others) : undefined,
			};
		});
		rows.sort((a, b) => b.count - a.count);
		lines.push(...stackLines(rows.slice(0, MAX_STACKS), cols, cs));
		if (rows.length > MAX_STACKS)
			lines.push([seg(`${cs.more} ${rows.length - MAX_STACKS} more stacks`, { dim: true })]);
		return lines;
	}
	if (agg.keys.length === 0) {
		const row = agg.rows[0];
		const value = Number.isInteger(row.value) ? formatCount(row.value) : row.value.toFixed(1);
		lines.push([
			seg(`${agg.fn} `),
			seg(value, { bold: true }),
			seg(`   ${formatRate(row.rate)}/s  last 10s ${formatCount(row.last10s)}  last 60s ${formatCount(row.last60s)}`, {
				dim: true,
			}),
		]);
		return lines;
	}
	lines.push(
		...breakdownLines(
			agg.rows.map((r) => ({ key: formatKey(r.key), value: r.value, rate: agg.fn === "count" ? r.rate : undefined })),
			cols,
			cs,
			MAX_KEYS,
		),
	);
	return lines;
}

/** The pane's content (without its title), for scrolling. */
export function detailContent(enabling: EnablingView | undefined, cols: number, cs: Charset): Line[] {
	if (!enabling) {
		return [
			[seg("Select an enabling to see its breakdown, histogram or stacks.", { dim: true })],
			[seg("Space on a probe enables it; : takes a D clause.", { dim: true })],
		];
	}
	const lines: Line[] = [];
	if (enabling.error) lines.push([seg(`error: ${escapeForTerminal(enabling.error)}`, { color: "red", bold: true })]);
	if (enabling.drops > 0 || enabling.evictions > 0) {
		lines.push([
			seg(`lost data: ${formatCount(enabling.drops)} drops, ${formatCount(enabling.evictions)} evictions`, {
				color: "yellow",
			}),
		]);
	}
	if (enabling.skipped?.length) {
		// What the kernel refused comes first: the counts below leave those probes out.
		const [summary, ...each] = enabling.skipped;
		lines.push([seg(escapeForTerminal(summary), { color: "yellow" })]);
		for (const a of each) lines.push([seg(`  ${escapeForTerminal(a)}`, { color: "yellow" })]);
		lines.push([]);
	}
	enabling.aggregations.forEach((agg, i) => {
		if (i > 0) lines.push([]);
		lines.push(...aggLines(agg, cols, cs));
	});
	if (enabling.variables?.length) {
		if (lines.length) lines.push([]);
		lines.push(...variableLines(enabling.variables, cols, cs));
	}
	if (enabling.speculation) {
		if (lines.length) lines.push([]);
		lines.push(...speculationLines(enabling.speculation));
	}
	if (enabling.arguments?.length) {
		lines.push([], [seg("arguments (from the probe's note)", { dim: true })]);
		for (const a of enabling.arguments) lines.push([seg(`  ${escapeForTerminal(a)}`, { dim: true })]);
	}
	if (enabling.aggregations.length === 0 && !enabling.error) {
		const events =
			enabling.eventRate === undefined ? "" : `, ${formatRate(enabling.eventRate)} events/s (e shows them)`;
		lines.push([seg(`${formatCount(enabling.total)} firings, no aggregation${events}`, { dim: true })]);
	}
	while (lines.length > 0 && lines[lines.length - 1].length === 0) lines.pop();
	return lines;
}

/** The largest useful scroll offset for content of `total` lines in a pane `height` rows tall. */
export function maxDetailTop(total: number, height: number): number {
	return Math.max(0, total - Math.max(1, height - 1));
}

export interface DetailPaneProps {
	enabling?: EnablingView;
	width: number;
	/** Rows including the title row. */
	height: number;
	focused: boolean;
	/** First content line shown. */
	top?: number;
	/** Precomputed detailContent(enabling, width, cs), when the caller already has it. */
	content?: Line[];
}

export function detailLines(props: DetailPaneProps, cs: Charset): Line[] {
	const { width: cols, height, focused, enabling } = props;
	const content = props.content ?? detailContent(enabling, cols, cs);
	const body = Math.max(0, height - 1);
	const top = Math.min(Math.max(0, props.top ?? 0), maxDetailTop(content.length, height));
	const more = content.length > top + body ? `${cs.more} ${content.length - top - body}` : "";
	const title = enabling ? `Detail: ${escapeForTerminal(enabling.label)}` : "Detail";
	return [titleLine(title, cols, focused, cs, more), ...content.slice(top, top + body)];
}

export function DetailPane(props: DetailPaneProps) {
	const { cs } = useUi();
	return <Lines lines={detailLines(props, cs)} height={props.height} width={props.width} />;
}
