// The live flame graph (f) in a pseudo-terminal, on a real program with a
// known call chain: deepstack fires deepstack:hit in main → run → f00 → … → f19,
// built without frame pointers (so the stacks come from the eh_frame unwinder).
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, test } from "node:test";
import { BIN_DIR, buildFixtures } from "../fixtures/fixtures.ts";
import { exitOf, KEYS, type Screen, sleep, startDtop } from "../helpers/pty.ts";

const DEEPSTACK = join(BIN_DIR, "deepstack");
const CLAUSE = "deepstack$target:::hit { @[ustack()] = count(); }";

before(() => buildFixtures());

/** The flame graph's icicle rows (below its title and its selection line). */
function icicle(s: Screen): string[] {
	const lines = s.lines();
	const at = lines.findIndex((l) => /^Flame graph /.test(l));
	return at < 0 ? [] : lines.slice(at + 2);
}

/** Press `key` until the screen matches (the first keys may beat raw mode). */
async function pressUntil(s: Screen, key: string, re: RegExp, ms = 6000): Promise<void> {
	const t0 = Date.now();
	for (;;) {
		s.press(key);
		try {
			await s.waitFor(re, 700);
			return;
		} catch (e) {
			if (Date.now() - t0 > ms) throw e;
		}
	}
}

/** The frame the flame graph's first line says is selected (its function). */
function selectedFrame(s: Screen): string | undefined {
	return /^[\d,.]+k? firings [|│] (?:\S*`)?(\S+)/m.exec(s.text())?.[1];
}

/** Move the selection down (or back up, when a slow terminal took too many keys) onto the frame `fn` of the chain. */
async function selectFrame(s: Screen, fn: string): Promise<void> {
	const chain = ["all", "_start", "__libc_start_main", "__libc_start_call_main", "main", "run"];
	const depth = (f: string | undefined) =>
		f === undefined ? -1 : /^f\d\d$/.test(f) ? chain.length + Number(f.slice(1)) : chain.indexOf(f);
	for (let i = 0; i < 60; i++) {
		const at = selectedFrame(s);
		if (at === fn) return;
		s.press(depth(at) < depth(fn) ? KEYS.down : KEYS.up);
		await s.waitFor(() => selectedFrame(s) !== at, 2000).catch(() => {});
	}
	throw new Error(`never selected ${fn}:\n${s.text()}`);
}

async function run(env: Record<string, string>, check: (s: Screen) => Promise<void>): Promise<void> {
	const s = startDtop(["-n", CLAUSE, "-c", `${DEEPSTACK} --rate 300 --seconds 120`], {
		cols: 150,
		rows: 40,
		env,
	});
	try {
		await s.waitFor(/deepstack\S*:::hit|hit/, 15_000);
		s.press(KEYS.tab);
		await sleep(300);
		await pressUntil(s, "f", /^Flame graph /m, 10_000);
		await check(s);
		s.press(KEYS.ctrlC);
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
}

test("f shows the live icicle of a ustack() aggregation: the whole call chain, full width, counts growing", async () => {
	// Colour as a terminal has it (chalk takes the tests' CI=false for a CI without colour).
	await run({ LANG: "C.UTF-8", FORCE_COLOR: "1" }, async (s) => {
		// main and the chain below it, each a full-width frame (every stack is the same).
		await s.waitFor((t) => /f19/.test(t) && /main/.test(t), 8000);
		const rows = icicle(s);
		const names = ["main", "run", ...Array.from({ length: 20 }, (_, i) => `f${String(i).padStart(2, "0")}`)];
		let at = -1;
		for (const n of names) {
			const i = rows.findIndex((l, j) => j > at && new RegExp(`^\\s*\\S?${n}\\b`).test(l));
			assert.ok(i > at, `${n} on a row below the previous frame:\n${s.text()}`);
			at = i;
		}
		// One stack: each frame is as wide as the graph (its coloured cell runs to the last columns).
		const y = s.lines().findIndex((l) => /^f10\b/.test(l));
		const line = s.terminal.buffer.active.getLine(s.terminal.buffer.active.viewportY + y);
		assert.ok(line?.getCell(0)?.isInverse() && line.getCell(148)?.isInverse(), `f10 spans the width:\n${s.text()}`);
		// The mouse: a click selects a frame, a second click zooms into it, the wheel goes to a callee.
		const f05 = s.find(/^f05\b/);
		assert.ok(f05, s.text());
		s.click(f05.x + 10, f05.y);
		await s.waitFor(() => selectedFrame(s) === "f05", 3000);
		s.click(f05.x + 10, f05.y);
		await s.waitFor(/\[zoomed: \S*f05\]/, 3000);
		s.wheel(20, 20, "down");
		await s.waitFor(() => selectedFrame(s) === "f06", 3000);
		const count = () => Number(/^([\d,]+) firings/m.exec(s.text())?.[1]?.replace(/,/g, "") ?? Number.NaN);
		const first = count();
		assert.ok(first > 0, `a count of firings:\n${s.text()}`);
		await s.waitFor(() => count() > first, 5000);
	});
});

test("Enter zooms into the selected frame, Esc zooms back out, and Esc on the whole graph closes it (ASCII under LANG=C)", async () => {
	await run({ LANG: "C", LC_ALL: "C" }, async (s) => {
		await s.waitFor(/f19/, 8000);
		// Down steps to the widest callee: all → _start → … → main → run → f00 → f01 → f02.
		await selectFrame(s, "f02");
		s.press(KEYS.enter);
		await s.waitFor(/\[zoomed: \S*f02\]/, 3000);
		// Zoomed: f02 is the top row; main, run, f00 and f01 are no longer drawn.
		const rows = icicle(s);
		assert.match(rows[0] ?? "", /^>f02/, `f02 on top, selected:\n${s.text()}`);
		assert.ok(!rows.some((l) => /\bmain\b|\brun\b|\bf01\b/.test(l)), `callers hidden:\n${s.text()}`);
		assert.ok(
			rows.some((l) => /\bf19\b/.test(l)),
			`callees still there:\n${s.text()}`,
		);
		// ASCII only under LANG=C.
		assert.ok(![...s.text()].some((c) => c.charCodeAt(0) > 127), `only ASCII:\n${s.text()}`);
		s.press(KEYS.esc);
		await s.waitFor(/\[zoomed: \S*f01\]/, 3000);
		// Out one caller at a time, to the whole graph, which stays open.
		for (let i = 0; i < 12 && /\[zoomed:/.test(s.text()); i++) {
			s.press(KEYS.esc);
			await sleep(400);
		}
		await s.waitFor((t) => !/\[zoomed:/.test(t) && /^Flame graph /m.test(t), 3000);
		s.press(KEYS.esc);
		await s.waitFor((t) => !/^Flame graph /m.test(t) && /Enabled/.test(t), 3000);
	});
});

test("m shows the raw (mangled) C++ names in the flame graph and the stacks, and m again demangles them", async () => {
	const s = startDtop(
		["-n", "libstdcxx$target:::throw { @[ustack()] = count(); }", "-c", `${join(BIN_DIR, "deepthrow")} 100000000`],
		{ cols: 150, rows: 40 },
	);
	try {
		await s.waitFor(/throw/, 15_000);
		s.press(KEYS.tab);
		await sleep(300);
		await pressUntil(s, "f", /^Flame graph /m, 10_000);
		await s.waitFor(/ns::Thrower::method\(int\)/, 8000);
		assert.doesNotMatch(s.text(), /_ZN2ns7Thrower6methodEi/);
		s.press("m");
		await s.waitFor(/_ZN2ns7Thrower6methodEi/, 20_000);
		assert.doesNotMatch(s.text(), /ns::Thrower::method\(int\)/, `raw names only:\n${s.text()}`);
		assert.match(s.text(), /raw names/);
		// Back in the table, the Detail pane's stacks are raw too.
		s.press("f");
		await s.waitFor((t) => !/^Flame graph /m.test(t) && /_ZN2ns7Thrower6methodEi/.test(t), 5000);
		s.press("m");
		await s.waitFor((t) => /ns::Thrower::method\(int\)/.test(t) && !/_ZN2ns7Thrower6methodEi/.test(t), 5000);
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});
