// What can take over part of the screen: the help (the key table of keys.ts), the D
// viewer, the status line (messages and errors, e.g. a D error from `:`) and the
// confirmation asked before enabling many probes.

import { escapeForTerminal } from "../util/escape.ts";
import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { KEY_ROWS } from "./keys.ts";
import { type Line, Lines, seg } from "./line.tsx";
import { titleLine } from "./pane.tsx";
import { formatInt, padEnd, width as textWidth, truncate } from "./text.ts";

/** Key labels longer than this stand on a line of their own, the description below. */
const KEY_COLUMN = 18;

/** The key table as lines (from keys.ts), section by section; descriptions wrap under their column. */
export function helpLines(cols: number): Line[] {
	const keyWidth = Math.min(KEY_COLUMN, Math.max(...KEY_ROWS.map((r) => textWidth(r.label)))) + 2;
	const descWidth = Math.max(10, cols - keyWidth - 2);
	const lines: Line[] = [];
	let section = "";
	for (const row of KEY_ROWS) {
		if (row.section !== section) {
			if (lines.length > 0) lines.push([]);
			section = row.section;
			lines.push([seg(truncate(section, cols), { bold: true, color: "cyan" })]);
		}
		const parts = wrap(row.help, descWidth);
		const own = textWidth(row.label) > keyWidth - 2;
		if (own) lines.push([seg(`  ${truncate(row.label, cols - 2)}`, { bold: true })]);
		parts.forEach((part, i) => {
			const keyText = i === 0 && !own ? row.label : "";
			lines.push([seg(`  ${padEnd(keyText, keyWidth)}`, { bold: keyText !== "" }), seg(part)]);
		});
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
