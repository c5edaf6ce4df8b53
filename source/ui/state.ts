// The interactive UI's state, the actions that change it and the effects it asks
// for. State is plain immutable data: reduce(state, action) returns a new state
// and the effects of that one action (calls to the Controller, reads of the probe
// tree); the store runs them, and their results come back as actions. Rendering
// only reads the state.

import type { SessionView } from "../session/view.ts";
import type { Ui } from "./context.tsx";
import type { Target } from "./controller.ts";
import { DEFAULT_SORT, type TableSort } from "./enabled-table.tsx";
import { EVENTS_CLOSED, type EventsPaneState, type EventsView, NO_EVENTS } from "./events-model.ts";
import type { FlameState } from "./flamegraph.tsx";
import type { InputEvent } from "./input.ts";
import type { Message } from "./overlays.tsx";
import type { PromptState } from "./prompt.tsx";
import type { TreeRow } from "./tree.ts";

export type Pane = "tree" | "table" | "detail";
export const PANES: readonly Pane[] = ["tree", "table", "detail"];

/** `:` a D program, `/` the tree's filter, `f` the Events pane's filter. */
export type PromptMode = ":" | "/" | "f";

export type Modal =
	| { kind: "none" }
	| { kind: "help"; top: number }
	| { kind: "dview"; title: string; d: string; top: number }
	| { kind: "prompt"; mode: PromptMode; state: PromptState }
	| { kind: "confirm"; path: readonly string[]; count: number; filter?: string }
	/** `f`: the flame graph of an enabling's stack aggregations (every enabling's when undefined). */
	| { kind: "flame"; enablingId: number | undefined; flame: FlameState };

export interface TreeState {
	expanded: ReadonlySet<string>;
	filter: string | undefined;
	/** Under a filter everything starts expanded; these were collapsed by hand. */
	filterCollapsed: ReadonlySet<string>;
	/** Bumped whenever the shape of the tree asked for changes (expansion, filter). */
	query: number;
	rows: readonly TreeRow[];
	/** Still being read (a large filtered tree is read in slices): the rows so far, or the previous ones. */
	loading: boolean;
	/** Why there are no rows (a bad filter). */
	error: string | undefined;
	selected: number;
	/** The selected node, followed when rows come and go above it. */
	selectedKey: string | undefined;
	top: number;
}

export interface State {
	cols: number;
	rows: number;
	ui: Ui;
	view: SessionView;
	focus: Pane;
	tree: TreeState;
	tableSelectedId: number | undefined;
	tableTop: number;
	sort: TableSort;
	detailTop: number;
	/** Per-event output (the controller's), and the Events pane over the panes when open. */
	events: EventsView;
	eventsPane: EventsPaneState;
	modal: Modal;
	message: Message | undefined;
	history: Readonly<Record<PromptMode, readonly string[]>>;
	/** `m`: names in stacks and probefunc as the binaries hold them (mangled), not demangled. */
	rawNames: boolean;
	/** `C`: the tree grouped by container. */
	byContainer: boolean;
	/** After `q`: nothing more is done. */
	quitting: boolean;
	/** What the last action asks for; the store runs these after each action. */
	effects: readonly Effect[];
}

/** What the tree pane asks of the probe tree: everything needed to read its rows. */
export interface TreeQuery {
	query: number;
	filter: string | undefined;
	expanded: ReadonlySet<string>;
	collapsed: ReadonlySet<string>;
	/** Only the values changed (a tick): keep showing the old rows until the new ones are read. */
	refresh: boolean;
}

export type Effect =
	/** `filter`: the tree's filter then; Space enables what it shows under `path`. */
	| { kind: "toggle"; path: readonly string[]; confirmed: boolean; filter?: string }
	| { kind: "disable"; id: number }
	| { kind: "cycleKey"; id: number }
	| { kind: "stacks"; target: Target }
	| { kind: "latency"; target: Target }
	/** `value` is the prompt's text as typed, reopened for correction if the clause fails. */
	| { kind: "enableClause"; text: string; value: string }
	| { kind: "showD"; id: number; title: string }
	| { kind: "setTick"; ms: number }
	| { kind: "pause"; paused: boolean }
	| { kind: "clear" }
	| { kind: "rawNames"; raw: boolean }
	| { kind: "byContainer"; on: boolean }
	| { kind: "quit" }
	| ({ kind: "rows" } & TreeQuery);

export type Action =
	| { type: "input"; event: InputEvent }
	| { type: "resize"; cols: number; rows: number }
	/** The session changed (a tick, an enabling added or removed): its new picture. */
	| { type: "view"; view: SessionView }
	/** Rows read for tree query `query`; `done` false while a large tree is still being read. */
	| { type: "rows"; query: number; rows: readonly TreeRow[]; error?: string; done: boolean }
	/** An effect finished (its message, if it has one, goes to the message line). */
	| { type: "done"; effect: Effect; message?: string; showEvents?: boolean }
	/** New per-event output arrived. */
	| { type: "events"; events: EventsView }
	/** Space on a subtree of many probes: ask first. */
	| { type: "needsConfirm"; path: readonly string[]; count: number; filter?: string }
	/** `d`: the enabling's D text arrived. */
	| { type: "showD"; title: string; d: string }
	/** An effect failed: the one way errors reach the message line. */
	| { type: "failed"; effect: Effect; error: string };

export function initialState(view: SessionView, cols: number, rows: number, ui: Ui): State {
	return {
		cols,
		rows,
		ui,
		view,
		focus: "tree",
		tree: {
			expanded: new Set(),
			filter: undefined,
			filterCollapsed: new Set(),
			query: 0,
			rows: [],
			loading: true,
			error: undefined,
			selected: 0,
			selectedKey: undefined,
			top: 0,
		},
		tableSelectedId: undefined,
		tableTop: 0,
		sort: DEFAULT_SORT,
		detailTop: 0,
		events: NO_EVENTS,
		eventsPane: EVENTS_CLOSED,
		modal: { kind: "none" },
		message: undefined,
		history: { ":": [], "/": [], f: [] },
		rawNames: false,
		byContainer: false,
		quitting: false,
		effects: [],
	};
}

/** The tree read the state asks for. */
export function treeQuery(state: State, refresh: boolean): Effect {
	const t = state.tree;
	return {
		kind: "rows",
		query: t.query,
		filter: t.filter,
		expanded: t.expanded,
		collapsed: t.filterCollapsed,
		refresh,
	};
}
