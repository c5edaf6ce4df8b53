import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flameTree } from "../../../source/output/flame-tree.ts";
import { ASCII, UNICODE } from "../../../source/ui/charset.ts";
import { UiContext } from "../../../source/ui/context.tsx";
import {
	FlameGraph,
	type FlameState,
	flameKey,
	flameLines,
	INITIAL_FLAME_STATE,
} from "../../../source/ui/flamegraph.tsx";
import { lineText } from "../../../source/ui/line.tsx";
import { renderAt } from "./helpers.tsx";

const rows = [
	{ frames: ["libc.so.6`read+0x12", "app`inner+0x4", "app`outer+0x10", "app`main+0x20"], count: 60 },
	{ frames: ["libc.so.6`write+0x8", "app`inner+0x9", "app`outer+0x10", "app`main+0x20"], count: 20 },
	{ frames: ["app`other+0x2", "app`main+0x30"], count: 20 },
];
const root = flameTree(rows);
const plain = { cs: ASCII, color: false };

describe("flameTree", () => {
	it("merges frames by function from the outermost in; values count firings through a frame", () => {
		assert.equal(root.value, 100);
		const main = root.children[0];
		assert.equal(main.name, "app`main");
		assert.deepEqual(
			main.children.map((c) => [c.name, c.value]),
			[
				["app`other", 20],
				["app`outer", 80],
			],
		);
		const inner = main.children[1].children[0];
		assert.deepEqual(
			inner.children.map((c) => [c.name, c.module, c.value, c.self]),
			[
				["libc.so.6`read", "libc.so.6", 60, 60],
				["libc.so.6`write", "libc.so.6", 20, 20],
			],
		);
	});
	it("frames without a symbol keep their address and module", () => {
		const t = flameTree([{ frames: ["libc.so.6+0x2724a", "0x7f00deadbeef"], count: 3 }]);
		assert.deepEqual(
			[t.children[0].name, t.children[0].module, t.children[0].children[0].name, t.children[0].children[0].module],
			["0x7f00deadbeef", "", "libc.so.6+0x2724a", "libc.so.6"],
		);
	});
});

describe("flameLines", () => {
	it("widths are proportional to counts; rows go down the stack", () => {
		const lines = flameLines(root, INITIAL_FLAME_STATE, 50, 10, plain).map(lineText);
		assert.deepEqual(lines, [
			"100 firings | all  100 (100.0%)",
			`>all${" ".repeat(46)}`,
			`|main${" ".repeat(45)}`,
			`|other${" ".repeat(4)}|outer${" ".repeat(34)}`,
			`${" ".repeat(10)}|inner${" ".repeat(34)}`,
			`${" ".repeat(10)}|read${" ".repeat(25)}|write${" ".repeat(4)}`,
		]);
		for (const l of lines.slice(1)) assert.equal(l.length, 50);
	});
	it("zoomed into a frame: it takes the full width, and the head says so", () => {
		const state: FlameState = { zoom: ["app`main", "app`outer"], selected: ["app`main", "app`outer"] };
		const lines = flameLines(root, state, 40, 10, plain).map(lineText);
		assert.equal(lines[0], "100 firings | app`outer  80 (80.0%)  [zoomed: app`outer]");
		assert.equal(lines[1], `>outer${" ".repeat(34)}`);
		assert.equal(lines[2], `|inner${" ".repeat(34)}`);
		assert.equal(lines[3], `|read${" ".repeat(25)}|write${" ".repeat(4)}`);
	});
	it("keeps to the pane's height and leaves out frames narrower than a column", () => {
		const lines = flameLines(root, INITIAL_FLAME_STATE, 50, 3, plain);
		assert.equal(lines.length, 3);
		const thin = flameTree([
			{ frames: ["a`big+0x1"], count: 1000 },
			{ frames: ["a`tiny+0x1"], count: 1 },
		]);
		assert.ok(!flameLines(thin, INITIAL_FLAME_STATE, 20, 5, plain).map(lineText).join("\n").includes("tiny"));
	});
	it("colours frames by module: same module, same colour; the selection bold, not inverse", () => {
		const lines = flameLines(root, { zoom: [], selected: ["app`main"] }, 50, 10, { cs: UNICODE, color: true });
		const segs = lines.slice(1).flat();
		const colourOf = (name: string) => segs.find((s) => s.text.includes(name))?.color;
		assert.equal(colourOf("inner"), colourOf("outer"));
		assert.notEqual(colourOf("read"), colourOf("inner"));
		assert.equal(colourOf("read"), colourOf("write"));
		const main = segs.find((s) => s.text.includes("main"));
		assert.deepEqual([main?.bold, main?.inverse, main?.text.startsWith("›")], [true, undefined, true]);
		assert.equal(segs.find((s) => s.text.includes("inner"))?.inverse, true);
	});
	it("escapes names; no stacks is said so", () => {
		const evil = flameTree([{ frames: ["x`\u001b]0;pwned\u0007+0x1"], count: 1 }]);
		const text = flameLines(evil, INITIAL_FLAME_STATE, 40, 5, plain).map(lineText).join("\n");
		assert.ok(!text.includes("\u001b") && !text.includes("\u0007"));
		assert.ok(text.includes("\\e]0;pwned\\x07"));
		assert.deepEqual(flameLines(flameTree([]), INITIAL_FLAME_STATE, 40, 5, plain).map(lineText), ["(no stacks yet)"]);
	});
});

describe("flameKey", () => {
	it("arrows move the selection; Enter zooms into it; Escape zooms back out", () => {
		let s = INITIAL_FLAME_STATE;
		s = flameKey(root, s, "down");
		assert.deepEqual(s.selected, ["app`main"]);
		s = flameKey(root, s, "down"); // the widest callee
		assert.deepEqual(s.selected, ["app`main", "app`outer"]);
		s = flameKey(root, s, "left");
		assert.deepEqual(s.selected, ["app`main", "app`other"]);
		s = flameKey(root, s, "left"); // nothing further left
		assert.deepEqual(s.selected, ["app`main", "app`other"]);
		s = flameKey(root, flameKey(root, s, "right"), "down");
		s = flameKey(root, flameKey(root, s, "down"), "right");
		assert.deepEqual(s.selected, ["app`main", "app`outer", "app`inner", "libc.so.6`write"]);
		s = flameKey(root, flameKey(root, s, "up"), "enter");
		assert.deepEqual(s, {
			zoom: ["app`main", "app`outer", "app`inner"],
			selected: ["app`main", "app`outer", "app`inner"],
		});
		assert.deepEqual(flameKey(root, s, "up").selected, s.zoom, "up stops at the zoomed frame");
		s = flameKey(root, s, "escape");
		assert.deepEqual(s, { zoom: ["app`main", "app`outer"], selected: ["app`main", "app`outer", "app`inner"] });
		s = flameKey(root, flameKey(root, s, "escape"), "escape");
		assert.deepEqual(s.zoom, []);
		assert.deepEqual(flameKey(root, s, "escape").zoom, [], "escape at the top stays there");
	});
	it("a state whose frames vanished (the next tick's stacks) falls back to what still exists", () => {
		const s: FlameState = { zoom: ["app`main", "gone"], selected: ["app`main", "gone", "deeper"] };
		const lines = flameLines(root, s, 40, 4, plain).map(lineText);
		assert.match(lines[0], /app`main {2}100 \(100\.0%\) {2}\[zoomed: app`main\]/);
	});
});

describe("<FlameGraph>", () => {
	it("renders into a pane: ASCII for LANG=C and no SGR sequence without colour", () => {
		const r = renderAt(
			<UiContext.Provider value={{ cs: ASCII, color: false }}>
				<FlameGraph rows={rows} width={50} height={6} state={{ zoom: [], selected: ["app`main", "app`outer"] }} />
			</UiContext.Provider>,
			60,
			10,
		);
		const frame = r.lastFrame();
		assert.equal(frame.split("\n").length, 6);
		assert.ok(!frame.includes("\u001b["), "no escape sequences");
		assert.ok(/^[\x20-\x7e\n]*$/.test(frame), "ASCII only");
		assert.match(frame.split("\n")[3], /^\|other {4}>outer/);
		r.unmount();
	});
	it("with colour and Unicode: blocks without rules, the selection marked with the cursor glyph", () => {
		// (Which SGR sequences reach the terminal is chalk's decision at import; the
		// styles themselves are checked on flameLines above.)
		const r = renderAt(
			<UiContext.Provider value={{ cs: UNICODE, color: true }}>
				<FlameGraph rows={rows} width={50} height={6} />
			</UiContext.Provider>,
			60,
			10,
		);
		const lines = r.lastFrame().split("\n");
		assert.match(lines[1], /^›all/);
		assert.match(lines[3], /^other {4} outer/);
		r.unmount();
	});
});
