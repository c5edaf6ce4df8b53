// Every pane is drawn as a list of single-row lines of styled segments, already
// fitted to the pane's width. Components build lines with pure functions (easy to
// test, cheap to window), and <LineView> turns one into Ink text. With colour off
// no style reaches Ink, so not a single SGR sequence is written.

import { Text } from "ink";
import { memo } from "react";
import { useUi } from "./context.tsx";
import { truncate, width } from "./text.ts";

export interface Seg {
	text: string;
	color?: string;
	bold?: boolean;
	dim?: boolean;
	inverse?: boolean;
}

export type Line = Seg[];

export function seg(text: string, style: Omit<Seg, "text"> = {}): Seg {
	return { text, ...style };
}

export function lineText(line: Line): string {
	let s = "";
	for (const part of line) s += part.text;
	return s;
}

export function lineWidth(line: Line): number {
	let w = 0;
	for (const part of line) w += width(part.text);
	return w;
}

/** Cuts a line to `cols` columns (segments past the edge are dropped or shortened). */
export function fitLine(line: Line, cols: number): Line {
	const out: Line = [];
	let left = cols;
	for (const part of line) {
		if (left <= 0) break;
		const w = width(part.text);
		if (w <= left) {
			out.push(part);
			left -= w;
		} else {
			out.push({ ...part, text: truncate(part.text, left) });
			left = 0;
		}
	}
	return out;
}

/** Pads a line with spaces to exactly `cols` columns (for full-width highlights). */
export function padLine(line: Line, cols: number, style: Omit<Seg, "text"> = {}): Line {
	const fitted = fitLine(line, cols);
	const w = lineWidth(fitted);
	if (w < cols) fitted.push({ text: " ".repeat(cols - w), ...style });
	return fitted;
}

/** Applies a style to every segment (selection highlight). */
export function styleLine(line: Line, style: Omit<Seg, "text">): Line {
	return line.map((part) => ({ ...part, ...style }));
}

function sameLine(a: Line, b: Line): boolean {
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) {
		const x = a[i];
		const y = b[i];
		if (x.text !== y.text || x.color !== y.color || x.bold !== y.bold || x.dim !== y.dim || x.inverse !== y.inverse)
			return false;
	}
	return true;
}

const sameStyle = (a: Seg, b: Seg): boolean =>
	!!a.color === !!b.color &&
	a.color === b.color &&
	!!a.bold === !!b.bold &&
	!!a.dim === !!b.dim &&
	!!a.inverse === !!b.inverse;

/** Joins neighbouring segments of one style: fewer SGR sequences on the wire each tick. */
export function mergeSegments(line: Line): Line {
	const out: Line = [];
	for (const part of line) {
		if (part.text === "") continue;
		const last = out[out.length - 1];
		if (last && sameStyle(last, part)) out[out.length - 1] = { ...last, text: last.text + part.text };
		else out.push(part);
	}
	return out;
}

function LineViewImpl({ line, color }: { line: Line; color: boolean }) {
	if (!color) return <Text wrap="truncate-end">{lineText(line) || " "}</Text>;
	if (line.length === 0) return <Text> </Text>;
	return (
		<Text wrap="truncate-end">
			{mergeSegments(line).map((part, i) =>
				part.color || part.bold || part.dim || part.inverse ? (
					<Text
						// biome-ignore lint/suspicious/noArrayIndexKey: segments have no identity beyond position
						key={i}
						color={part.color}
						bold={part.bold}
						dimColor={part.dim}
						inverse={part.inverse}
					>
						{part.text}
					</Text>
				) : (
					part.text
				),
			)}
		</Text>
	);
}

const MemoLine = memo(LineViewImpl, (a, b) => a.color === b.color && sameLine(a.line, b.line));

const NON_ASCII = /[^\x20-\x7e]/;
const NON_ASCII_ALL = /[^\x20-\x7e]/gu;

/**
 * For a terminal without UTF-8: what is left that is not ASCII (a comm or a path
 * with accents, CJK symbol names) becomes '?' per column, so the layout holds and
 * no byte the terminal cannot show is written.
 */
export function asciiOnly(line: Line): Line {
	if (!line.some((part) => NON_ASCII.test(part.text))) return line;
	return line.map((part) => ({
		...part,
		text: part.text.replace(NON_ASCII_ALL, (ch) => "?".repeat(width(ch))),
	}));
}

export function LineView({ line }: { line: Line }) {
	const { color, cs } = useUi();
	return <MemoLine line={cs.unicode ? line : asciiOnly(line)} color={color} />;
}

/** A column of lines, exactly `height` rows tall (blank rows fill the rest), each cut to `width`. */
export function Lines({ lines, height, width: cols }: { lines: Line[]; height?: number; width?: number }) {
	let rows = height === undefined ? lines : lines.slice(0, height);
	if (cols !== undefined) rows = rows.map((line) => (lineWidth(line) > cols ? fitLine(line, cols) : line));
	const blanks = height === undefined ? 0 : Math.max(0, height - rows.length);
	return (
		<>
			{rows.map((line, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: a row's identity is its position on screen
				<LineView key={i} line={line} />
			))}
			{Array.from({ length: blanks }, (_, i) => (
				// biome-ignore lint/suspicious/noArrayIndexKey: blank filler rows
				<Text key={`blank${i}`}> </Text>
			))}
		</>
	);
}
