// The Events pane's keys: open and close it, scroll back through its lines
// (0 lines back follows the output), pause it (frozen on what it shows, the
// controller keeps reading), filter it. Pure functions of the state.

import { shownLines } from "./events-model.ts";
import type { Command } from "./keys.ts";
import { clamp, layoutOf } from "./navigate.ts";
import { newPrompt } from "./prompt.tsx";
import type { State } from "./state.ts";

/** Lines of output the pane has room for (its body, less the title). */
export function eventsRows(s: State): number {
	return Math.max(1, layoutOf(s).body - 1);
}

export function maxBack(s: State): number {
	return Math.max(0, shownLines(s.events, s.eventsPane).length - eventsRows(s));
}

export function openEvents(s: State, open: boolean): State {
	if (open === s.eventsPane.open) return s;
	return { ...s, eventsPane: { ...s.eventsPane, open, back: 0, paused: undefined } };
}

export function scrollEvents(s: State, command: Command, by = 1): State {
	const p = s.eventsPane;
	const page = Math.max(1, eventsRows(s) - 1);
	const moves: Partial<Record<Command, number>> = {
		up: p.back + by,
		down: p.back - by,
		pageUp: p.back + page,
		pageDown: p.back - page,
		first: Number.MAX_SAFE_INTEGER,
		last: 0,
	};
	const to = moves[command];
	if (to === undefined) return s;
	return { ...s, eventsPane: { ...p, back: clamp(to, 0, maxBack(s)) } };
}

/** A command pressed in the Events pane (undefined: not the pane's own; the panes' meaning applies). */
export function eventsCommand(s: State, command: Command, hadMessage: boolean): State | undefined {
	const p = s.eventsPane;
	switch (command) {
		case "close":
			return openEvents(s, false);
		case "escape":
			if (hadMessage) return s;
			return p.filter !== undefined ? { ...s, eventsPane: { ...p, filter: undefined, back: 0 } } : openEvents(s, false);
		case "eventsPause":
			return {
				...s,
				eventsPane: { ...p, paused: p.paused ? undefined : s.events, back: 0 },
				message: { text: p.paused ? "Events resumed." : "Events paused (p resumes; new lines are still kept)." },
			};
		case "eventsFilter":
			return { ...s, modal: { kind: "prompt", mode: "f", state: newPrompt(p.filter ?? "", s.history.f) } };
		default:
			return moveCommand(command) ? scrollEvents(s, command) : undefined;
	}
}

function moveCommand(c: Command): boolean {
	return c === "up" || c === "down" || c === "pageUp" || c === "pageDown" || c === "first" || c === "last";
}

/** New lines arrived: a pane scrolled back stays on the same lines (until they leave the ring). */
export function eventsArrived(s: State, events: State["events"]): State {
	const p = s.eventsPane;
	if (!p.open || p.back === 0 || p.paused) return { ...s, events };
	const before = shownLines(s.events, p).length;
	const next = { ...s, events };
	const added = shownLines(events, p).length - before;
	const back = clamp(p.back + Math.max(0, added), 0, maxBack(next));
	return { ...next, eventsPane: { ...p, back } };
}

/** `/` in the Events pane submitted. */
export function setEventsFilter(s: State, text: string): State {
	return { ...s, eventsPane: { ...s.eventsPane, filter: text === "" ? undefined : text, back: 0 } };
}
