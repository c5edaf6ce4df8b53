// reduce(state, action): everything the UI does with a key, a click, a tick or
// an effect's result, as a pure function. Keys are looked up in keys.ts
// (reduce-keys.ts), mouse events hit-tested against the layout (reduce-mouse.ts).
// Nothing here calls the Controller: what must happen outside comes back as the
// state's effects, and their results arrive as actions.

import { sortEnablings } from "./enabled-table.tsx";
import { clamp, clampDetail, layoutOf, withEffect, withFilter } from "./navigate.ts";
import { newPrompt } from "./prompt.tsx";
import { eventsArrived, openEvents } from "./reduce-events.ts";
import { key, paste } from "./reduce-keys.ts";
import { mouse } from "./reduce-mouse.ts";
import { type Action, type Effect, initialState, type State, treeQuery } from "./state.ts";
import { keepVisible } from "./tree.ts";

/** The first state, asking for the tree's first rows. */
export function createState(...args: Parameters<typeof initialState>): State {
	const s = normalize(initialState(...args));
	return { ...s, effects: [treeQuery(s, false)] };
}

export function reduce(state: State, action: Action): State {
	if (state.quitting) return state.effects.length ? { ...state, effects: [] } : state;
	return normalize(apply({ ...state, effects: [] }, action));
}

function apply(s: State, action: Action): State {
	switch (action.type) {
		case "input": {
			const ev = action.event;
			if (ev.kind === "mouse") return mouse(s, ev);
			if (ev.kind === "paste") return paste(s, ev.text);
			return key(s, ev.key);
		}
		case "resize":
			return clampDetail({ ...s, cols: action.cols, rows: action.rows });
		case "view":
			// Rates and marks in the tree change with the session: read its rows again.
			return clampDetail(withEffect({ ...s, view: action.view }, treeQuery(s, true)));
		case "rows":
			return rowsArrived(s, action);
		case "done": {
			const next = done(s, action.effect, action.message);
			return action.showEvents ? openEvents(next, true) : next;
		}
		case "events":
			return eventsArrived(s, action.events);
		case "needsConfirm":
			return { ...s, modal: { kind: "confirm", path: action.path, count: action.count, ...withFilter(action.filter) } };
		case "showD":
			return { ...s, modal: { kind: "dview", title: action.title, d: action.d, top: 0 } };
		case "failed":
			return failed(s, action.effect, action.error);
	}
}

/** Selection and scroll positions made consistent with the rows, the view and the layout. */
export function normalize(s: State): State {
	const layout = layoutOf(s);
	const t = s.tree;
	const selected = clamp(t.selected, 0, t.rows.length - 1);
	// While rows are still arriving the selected node may simply not be there yet.
	const selectedKey = t.loading && t.selectedKey !== undefined ? t.selectedKey : t.rows[selected]?.key;
	const top = keepVisible(t.top, selected, layout.body - 1, t.rows.length);
	const tree =
		selected === t.selected && selectedKey === t.selectedKey && top === t.top
			? t
			: { ...t, selected, selectedKey, top };
	const sorted = sortEnablings(s.view.enablings, s.sort);
	const index = Math.max(
		0,
		sorted.findIndex((e) => e.id === s.tableSelectedId),
	);
	const tableSelectedId = sorted[index]?.id;
	const tableTop = keepVisible(s.tableTop, index, layout.tableHeight - 2, sorted.length);
	if (tree === t && tableSelectedId === s.tableSelectedId && tableTop === s.tableTop) return s;
	return { ...s, tree, tableSelectedId, tableTop };
}

function rowsArrived(s: State, a: Extract<Action, { type: "rows" }>): State {
	// Rows of a tree the user has changed since (another filter, a collapse) are not shown.
	if (a.query !== s.tree.query) return s;
	const t = s.tree;
	let selected = t.selected;
	if (t.selectedKey !== undefined) {
		const i = a.rows.findIndex((r) => r.key === t.selectedKey);
		if (i !== -1) selected = i;
	}
	return { ...s, tree: { ...t, rows: a.rows, error: a.error, loading: !a.done, selected } };
}

/** Effects after which what is enabled may have changed, and the tree's marks and rates with it. */
const CHANGES_ENABLINGS = new Set<Effect["kind"]>([
	"toggle",
	"disable",
	"cycleKey",
	"stacks",
	"latency",
	"enableClause",
]);

function done(s: State, effect: Effect, message: string | undefined): State {
	let next = s;
	if (effect.kind === "enableClause") {
		next = { ...s, message: { text: `Enabled: ${effect.text}` }, focus: "table" };
	} else if (effect.kind === "rawNames") {
		const text = effect.raw ? "Raw (mangled) names; m demangles again." : "Demangled names.";
		next = { ...s, rawNames: effect.raw, message: { text: message ?? text } };
	} else if (effect.kind === "byContainer") {
		const text = effect.on ? "Grouped by container; C again for the whole machine." : "The whole machine.";
		next = withEffect({ ...s, byContainer: effect.on, message: { text: message ?? text } }, treeQuery(s, true));
	} else if (effect.kind === "clear") {
		next = { ...s, message: { text: "History cleared." } };
	} else if (message) next = { ...s, message: { text: message } };
	return CHANGES_ENABLINGS.has(effect.kind) ? withEffect(next, treeQuery(next, true)) : next;
}

function failed(s: State, effect: Effect, error: string): State {
	const message = { text: error, error: true };
	if (effect.kind === "enableClause") {
		// Keep the clause open for correction, with the error above it.
		return { ...s, message, modal: { kind: "prompt", mode: ":", state: newPrompt(effect.value, s.history[":"]) } };
	}
	return { ...s, message };
}
