import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { AggRow, EnablingView } from "../../../source/session/view.ts";
import { App } from "../../../source/ui/app.tsx";
import { ASCII, UNICODE } from "../../../source/ui/charset.ts";
import type { TreeSource } from "../../../source/ui/tree.ts";
import {
	agg,
	enabling,
	FakeController,
	FakeTree,
	frameLines,
	KEY,
	type Rendered,
	renderAt,
	SAMPLE_TREE,
	sessionView,
	tick,
	visibleWidth,
} from "./helpers.tsx";

const row = (key: string, value: number, extra: Partial<AggRow> = {}): AggRow => ({
	key: [{ kind: "string", value: key }],
	value,
	rate: value / 10,
	last10s: value,
	last60s: value,
	total: value,
	history: [],
	...extra,
});

function sampleEnablings(): EnablingView[] {
	return [
		enabling(1, {
			label: "syscall::read:entry",
			rate: 120,
			total: 5000,
			history: Array.from({ length: 60 }, (_, i) => i % 9),
			aggregations: [agg({ keys: ["execname"], rows: [row("bash", 4000), row("sshd", 1000)] })],
		}),
		enabling(2, {
			label: "syscall::write:entry",
			rate: 30,
			total: 900,
			history: [1, 2, 3],
			aggregations: [
				agg({
					fn: "quantize",
					rows: [
						{
							...row("", 6),
							key: [],
							histogram: [
								{ lo: 8n, count: 2 },
								{ lo: 16n, count: 4 },
							],
						},
					],
				}),
			],
		}),
		enabling(3, {
			label: "simple*:::saw-line",
			rate: 5,
			total: 40,
			aggregations: [
				agg({
					keys: ["ustack()"],
					rows: [
						{
							...row("", 40),
							key: [{ kind: "stack", user: true, frames: ["simple`log_line+0x22", "simple`main+0x40"] }],
						},
					],
				}),
			],
		}),
	];
}

let current: Rendered | undefined;
afterEach(() => {
	current?.unmount();
	current = undefined;
});

function setup(
	opts: { cols?: number; rows?: number; enablings?: EnablingView[]; ascii?: boolean; color?: boolean } = {},
) {
	const tree = new FakeTree(SAMPLE_TREE);
	const controller = new FakeController(
		tree,
		sessionView({ enablings: opts.enablings ?? sampleEnablings(), rate: 155 }),
	);
	let quits = 0;
	const cols = opts.cols ?? 100;
	const rows = opts.rows ?? 30;
	const r = renderAt(
		<App
			controller={controller}
			columns={cols}
			rows={rows}
			ui={{ cs: opts.ascii ? ASCII : UNICODE, color: opts.color ?? false }}
			onQuit={() => quits++}
		/>,
		cols,
		rows,
	);
	current = r;
	return { tree, controller, r, quits: () => quits };
}

/** The tree pane: the left part of every body line. */
function treePane(frame: string): string {
	return frameLines(frame)
		.map((l) => l.split("│")[0])
		.join("\n");
}

/** The tree pane's selected row (the one with the cursor mark), trimmed. */
function selectedTreeRow(frame: string): string {
	const line = frameLines(frame).find((l) => l.startsWith("›"));
	return (line ?? "").split("│")[0].trim();
}

describe("App: the probe tree", () => {
	it("moves with arrows, j/k, PgUp/PgDn, Home/End", async () => {
		const { r } = setup();
		assert.match(selectedTreeRow(r.lastFrame()), /syscall/);
		await r.press(KEY.down);
		assert.match(selectedTreeRow(r.lastFrame()), /sdt/);
		await r.press("j");
		assert.match(selectedTreeRow(r.lastFrame()), /profile/);
		await r.press("k");
		assert.match(selectedTreeRow(r.lastFrame()), /sdt/);
		await r.press(KEY.up);
		assert.match(selectedTreeRow(r.lastFrame()), /syscall/);
		await r.press(KEY.end);
		assert.match(selectedTreeRow(r.lastFrame()), /profile/);
		await r.press(KEY.home);
		assert.match(selectedTreeRow(r.lastFrame()), /syscall/);
		await r.press(KEY.pageDown);
		assert.match(selectedTreeRow(r.lastFrame()), /profile/);
		await r.press(KEY.pageUp);
		assert.match(selectedTreeRow(r.lastFrame()), /syscall/);
	});

	it("expands with Enter and →, collapses with ←, and ← on a child goes to its parent", async () => {
		const { r } = setup();
		await r.press(KEY.enter);
		assert.match(r.lastFrame(), /▾ {3}syscall \(1\)/);
		assert.match(r.lastFrame(), /▸ {3}vmlinux \(3\)/);
		await r.press(KEY.right);
		assert.match(selectedTreeRow(r.lastFrame()), /vmlinux/);
		await r.press(KEY.right, KEY.right);
		assert.match(selectedTreeRow(r.lastFrame()), /read \(2\)/);
		await r.press(KEY.right, KEY.right);
		assert.match(selectedTreeRow(r.lastFrame()), /entry/);
		await r.press(KEY.left);
		assert.match(selectedTreeRow(r.lastFrame()), /read/);
		await r.press(KEY.left);
		assert.doesNotMatch(treePane(r.lastFrame()), /entry/);
		await r.press(KEY.left);
		assert.match(selectedTreeRow(r.lastFrame()), /vmlinux/);
	});

	it("handles a burst of keys in one read as one key after the other", async () => {
		const { r } = setup();
		await r.press("\r\x1b[C\x1b[Bjj");
		// syscall open, step onto vmlinux, down to sdt, down to profile, down: stays.
		assert.match(selectedTreeRow(r.lastFrame()), /profile/);
	});

	it("toggles a probe with Space", async () => {
		const { r, controller } = setup();
		await r.press(KEY.right, KEY.right, KEY.right, KEY.right, KEY.right, KEY.right, " ");
		assert.deepEqual(controller.calls, [["toggle", "syscall:vmlinux:read:entry", false]]);
	});

	it("asks before enabling a subtree of more than 100 probes", async () => {
		const { r, controller } = setup();
		controller.toggleAnswer = (_path, confirmed) => (confirmed ? undefined : { needsConfirm: 1234 });
		await r.press(" ");
		assert.match(r.lastFrame(), /Enable 1,234 probes under syscall\? \[y\/N\]/);
		await r.press("y");
		assert.deepEqual(controller.calls, [
			["toggle", "syscall", false],
			["toggle", "syscall", true],
		]);
		controller.calls = [];
		await r.press(" ", "n");
		assert.deepEqual(controller.calls, [["toggle", "syscall", false]]);
		assert.match(r.lastFrame(), /Nothing enabled\./);
	});

	it("filters with / and clears the filter with Esc", async () => {
		const { r, tree } = setup();
		await r.press("/", "r", "e", "a", "d", KEY.enter);
		const frame = treePane(r.lastFrame());
		assert.match(frame, /Probes \/read/);
		assert.match(frame, /read \(2\)/);
		assert.match(frame, /entry/);
		assert.doesNotMatch(frame, /sdt|profile|write/);
		assert.ok(tree.calls.some((c) => c.filter === "read"));
		await r.press(KEY.escape);
		await tick();
		assert.doesNotMatch(r.lastFrame(), /Probes \/read/);
		assert.match(treePane(r.lastFrame()), /sdt/);
	});

	it("shows a bad filter's error instead of the tree", async () => {
		const { r } = setup();
		await r.press("/", "[", KEY.enter);
		assert.match(r.lastFrame(), /Bad filter: unterminated \[ in \[\./);
	});

	it("k moves up in the tree and never cycles a key there", async () => {
		const { r, controller } = setup();
		await r.press("j", "k");
		assert.match(selectedTreeRow(r.lastFrame()), /syscall/);
		assert.deepEqual(controller.calls, []);
	});

	it("s and l act on a tree probe's enabling, or on the probe itself", async () => {
		const { r, controller, tree } = setup();
		tree.enabled.set("syscall:vmlinux:read:entry", { rate: 5, enablingId: 1 });
		await r.press(KEY.right, KEY.right, KEY.right, KEY.right, KEY.right, KEY.right);
		await r.press("s", "l", KEY.down, "s", "l");
		assert.deepEqual(controller.calls, [
			["toggleStacks", 1],
			["latency", 1],
			["toggleStacks", "syscall:vmlinux:read:return"],
			["latency", "syscall:vmlinux:read:return"],
		]);
	});
});

describe("App: enabled table and detail pane", () => {
	it("Tab moves between panes; k cycles the selected enabling's key there", async () => {
		const { r, controller } = setup();
		await r.press(KEY.tab);
		assert.match(r.lastFrame(), /\[ Enabled \]/);
		await r.press("k");
		assert.deepEqual(controller.calls, [["cycleKey", 1]]);
		await r.press("j", "k");
		assert.deepEqual(controller.calls.at(-1), ["cycleKey", 2]);
		await r.press(KEY.tab);
		assert.match(r.lastFrame(), /\[ Detail: syscall::write:entry \]/);
		await r.press("k");
		assert.deepEqual(controller.calls.at(-1), ["cycleKey", 2]);
		await r.press(KEY.tab);
		assert.match(r.lastFrame(), /\[ Probes \]/);
		await r.press(KEY.shiftTab);
		assert.match(r.lastFrame(), /\[ Detail/);
	});

	it("Space disables, s toggles stacks, l asks for latency, d shows D", async () => {
		const { r, controller } = setup();
		await r.press(KEY.tab, KEY.down, " ", "s", "l", "d");
		assert.deepEqual(controller.calls, [
			["disable", 2],
			["toggleStacks", 2],
			["latency", 2],
			["d", 2],
		]);
		assert.match(r.lastFrame(), /D: syscall::write:entry/);
		assert.match(r.lastFrame(), /syscall::write:entry \{ @\[execname\] = count\(\); \}/);
		await r.press(KEY.escape);
		await tick();
		assert.doesNotMatch(r.lastFrame(), /D: syscall/);
	});

	it("shows the selected enabling's breakdown, histogram or stacks", async () => {
		const { r } = setup({ cols: 120, rows: 40 });
		assert.match(r.lastFrame(), /@\[execname\] = count\(\)/);
		assert.match(r.lastFrame(), /bash +█+ +4000/);
		await r.press(KEY.tab, KEY.down);
		assert.match(r.lastFrame(), /value +-+ Distribution -+ count/);
		assert.match(r.lastFrame(), /16 \|@+ +4/);
		await r.press(KEY.down);
		assert.match(r.lastFrame(), /40 +\(100\.0%\)/);
		assert.match(r.lastFrame(), /simple`log_line\+0x22/);
	});

	it("< and > choose the sort column, r reverses", async () => {
		const { r } = setup({ cols: 160 });
		const order = () =>
			frameLines(r.lastFrame())
				.map((l) => l.match(/(syscall::read:entry|syscall::write:entry|simple\*:::saw-line) +\d/)?.[1])
				.filter(Boolean);
		assert.deepEqual(order(), ["syscall::read:entry", "syscall::write:entry", "simple*:::saw-line"]);
		assert.match(r.lastFrame(), /RATE\/s▼/);
		await r.press("r");
		assert.match(r.lastFrame(), /RATE\/s▲/);
		assert.deepEqual(order(), ["simple*:::saw-line", "syscall::write:entry", "syscall::read:entry"]);
		await r.press("<");
		assert.match(r.lastFrame(), /PROBE▲/);
		assert.deepEqual(order(), ["syscall::write:entry", "syscall::read:entry", "simple*:::saw-line"]);
		await r.press(">", ">");
		assert.match(r.lastFrame(), /TOTAL▲/);
	});

	it("scrolls the detail pane when it has the focus", async () => {
		const many = [
			enabling(1, {
				aggregations: [agg({ keys: ["pid"], rows: Array.from({ length: 100 }, (_, i) => row(`p${i}`, 1000 - i)) })],
			}),
		];
		const { r } = setup({ enablings: many, rows: 24, cols: 80 });
		assert.match(r.lastFrame(), /p0 /);
		await r.press(KEY.tab, KEY.tab, KEY.down, KEY.down);
		assert.doesNotMatch(r.lastFrame(), /│p0 /);
		assert.match(r.lastFrame(), /│p1 /);
		await r.press(KEY.end);
		assert.match(r.lastFrame(), /│p99 /);
		await r.press(KEY.home);
		assert.match(r.lastFrame(), /@\[pid\] = count\(\)/);
	});
});

describe("App: global keys", () => {
	it("+ and - step the tick, Z pauses and resumes, c clears", async () => {
		const { r, controller } = setup();
		await r.press("+", "-", "Z", "c");
		assert.deepEqual(controller.calls, [["setTick", 2000], ["setTick", 500], ["pause", true], ["clear"]]);
		controller.update({ paused: true, tickMs: 2000 });
		await new Promise((resolve) => setTimeout(resolve, 120));
		assert.match(r.lastFrame(), /PAUSED/);
		assert.match(r.lastFrame(), /tick 2s/);
		await r.press("Z");
		assert.deepEqual(controller.calls.at(-1), ["pause", false]);
	});

	it(": enables a D clause; an error is shown and the clause kept for correction", async () => {
		const { r, controller } = setup();
		controller.clauseError = "line 1, column 21: expected '{'";
		await r.press(":", "syscall::read:entry @");
		await r.press(KEY.enter);
		assert.deepEqual(controller.calls, [["enableClause", "syscall::read:entry @"]]);
		let frame = r.lastFrame();
		assert.match(frame, /line 1, column 21: expected '\{'/);
		assert.match(frame, /^: syscall::read:entry @_$/m);
		controller.clauseError = undefined;
		await r.press(KEY.backspace, "{ @ = count(); }", KEY.enter);
		assert.deepEqual(controller.calls.at(-1), ["enableClause", "syscall::read:entry { @ = count(); }"]);
		frame = r.lastFrame();
		assert.match(frame, /Enabled: syscall::read:entry/);
		assert.match(frame, /\[ Enabled \]/);
	});

	it("Esc cancels the prompt without calling anything", async () => {
		const { r, controller } = setup();
		await r.press(":", "abc", KEY.escape);
		await tick();
		assert.deepEqual(controller.calls, []);
		assert.doesNotMatch(r.lastFrame(), /: abc/);
	});

	it("? opens the help and Esc closes it", async () => {
		const { r } = setup();
		await r.press("?");
		assert.match(r.lastFrame(), /Help: keys/);
		assert.match(r.lastFrame(), /Moving around/);
		await r.press(KEY.escape);
		await tick();
		assert.doesNotMatch(r.lastFrame(), /Moving around/);
	});

	it("q and Ctrl-C quit", async () => {
		const a = setup();
		await a.r.press("q");
		assert.deepEqual(a.controller.calls, [["quit"]]);
		assert.equal(a.quits(), 1);
		a.r.unmount();
		const b = setup();
		await b.r.press(KEY.ctrlC);
		assert.deepEqual(b.controller.calls, [["quit"]]);
		assert.equal(b.quits(), 1);
	});

	it("shows a thrown or rejected controller error on the message line", async () => {
		const { r, controller } = setup();
		controller.clear = () => {
			throw new Error("Cannot clear: the session is gone.");
		};
		await r.press("c");
		assert.match(r.lastFrame(), /Cannot clear: the session is gone\./);
		controller.toggleStacks = () => Promise.reject(new Error("Stacks need a user-space probe."));
		await r.press(KEY.tab, "s");
		await tick();
		assert.match(r.lastFrame(), /Stacks need a user-space probe\./);
	});
});

describe("App: layout and terminal", () => {
	const check = (frame: string, cols: number, rows: number) => {
		const lines = frameLines(frame);
		assert.ok(lines.length <= rows - 1, `${lines.length} lines for ${rows} rows`);
		for (const l of lines) assert.ok(visibleWidth(l) <= cols, `line wider than ${cols}: ${JSON.stringify(l)}`);
		return lines;
	};

	it("fits 80×24: at most 23 lines, none wider than 80, in every view", async () => {
		const { r } = setup({ cols: 80, rows: 24 });
		const lines = check(r.lastFrame(), 80, 24);
		assert.equal(lines.length, 23);
		assert.match(lines[0], /^dtop +testhost/);
		assert.match(lines[22], /Help/);
		await r.press(KEY.right, KEY.right, KEY.right, KEY.right, KEY.right);
		check(r.lastFrame(), 80, 24);
		for (const keys of [
			[KEY.tab, KEY.down],
			[KEY.down],
			["?"],
			[KEY.escape, "d"],
			[KEY.escape, ":", "x".repeat(200)],
		]) {
			await r.press(...keys);
			await tick();
			check(r.lastFrame(), 80, 24);
		}
	});

	it("uses the room of 300×100", () => {
		const { r } = setup({ cols: 300, rows: 100 });
		const lines = check(r.lastFrame(), 300, 100);
		assert.equal(lines.length, 99);
		assert.ok(lines.some((l) => visibleWidth(l) > 200));
		assert.match(r.lastFrame(), /LAST 60 TICKS/);
		assert.match(lines[0], /6\.18\.0-test/);
	});

	it("re-lays out at once when the terminal is resized", async () => {
		const { tree, controller } = setup();
		current?.unmount();
		const r = renderAt(<App controller={controller} ui={{ cs: UNICODE, color: false }} />, 120, 40);
		current = r;
		assert.equal(frameLines(r.lastFrame()).length, 39);
		r.stdout.columns = 80;
		r.stdout.rows = 24;
		r.stdout.emit("resize");
		await tick();
		check(r.lastFrame(), 80, 24);
		assert.equal(frameLines(r.lastFrame()).length, 23);
		assert.ok(tree.calls.length > 0);
	});

	it("writes nothing but printable ASCII in ASCII mode, even for data that is not", async () => {
		const enablings = sampleEnablings();
		enablings[0].aggregations[0].rows.push(row("café日本", 3000));
		const { r, tree } = setup({ ascii: true, cols: 120, rows: 40, enablings });
		assert.match(r.lastFrame(), /caf\?\?\?\?\? /);
		tree.enabled.set("syscall:vmlinux:read:entry", { rate: 5, enablingId: 1 });
		const frames: string[] = [];
		await r.press(KEY.right, KEY.right, KEY.right, KEY.right);
		frames.push(r.lastFrame());
		for (const keys of [[KEY.tab], [KEY.down], [KEY.down], [KEY.tab], ["?"], [KEY.escape, "d"], [KEY.escape, ":"]]) {
			await r.press(...keys);
			await tick();
			frames.push(r.lastFrame());
		}
		for (const f of frames) assert.match(f, /^[\x20-\x7e\n]*$/, f);
	});

	it("escapes a traced process name containing an escape sequence", () => {
		const evil = [
			enabling(1, {
				label: "syscall::read:entry",
				aggregations: [agg({ keys: ["execname"], rows: [row("evil\x1b[31mred\x07", 10)] })],
			}),
		];
		const { r } = setup({ enablings: evil, cols: 120, rows: 30 });
		const frame = r.lastFrame();
		assert.match(frame, /evil\\e\[31mred\\x07/);
		assert.doesNotMatch(frame, /[\x00-\x09\x0b-\x1f\x7f]/);
	});

	it("builds only the visible window of 1,000 tree rows and 50 enablings, quickly", async () => {
		const big = new FakeTree({
			big: Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`f${i}`, i])),
		});
		const enablings = Array.from({ length: 50 }, (_, i) =>
			enabling(i + 1, {
				rate: i,
				history: Array.from({ length: 60 }, (_, j) => (i * j) % 17),
				aggregations: [agg({ keys: ["execname"], rows: Array.from({ length: 100 }, (_, k) => row(`c${k}`, k)) })],
			}),
		);
		const controller = new FakeController(big, sessionView({ enablings }));
		const r = renderAt(
			<App controller={controller} columns={120} rows={40} ui={{ cs: UNICODE, color: false }} />,
			120,
			40,
		);
		current = r;
		await r.press(KEY.right);
		assert.match(r.lastFrame(), /1\/1001/);
		const asked = big.calls.length;
		const start = performance.now();
		const n = 20;
		for (let i = 0; i < n; i++) await r.press(KEY.down);
		const perKey = (performance.now() - start) / n;
		assert.match(r.lastFrame(), /21\/1001/);
		// Moving the selection re-reads nothing from the catalog and draws one screen.
		assert.equal(big.calls.length, asked);
		assert.equal(frameLines(r.lastFrame()).length, 39);
		// Generous: a frame costs a few ms of our code plus Ink's layout, on a busy machine.
		assert.ok(perKey < 250, `${perKey.toFixed(1)} ms per key`);
	});
});

describe("App: a tree that takes long to read", () => {
	it("answers keys, and quits, while a filter is read in slices", async () => {
		// 400 providers, each read of children costing 3 ms: about 1.2 s for the whole filtered tree.
		const slow: TreeSource = {
			children(path) {
				const until = performance.now() + 3;
				while (performance.now() < until) {
					// busy
				}
				if (path.length === 0)
					return Array.from({ length: 400 }, (_, i) => ({ name: `p${i}`, childCount: 2, enabled: false }));
				return [
					{ name: "entry", probeId: 1, enabled: false },
					{ name: "return", probeId: 2, enabled: false },
				];
			},
		};
		const controller = new FakeController(new FakeTree(SAMPLE_TREE), sessionView());
		(controller as { tree: TreeSource }).tree = slow;
		let quits = 0;
		const r = renderAt(
			<App controller={controller} columns={100} rows={30} ui={{ cs: UNICODE, color: false }} onQuit={() => quits++} />,
			100,
			30,
		);
		current = r;
		await r.press("/p\r");
		assert.match(r.lastFrame(), /Probes \/p.*…/, "the rows read so far, marked as still coming");
		const t0 = performance.now();
		await r.press("j", "q");
		await new Promise((resolve) => setTimeout(resolve, 50));
		assert.equal(quits, 1);
		assert.ok(performance.now() - t0 < 500, `q took ${(performance.now() - t0).toFixed(0)} ms`);
	});
});
