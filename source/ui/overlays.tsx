// What can take over part of the screen: the help (the full key table), the D
// viewer, the status line (messages and errors, e.g. a D error from `:`) and the
// confirmation asked before enabling many probes.

import { escapeForTerminal } from "../util/escape.ts";
import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { type Line, Lines, seg } from "./line.tsx";
import { titleLine } from "./pane.tsx";
import { formatInt, padEnd, width as textWidth, truncate } from "./text.ts";

export const HELP_SECTIONS: { title: string; keys: [string, string][] }[] = [
	{
		title: "Moving around",
		keys: [
			["Up/Down  j/k", "move the selection (k is Up only in the probe tree)"],
			["PgUp/PgDn", "move a page"],
			["Home/End", "first / last row"],
			["Enter  Right", "expand the selected node"],
			["Left", "collapse, or go to the parent"],
			["Tab  Shift-Tab", "next / previous pane: probes, enabled, detail"],
		],
	},
	{
		title: "Probes",
		keys: [
			["Space", "enable/disable the probe or the whole subtree (asks above 100 probes)"],
			["/", "filter the tree by a probe description with globs (syscall::read*:entry)"],
			["Esc", "clear the filter, a message, or close what is open"],
			[":", "enable a D clause, e.g. syscall::read:entry { @[execname] = count(); }"],
		],
	},
	{
		title: "The selected enabling (enabled table or detail pane; an enabled probe in the tree)",
		keys: [
			[
				"k",
				"cycle the aggregation key: none, execname, pid, tid, probefunc, arg0-arg2, copyinstr(argN), ustack, kstack (table and detail panes; in the tree k moves up)",
			],
			["s", "toggle user stacks (ustack())"],
			["l", "turn an entry probe into an entry/return latency histogram"],
			["d", "show the enabling as D"],
			["Space", "disable it (in the enabled table)"],
			["Up/Down", "scroll the detail pane"],
		],
	},
	{
		title: "Display",
		keys: [
			["<  >", "sort the enabled table by the previous / next column"],
			["r", "reverse the sort order"],
			["+  -", "longer / shorter tick"],
			["Z", "pause / resume"],
			["c", "clear the history (rates, totals, sparklines)"],
			["?", "this help"],
			["q  Ctrl-C", "quit (everything is removed from the kernel)"],
		],
	},
];

/** The key table as lines: wraps descriptions under their key column. */
export function helpLines(cols: number): Line[] {
	const keyWidth = Math.max(...HELP_SECTIONS.flatMap((s) => s.keys.map(([k]) => textWidth(k)))) + 2;
	const descWidth = Math.max(10, cols - keyWidth - 2);
	const lines: Line[] = [];
	for (const section of HELP_SECTIONS) {
		if (lines.length > 0) lines.push([]);
		lines.push([seg(truncate(section.title, cols), { bold: true, color: "cyan" })]);
		for (const [key, desc] of section.keys) {
			const parts = wrap(desc, descWidth);
			parts.forEach((part, i) => {
				lines.push([seg(`  ${padEnd(i === 0 ? key : "", keyWidth)}`, { bold: i === 0 }), seg(part)]);
			});
		}
	}
	return lines;
}

/** Word-wraps plain text to `cols` columns (long words are cut). */
export function wrap(text: string, cols: number): string[] {
	const out: string[] = [];
	for (const paragraph of text.split("\n")) {
		let line = "";
		for (const word of paragraph.split(" ")) {
			let w = word;
			while (textWidth(w) > cols) {
				if (line) {
					out.push(line);
					line = "";
				}
				const head = truncate(w, cols);
				out.push(head);
				w = w.slice(head.length);
			}
			if (line === "") line = w;
			else if (textWidth(line) + 1 + textWidth(w) <= cols) line += ` ${w}`;
			else {
				out.push(line);
				line = w;
			}
		}
		out.push(line);
	}
	return out;
}

export function scrolled(
	title: string,
	content: Line[],
	cols: number,
	height: number,
	top: number,
	cs: Charset,
): Line[] {
	const body = Math.max(0, height - 1);
	const t = Math.min(Math.max(0, top), Math.max(0, content.length - body));
	const more = content.length > t + body ? `${cs.more} ${content.length - t - body}` : "";
	return [titleLine(title, cols, true, cs, more), ...content.slice(t, t + body)];
}

export function HelpOverlay({ width, height, top = 0 }: { width: number; height: number; top?: number }) {
	const { cs } = useUi();
	return (
		<Lines lines={scrolled("Help: keys", helpLines(width), width, height, top, cs)} height={height} width={width} />
	);
}

/** D text as lines, long lines wrapped at the pane width (the text is escaped). */
export function dLines(d: string, cols: number): Line[] {
	const lines: Line[] = [];
	for (const raw of d.split("\n")) {
		const text = escapeForTerminal(raw.replace(/\t/g, "    "));
		for (const part of wrapHard(text, cols)) lines.push([seg(part)]);
	}
	return lines;
}

function wrapHard(s: string, cols: number): string[] {
	if (textWidth(s) <= cols) return [s];
	const out: string[] = [];
	let rest = s;
	while (textWidth(rest) > cols) {
		const head = truncate(rest, cols);
		out.push(head);
		rest = rest.slice(head.length);
	}
	out.push(rest);
	return out;
}

export function DViewer({
	title,
	d,
	width,
	height,
	top = 0,
}: {
	title: string;
	d: string;
	width: number;
	height: number;
	top?: number;
}) {
	const { cs } = useUi();
	return (
		<Lines
			lines={scrolled(`D: ${escapeForTerminal(title)}`, dLines(d, width), width, height, top, cs)}
			height={height}
			width={width}
		/>
	);
}

export interface Message {
	text: string;
	error?: boolean;
}

export function messageLine(message: Message, cols: number): Line {
	// Messages can carry text from D input or the kernel's verifier: one line, escaped.
	const text = escapeForTerminal(message.text.replace(/\s*\n\s*/g, " "));
	return [seg(truncate(text, cols), message.error ? { color: "red", bold: true } : { color: "yellow" })];
}

export function StatusLine({ message, width }: { message?: Message; width: number }) {
	return <Lines lines={[message ? messageLine(message, width) : []]} height={1} width={width} />;
}

export function confirmLine(count: number, what: string, cols: number): Line {
	const tail = "? [y/N]";
	const head = `Enable ${formatInt(count)} probes under `;
	const name = truncate(escapeForTerminal(what), Math.max(1, cols - head.length - tail.length));
	return [
		seg(head, { color: "yellow", bold: true }),
		seg(name, { bold: true }),
		seg(tail, { color: "yellow", bold: true }),
	];
}

export function Confirm({ count, what, width }: { count: number; what: string; width: number }) {
	return <Lines lines={[confirmLine(count, what, width)]} height={1} width={width} />;
}
