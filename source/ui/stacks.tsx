// The top stacks of an aggregation keyed by ustack()/kstack(): most frequent
// first, each a count line and then its frames, innermost first, one per line
// (DTrace's order), trimmed when the pane is short.
//
//   1234  (61.0%)  bash
//     libc.so.6`read+0x12
//     bash`main+0x40

import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { type Line, Lines, seg } from "./line.tsx";
import { formatCount, truncate, truncateStart } from "./text.ts";

export interface StackRow {
	/** Frames, innermost first, already escaped. */
	frames: readonly string[];
	count: number;
	/** The key's other parts (e.g. execname), already escaped. */
	label?: string;
}

export interface StackLinesOptions {
	/** Lines available; stacks that do not fit are summarised in a last line. */
	maxLines?: number;
	/** Frames shown per stack at most (the rest summarised as "… N more frames"). */
	maxFrames?: number;
}

export function stackLines(rows: readonly StackRow[], cols: number, cs: Charset, opts: StackLinesOptions = {}): Line[] {
	if (rows.length === 0) return [[seg("(no stacks yet)", { dim: true })]];
	const maxLines = opts.maxLines ?? Infinity;
	const maxFrames = opts.maxFrames ?? Infinity;
	const sorted = [...rows].sort((a, b) => b.count - a.count);
	let total = 0;
	for (const r of sorted) total += r.count;
	const lines: Line[] = [];
	let shownStacks = 0;
	for (const r of sorted) {
		const frames = r.frames.slice(0, maxFrames);
		const hidden = r.frames.length - frames.length;
		const need = 1 + frames.length + (hidden > 0 ? 1 : 0) + (shownStacks > 0 ? 1 : 0);
		const remainingStacks = sorted.length - shownStacks;
		// Keep one line free for the "more stacks" note unless this is the last stack.
		const budget = maxLines - lines.length - (remainingStacks > 1 ? 1 : 0);
		if (need > budget) {
			if (shownStacks === 0) {
				// Not even one whole stack fits: show as many of its frames as we can.
				lines.push(headLine(r, total, cols));
				for (const f of frames.slice(0, Math.max(0, maxLines - 1))) lines.push(frameLine(f, cols, cs));
				shownStacks = 1;
			}
			break;
		}
		if (shownStacks > 0) lines.push([]);
		lines.push(headLine(r, total, cols));
		for (const f of frames) lines.push(frameLine(f, cols, cs));
		if (hidden > 0) lines.push([seg(`    ${cs.ellipsis} ${hidden} more frames`, { dim: true })]);
		shownStacks++;
	}
	if (shownStacks < sorted.length && lines.length < maxLines) {
		lines.push([seg(`${cs.more} ${sorted.length - shownStacks} more stacks`, { dim: true })]);
	}
	return lines.slice(0, maxLines);
}

function headLine(r: StackRow, total: number, cols: number): Line {
	const pct = total > 0 ? ((r.count / total) * 100).toFixed(1) : "0.0";
	const line: Line = [seg(formatCount(r.count), { bold: true }), seg(`  (${pct}%)`, { dim: true })];
	if (r.label) line.push(seg(`  ${truncate(r.label, Math.max(0, cols - 20))}`, { color: "yellow" }));
	return line;
}

function frameLine(frame: string, cols: number, cs: Charset): Line {
	// Keep the end of a long frame: the function and offset matter more than the path.
	return [seg(`  ${truncateStart(frame, Math.max(1, cols - 2), cs)}`)];
}

export function StackList({
	rows,
	width: cols,
	height,
	maxFrames,
}: {
	rows: readonly StackRow[];
	width: number;
	height?: number;
	maxFrames?: number;
}) {
	const { cs } = useUi();
	return <Lines lines={stackLines(rows, cols, cs, { maxLines: height, maxFrames })} height={height} width={cols} />;
}
