import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UNICODE } from "../../../source/ui/charset.ts";
import { UiContext } from "../../../source/ui/context.tsx";
import { commandFor } from "../../../source/ui/keys.ts";
import { lineText } from "../../../source/ui/line.tsx";
import { editPrompt, newPrompt, Prompt, type PromptState, promptLine, remember } from "../../../source/ui/prompt.tsx";
import { renderAt } from "./helpers.tsx";

/** Text to insert, or a key (looked up in the key table as the reducer does). */
type Step = string | { key: string };

function run(state: PromptState, ...steps: Step[]): { state: PromptState; action: string | undefined } {
	let action: string | undefined;
	for (const step of steps) {
		let edit: Parameters<typeof editPrompt>[1];
		if (typeof step === "string") edit = { insert: step };
		else {
			const command = commandFor("prompt", step.key);
			assert.ok(command, `${step.key} does something in a prompt`);
			edit = command;
		}
		const r = editPrompt(state, edit);
		state = r.state;
		action = r.action;
	}
	return { state, action };
}

const k = (key: string) => ({ key });

describe("editPrompt", () => {
	it("inserts typed and pasted text at the cursor", () => {
		const { state } = run(newPrompt(), "s", "y", "s", k("Left"), k("Left"), "X");
		assert.equal(state.value, "sXys");
		assert.equal(state.cursor, 2);
		assert.equal(run(newPrompt("ab"), "cd\nef\x1b").state.value, "abcdef");
	});
	it("erases with Backspace (DEL) and Ctrl-H, not past the start; Delete erases under the cursor", () => {
		assert.equal(run(newPrompt("abc"), k("Backspace")).state.value, "ab");
		assert.equal(run(newPrompt("abc"), k("C-h")).state.value, "ab");
		const start = run(newPrompt("abc"), k("Home"), k("Backspace")).state;
		assert.equal(start.value, "abc");
		assert.equal(start.cursor, 0);
		assert.equal(run(newPrompt("abc"), k("Home"), k("Delete")).state.value, "bc");
		assert.equal(run(newPrompt("abc"), k("Delete")).state.value, "abc");
	});
	it("moves with Home/End, Ctrl-A/E, Ctrl-B/F and erases with Ctrl-U, Ctrl-K, Ctrl-W", () => {
		assert.equal(run(newPrompt("abc"), k("C-a"), "X").state.value, "Xabc");
		assert.equal(run(newPrompt("abc"), k("Home"), k("End"), "X").state.value, "abcX");
		assert.equal(run(newPrompt("abc"), k("C-b"), "X").state.value, "abXc");
		assert.equal(run(newPrompt("abc"), k("Home"), k("C-f"), k("C-k")).state.value, "a");
		assert.equal(run(newPrompt("abc"), k("Left"), k("C-u")).state.value, "c");
		assert.equal(run(newPrompt("abc"), k("C-e"), "X").state.value, "abcX");
		assert.equal(run(newPrompt("syscall::read:entry { @ = count"), k("C-w")).state.value, "syscall::read:entry { @ = ");
	});
	it("submits on Enter and cancels on Esc or Ctrl-C", () => {
		assert.equal(run(newPrompt("x"), k("Enter")).action, "submit");
		assert.equal(run(newPrompt("x"), k("Esc")).action, "cancel");
		assert.equal(run(newPrompt("x"), k("C-c")).action, "cancel");
	});
	it("walks the history with Up and Down", () => {
		const history = remember(remember(["a"], "b"), "a");
		assert.deepEqual(history, ["b", "a"]);
		const p = newPrompt("", history);
		assert.equal(run(p, k("Up")).state.value, "a");
		assert.equal(run(p, k("Up"), k("Up")).state.value, "b");
		assert.equal(run(p, k("Up"), k("Up"), k("Up")).state.value, "b");
		assert.equal(run(p, k("Up"), k("Down")).state.value, "");
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
