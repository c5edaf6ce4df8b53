import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Key } from "ink";
import { UNICODE } from "../../../source/ui/charset.ts";
import { UiContext } from "../../../source/ui/context.tsx";
import { lineText } from "../../../source/ui/line.tsx";
import { editPrompt, newPrompt, Prompt, type PromptState, promptLine, remember } from "../../../source/ui/prompt.tsx";
import { renderAt } from "./helpers.tsx";

const NO_KEY: Key = {
	upArrow: false,
	downArrow: false,
	leftArrow: false,
	rightArrow: false,
	pageDown: false,
	pageUp: false,
	home: false,
	end: false,
	return: false,
	escape: false,
	ctrl: false,
	shift: false,
	tab: false,
	backspace: false,
	delete: false,
	meta: false,
	super: false,
	hyper: false,
	capsLock: false,
	numLock: false,
};

type Step = string | Partial<Key> | [string, Partial<Key>];

function run(state: PromptState, ...steps: Step[]): { state: PromptState; action: string | undefined } {
	let action: string | undefined;
	for (const step of steps) {
		const [input, key] = typeof step === "string" ? [step, {}] : Array.isArray(step) ? step : ["", step];
		const r = editPrompt(state, input, { ...NO_KEY, ...key });
		state = r.state;
		action = r.action;
	}
	return { state, action };
}

describe("editPrompt", () => {
	it("inserts typed and pasted text at the cursor", () => {
		const { state } = run(newPrompt(), "s", "y", "s", { leftArrow: true }, { leftArrow: true }, "X");
		assert.equal(state.value, "sXys");
		assert.equal(state.cursor, 2);
		assert.equal(run(newPrompt("ab"), "cd\nef\x1b").state.value, "abcdef");
	});
	it("erases with Backspace (DEL, reported as delete) and Ctrl-H, not past the start", () => {
		assert.equal(run(newPrompt("abc"), { delete: true }).state.value, "ab");
		assert.equal(run(newPrompt("abc"), { backspace: true }).state.value, "ab");
		assert.equal(run(newPrompt("abc"), ["h", { ctrl: true }]).state.value, "ab");
		const start = run(newPrompt("abc"), { home: true }, { delete: true }).state;
		assert.equal(start.value, "abc");
		assert.equal(start.cursor, 0);
	});
	it("moves with Home/End, Ctrl-A/E, Ctrl-B/F and erases with Ctrl-U, Ctrl-K, Ctrl-W", () => {
		assert.equal(run(newPrompt("abc"), ["a", { ctrl: true }], "X").state.value, "Xabc");
		assert.equal(run(newPrompt("abc"), { home: true }, { end: true }, "X").state.value, "abcX");
		assert.equal(run(newPrompt("abc"), ["b", { ctrl: true }], "X").state.value, "abXc");
		assert.equal(run(newPrompt("abc"), { home: true }, ["f", { ctrl: true }], ["k", { ctrl: true }]).state.value, "a");
		assert.equal(run(newPrompt("abc"), { leftArrow: true }, ["u", { ctrl: true }]).state.value, "c");
		assert.equal(
			run(newPrompt("syscall::read:entry { @ = count"), ["w", { ctrl: true }]).state.value,
			"syscall::read:entry { @ = ",
		);
	});
	it("submits on Enter and cancels on Esc or Ctrl-C", () => {
		assert.equal(run(newPrompt("x"), { return: true }).action, "submit");
		assert.equal(run(newPrompt("x"), { escape: true }).action, "cancel");
		assert.equal(run(newPrompt("x"), ["c", { ctrl: true }]).action, "cancel");
	});
	it("walks the history with Up and Down", () => {
		const history = remember(remember(["a"], "b"), "a");
		assert.deepEqual(history, ["b", "a"]);
		const p = newPrompt("", history);
		assert.equal(run(p, { upArrow: true }).state.value, "a");
		assert.equal(run(p, { upArrow: true }, { upArrow: true }).state.value, "b");
		assert.equal(run(p, { upArrow: true }, { upArrow: true }, { upArrow: true }).state.value, "b");
		assert.equal(run(p, { upArrow: true }, { downArrow: true }).state.value, "");
	});
});

describe("promptLine", () => {
	it("shows the cursor as an inverse cell with colour, a caret cell without", () => {
		const colour = promptLine(": ", newPrompt("abc"), 40, true);
		assert.deepEqual(
			colour.map((s) => [s.text, !!s.inverse]),
			[
				[": ", false],
				["abc", false],
				[" ", true],
				["", false],
			],
		);
		assert.equal(lineText(promptLine(": ", newPrompt("abc"), 40, false)), ": abc_");
	});
	it("scrolls long text to keep the cursor visible", () => {
		const long = newPrompt("x".repeat(50) + "END");
		const text = lineText(promptLine(": ", long, 20, false));
		assert.ok(text.length <= 20);
		assert.match(text, /END_$/);
	});
	it("renders as a component", () => {
		const r = renderAt(
			<UiContext.Provider value={{ cs: UNICODE, color: false }}>
				<Prompt prefix="/ " state={newPrompt("syscall::read")} width={40} />
			</UiContext.Provider>,
		);
		assert.equal(r.lastFrame(), "/ syscall::read_");
		r.unmount();
	});
});
