import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ASCII, UNICODE } from "../../../source/ui/charset.ts";
import { UiContext } from "../../../source/ui/context.tsx";
import { lineText } from "../../../source/ui/line.tsx";
import { confirmLine, dLines, HelpOverlay, helpLines, messageLine, wrap } from "../../../source/ui/overlays.tsx";
import { renderAt } from "./helpers.tsx";

describe("help", () => {
	const text = helpLines(80).map(lineText).join("\n");
	it("lists every key of the UI", () => {
		for (const key of [
			"Up/Down  j/k",
			"PgUp/PgDn",
			"Home/End",
			"Enter  Right",
			"Left",
			"Tab",
			"Space",
			"/",
			"Esc",
			":",
			"k",
			"s",
			"l",
			"d",
			"<  >",
			"r",
			"+  -",
			"Z",
			"c",
			"?",
			"q  Ctrl-C",
		]) {
			assert.ok(text.includes(`  ${key} `), `help lacks ${key}`);
		}
	});
	it("explains that k moves up in the tree and cycles the key elsewhere", () => {
		const text = helpLines(300).map(lineText).join("\n");
		assert.match(text, /k is Up only in the probe tree/);
		assert.match(text, /in the tree k moves up/);
		assert.match(
			text,
			/the keys the probe has: none, execname, pid, tid, probefunc, arguments, copyinstr\(\) of strings, ustack, kstack/,
		);
	});
	it("wraps to the width", () => {
		for (const l of helpLines(50)) assert.ok(lineText(l).length <= 50, lineText(l));
	});
	it("renders as a scrollable overlay", () => {
		const r = renderAt(
			<UiContext.Provider value={{ cs: UNICODE, color: false }}>
				<HelpOverlay width={80} height={10} top={0} />
			</UiContext.Provider>,
		);
		const frame = r.lastFrame().split("\n");
		assert.equal(frame.length, 10);
		assert.match(frame[0], /Help: keys.*↓ \d+ ─$/);
		assert.equal(frame[1], "Moving around");
		r.unmount();
	});
});

describe("wrap", () => {
	it("wraps at word boundaries and cuts words longer than a line", () => {
		assert.deepEqual(wrap("aa bb cc", 5), ["aa bb", "cc"]);
		assert.deepEqual(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
	});
});

describe("message, confirmation and D lines", () => {
	it("shows a D error on one escaped line", () => {
		const l = messageLine({ text: "line 1, column 5:\n  unknown\x1b[31m", error: true }, 80);
		assert.equal(lineText(l), "line 1, column 5: unknown\\e[31m");
		assert.equal(l[0].color, "red");
	});
	it("asks before enabling many probes", () => {
		assert.equal(lineText(confirmLine(1234, "syscall", 80)), "Enable 1,234 probes under syscall? [y/N]");
	});
	it("shows D with tabs expanded, long lines wrapped and escapes made visible", () => {
		const lines = dLines('syscall::read:entry\n{\n\t@["a\x07"] = count();\n}', 12).map(lineText);
		assert.deepEqual(lines, ["syscall::rea", "d:entry", "{", '    @["a\\x07', '"] = count()', ";", "}"]);
		for (const l of dLines("x".repeat(30), 10)) assert.match(lineText(l), /^[\x20-\x7e]*$/);
		assert.equal(ASCII.more, "v");
	});
});
