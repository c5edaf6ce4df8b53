// A one-line text input for `:` (a D clause) and `/` (a probe filter). The editing
// is a pure function of (state, edit): the reducer applies one edit per key (the
// keys come from keys.ts) or per paste, so a burst loses nothing.

import { useUi } from "./context.tsx";
import type { Command } from "./keys.ts";
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

/** Text to insert (typed or pasted), or one of the prompt's commands. */
export type PromptEdit = { insert: string } | Command;

export function newPrompt(value = "", history: readonly string[] = []): PromptState {
	return { value, cursor: value.length, history, historyIndex: history.length };
}

// Inserted text keeps only printable characters: tabs and other controls from a
// paste would otherwise end up inside a D clause.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;

function prevWord(value: string, cursor: number): number {
	let i = cursor;
	while (i > 0 && value[i - 1] === " ") i--;
	while (i > 0 && value[i - 1] !== " ") i--;
	return i;
}

export function editPrompt(state: PromptState, edit: PromptEdit): { state: PromptState; action: PromptAction } {
	const { value, cursor } = state;
	const set = (v: string, c: number): { state: PromptState; action: PromptAction } => ({
		state: { ...state, value: v, cursor: Math.max(0, Math.min(v.length, c)) },
		action: undefined,
	});
	if (typeof edit === "object") {
		const text = edit.insert.replace(CONTROL, "");
		if (text === "") return { state, action: undefined };
		return set(value.slice(0, cursor) + text + value.slice(cursor), cursor + text.length);
	}
	switch (edit) {
		case "submit":
			return { state, action: "submit" };
		case "cancel":
			return { state, action: "cancel" };
		case "cursorStart":
			return set(value, 0);
		case "cursorEnd":
			return set(value, value.length);
		case "cursorLeft":
			return set(value, cursor - 1);
		case "cursorRight":
			return set(value, cursor + 1);
		case "eraseToStart":
			return set(value.slice(cursor), 0);
		case "eraseToEnd":
			return set(value.slice(0, cursor), cursor);
		case "eraseWord": {
			const start = prevWord(value, cursor);
			return set(value.slice(0, start) + value.slice(cursor), start);
		}
		case "eraseLeft":
			if (cursor === 0) return { state, action: undefined };
			return set(value.slice(0, cursor - 1) + value.slice(cursor), cursor - 1);
		case "eraseRight":
			return set(value.slice(0, cursor) + value.slice(cursor + 1), cursor);
		case "historyPrev":
		case "historyNext": {
			const { history } = state;
			if (history.length === 0) return { state, action: undefined };
			const i = Math.max(0, Math.min(history.length, state.historyIndex + (edit === "historyPrev" ? -1 : 1)));
			const v = i === history.length ? "" : history[i];
			return { state: { ...state, value: v, cursor: v.length, historyIndex: i }, action: undefined };
		}
		default:
			return { state, action: undefined };
	}
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
