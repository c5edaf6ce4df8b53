// Every key of the interactive UI, once: which key does what where, with the
// text that explains it. The reducer looks keys up here; the help overlay, the
// footer and the README's key table (scripts/readme-keys.ts) are made from it.

import { FLAME_KEY_ROWS, FLAME_SECTION } from "./flame-keys.ts";
import type { KeyName } from "./input.ts";

/** Where a key is pressed: a pane, or what is open over the panes. */
export type KeyContext = "tree" | "table" | "detail" | "events" | "help" | "dview" | "flame" | "prompt" | "confirm";

const PANES = ["tree", "table", "detail"] as const satisfies KeyContext[];
/** The panes and the Events pane over them: keys that work in both. */
const ALL = [...PANES, "events"] as const satisfies KeyContext[];
const VIEWERS = ["help", "dview"] as const satisfies KeyContext[];

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

export const KEY_ROWS: KeyRow[] = [
	{
		id: "move",
		section: SECTIONS.move,
		label: "Up/Down  j/k",
		help: "move the selection; scroll the detail pane (k is Up only in the probe tree)",
		bind: [
			[["Up"], PANES, "up"],
			[["k"], ["tree"], "up"],
			[["Down", "j"], PANES, "down"],
		],
		footer: ["Up/Dn", "Scroll"],
	},
	{
		id: "page",
		section: SECTIONS.move,
		label: "PgUp/PgDn",
		help: "move a page",
		bind: [
			[["PgUp"], PANES, "pageUp"],
			[["PgDn"], PANES, "pageDown"],
		],
	},
	{
		id: "ends",
		section: SECTIONS.move,
		label: "Home/End  g/G",
		help: "first / last row",
		bind: [
			[["Home", "g"], PANES, "first"],
			[["End", "G"], PANES, "last"],
		],
	},
	{
		id: "expand",
		section: SECTIONS.move,
		label: "Enter  Right",
		help: "expand the selected node, or step into it when it is open (in the enabled table: go to the detail pane)",
		bind: [
			[["Enter", "Right"], ["tree"], "expand"],
			[["Enter", "Right"], ["table"], "toDetail"],
		],
		footer: ["Enter", "Expand"],
	},
	{
		id: "collapse",
		section: SECTIONS.move,
		label: "Left",
		help: "collapse, or go to the parent (in the detail pane: back to the enabled table)",
		bind: [
			[["Left"], ["tree"], "collapse"],
			[["Left"], ["detail"], "toTable"],
		],
	},
	{
		id: "pane",
		section: SECTIONS.move,
		label: "Tab  Shift-Tab",
		help: "next / previous pane: probes, enabled, detail",
		bind: [
			[["Tab"], PANES, "nextPane"],
			[["S-Tab"], PANES, "prevPane"],
		],
		footer: ["Tab", "Pane"],
	},
	{
		id: "toggle",
		section: SECTIONS.probes,
		label: "Space",
		help: "enable/disable the probe or the whole subtree: a program's row takes all its processes, also later ones; under a filter, what it shows (asks above 100 probes)",
		bind: [[[" "], ["tree"], "toggle"]],
		footer: ["Space", "Toggle"],
	},
	{
		id: "filter",
		section: SECTIONS.probes,
		label: "/",
		help: "filter the tree by a probe description with globs (syscall::read*:entry; pid*::malloc:entry searches every process's functions) or a word",
		bind: [[["/"], PANES, "filter"]],
		footer: ["/", "Filter"],
	},
	{
		id: "escape",
		section: SECTIONS.probes,
		label: "Esc",
		help: "clear the filter, a message, or close what is open",
		bind: [[["Esc"], PANES, "escape"]],
	},
	{
		id: "clause",
		section: SECTIONS.probes,
		label: ":",
		help: "enable a D program: one clause or several, BEGIN and END too, e.g. syscall::read:entry { @[execname] = count(); } (its END runs when it is disabled)",
		bind: [[[":"], ALL, "clause"]],
		footer: [":", "D clause"],
	},
	{
		id: "key",
		section: SECTIONS.enabling,
		label: "k",
		help: "cycle the keys the probe has: none, execname, pid, tid, probefunc, arguments, copyinstr() of strings, ustack, kstack (table and detail panes; in the tree k moves up)",
		bind: [[["k"], ["table", "detail"], "cycleKey"]],
		footer: ["k", "Key"],
	},
	{
		id: "stacks",
		section: SECTIONS.enabling,
		label: "s",
		help: "toggle user stacks (ustack())",
		bind: [[["s"], PANES, "stacks"]],
		footer: ["s", "Stacks"],
	},
	{
		id: "latency",
		section: SECTIONS.enabling,
		label: "l",
		help: "turn an entry probe into an entry/return latency histogram",
		bind: [[["l"], PANES, "latency"]],
		footer: ["l", "Latency"],
	},
	{
		id: "showD",
		section: SECTIONS.enabling,
		label: "d",
		help: "show the enabling as D",
		bind: [[["d"], PANES, "showD"]],
		footer: ["d", "Show D"],
	},
	{
		id: "flame",
		section: SECTIONS.enabling,
		label: "f",
		help: "live flame graph (icicle) of its ustack()/kstack() aggregation, every stack aggregation's when none is selected",
		bind: [[["f"], PANES, "flame"]],
		footer: ["f", "Flame"],
	},
	{
		id: "disable",
		section: SECTIONS.enabling,
		label: "Space  Delete  Backspace",
		help: "disable it (in the enabled table)",
		bind: [[[" ", "Delete", "Backspace"], ["table"], "disable"]],
		footer: ["Space", "Disable"],
	},
	{
		id: "sort",
		section: SECTIONS.display,
		label: "<  >",
		help: "sort the enabled table by the previous / next column",
		bind: [
			[["<"], PANES, "sortPrev"],
			[[">"], PANES, "sortNext"],
		],
		footer: ["<>", "Sort"],
	},
	{
		id: "reverse",
		section: SECTIONS.display,
		label: "r",
		help: "reverse the sort order",
		bind: [[["r"], PANES, "reverse"]],
		footer: ["r", "Reverse"],
	},
	{
		id: "tick",
		section: SECTIONS.display,
		label: "+  -",
		help: "longer / shorter tick (= and _ work too)",
		bind: [
			[["+", "="], ALL, "tickLonger"],
			[["-", "_"], ALL, "tickShorter"],
		],
		footer: ["+-", "Tick"],
	},
	{
		id: "rawNames",
		section: SECTIONS.display,
		label: "m",
		help: "raw (mangled) C++ and Rust names in stacks, probefunc and the flame graph, or demangled again",
		bind: [[["m"], [...PANES, "flame"], "rawNames"]],
		footer: ["m", "Mangled"],
	},
	{
		id: "byContainer",
		section: SECTIONS.display,
		label: "C",
		help: "group the probe tree by container (the `container` variable: docker/podman short id, systemd service, session), or not",
		bind: [[["C"], ["tree"], "byContainer"]],
		footer: ["C", "Containers"],
	},
	{
		id: "pause",
		section: SECTIONS.display,
		label: "Z",
		help: "pause / resume reading (the kernel keeps counting)",
		bind: [[["Z"], ALL, "pause"]],
		footer: ["Z", "Pause"],
	},
	{
		id: "clear",
		section: SECTIONS.display,
		label: "c",
		help: "clear the history (rates, totals, sparklines)",
		bind: [[["c"], ALL, "clearHistory"]],
		footer: ["c", "Clear"],
	},
	{
		id: "help",
		section: SECTIONS.display,
		label: "?  F1",
		help: "this help",
		bind: [[["?", "F1"], ALL, "help"]],
		footer: ["?", "Help"],
	},
	{
		id: "quit",
		section: SECTIONS.display,
		label: "q  Ctrl-C  F10",
		help: "quit (everything is removed from the kernel)",
		bind: [
			[["q", "C-c", "F10"], ALL, "quit"],
			[["C-c"], VIEWERS, "quit"],
		],
		footer: ["q", "Quit"],
	},
	{
		id: "events",
		section: SECTIONS.display,
		label: "e",
		help: "open / close the Events pane: what printf(), trace() and the default action print, for every enabling, live",
		bind: [
			[["e"], PANES, "events"],
			[["e"], ["events"], "close"],
		],
		footer: ["e", "Events"],
	},
	{
		id: "eventsScroll",
		section: SECTIONS.events,
		label: "Up/Down  j/k  PgUp/PgDn  Home/End  g/G",
		help: "scroll back through the last 10,000 lines; End (or G) follows the output again",
		bind: [
			[["Up", "k"], ["events"], "up"],
			[["Down", "j"], ["events"], "down"],
			[["PgUp"], ["events"], "pageUp"],
			[["PgDn"], ["events"], "pageDown"],
			[["Home", "g"], ["events"], "first"],
			[["End", "G"], ["events"], "last"],
		],
		footer: ["Up/Dn", "Scroll"],
	},
	{
		id: "eventsPause",
		section: SECTIONS.events,
		label: "p  Space",
		help: "pause / resume the pane: it keeps showing what it shows, new lines are still kept (the kernel's ring buffer is still read)",
		bind: [[["p", " "], ["events"], "eventsPause"]],
		footer: ["p", "Pause"],
	},
	{
		id: "eventsFilter",
		section: SECTIONS.events,
		label: "/",
		help: "show only the lines that contain a text (case-insensitive; empty shows all)",
		bind: [[["/"], ["events"], "eventsFilter"]],
		footer: ["/", "Filter"],
	},
	{
		id: "eventsClose",
		section: SECTIONS.events,
		label: "Esc",
		help: "clear the pane's filter, or close the pane (so does e)",
		bind: [[["Esc"], ["events"], "escape"]],
		footer: ["Esc", "Close"],
	},
	{
		id: "click",
		section: SECTIONS.mouse,
		label: "Click",
		help: "select a row and its pane; a click on the selected tree row, or on its expand mark, opens or closes it; on a column title, sort by it; on a footer key, press it; in the flame graph, a click selects a frame and a second click zooms into it",
		bind: [],
	},
	{
		id: "wheel",
		section: SECTIONS.mouse,
		label: "Wheel",
		help: "move through the pane under the pointer, three rows at a time (in the flame graph: to the caller / the widest callee)",
		bind: [],
	},
	{
		id: "viewerScroll",
		section: SECTIONS.viewer,
		label: "Up/Down  j/k  PgUp/PgDn  Space  Home/End",
		help: "scroll",
		bind: [
			[["Up", "k"], VIEWERS, "up"],
			[["Down", "j"], VIEWERS, "down"],
			[["PgUp"], VIEWERS, "pageUp"],
			[["PgDn", " "], VIEWERS, "pageDown"],
			[["Home"], VIEWERS, "first"],
			[["End"], VIEWERS, "last"],
		],
		footer: ["Up/Dn", "Scroll"],
	},
	{
		id: "viewerClose",
		section: SECTIONS.viewer,
		label: "Esc  Enter  q  ?  F1  d",
		help: "close (? and F1 close the help, d the D viewer)",
		bind: [
			[["Esc", "Enter", "q"], VIEWERS, "close"],
			[["?", "F1"], ["help"], "close"],
			[["d"], ["dview"], "close"],
		],
		footer: ["Esc", "Close"],
	},
	...FLAME_KEY_ROWS,
	{
		id: "submit",
		section: SECTIONS.prompt,
		label: "Enter",
		help: "submit (a newline typed or pasted submits too)",
		bind: [[["Enter"], ["prompt"], "submit"]],
		footer: ["Enter", "Submit"],
	},
	{
		id: "cancel",
		section: SECTIONS.prompt,
		label: "Esc  Ctrl-C",
		help: "cancel",
		bind: [[["Esc", "C-c"], ["prompt"], "cancel"]],
		footer: ["Esc", "Cancel"],
	},
	{
		id: "history",
		section: SECTIONS.prompt,
		label: "Up/Down",
		help: "earlier / later entries",
		bind: [
			[["Up"], ["prompt"], "historyPrev"],
			[["Down"], ["prompt"], "historyNext"],
		],
		footer: ["Up/Dn", "History"],
	},
	{
		id: "cursor",
		section: SECTIONS.prompt,
		label: "Left  Right  Ctrl-B  Ctrl-F",
		help: "move the cursor",
		bind: [
			[["Left", "C-b"], ["prompt"], "cursorLeft"],
			[["Right", "C-f"], ["prompt"], "cursorRight"],
		],
	},
	{
		id: "lineEnds",
		section: SECTIONS.prompt,
		label: "Home  End  Ctrl-A  Ctrl-E",
		help: "to the start / end",
		bind: [
			[["Home", "C-a"], ["prompt"], "cursorStart"],
			[["End", "C-e"], ["prompt"], "cursorEnd"],
		],
	},
	{
		id: "eraseLeft",
		section: SECTIONS.prompt,
		label: "Backspace  Ctrl-H",
		help: "erase the character before the cursor",
		bind: [[["Backspace", "C-h"], ["prompt"], "eraseLeft"]],
	},
	{
		id: "eraseRight",
		section: SECTIONS.prompt,
		label: "Delete",
		help: "erase the character under the cursor",
		bind: [[["Delete"], ["prompt"], "eraseRight"]],
	},
	{
		id: "eraseLine",
		section: SECTIONS.prompt,
		label: "Ctrl-U  Ctrl-K",
		help: "erase to the start / to the end",
		bind: [
			[["C-u"], ["prompt"], "eraseToStart"],
			[["C-k"], ["prompt"], "eraseToEnd"],
		],
		footer: ["^U", "Erase"],
	},
	{
		id: "eraseWord",
		section: SECTIONS.prompt,
		label: "Ctrl-W",
		help: "erase the word before the cursor",
		bind: [[["C-w"], ["prompt"], "eraseWord"]],
	},
	{
		id: "yes",
		section: SECTIONS.confirm,
		label: "y  Y",
		help: "yes, enable them",
		bind: [[["y", "Y"], ["confirm"], "yes"]],
		footer: ["y", "Yes"],
	},
	{
		id: "no",
		section: SECTIONS.confirm,
		label: "n  Esc",
		help: "no (so does any other key)",
		bind: [[["n", "Esc"], ["confirm"], "no"]],
		footer: ["n", "No"],
	},
];

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
