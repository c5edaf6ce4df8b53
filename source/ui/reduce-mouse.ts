// What a click or the wheel does, by where it lands on the screen (the layout of
// layout.ts, one frame line per terminal row): like htop, a click selects the
// row under it (and focuses its pane), a click on the selected tree row or on its
// expand mark opens or closes it, a click on a column title sorts by it, a click
// on a footer item presses its key; the wheel moves through the pane under it.

import { type SortColumn, sortEnablings, tableColumns } from "./enabled-table.tsx";
import { flameMouse } from "./flame-pane.tsx";
import { footerHit } from "./footer.tsx";
import type { InputEvent } from "./input.ts";
import { keyFor } from "./keys.ts";
import {
	contextOf,
	focus,
	layoutOf,
	moveTable,
	moveTree,
	scrollDetail,
	scrollViewer,
	setExpanded,
	tableIndex,
} from "./navigate.ts";
import { scrollEvents } from "./reduce-events.ts";
import { key } from "./reduce-keys.ts";
import type { State } from "./state.ts";
import { isLeaf } from "./tree.ts";

type MouseEvent = Extract<InputEvent, { kind: "mouse" }>;

/** Rows the wheel moves per notch. */
const WHEEL_ROWS = 3;

export function mouse(s: State, ev: MouseEvent): State {
	if (!ev.press) return s;
	const layout = layoutOf(s);
	const wheel = ev.button === "wheelUp" ? -1 : ev.button === "wheelDown" ? 1 : 0;
	const modal = s.modal.kind;
	// The footer's row, unless a D error from `:` is shown there.
	if (ev.y === layout.height - 1 && ev.button === "left" && !(modal === "prompt" && s.message)) {
		const context = contextOf(s);
		const row = footerHit(context, layout.cols, ev.x);
		const k = row && keyFor(context, row);
		return k ? key(s, k) : s;
	}
	const line = ev.y - 1;
	if (line < 0 || line >= layout.body) return s;
	if (modal === "help" || modal === "dview") return wheel ? scrollViewer(s, wheel < 0 ? "up" : "down", WHEEL_ROWS) : s;
	if (s.modal.kind === "flame") return flameMouse(s, s.modal, ev.x, line, ev.button);
	if (modal !== "none") return s;
	// The Events pane covers the panes: the wheel scrolls it.
	if (s.eventsPane.open) return wheel ? scrollEvents(s, wheel < 0 ? "up" : "down", WHEEL_ROWS) : s;
	if (wheel === 0 && ev.button !== "left") return s;
	const cleared = wheel ? s : { ...s, message: undefined };
	if (ev.x < layout.treeWidth) return treeMouse(cleared, line, ev.x, wheel);
	if (ev.x === layout.treeWidth) return cleared;
	const x = ev.x - layout.treeWidth - 1;
	if (line < layout.tableHeight) return tableMouse(cleared, line, x, wheel);
	if (wheel) return scrollDetail(s, wheel < 0 ? "up" : "down", WHEEL_ROWS);
	return focus(cleared, "detail");
}

function treeMouse(s: State, line: number, x: number, wheel: number): State {
	const t = s.tree;
	if (wheel) return moveTree(s, t.selected + wheel * WHEEL_ROWS);
	if (line === 0) return focus(s, "tree");
	const index = t.top + line - 1;
	const row = t.rows[index];
	if (!row) return focus(s, "tree");
	// The row reads: cursor, two columns per level, then the expand mark.
	const onMark = x === 1 + 2 * row.depth;
	const again = index === t.selected && s.focus === "tree";
	const selected = focus(moveTree(s, index), "tree");
	if ((onMark || again) && !isLeaf(row.entry)) return setExpanded(selected, row, !row.expanded);
	return selected;
}

function tableMouse(s: State, line: number, x: number, wheel: number): State {
	if (wheel) return moveTable(s, tableIndex(s) + wheel * WHEEL_ROWS);
	const focused = focus(s, "table");
	if (line === 0) return focused;
	if (line === 1) {
		const column = columnAt(s, x);
		if (!column) return focused;
		const sort = column === s.sort.column ? { column, reverse: !s.sort.reverse } : { column, reverse: false };
		return { ...focused, sort };
	}
	const sorted = sortEnablings(s.view.enablings, s.sort);
	const index = s.tableTop + line - 2;
	return index < sorted.length ? moveTable(focused, index) : focused;
}

/** The column whose title is at `x` of the table's header (see enabled-table.tsx's headerLine). */
function columnAt(s: State, x: number): SortColumn | undefined {
	const c = tableColumns(layoutOf(s).rightWidth, s.view.enablings);
	const label = 1 + c.label;
	const rate = label + 1 + c.rate;
	const total = rate + 1 + c.total;
	if (x >= 1 && x < label) return "label";
	if (x > label && x < rate) return "rate";
	if (x > rate && x < total) return "total";
	return undefined;
}
