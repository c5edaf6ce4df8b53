// The enabled table: one row per enabling with its label, rate, total, a sparkline
// of the last ticks and a one-line summary of its aggregation. Sorted by a chosen
// column (rate by default, largest first), reversible.

import type { EnablingView } from "../session/view.ts";
import { escapeForTerminal } from "../util/escape.ts";
import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { aggSummary } from "./format.ts";
import { type Line, Lines, padLine, seg, styleLine } from "./line.tsx";
import { titleLine } from "./pane.tsx";
import { sparkline } from "./sparkline.tsx";
import { formatCount, formatRate, padEnd, padStart, width } from "./text.ts";
import { keepVisible } from "./tree.ts";

export const SORT_COLUMNS = ["label", "rate", "total"] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export interface TableSort {
	column: SortColumn;
	/** Flips the column's natural order (names A→Z, numbers largest first). */
	reverse: boolean;
}

export const DEFAULT_SORT: TableSort = { column: "rate", reverse: false };

export function sortEnablings(enablings: readonly EnablingView[], sort: TableSort): EnablingView[] {
	const sign = sort.reverse ? -1 : 1;
	return [...enablings].sort((a, b) => {
		let c = 0;
		if (sort.column === "label") c = a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
		else if (sort.column === "rate") c = b.rate - a.rate;
		else c = b.total - a.total;
		return sign * c || a.id - b.id;
	});
}

export interface TableColumns {
	label: number;
	rate: number;
	total: number;
	spark: number;
	summary: number;
}

/**
 * Column widths for a table `cols` wide. The label comes first (a cut probe name is
 * useless), then the sparkline (up to 60 ticks), then the summary, which is left
 * out below 16 columns.
 */
export function tableColumns(cols: number, enablings: readonly EnablingView[]): TableColumns {
	const rate = 7;
	const total = 7;
	const avail = Math.max(0, cols - 1 - rate - total - 2);
	const longest = Math.max(8, ...enablings.map((e) => width(e.label)));
	const spark = avail >= 24 ? Math.min(60, Math.max(8, Math.floor(avail * 0.3))) : 0;
	const room = avail - (spark > 0 ? spark + 1 : 0);
	const wantsSummary = room - Math.min(longest, room) >= 17 || room >= 60;
	let label = Math.min(longest, wantsSummary ? Math.max(10, room - 17) : room);
	let summary = wantsSummary ? room - label - 1 : 0;
	if (summary > 0 && summary < 16) {
		label += summary + 1;
		summary = 0;
	}
	label = Math.max(1, Math.min(label, room));
	return { label, rate, total, spark, summary };
}

export interface EnabledTableProps {
	enablings: readonly EnablingView[];
	sort: TableSort;
	selectedId?: number;
	top?: number;
	width: number;
	/** Rows including the title and column-header rows. */
	height: number;
	focused: boolean;
}

function headerLine(c: TableColumns, sort: TableSort, cs: Charset): Line {
	const arrow = (col: SortColumn) => (sort.column === col ? (sort.reverse ? cs.up : cs.down) : "");
	const label = `PROBE${arrow("label")}`;
	const rate = `RATE/s${arrow("rate")}`;
	const total = `TOTAL${arrow("total")}`;
	let text = ` ${padEnd(label, c.label)} ${padStart(rate, c.rate)} ${padStart(total, c.total)}`;
	if (c.spark > 0) text += ` ${padEnd(c.spark >= 13 ? `LAST ${c.spark} TICKS` : "HISTORY", c.spark)}`;
	if (c.summary > 0) text += ` ${padEnd("SUMMARY", c.summary)}`;
	return [seg(text, { bold: true })];
}

function rowLine(
	e: EnablingView,
	c: TableColumns,
	cs: Charset,
	selected: boolean,
	focused: boolean,
	cols: number,
): Line {
	const line: Line = [
		seg(selected ? cs.cursor : " ", { dim: !selected }),
		seg(padEnd(escapeForTerminal(e.label), c.label, cs.ellipsis), { color: e.error ? "red" : undefined }),
		seg(` ${padStart(formatRate(e.rate), c.rate)}`, { color: "green" }),
		seg(` ${padStart(formatCount(e.total), c.total)}`),
	];
	if (c.spark > 0) line.push(seg(" "), seg(sparkline(e.history, c.spark, cs), { color: "green" }));
	if (c.summary > 0) {
		const summary = aggSummary(e);
		line.push(
			seg(` ${padEnd(summary, c.summary, cs.ellipsis)}`, { color: e.error ? "red" : undefined, dim: !e.error }),
		);
	}
	if (selected && focused) return padLine(styleLine(line, { inverse: true, dim: false }), cols, { inverse: true });
	return line;
}

export function tableLines(props: EnabledTableProps, cs: Charset): Line[] {
	const { width: cols, height, focused, sort } = props;
	const sorted = sortEnablings(props.enablings, sort);
	const c = tableColumns(cols, sorted);
	const index = Math.max(
		0,
		sorted.findIndex((e) => e.id === props.selectedId),
	);
	const body = Math.max(0, height - 2);
	const top = keepVisible(props.top ?? 0, index, body, sorted.length);
	const right = sorted.length > 0 ? `${index + 1}/${sorted.length}` : "";
	const lines: Line[] = [titleLine("Enabled", cols, focused, cs, right), headerLine(c, sort, cs)];
	if (sorted.length === 0) {
		lines.push([seg(" nothing enabled: Space on a probe, or : for a D clause", { dim: true })]);
		return lines;
	}
	const end = Math.min(sorted.length, top + body);
	for (let i = top; i < end; i++) {
		const e = sorted[i];
		lines.push(rowLine(e, c, cs, e.id === sorted[index].id, focused, cols));
	}
	return lines;
}

export function EnabledTable(props: EnabledTableProps) {
	const { cs } = useUi();
	return <Lines lines={tableLines(props, cs)} height={props.height} width={props.width} />;
}
