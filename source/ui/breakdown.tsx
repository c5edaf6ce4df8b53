// An aggregation broken down by its key: one row per key, largest first, with a
// bar proportional to the value (eighth-cell resolution in Unicode).
//
//   bash           ████████████▌           1234     12/s
//   sshd           ███                      301      3/s

import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { type Line, Lines, seg } from "./line.tsx";
import { formatCount, formatRate, padEnd, padStart, width } from "./text.ts";

export interface BreakdownRow {
	/** Already escaped for the terminal. */
	key: string;
	value: number;
	/** Firings per second, shown when given and there is room. */
	rate?: number;
}

const MAX_BAR = 32;

/** A bar `cells` columns at most, `fraction` (0…1) of it filled. */
export function bar(fraction: number, cells: number, cs: Charset): string {
	if (cells <= 0 || !(fraction > 0)) return "";
	const f = Math.min(1, fraction);
	if (cs.barPartial.length === 0) return cs.barFull.repeat(Math.max(1, Math.round(f * cells)));
	const eighths = Math.max(1, Math.round(f * cells * 8));
	const full = Math.floor(eighths / 8);
	const rest = eighths % 8;
	return cs.barFull.repeat(full) + (rest > 0 ? cs.barPartial[rest - 1] : "");
}

/** Breakdown rows, at most `maxLines` lines (the last says how many keys did not fit). */
export function breakdownLines(rows: readonly BreakdownRow[], cols: number, cs: Charset, maxLines = Infinity): Line[] {
	if (rows.length === 0) return [[seg("(no data yet)", { dim: true })]];
	const sorted = [...rows].sort((a, b) => b.value - a.value || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
	const shown = sorted.length > maxLines ? sorted.slice(0, Math.max(1, maxLines - 1)) : sorted;
	let max = 0;
	for (const r of shown) max = Math.max(max, Math.abs(r.value));
	const values = shown.map((r) => (Number.isInteger(r.value) ? formatCount(r.value) : r.value.toFixed(1)));
	const valueWidth = Math.max(...values.map((v) => v.length));
	const withRate = shown.some((r) => r.rate !== undefined) && cols >= 50;
	const rates = shown.map((r) => (r.rate === undefined ? "" : `${formatRate(r.rate)}/s`));
	const rateWidth = withRate ? Math.max(...rates.map((r) => r.length)) : 0;
	const fixed = valueWidth + (withRate ? rateWidth + 2 : 0) + 2;
	const longest = Math.max(...shown.map((r) => width(r.key)));
	const keyWidth = Math.max(
		4,
		Math.min(longest, Math.max(Math.floor((cols - fixed) * 0.45), cols - fixed - 1 - MAX_BAR), cols - fixed - 6),
	);
	// Bars longer than MAX_BAR cells read no better and cost bytes on every tick
	// (a block is 3 bytes of UTF-8); the spare room goes to long keys instead.
	const barWidth = Math.max(0, Math.min(MAX_BAR, cols - keyWidth - fixed - 1));
	const lines = shown.map((r, i): Line => {
		const line: Line = [
			seg(`${padEnd(r.key, keyWidth, cs.ellipsis)} `),
			seg(padEnd(bar(max > 0 ? Math.abs(r.value) / max : 0, barWidth, cs), barWidth), { color: "cyan" }),
			seg(` ${padStart(values[i], valueWidth)}`),
		];
		if (withRate) line.push(seg(`  ${padStart(rates[i], rateWidth)}`, { dim: true }));
		return line;
	});
	if (sorted.length > shown.length) {
		lines.push([seg(`${cs.more} ${sorted.length - shown.length} more keys`, { dim: true })]);
	}
	return lines;
}

export function Breakdown({
	rows,
	width: cols,
	height,
}: {
	rows: readonly BreakdownRow[];
	width: number;
	height?: number;
}) {
	const { cs } = useUi();
	const lines = breakdownLines(rows, cols, cs, height);
	return <Lines lines={lines} height={height} width={cols} />;
}
