// Every key of the interactive UI, once: which key does what where, with the
// text that explains it. The reducer looks keys up here; the help overlay, the
// footer and the README's key table (scripts/readme-keys.ts) are made from it.

import { FLAME_KEY_ROWS } from "./flame-keys.ts";
import type { KeyName } from "./input.ts";
import type { Command, KeyContext, KeyRow } from "./key-types.ts";
import { PROMPT_KEY_ROWS, VIEWER_KEY_ROWS } from "./overlay-keys.ts";
import { PANE_KEY_ROWS } from "./pane-keys.ts";

export { type Command, type KeyContext, type KeyRow, SECTIONS } from "./key-types.ts";

/** Every row, in the order the help and the README show them. */
export const KEY_ROWS: KeyRow[] = [...PANE_KEY_ROWS, ...VIEWER_KEY_ROWS, ...FLAME_KEY_ROWS, ...PROMPT_KEY_ROWS];

/** Which rows the footer shows in each context, most important first (as many as fit are shown). */
export const FOOTERS: Record<KeyContext, string[]> = {
	tree: ["help", "quit", "toggle", "expand", "pane", "filter", "clause", "events", "stacks", "flame", "showD", "pause"],
	table: [
		"help",
		"quit",
		"disable",
		"key",
		"events",
		"stacks",
		"flame",
		"latency",
		"sort",
		"showD",
		"pane",
		"rawNames",
	],
	detail: ["help", "quit", "move", "key", "events", "stacks", "flame", "latency", "showD", "pane", "rawNames", "clear"],
	flame: ["flameZoom", "flameBack", "flameMove", "flameClose", "rawNames"],
	events: ["help", "quit", "eventsClose", "eventsScroll", "eventsPause", "eventsFilter", "clause", "pause", "tick"],
	help: ["viewerClose", "viewerScroll"],
	dview: ["viewerClose", "viewerScroll"],
	prompt: ["submit", "cancel", "history", "eraseLine"],
	confirm: ["yes", "no"],
};

const lookup = new Map<string, Command>();
for (const row of KEY_ROWS) {
	for (const [keys, where, command] of row.bind) {
		for (const k of keys) for (const c of where) if (!lookup.has(`${c}\0${k}`)) lookup.set(`${c}\0${k}`, command);
	}
}

/** What `key` does in `context`, if anything. */
export function commandFor(context: KeyContext, key: KeyName): Command | undefined {
	return lookup.get(`${context}\0${key}`);
}

/** The first key that gives `command` in `context` (a click on the footer presses it). */
export function keyFor(context: KeyContext, row: KeyRow): KeyName | undefined {
	for (const [keys, where] of row.bind) if (where.includes(context)) return keys[0];
	return undefined;
}

export function rowById(id: string): KeyRow {
	const row = KEY_ROWS.find((r) => r.id === id);
	if (!row) throw new Error(`no key row '${id}'`);
	return row;
}

/** How a key is written for people: Space, Ctrl-C, Shift-Tab. */
export function keyLabel(key: KeyName): string {
	if (key === " ") return "Space";
	if (key === "S-Tab") return "Shift-Tab";
	if (/^C-.$/.test(key)) return `Ctrl-${key[2].toUpperCase()}`;
	return key;
}
