// The footer: the main keys, htop style (key highlighted, then what it does), as
// many as fit.

import { type Line, Lines, seg } from "./line.tsx";
import { width as textWidth } from "./text.ts";

export type FooterContext = "tree" | "table" | "detail" | "help" | "prompt" | "confirm" | "dview";

const MAIN: Record<string, [string, string][]> = {
	tree: [
		["?", "Help"],
		["q", "Quit"],
		["Space", "Toggle"],
		["Enter", "Expand"],
		["Tab", "Pane"],
		["/", "Filter"],
		[":", "D clause"],
		["s", "Stacks"],
		["l", "Latency"],
		["d", "Show D"],
		["Z", "Pause"],
		["+-", "Tick"],
	],
	table: [
		["?", "Help"],
		["q", "Quit"],
		["Space", "Disable"],
		["k", "Key"],
		["s", "Stacks"],
		["l", "Latency"],
		["<>", "Sort"],
		["r", "Reverse"],
		["d", "Show D"],
		["Tab", "Pane"],
		["Z", "Pause"],
		["c", "Clear"],
	],
	detail: [
		["?", "Help"],
		["q", "Quit"],
		["Up/Dn", "Scroll"],
		["k", "Key"],
		["s", "Stacks"],
		["l", "Latency"],
		["d", "Show D"],
		["Tab", "Pane"],
		["Z", "Pause"],
		["c", "Clear"],
	],
	help: [
		["Esc", "Close"],
		["Up/Dn", "Scroll"],
	],
	dview: [
		["Esc", "Close"],
		["Up/Dn", "Scroll"],
	],
	prompt: [
		["Enter", "Submit"],
		["Esc", "Cancel"],
		["Up/Dn", "History"],
		["^U", "Erase"],
	],
	confirm: [
		["y", "Yes"],
		["n", "No"],
	],
};

export function footerLine(context: FooterContext, cols: number): Line {
	const line: Line = [];
	let used = 0;
	for (const [key, label] of MAIN[context]) {
		const w = textWidth(key) + textWidth(label) + 2;
		if (used + w > cols) break;
		line.push(seg(key, { bold: true, inverse: true }), seg(` ${label} `));
		used += w;
	}
	return line;
}

export function Footer({ context, width }: { context: FooterContext; width: number }) {
	return <Lines lines={[footerLine(context, width)]} height={1} width={width} />;
}
