// The keys of the flame graph (source/ui/flame-pane.tsx), part of the one key
// table in keys.ts that the help, the footer, the README and dtop.1 are made from.
import type { KeyRow } from "./key-types.ts";

export const FLAME_SECTION = "In the flame graph";

export const FLAME_KEY_ROWS: KeyRow[] = [
	{
		id: "flameMove",
		section: FLAME_SECTION,
		label: "Arrows  h/j/k/l",
		help: "select a frame: Up its caller, Down its widest callee, Left/Right its neighbours on the row",
		bind: [
			[["Up", "k"], ["flame"], "up"],
			[["Down", "j"], ["flame"], "down"],
			[["Left", "h"], ["flame"], "cursorLeft"],
			[["Right", "l"], ["flame"], "cursorRight"],
		],
		footer: ["Arrows", "Select"],
	},
	{
		id: "flameZoom",
		section: FLAME_SECTION,
		label: "Enter",
		help: "zoom into the selected frame (it fills the width)",
		bind: [[["Enter"], ["flame"], "zoomIn"]],
		footer: ["Enter", "Zoom"],
	},
	{
		id: "flameBack",
		section: FLAME_SECTION,
		label: "Esc  Backspace",
		help: "zoom back out one frame; at the whole graph, close it",
		bind: [[["Esc", "Backspace"], ["flame"], "zoomOut"]],
		footer: ["Esc", "Back"],
	},
	{
		id: "flameClose",
		section: FLAME_SECTION,
		label: "f  q",
		help: "close the flame graph (Ctrl-C quits)",
		bind: [
			[["f", "q"], ["flame"], "close"],
			[["C-c"], ["flame"], "quit"],
		],
		footer: ["f", "Close"],
	},
];
