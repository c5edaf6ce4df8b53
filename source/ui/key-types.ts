// The vocabulary of the key table (keys.ts): where a key is pressed, what it
// asks for, and the shape of one row of the help.

import { FLAME_SECTION } from "./flame-keys.ts";
import type { KeyName } from "./input.ts";

/** Where a key is pressed: a pane, or what is open over the panes. */
export type KeyContext = "tree" | "table" | "detail" | "events" | "help" | "dview" | "flame" | "prompt" | "confirm";

export const PANES = ["tree", "table", "detail"] as const satisfies KeyContext[];
/** The panes and the Events pane over them: keys that work in both. */
export const ALL = [...PANES, "events"] as const satisfies KeyContext[];
export const VIEWERS = ["help", "dview"] as const satisfies KeyContext[];

/** What a key asks for; the reducer gives each its meaning in its context. */
export type Command =
	// panes and viewers
	| "up"
	| "down"
	| "pageUp"
	| "pageDown"
	| "first"
	| "last"
	| "expand"
	| "collapse"
	| "toDetail"
	| "toTable"
	| "nextPane"
	| "prevPane"
	| "toggle"
	| "disable"
	| "filter"
	| "escape"
	| "clause"
	| "cycleKey"
	| "stacks"
	| "latency"
	| "showD"
	| "flame"
	| "rawNames"
	| "byContainer"
	| "zoomIn"
	| "zoomOut"
	| "sortPrev"
	| "sortNext"
	| "reverse"
	| "tickLonger"
	| "tickShorter"
	| "pause"
	| "clearHistory"
	| "help"
	| "quit"
	| "close"
	// the Events pane
	| "events"
	| "eventsPause"
	| "eventsFilter"
	// prompts
	| "submit"
	| "cancel"
	| "historyPrev"
	| "historyNext"
	| "cursorLeft"
	| "cursorRight"
	| "cursorStart"
	| "cursorEnd"
	| "eraseLeft"
	| "eraseRight"
	| "eraseToStart"
	| "eraseToEnd"
	| "eraseWord"
	// the confirmation
	| "yes"
	| "no";

type Bind = [keys: KeyName[], where: readonly KeyContext[], command: Command];

export interface KeyRow {
	id: string;
	section: string;
	/** The keys as the help shows them (every bound key appears here or in `help`). */
	label: string;
	help: string;
	bind: Bind[];
	/** In the footer: the key as shown there and what it does. */
	footer?: [key: string, text: string];
}

export const SECTIONS = {
	move: "Moving around",
	probes: "Probes",
	enabling: "The selected enabling (enabled table or detail pane; an enabled probe in the tree)",
	display: "Display",
	mouse: "Mouse (off with --no-mouse)",
	events: "In the Events pane (e)",
	viewer: "In the help and the D viewer",
	flame: FLAME_SECTION,
	prompt: "In a prompt (: and /)",
	confirm: "When asked to confirm",
};
