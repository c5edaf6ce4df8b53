// The small state changes keys and clicks share: moving a selection, scrolling,
// expanding a node, setting the filter. Pure functions of the state.

import { detailContent, maxDetailTop } from "./detail-pane.tsx";
import { sortEnablings } from "./enabled-table.tsx";
import type { Command, KeyContext } from "./keys.ts";
import { computeLayout, type Layout } from "./layout.ts";
import { dLines, helpLines } from "./overlays.tsx";
import { type Effect, type Pane, type State, type TreeState, treeQuery } from "./state.ts";
import type { TreeRow } from "./tree.ts";

export function layoutOf(state: State): Layout {
	return computeLayout(state.cols, state.rows, state.view.enablings.length);
}

export function clamp(v: number, lo: number, hi: number): number {
	return Math.max(lo, Math.min(hi, v));
}

export function withEffect(s: State, ...effects: Effect[]): State {
	return { ...s, effects: [...s.effects, ...effects] };
}

export function contextOf(s: State): KeyContext {
	const m = s.modal.kind;
	if (m !== "none") return m;
	return s.eventsPane.open ? "events" : s.focus;
}

export const showError = (s: State, text: string): State => ({ ...s, message: { text, error: true } });

export function quit(s: State): State {
	return withEffect({ ...s, quitting: true }, { kind: "quit" });
}

/** Focus a pane (a click). */
export function focus(s: State, pane: Pane): State {
	return s.focus === pane ? s : { ...s, focus: pane };
}

/** The enabling the table (and the detail pane) shows. */
export function selectedEnabling(s: State) {
	return s.view.enablings.find((e) => e.id === s.tableSelectedId);
}

export function selectedRow(s: State): TreeRow | undefined {
	return s.tree.rows[s.tree.selected];
}

function detailMax(s: State): number {
	const layout = layoutOf(s);
	const lines = detailContent(selectedEnabling(s), layout.rightWidth, s.ui.cs).length;
	return maxDetailTop(lines, layout.detailHeight);
}

/** The detail pane's scroll position, within its content (which a tick or a resize may have shortened). */
export function clampDetail(s: State): State {
	if (s.detailTop === 0) return s;
	const detailTop = Math.min(s.detailTop, detailMax(s));
	return detailTop === s.detailTop ? s : { ...s, detailTop };
}

export function setFilter(s: State, filter: string | undefined): State {
	const tree: TreeState = {
		...s.tree,
		filter,
		filterCollapsed: new Set(),
		selected: 0,
		selectedKey: undefined,
		top: 0,
		query: s.tree.query + 1,
	};
	const next = { ...s, tree };
	return withEffect(next, treeQuery(next, false));
}

export function moveTree(s: State, to: number): State {
	const rows = s.tree.rows;
	const selected = clamp(to, 0, rows.length - 1);
	return { ...s, tree: { ...s.tree, selected, selectedKey: rows[selected]?.key } };
}

export function setExpanded(s: State, row: TreeRow, expanded: boolean): State {
	const t = s.tree;
	const change = (set: ReadonlySet<string>, add: boolean): ReadonlySet<string> => {
		const out = new Set(set);
		if (add) out.add(row.key);
		else out.delete(row.key);
		return out;
	};
	const tree: TreeState =
		t.filter !== undefined
			? { ...t, filterCollapsed: change(t.filterCollapsed, !expanded), query: t.query + 1 }
			: { ...t, expanded: change(t.expanded, expanded), query: t.query + 1 };
	const next = { ...s, tree };
	return withEffect(next, treeQuery(next, false));
}

export function moveTable(s: State, to: number): State {
	const sorted = sortEnablings(s.view.enablings, s.sort);
	if (sorted.length === 0) return s;
	return { ...s, tableSelectedId: sorted[clamp(to, 0, sorted.length - 1)].id, detailTop: 0 };
}

/** The table's selected row index (0 when nothing is selected). */
export function tableIndex(s: State): number {
	const sorted = sortEnablings(s.view.enablings, s.sort);
	return Math.max(
		0,
		sorted.findIndex((e) => e.id === s.tableSelectedId),
	);
}

export function scrollDetail(s: State, command: Command, by = 1): State {
	const page = Math.max(1, layoutOf(s).detailHeight - 2);
	const moves: Partial<Record<Command, () => number>> = {
		up: () => s.detailTop - by,
		down: () => s.detailTop + by,
		pageUp: () => s.detailTop - page,
		pageDown: () => s.detailTop + page,
		first: () => 0,
		last: () => Number.MAX_SAFE_INTEGER,
	};
	const to = moves[command]?.();
	if (to === undefined) return s;
	return { ...s, detailTop: clamp(to, 0, detailMax(s)) };
}

/** Scrolls the help or the D viewer. */
export function scrollViewer(s: State, command: Command | undefined, by = 1): State {
	const modal = s.modal;
	if (modal.kind !== "help" && modal.kind !== "dview") return s;
	const layout = layoutOf(s);
	const total = modal.kind === "help" ? helpLines(layout.cols).length : dLines(modal.d, layout.cols).length;
	const max = Math.max(0, total - (layout.body - 1));
	const page = Math.max(1, layout.body - 2);
	const moves: Partial<Record<Command, number>> = {
		up: modal.top - by,
		down: modal.top + by,
		pageUp: modal.top - page,
		pageDown: modal.top + page,
		first: 0,
		last: max,
	};
	const to = command ? moves[command] : undefined;
	if (to === undefined) return s;
	return { ...s, modal: { ...modal, top: clamp(to, 0, max) } };
}

/** `{ filter }` when there is one (effects and actions carry no empty key). */
export function withFilter(filter: string | undefined): { filter?: string } {
	return filter === undefined ? {} : { filter };
}
