// A flame graph for the terminal, drawn as an icicle: the zoomed frame (at
// first the root, "all") on the top row, its callees below, each frame as many
// columns wide as its share of the firings, coloured by the object it is in.
// A pure component: the pane that holds it keeps a FlameState and feeds keys
// through flameKey (arrows move the selection, Enter zooms into the selected
// frame, Escape zooms back out). Without colour, frames are told apart by a
// rule at their left edge and the selection by the cursor glyph; in ASCII mode
// only ASCII is drawn.
//
//   all 100 firings · main 100 (100.0%)
//   ›all·········································
//   |main········································
//   |outer······················|other···········
//   |inner······················

import { useMemo } from "react";
import { type FlameNode, type FlameRow, flameTree, moduleHue, nodeAt, pathOf } from "../output/flame-tree.ts";
import { escapeForTerminal } from "../util/escape.ts";
import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { type Line, Lines, seg } from "./line.tsx";
import { formatCount, padEnd, width as textWidth, truncate } from "./text.ts";

export interface FlameState {
	/** Path (frame names from the root's child down) of the frame drawn full width; [] for the whole graph. */
	zoom: readonly string[];
	/** Path of the selected frame; it lies inside the zoomed one. */
	selected: readonly string[];
}

export type FlameKey = "up" | "down" | "left" | "right" | "enter" | "escape";

export const INITIAL_FLAME_STATE: FlameState = { zoom: [], selected: [] };

const PALETTE = [
	"green",
	"cyan",
	"yellow",
	"magenta",
	"blue",
	"greenBright",
	"cyanBright",
	"yellowBright",
	"magentaBright",
	"blueBright",
];

function colourOf(n: FlameNode): string {
	if (n.module === "vmlinux") return "red";
	if (n.module === "") return "gray";
	return PALETTE[moduleHue(n.module) % PALETTE.length];
}

/** What a frame is called in its cell: the function (the module is its colour), or the whole frame when unnamed. */
function shortName(n: FlameNode): string {
	const tick = n.name.indexOf("`");
	return escapeForTerminal(tick >= 0 ? n.name.slice(tick + 1) : n.name);
}

function isWithin(path: readonly string[], prefix: readonly string[]): boolean {
	return prefix.length <= path.length && prefix.every((p, i) => path[i] === p);
}

/** The frames of each row below `top`, with their columns, leftmost first. */
function layout(top: FlameNode, cols: number, depth: number): { node: FlameNode; x0: number; x1: number }[][] {
	const rows: { node: FlameNode; x0: number; x1: number }[][] = [];
	const total = Math.max(1, top.value);
	const place = (n: FlameNode, start: number, d: number) => {
		if (d >= depth) return;
		const x0 = Math.round((start / total) * cols);
		const x1 = Math.round(((start + n.value) / total) * cols);
		if (x1 - x0 < 1) return; // narrower than a column: left out, and so are its callees
		(rows[d] ??= []).push({ node: n, x0, x1 });
		let at = start;
		for (const c of n.children) {
			place(c, at, d + 1);
			at += c.value;
		}
	};
	place(top, 0, 0);
	return rows;
}

/** The lines of the icicle for `root` in a `cols` × `height` pane (the first line says what is selected). */
export function flameLines(
	root: FlameNode,
	state: FlameState,
	cols: number,
	height: number,
	ui: { cs: Charset; color: boolean },
): Line[] {
	if (root.value === 0) return [[seg("(no stacks yet)", { dim: true })]];
	const top = nodeAt(root, state.zoom);
	const zoomPath = pathOf(top);
	const chosen = nodeAt(root, isWithin(state.selected, zoomPath) ? state.selected : zoomPath);
	const share = ((chosen.value / Math.max(1, root.value)) * 100).toFixed(1);
	const head: Line = [
		seg(`${formatCount(root.value)} firings`, { bold: true }),
		seg(` ${ui.cs.vline} `, { dim: true }),
		seg(escapeForTerminal(chosen.name), { bold: true }),
		seg(`  ${formatCount(chosen.value)} (${share}%)`, { dim: true }),
	];
	if (chosen.self > 0) head.push(seg(`  self ${formatCount(chosen.self)}`, { dim: true }));
	if (zoomPath.length > 0) head.push(seg(`  [zoomed: ${escapeForTerminal(top.name)}]`, { color: "yellow" }));
	const lines: Line[] = [head];
	const rows = layout(top, cols, Math.max(0, height - 1));
	for (const row of rows) {
		const line: Line = [];
		let at = 0;
		for (const { node, x0, x1 } of row) {
			if (x0 > at) line.push(seg(" ".repeat(x0 - at)));
			line.push(...cell(node, x1 - x0, node === chosen, ui));
			at = x1;
		}
		lines.push(line);
	}
	return lines.slice(0, height);
}

/** The path of the frame drawn at column `x` of icicle row `row` (0 = the zoomed frame), if any. */
export function frameAt(
	root: FlameNode,
	state: FlameState,
	cols: number,
	row: number,
	x: number,
): string[] | undefined {
	const top = nodeAt(root, state.zoom);
	const hit = layout(top, cols, row + 1)[row]?.find((f) => x >= f.x0 && x < f.x1);
	return hit ? pathOf(hit.node) : undefined;
}

function cell(n: FlameNode, w: number, selected: boolean, ui: { cs: Charset; color: boolean }): Line {
	const mark = selected ? ui.cs.cursor : ui.color ? "" : ui.cs.vline;
	// In colour the last column stays blank, so neighbours of one colour stay apart.
	const inside = ui.color && w > 1 ? w - 1 : w;
	const text = padEnd(mark + truncate(shortName(n), Math.max(0, inside - textWidth(mark)), ui.cs.ellipsis), inside);
	if (!ui.color) return [seg(text)];
	const colour = colourOf(n);
	const out: Line = [selected ? seg(text, { color: colour, bold: true }) : seg(text, { color: colour, inverse: true })];
	if (inside < w) out.push(seg(" "));
	return out;
}

/** The next state after a key. Paths are names, so the state survives the tree being rebuilt every tick. */
export function flameKey(root: FlameNode, state: FlameState, key: FlameKey): FlameState {
	const top = nodeAt(root, state.zoom);
	const zoom = pathOf(top);
	const sel = nodeAt(root, isWithin(state.selected, zoom) ? state.selected : zoom);
	switch (key) {
		case "up":
			return sel === top || !sel.parent ? { zoom, selected: pathOf(sel) } : { zoom, selected: pathOf(sel.parent) };
		case "down": {
			const widest = sel.children.reduce<FlameNode | undefined>((a, c) => (!a || c.value > a.value ? c : a), undefined);
			return { zoom, selected: pathOf(widest ?? sel) };
		}
		case "left":
		case "right": {
			// The neighbour on the same row, across parents (as the eye reads the graph).
			const depth = pathOf(sel).length - zoom.length;
			const row: FlameNode[] = [];
			const collect = (n: FlameNode, d: number) => {
				if (d === depth) row.push(n);
				else for (const c of n.children) collect(c, d + 1);
			};
			collect(top, 0);
			const i = row.indexOf(sel);
			const j = key === "left" ? i - 1 : i + 1;
			return { zoom, selected: pathOf(row[j] ?? sel) };
		}
		case "enter":
			return { zoom: pathOf(sel), selected: pathOf(sel) };
		case "escape":
			return top.parent ? { zoom: pathOf(top.parent), selected: zoom } : { zoom, selected: pathOf(sel) };
	}
}

export interface FlameGraphProps {
	/** Stacks of a ustack()/kstack() aggregation, frames innermost first, with their counts. */
	rows: readonly FlameRow[];
	width: number;
	height: number;
	state?: FlameState;
}

export function FlameGraph({ rows, width, height, state = INITIAL_FLAME_STATE }: FlameGraphProps) {
	const ui = useUi();
	const root = useMemo(() => flameTree(rows), [rows]);
	return <Lines lines={flameLines(root, state, width, height, ui)} height={height} width={width} />;
}
