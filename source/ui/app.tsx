// The interactive shell: lays out the panes, keeps the UI's own state (selection,
// expansion, filter, sort, what is open) and turns keys into Controller calls.
//
// UI state lives in a mutable store read and written by the key handler, not in
// React state: Ink delivers a burst of keys (a paste, key repeat, "jjj" in one read)
// to the handler synchronously, before React re-renders, and each key must see the
// effect of the one before it. After handling, the App re-renders once.

import { Box, type Key, useApp, useInput, useStdout } from "ink";
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from "react";
import type { EnablingView, SessionView } from "../session/view.ts";
import { UNICODE } from "./charset.ts";
import { type Ui, UiContext } from "./context.tsx";
import { type Controller, nextTick, type Outcome, type Target, type ToggleOutcome } from "./controller.ts";
import { DetailPane, detailContent, maxDetailTop } from "./detail-pane.tsx";
import { DEFAULT_SORT, EnabledTable, SORT_COLUMNS, sortEnablings, type TableSort } from "./enabled-table.tsx";
import { Footer, type FooterContext } from "./footer.tsx";
import { Header } from "./header.tsx";
import { computeLayout, type Layout } from "./layout.ts";
import { Lines, seg } from "./line.tsx";
import { Confirm, DViewer, dLines, HelpOverlay, helpLines, type Message, StatusLine } from "./overlays.tsx";
import { ProbeTree } from "./probe-tree.tsx";
import { editPrompt, newPrompt, Prompt, type PromptState, remember } from "./prompt.tsx";
import { flattenTree, isLeaf, keepVisible, pathKey, type TreeRow } from "./tree.ts";

export type Pane = "tree" | "table" | "detail";
const PANES: Pane[] = ["tree", "table", "detail"];

/** Rows a filter may expand to (everything under a filter starts expanded). */
const FILTER_ROW_LIMIT = 5000;
/** The fastest the App re-renders for session updates (key presses render at once). */
const MIN_FRAME_MS = 100;

type Modal =
	| { kind: "none" }
	| { kind: "help"; top: number }
	| { kind: "dview"; title: string; d: string; top: number }
	| { kind: "prompt"; mode: ":" | "/"; state: PromptState }
	| { kind: "confirm"; path: string[]; count: number };

/** The UI's own state; see the note at the top of the file. */
export class AppState {
	focus: Pane = "tree";
	expanded = new Set<string>();
	filter: string | undefined;
	/** Under a filter everything starts expanded; these were collapsed by hand. */
	filterCollapsed = new Set<string>();
	treeSelected = 0;
	treeSelectedKey: string | undefined;
	treeTop = 0;
	tableSelectedId: number | undefined;
	tableTop = 0;
	sort: TableSort = DEFAULT_SORT;
	detailTop = 0;
	modal: Modal = { kind: "none" };
	message: Message | undefined;
	history: Record<":" | "/", string[]> = { ":": [], "/": [] };
	/** Bumped when what the tree shows may have changed (expansion, filter, a tick). */
	treeVersion = 0;
	rowsVersion = -1;
	rows: TreeRow[] = [];
	rowsError: string | undefined;
}

export interface AppProps {
	controller: Controller;
	/** Terminal size; by default stdout's, following resizes. */
	columns?: number;
	rows?: number;
	/** Glyphs and colour (see charset.ts); Unicode with colour by default. */
	ui?: Ui;
	/** Called after `q` / Ctrl-C, once the controller was told (the runner restores the terminal). */
	onQuit?: () => void;
}

function useTerminalSize(columns?: number, rows?: number): { cols: number; rows: number } {
	const { stdout } = useStdout();
	const [size, setSize] = useState(() => ({ cols: stdout.columns ?? 80, rows: stdout.rows ?? 24 }));
	useEffect(() => {
		const onResize = () => setSize({ cols: stdout.columns ?? 80, rows: stdout.rows ?? 24 });
		stdout.on("resize", onResize);
		return () => {
			stdout.off("resize", onResize);
		};
	}, [stdout]);
	return { cols: columns ?? size.cols, rows: rows ?? size.rows };
}

export function App(props: AppProps) {
	const { controller } = props;
	const ui = props.ui ?? { cs: UNICODE, color: true };
	const { exit } = useApp();
	const size = useTerminalSize(props.columns, props.rows);
	const [, render] = useReducer((n: number) => n + 1, 0);
	const st = useRef(new AppState()).current;
	const view = controller.view();
	const layout = computeLayout(size.cols, size.rows, view.enablings.length);

	// Everything the key handler needs from the latest render.
	const live = useRef({ props, view, layout, exit });
	live.current = { props, view, layout, exit };

	// Session updates: at most one frame per MIN_FRAME_MS, the last update always shown.
	useEffect(() => {
		let last = 0;
		let timer: NodeJS.Timeout | undefined;
		const frame = () => {
			timer = undefined;
			last = Date.now();
			st.treeVersion++;
			render();
		};
		const unsubscribe = controller.subscribe(() => {
			if (timer) return;
			const wait = MIN_FRAME_MS - (Date.now() - last);
			if (wait <= 0) frame();
			else timer = setTimeout(frame, wait);
		});
		return () => {
			unsubscribe();
			if (timer) clearTimeout(timer);
		};
	}, [controller, st]);

	const onInput = useCallback(
		(input: string, key: Key) => {
			handleKey(st, live.current, input, key, render);
			render();
		},
		[st],
	);
	useInput(onInput);

	const rows = treeRows(st, controller);
	const sorted = sortEnablings(view.enablings, st.sort);
	const selected = selectedEnabling(st, sorted);
	const detail = useMemo(() => detailContent(selected, layout.rightWidth, ui.cs), [selected, layout.rightWidth, ui.cs]);
	st.detailTop = Math.min(st.detailTop, maxDetailTop(detail.length, layout.detailHeight));
	syncScroll(st, layout, rows.length, sorted);

	return (
		<UiContext.Provider value={ui}>
			<Box flexDirection="column" width={layout.cols} height={layout.height}>
				<Header view={view} width={layout.cols} />
				<Body st={st} layout={layout} rows={rows} sorted={sorted} selected={selected} detail={detail} />
				<Status st={st} layout={layout} />
				{st.modal.kind === "prompt" && st.message ? (
					// A D error from `:` stays visible under the clause being corrected.
					<StatusLine message={st.message} width={layout.cols} />
				) : (
					<Footer context={footerContext(st)} width={layout.cols} />
				)}
			</Box>
		</UiContext.Provider>
	);
}

function Body(p: {
	st: AppState;
	layout: Layout;
	rows: TreeRow[];
	sorted: EnablingView[];
	selected: EnablingView | undefined;
	detail: ReturnType<typeof detailContent>;
}) {
	const { st, layout } = p;
	const modal = st.modal;
	if (modal.kind === "help") return <HelpOverlay width={layout.cols} height={layout.body} top={modal.top} />;
	if (modal.kind === "dview") {
		return <DViewer title={modal.title} d={modal.d} width={layout.cols} height={layout.body} top={modal.top} />;
	}
	return (
		<Box flexDirection="row" height={layout.body}>
			<Box flexDirection="column" width={layout.treeWidth}>
				<ProbeTree
					rows={p.rows}
					selected={st.treeSelected}
					top={st.treeTop}
					width={layout.treeWidth}
					height={layout.body}
					focused={st.focus === "tree"}
					filter={st.filter}
					empty={st.rowsError}
				/>
			</Box>
			<Box flexDirection="column" width={1}>
				<Separator height={layout.body} />
			</Box>
			<Box flexDirection="column" width={layout.rightWidth}>
				<EnabledTable
					enablings={p.sorted}
					sort={st.sort}
					selectedId={p.selected?.id}
					top={st.tableTop}
					width={layout.rightWidth}
					height={layout.tableHeight}
					focused={st.focus === "table"}
				/>
				<DetailPane
					enabling={p.selected}
					content={p.detail}
					top={st.detailTop}
					width={layout.rightWidth}
					height={layout.detailHeight}
					focused={st.focus === "detail"}
				/>
			</Box>
		</Box>
	);
}

function Separator({ height }: { height: number }) {
	return (
		<UiContext.Consumer>
			{({ cs }) => <Lines lines={Array.from({ length: height }, () => [seg(cs.vline)])} />}
		</UiContext.Consumer>
	);
}

function Status({ st, layout }: { st: AppState; layout: Layout }) {
	const modal = st.modal;
	if (modal.kind === "prompt") {
		return <Prompt prefix={modal.mode === ":" ? ": " : "/ "} state={modal.state} width={layout.cols} />;
	}
	if (modal.kind === "confirm") return <Confirm count={modal.count} what={modal.path.join(":")} width={layout.cols} />;
	if (st.message) return <StatusLine message={st.message} width={layout.cols} />;
	if (st.filter) return <StatusLine message={{ text: `filter ${st.filter}   (Esc clears)` }} width={layout.cols} />;
	return <StatusLine width={layout.cols} />;
}

function footerContext(st: AppState): FooterContext {
	const m = st.modal.kind;
	if (m === "none") return st.focus;
	return m;
}

function treeRows(st: AppState, controller: Controller): TreeRow[] {
	if (st.rowsVersion === st.treeVersion) return st.rows;
	st.rowsVersion = st.treeVersion;
	try {
		st.rows = st.filter
			? flattenTree(controller.tree, {
					filter: st.filter,
					isExpanded: (k) => !st.filterCollapsed.has(k),
					limit: FILTER_ROW_LIMIT,
				})
			: flattenTree(controller.tree, { isExpanded: (k) => st.expanded.has(k) });
		st.rowsError = undefined;
	} catch (e) {
		st.rows = [];
		st.rowsError = errorText(e);
	}
	// Follow the selected node when rows come and go above it.
	if (st.treeSelectedKey !== undefined) {
		const i = st.rows.findIndex((r) => r.key === st.treeSelectedKey);
		if (i !== -1) st.treeSelected = i;
	}
	st.treeSelected = clamp(st.treeSelected, 0, st.rows.length - 1);
	st.treeSelectedKey = st.rows[st.treeSelected]?.key;
	return st.rows;
}

function selectedEnabling(st: AppState, sorted: EnablingView[]): EnablingView | undefined {
	const found = sorted.find((e) => e.id === st.tableSelectedId);
	const e = found ?? sorted[0];
	st.tableSelectedId = e?.id;
	return e;
}

function syncScroll(st: AppState, layout: Layout, treeRowCount: number, sorted: EnablingView[]): void {
	st.treeTop = keepVisible(st.treeTop, st.treeSelected, layout.body - 1, treeRowCount);
	const index = Math.max(
		0,
		sorted.findIndex((e) => e.id === st.tableSelectedId),
	);
	st.tableTop = keepVisible(st.tableTop, index, layout.tableHeight - 2, sorted.length);
}

function clamp(v: number, lo: number, hi: number): number {
	return Math.max(lo, Math.min(hi, v));
}

function errorText(e: unknown): string {
	return e instanceof Error ? e.message : String(e);
}

interface Live {
	props: AppProps;
	view: SessionView;
	layout: Layout;
	exit: (error?: Error) => void;
}

/** Shows an action's outcome (sync or async, or a throw) on the message line. */
function settle<T>(st: AppState, rerender: () => void, run: () => T | Promise<T>, then: (value: T) => void): void {
	const fail = (e: unknown) => {
		st.message = { text: errorText(e), error: true };
		rerender();
	};
	let result: T | Promise<T>;
	try {
		result = run();
	} catch (e) {
		fail(e);
		return;
	}
	if (result instanceof Promise) {
		result.then((v) => {
			then(v);
			st.treeVersion++;
			rerender();
		}, fail);
	} else {
		then(result);
	}
}

const ignore = (): void => {};

function showOutcome(st: AppState, outcome: Outcome | ToggleOutcome): void {
	if (!outcome) return;
	if (outcome.error) st.message = { text: outcome.error, error: true };
	else if (outcome.message) st.message = { text: outcome.message };
}

function selectedRow(st: AppState): TreeRow | undefined {
	return st.rows[st.treeSelected];
}

/** The enabling that `s`, `l`, `d` and `k` act on, by pane. */
function targetEnabling(st: AppState, view: SessionView): number | undefined {
	if (st.focus === "tree") return selectedRow(st)?.entry.enablingId;
	return sortEnablings(view.enablings, st.sort).find((e) => e.id === st.tableSelectedId)?.id;
}

function actionTarget(st: AppState, view: SessionView): Target | undefined {
	const id = targetEnabling(st, view);
	if (id !== undefined) return { enablingId: id };
	if (st.focus === "tree") {
		const row = selectedRow(st);
		if (row && isLeaf(row.entry)) return { path: row.path };
	}
	return undefined;
}

export function handleKey(st: AppState, live: Live, input: string, key: Key, rerender: () => void): void {
	// Ink hands several plain characters read at once ("jjj" from key repeat) over as
	// one input; outside a prompt each is a key of its own.
	if (st.modal.kind !== "prompt" && input.length > 1 && !key.ctrl && !key.meta && /^[\x20-\x7e]+$/.test(input)) {
		for (const ch of input) {
			handleKey(st, live, ch, { ...key, shift: /[A-Z]/.test(ch) }, rerender);
			// A key of the burst may open a prompt; the rest of the burst is then not keys.
			if ((st.modal as Modal).kind === "prompt") break;
		}
		return;
	}
	const { controller } = live.props;
	const modal = st.modal;

	if (modal.kind === "prompt") {
		const { state, action } = editPrompt(modal.state, input, key);
		if (action === "cancel") st.modal = { kind: "none" };
		else if (action === "submit") submitPrompt(st, live, modal.mode, state.value, rerender);
		else st.modal = { ...modal, state };
		return;
	}
	if (modal.kind === "confirm") {
		st.modal = { kind: "none" };
		if (input === "y" || input === "Y") {
			settle(
				st,
				rerender,
				() => controller.toggle(modal.path, { confirmed: true }),
				(o) => showOutcome(st, o),
			);
			st.treeVersion++;
		} else {
			st.message = { text: "Nothing enabled." };
		}
		return;
	}
	if (modal.kind === "help" || modal.kind === "dview") {
		const total = modal.kind === "help" ? helpLines(live.layout.cols).length : dLines(modal.d, live.layout.cols).length;
		const max = Math.max(0, total - (live.layout.body - 1));
		const page = Math.max(1, live.layout.body - 2);
		if (key.escape || key.return || input === "q" || input === (modal.kind === "help" ? "?" : "d")) {
			st.modal = { kind: "none" };
		} else if (key.upArrow || input === "k") modal.top = clamp(modal.top - 1, 0, max);
		else if (key.downArrow || input === "j") modal.top = clamp(modal.top + 1, 0, max);
		else if (key.pageUp) modal.top = clamp(modal.top - page, 0, max);
		else if (key.pageDown || input === " ") modal.top = clamp(modal.top + page, 0, max);
		else if (key.home) modal.top = 0;
		else if (key.end) modal.top = max;
		return;
	}

	const hadMessage = st.message !== undefined;
	st.message = undefined;

	if ((key.ctrl && input === "c") || input === "q") {
		try {
			controller.quit();
		} catch {
			// Leaving anyway: the runner's cleanup releases what quit() could not.
		}
		live.props.onQuit?.();
		live.exit();
		return;
	}
	if (key.tab) {
		const i = PANES.indexOf(st.focus);
		st.focus = PANES[(i + (key.shift ? PANES.length - 1 : 1)) % PANES.length];
		return;
	}
	if (key.escape) {
		if (!hadMessage && st.filter !== undefined) setFilter(st, undefined);
		return;
	}
	if (key.ctrl || key.meta) return;

	switch (input) {
		case "?":
			st.modal = { kind: "help", top: 0 };
			return;
		case "/":
			st.modal = { kind: "prompt", mode: "/", state: newPrompt(st.filter ?? "", st.history["/"]) };
			return;
		case ":":
			st.modal = { kind: "prompt", mode: ":", state: newPrompt("", st.history[":"]) };
			return;
		case "<":
		case ">": {
			const i = SORT_COLUMNS.indexOf(st.sort.column);
			const n = SORT_COLUMNS.length;
			st.sort = { ...st.sort, column: SORT_COLUMNS[(i + (input === ">" ? 1 : n - 1)) % n] };
			return;
		}
		case "r":
			st.sort = { ...st.sort, reverse: !st.sort.reverse };
			return;
		case "+":
		case "=":
			settle(st, rerender, () => controller.setTick(nextTick(live.view.tickMs, 1)), ignore);
			return;
		case "-":
		case "_":
			settle(st, rerender, () => controller.setTick(nextTick(live.view.tickMs, -1)), ignore);
			return;
		case "Z":
			settle(st, rerender, () => controller.pause(!live.view.paused), ignore);
			return;
		case "c":
			settle(
				st,
				rerender,
				() => controller.clear(),
				() => {
					st.message = { text: "History cleared." };
				},
			);
			return;
		case "d": {
			const id = targetEnabling(st, live.view);
			if (id === undefined) {
				st.message = { text: "No enabling selected: enable a probe first (Space).", error: true };
				return;
			}
			const e = live.view.enablings.find((x) => x.id === id);
			settle(
				st,
				rerender,
				() => controller.d(id),
				(d) => {
					st.modal = { kind: "dview", title: e?.label ?? `enabling ${id}`, d, top: 0 };
				},
			);
			return;
		}
		case "s":
		case "l": {
			const target = actionTarget(st, live.view);
			if (!target) {
				st.message = { text: "Select a probe or an enabling first.", error: true };
				return;
			}
			settle(
				st,
				rerender,
				() => (input === "s" ? controller.toggleStacks(target) : controller.latency(target)),
				(o) => showOutcome(st, o),
			);
			st.treeVersion++;
			return;
		}
	}

	if (st.focus === "tree") treeKey(st, live, input, key, rerender);
	else if (st.focus === "table") tableKey(st, live, input, key, rerender);
	else detailKey(st, live, input, key, rerender);
}

function submitPrompt(st: AppState, live: Live, mode: ":" | "/", value: string, rerender: () => void): void {
	const text = value.trim();
	st.history[mode] = remember(st.history[mode], text);
	st.modal = { kind: "none" };
	if (mode === "/") {
		setFilter(st, text === "" ? undefined : text);
		return;
	}
	if (text === "") return;
	settle(
		st,
		rerender,
		() => live.props.controller.enableClause(text),
		(error) => {
			if (error) {
				// Keep the clause open for correction, with the error above it.
				st.message = { text: error, error: true };
				st.modal = { kind: "prompt", mode: ":", state: newPrompt(value, st.history[":"]) };
			} else {
				st.message = { text: `Enabled: ${text}` };
				st.focus = "table";
			}
		},
	);
	st.treeVersion++;
}

function setFilter(st: AppState, filter: string | undefined): void {
	st.filter = filter;
	st.filterCollapsed.clear();
	st.treeSelected = 0;
	st.treeSelectedKey = undefined;
	st.treeTop = 0;
	st.treeVersion++;
}

function moveTree(st: AppState, to: number): void {
	st.treeSelected = clamp(to, 0, st.rows.length - 1);
	st.treeSelectedKey = st.rows[st.treeSelected]?.key;
}

function setExpanded(st: AppState, row: TreeRow, expanded: boolean): void {
	if (st.filter !== undefined) {
		if (expanded) st.filterCollapsed.delete(row.key);
		else st.filterCollapsed.add(row.key);
	} else if (expanded) st.expanded.add(row.key);
	else st.expanded.delete(row.key);
	st.treeVersion++;
}

function treeKey(st: AppState, live: Live, input: string, key: Key, rerender: () => void): void {
	const { controller } = live.props;
	const page = Math.max(1, live.layout.body - 2);
	const row = selectedRow(st);
	if (key.upArrow || input === "k") moveTree(st, st.treeSelected - 1);
	else if (key.downArrow || input === "j") moveTree(st, st.treeSelected + 1);
	else if (key.pageUp) moveTree(st, st.treeSelected - page);
	else if (key.pageDown) moveTree(st, st.treeSelected + page);
	else if (key.home || input === "g") moveTree(st, 0);
	else if (key.end || input === "G") moveTree(st, st.rows.length - 1);
	else if (key.return || key.rightArrow) {
		if (!row || isLeaf(row.entry)) return;
		if (!row.expanded) setExpanded(st, row, true);
		else {
			// Already open: step onto its first child.
			treeRows(st, controller);
			moveTree(st, st.treeSelected + 1);
		}
	} else if (key.leftArrow) {
		if (!row) return;
		if (row.expanded) setExpanded(st, row, false);
		else if (row.depth > 0) {
			const parent = pathKey(row.path.slice(0, -1));
			const i = st.rows.findIndex((r) => r.key === parent);
			if (i !== -1) moveTree(st, i);
		}
	} else if (input === " ") {
		if (!row) return;
		const path = row.path;
		settle(
			st,
			rerender,
			() => controller.toggle(path),
			(o) => {
				if (o && "needsConfirm" in o && o.needsConfirm !== undefined) {
					st.modal = { kind: "confirm", path, count: o.needsConfirm };
				} else showOutcome(st, o);
			},
		);
		st.treeVersion++;
	}
	// Rows may have changed (expand/collapse); recompute now so the next key of a burst sees them.
	treeRows(st, controller);
}

function tableKey(st: AppState, live: Live, input: string, key: Key, rerender: () => void): void {
	const { controller } = live.props;
	const sorted = sortEnablings(live.view.enablings, st.sort);
	if (sorted.length === 0) return;
	const index = Math.max(
		0,
		sorted.findIndex((e) => e.id === st.tableSelectedId),
	);
	const page = Math.max(1, live.layout.tableHeight - 3);
	const move = (to: number) => {
		st.tableSelectedId = sorted[clamp(to, 0, sorted.length - 1)].id;
		st.detailTop = 0;
	};
	const id = sorted[index].id;
	if (key.upArrow) move(index - 1);
	else if (key.downArrow || input === "j") move(index + 1);
	else if (key.pageUp) move(index - page);
	else if (key.pageDown) move(index + page);
	else if (key.home || input === "g") move(0);
	else if (key.end || input === "G") move(sorted.length - 1);
	else if (key.return || key.rightArrow) st.focus = "detail";
	else if (input === "k")
		settle(
			st,
			rerender,
			() => controller.cycleKey(id),
			(o) => showOutcome(st, o),
		);
	else if (input === " " || key.delete) {
		settle(
			st,
			rerender,
			() => controller.disable(id),
			(o) => showOutcome(st, o),
		);
		st.treeVersion++;
	}
}

function detailKey(st: AppState, live: Live, input: string, key: Key, rerender: () => void): void {
	const { controller } = live.props;
	const page = Math.max(1, live.layout.detailHeight - 2);
	// The render clamps detailTop to the content, so scrolling only needs a lower bound here.
	if (key.upArrow) st.detailTop = Math.max(0, st.detailTop - 1);
	else if (key.downArrow || input === "j") st.detailTop += 1;
	else if (key.pageUp) st.detailTop = Math.max(0, st.detailTop - page);
	else if (key.pageDown) st.detailTop += page;
	else if (key.home || input === "g") st.detailTop = 0;
	else if (key.end || input === "G") st.detailTop = Number.MAX_SAFE_INTEGER;
	else if (input === "k") {
		const id = targetEnabling(st, live.view);
		if (id !== undefined)
			settle(
				st,
				rerender,
				() => controller.cycleKey(id),
				(o) => showOutcome(st, o),
			);
	} else if (key.leftArrow) st.focus = "table";
}
