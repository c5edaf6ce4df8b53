// A one-line text input for `:` (a D clause) and `/` (a probe filter). The editing
// is a pure function of (state, key) so the App can keep the state in its store and
// handle keys that arrive in one burst (a paste, a fast typist) without losing any.

import type { Key } from "ink";
import { useUi } from "./context.tsx";
import { type Line, Lines, seg } from "./line.tsx";
import { width as textWidth } from "./text.ts";

export interface PromptState {
	value: string;
	/** Cursor position in code units of `value` (0 … value.length). */
	cursor: number;
	/** Earlier submissions, oldest first, and where Up/Down currently is in them. */
	history: readonly string[];
	historyIndex: number;
}

export type PromptAction = "submit" | "cancel" | undefined;

export function newPrompt(value = "", history: readonly string[] = []): PromptState {
	return { value, cursor: value.length, history, historyIndex: history.length };
}

// Typed or pasted text keeps only printable characters: newlines and other
// controls from a paste would otherwise end up inside a D clause.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

function prevWord(value: string, cursor: number): number {
	let i = cursor;
	while (i > 0 && value[i - 1] === " ") i--;
	while (i > 0 && value[i - 1] !== " ") i--;
	return i;
}

export function editPrompt(state: PromptState, input: string, key: Key): { state: PromptState; action: PromptAction } {
	const { value, cursor } = state;
	const set = (v: string, c: number): { state: PromptState; action: PromptAction } => ({
		state: { ...state, value: v, cursor: Math.max(0, Math.min(v.length, c)) },
		action: undefined,
	});
	if (key.return) return { state, action: "submit" };
	if (key.escape) return { state, action: "cancel" };
	if (key.ctrl) {
		switch (input) {
			case "c":
				return { state, action: "cancel" };
			case "a":
				return set(value, 0);
			case "e":
				return set(value, value.length);
			case "u":
				return set(value.slice(cursor), 0);
			case "k":
				return set(value.slice(0, cursor), cursor);
			case "w": {
				const start = prevWord(value, cursor);
				return set(value.slice(0, start) + value.slice(cursor), start);
			}
			case "b":
				return set(value, cursor - 1);
			case "f":
				return set(value, cursor + 1);
			case "h":
				return set(value.slice(0, Math.max(0, cursor - 1)) + value.slice(cursor), cursor - 1);
			default:
				return { state, action: undefined };
		}
	}
	// Most terminals send DEL (0x7f) for Backspace, which Ink reports as `delete`;
	// both erase to the left, as in a shell.
	if (key.backspace || key.delete) {
		if (cursor === 0) return { state, action: undefined };
		return set(value.slice(0, cursor - 1) + value.slice(cursor), cursor - 1);
	}
	if (key.leftArrow) return set(value, cursor - 1);
	if (key.rightArrow) return set(value, cursor + 1);
	if (key.home) return set(value, 0);
	if (key.end) return set(value, value.length);
	if (key.upArrow || key.downArrow) {
		const { history } = state;
		if (history.length === 0) return { state, action: undefined };
		const i = Math.max(0, Math.min(history.length, state.historyIndex + (key.upArrow ? -1 : 1)));
		const v = i === history.length ? "" : history[i];
		return { state: { ...state, value: v, cursor: v.length, historyIndex: i }, action: undefined };
	}
	if (key.tab || key.pageUp || key.pageDown || key.meta) return { state, action: undefined };
	const text = input.replace(CONTROL, "");
	if (text === "") return { state, action: undefined };
	return set(value.slice(0, cursor) + text + value.slice(cursor), cursor + text.length);
}

/** Appends a submitted value to a history, without repeats, at most 100 entries. */
export function remember(history: readonly string[], value: string): string[] {
	if (value.trim() === "") return [...history];
	return [...history.filter((h) => h !== value), value].slice(-100);
}

/**
 * The prompt as one line: `prefix` then the text, scrolled so the cursor stays
 * visible. With colour the cursor is an inverse cell; without, a `_` caret cell.
 */
export function promptLine(prefix: string, state: PromptState, cols: number, color: boolean): Line {
	const room = Math.max(1, cols - textWidth(prefix) - 1);
	const { value, cursor } = state;
	let start = 0;
	if (cursor > room - 1) start = cursor - (room - 1);
	const visible = value.slice(start, start + room);
	const at = cursor - start;
	const before = visible.slice(0, at);
	const under = visible.slice(at, at + 1);
	const after = visible.slice(at + 1);
	const line: Line = [seg(prefix, { bold: true, color: "cyan" }), seg(before)];
	if (color) line.push(seg(under || " ", { inverse: true }), seg(after));
	else line.push(seg(under === "" ? "_" : under), seg(after));
	return line;
}

export function Prompt({ prefix, state, width }: { prefix: string; state: PromptState; width: number }) {
	const { color } = useUi();
	return <Lines lines={[promptLine(prefix, state, width, color)]} height={1} width={width} />;
}
