// The keys of what opens over the panes (the help and the D viewer, a prompt,
// the confirmation): part of the one key table in keys.ts.
import { type KeyRow, SECTIONS, VIEWERS } from "./key-types.ts";

export const VIEWER_KEY_ROWS: KeyRow[] = [
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
];

export const PROMPT_KEY_ROWS: KeyRow[] = [
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
