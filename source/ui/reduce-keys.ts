// What a key does: looked up in keys.ts for the context it is pressed in (a
// prompt, the confirmation, a viewer, or the focused pane), then applied to the
// state. Pastes go here too.

import { nextTick, type Target } from "./controller.ts";
import { SORT_COLUMNS, sortEnablings } from "./enabled-table.tsx";
import { flameCommand, openFlame } from "./flame-pane.tsx";
import type { KeyName } from "./input.ts";
import { type Command, commandFor } from "./keys.ts";
import {
	layoutOf,
	moveTable,
	moveTree,
	quit,
	scrollDetail,
	scrollViewer,
	selectedRow,
	setExpanded,
	setFilter,
	showError,
	tableIndex,
	withEffect,
	withFilter,
} from "./navigate.ts";
import { editPrompt, newPrompt, type PromptEdit, remember } from "./prompt.tsx";
import { eventsCommand, openEvents, setEventsFilter } from "./reduce-events.ts";
import { PANES, type PromptMode, type State } from "./state.ts";
import { isLeaf, pathKey } from "./tree.ts";

/** Printable text (one character), as opposed to a named key (Up, C-a, F1). */
function isText(k: KeyName): boolean {
	return [...k].length === 1;
}

export function key(s: State, k: KeyName): State {
	const modal = s.modal;
	switch (modal.kind) {
		case "prompt": {
			const command = commandFor("prompt", k);
			if (!command && !isText(k)) return s;
			return promptEdit(s, command ?? { insert: k });
		}
		case "confirm":
			if (commandFor("confirm", k) === "yes") {
				return withEffect(
					{ ...s, modal: { kind: "none" } },
					{ kind: "toggle", path: modal.path, confirmed: true, ...withFilter(modal.filter) },
				);
			}
			return { ...s, modal: { kind: "none" }, message: { text: "Nothing enabled." } };
		case "flame":
			return flameCommand(s, modal, commandFor("flame", k));
		case "help":
		case "dview": {
			const command = commandFor(modal.kind, k);
			if (command === "close") return { ...s, modal: { kind: "none" } };
			if (command === "quit") return quit(s);
			return scrollViewer(s, command);
		}
		case "none": {
			// Any key clears the message line; Esc clears the filter only when there was no message.
			const hadMessage = s.message !== undefined;
			const cleared = { ...s, message: undefined };
			if (s.eventsPane.open) {
				const command = commandFor("events", k);
				if (!command) return cleared;
				return eventsCommand(cleared, command, hadMessage) ?? paneCommand(cleared, command, hadMessage);
			}
			const command = commandFor(s.focus, k);
			return command ? paneCommand(cleared, command, hadMessage) : cleared;
		}
	}
}

function promptEdit(s: State, edit: PromptEdit): State {
	if (s.modal.kind !== "prompt") return s;
	const { state, action } = editPrompt(s.modal.state, edit);
	if (action === "cancel") return { ...s, modal: { kind: "none" } };
	if (action === "submit") return submit(s, s.modal.mode, state.value);
	return { ...s, modal: { ...s.modal, state } };
}

/**
 * A bracketed paste: into a prompt, its lines joined by spaces (a D clause may
 * span lines); a newline at its end submits, as if Enter followed. Outside a
 * prompt it is not taken as keys.
 */
export function paste(s: State, text: string): State {
	if (s.modal.kind !== "prompt") {
		return { ...s, message: { text: "Pasted text goes into a prompt: press : or / first, then paste." } };
	}
	const submits = /[\r\n]$/.test(text);
	const inserted = promptEdit(s, { insert: text.replace(/\r\n|\r|\n/g, " ").replace(/ +$/, "") });
	return submits ? promptEdit(inserted, "submit") : inserted;
}

function submit(s: State, mode: PromptMode, value: string): State {
	const text = value.trim();
	const next: State = {
		...s,
		history: { ...s.history, [mode]: remember(s.history[mode], text) },
		modal: { kind: "none" },
	};
	if (mode === "/") return setFilter(next, text === "" ? undefined : text);
	if (mode === "f") return setEventsFilter(next, text);
	if (text === "") return next;
	return withEffect(next, { kind: "enableClause", text, value });
}

/** The enabling that `s`, `l`, `d` and `k` act on, by pane. */
function targetEnabling(s: State): number | undefined {
	if (s.focus === "tree") return selectedRow(s)?.entry.enablingId;
	return s.tableSelectedId;
}

function actionTarget(s: State): Target | undefined {
	const id = targetEnabling(s);
	if (id !== undefined) return { enablingId: id };
	if (s.focus === "tree") {
		const row = selectedRow(s);
		if (row && isLeaf(row.entry)) return { path: row.path };
	}
	return undefined;
}

function paneCommand(s: State, command: Command, hadMessage: boolean): State {
	switch (command) {
		case "quit":
			return quit(s);
		case "nextPane":
		case "prevPane": {
			const i = PANES.indexOf(s.focus);
			const step = command === "nextPane" ? 1 : PANES.length - 1;
			return { ...s, focus: PANES[(i + step) % PANES.length] };
		}
		case "escape":
			return !hadMessage && s.tree.filter !== undefined ? setFilter(s, undefined) : s;
		case "help":
			return { ...s, modal: { kind: "help", top: 0 } };
		case "events":
			return openEvents(s, true);
		case "filter":
			return { ...s, modal: { kind: "prompt", mode: "/", state: newPrompt(s.tree.filter ?? "", s.history["/"]) } };
		case "clause":
			return { ...s, modal: { kind: "prompt", mode: ":", state: newPrompt("", s.history[":"]) } };
		case "sortPrev":
		case "sortNext": {
			const i = SORT_COLUMNS.indexOf(s.sort.column);
			const n = SORT_COLUMNS.length;
			return { ...s, sort: { ...s.sort, column: SORT_COLUMNS[(i + (command === "sortNext" ? 1 : n - 1)) % n] } };
		}
		case "reverse":
			return { ...s, sort: { ...s.sort, reverse: !s.sort.reverse } };
		case "tickLonger":
		case "tickShorter":
			return withEffect(s, { kind: "setTick", ms: nextTick(s.view.tickMs, command === "tickLonger" ? 1 : -1) });
		case "pause":
			return withEffect(s, { kind: "pause", paused: !s.view.paused });
		case "clearHistory":
			return withEffect(s, { kind: "clear" });
		case "flame":
			return openFlame(s, targetEnabling(s));
		case "rawNames":
			return withEffect(s, { kind: "rawNames", raw: !s.rawNames });
		case "byContainer":
			return withEffect(s, { kind: "byContainer", on: !s.byContainer });
		case "showD": {
			const id = targetEnabling(s);
			if (id === undefined) return showError(s, "No enabling selected: enable a probe first (Space).");
			const title = s.view.enablings.find((x) => x.id === id)?.label ?? `enabling ${id}`;
			return withEffect(s, { kind: "showD", id, title });
		}
		case "stacks":
		case "latency": {
			const target = actionTarget(s);
			if (!target) return showError(s, "Select a probe or an enabling first.");
			return withEffect(s, { kind: command, target });
		}
		default:
			if (s.focus === "tree") return treeCommand(s, command);
			if (s.focus === "table") return tableCommand(s, command);
			return detailCommand(s, command);
	}
}

/** Where up/down/page/first/last take a selection at `index` among `count` rows (undefined: not a move). */
function moveTo(command: Command, index: number, page: number, count: number): number | undefined {
	const moves: Partial<Record<Command, number>> = {
		up: index - 1,
		down: index + 1,
		pageUp: index - page,
		pageDown: index + page,
		first: 0,
		last: count - 1,
	};
	return moves[command];
}

function treeCommand(s: State, command: Command): State {
	const { selected, rows } = s.tree;
	const to = moveTo(command, selected, Math.max(1, layoutOf(s).body - 2), rows.length);
	if (to !== undefined) return moveTree(s, to);
	const row = selectedRow(s);
	switch (command) {
		case "expand":
			if (!row || isLeaf(row.entry)) return s;
			// Already open: step onto its first child.
			return row.expanded ? moveTree(s, selected + 1) : setExpanded(s, row, true);
		case "collapse": {
			if (!row) return s;
			if (row.expanded) return setExpanded(s, row, false);
			if (row.depth === 0) return s;
			const parent = pathKey(row.path.slice(0, -1));
			const i = rows.findIndex((r) => r.key === parent);
			return i === -1 ? s : moveTree(s, i);
		}
		case "toggle":
			return row
				? withEffect(s, { kind: "toggle", path: row.path, confirmed: false, ...withFilter(s.tree.filter) })
				: s;
		default:
			return s;
	}
}

function tableCommand(s: State, command: Command): State {
	const sorted = sortEnablings(s.view.enablings, s.sort);
	if (sorted.length === 0) return s;
	const index = tableIndex(s);
	const to = moveTo(command, index, Math.max(1, layoutOf(s).tableHeight - 3), sorted.length);
	if (to !== undefined) return moveTable(s, to);
	const id = sorted[index].id;
	switch (command) {
		case "toDetail":
			return { ...s, focus: "detail" };
		case "cycleKey":
			return withEffect(s, { kind: "cycleKey", id });
		case "disable":
			return withEffect(s, { kind: "disable", id });
		default:
			return s;
	}
}

function detailCommand(s: State, command: Command): State {
	if (command === "toTable") return { ...s, focus: "table" };
	if (command === "cycleKey") {
		const id = targetEnabling(s);
		return id === undefined ? s : withEffect(s, { kind: "cycleKey", id });
	}
	return scrollDetail(s, command);
}
