// The real dtop in a pseudo-terminal, read through a terminal emulator.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { test } from "node:test";
import { programs } from "../helpers/bpf-objects.ts";
import { SIMPLE } from "../helpers/fixture.ts";
import { demoPid, exitOf, KEYS, type Screen, sleep, startDtop } from "../helpers/pty.ts";

/** The BPF program ids and link count held by a process (from its fds). */
function bpfHeld(pid: number): { progs: number[]; links: number } {
	const progs: number[] = [];
	let links = 0;
	for (const fd of readdirSync(`/proc/${pid}/fd`)) {
		let target = "";
		try {
			target = readlinkSync(`/proc/${pid}/fd/${fd}`);
		} catch {
			continue;
		}
		if (target === "anon_inode:bpf_link") links++;
		if (target === "anon_inode:bpf-prog") {
			const m = /prog_id:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"));
			if (m) progs.push(Number(m[1]));
		}
	}
	return { progs, links };
}

async function gone(ids: number[], ms = 3000): Promise<boolean> {
	const t0 = Date.now();
	for (;;) {
		const live = new Set(programs().map((p) => p.id));
		if (!ids.some((id) => live.has(id))) return true;
		if (Date.now() - t0 > ms) return false;
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** Press `key` until its one-line prompt shows at the bottom (the first keys may beat raw mode). */
async function openPrompt(s: Screen, key: string): Promise<void> {
	for (let i = 0; i < 20; i++) {
		s.press(key);
		try {
			await s.waitFor((t) => t.split("\n").some((l) => l.startsWith(`${key} `) || l === key), 500);
			return;
		} catch {
			// not yet
		}
	}
	throw new Error(`the ${key} prompt never opened:\n${s.text()}`);
}

/** Open the `key` prompt, type `text`, submit it, and wait until the prompt has closed. */
async function submit(s: Screen, key: string, text: string): Promise<void> {
	await openPrompt(s, key);
	s.press(text);
	await sleep(150); // a key arriving in the same read as the text would be taken as text
	for (let i = 0; i < 10; i++) {
		s.press(KEYS.enter);
		try {
			await s.waitFor((t) => !t.split("\n").some((l) => l.startsWith(`${key} `)), 1000);
			return;
		} catch {
			// Enter not taken yet
		}
	}
	throw new Error(`the ${key} prompt never closed:\n${s.text()}`);
}

/** Wait for dtop to exit after q (bounded: a test must fail, not hang). */
const quit = (s: Screen) => exitOf(s);

/** Move the tree selection (marked ›) onto the row whose text matches `re`. */
async function select(s: Screen, re: RegExp): Promise<void> {
	for (let i = 0; i < 40; i++) {
		const sel = s.lines().find((l) => l.startsWith("›"));
		if (sel && re.test(sel)) return;
		s.press(KEYS.down);
		await sleep(120);
	}
	throw new Error(`could not select ${re}; screen:\n${s.text()}`);
}

function assertLayout(s: Screen, cols: number, rows: number): void {
	const lines = s.lines();
	assert.equal(lines.length, rows);
	const wide = lines.filter((l) => [...l].length > cols);
	assert.deepEqual(wide, [], "no line wider than the terminal");
	assert.match(lines[0], /^dtop /, `header on the first row:\n${s.text()}`);
	assert.equal(lines.filter((l) => /Probes/.test(l)).length, 1, `one tree title:\n${s.text()}`);
}

test("the demo end to end: filter, enable, rate, per-pid key, stacks, disable, resize, quit", async () => {
	const s = startDtop(["--demo"], { cols: 120, rows: 40 });
	let held: number[] = [];
	try {
		await s.waitFor(/simple \(\d+ process/);
		assert.ok(s.alternate(), "runs in the alternate screen");
		const pid = demoPid(s.pid);
		// Filter the tree to the demo's probe.
		await submit(s, "/", `simple${pid}:::saw-line`);
		await s.waitFor((t) => /saw-line/.test(t) && !/sdt/.test(t));
		await select(s, /saw-line/);
		// dtop's own holds on the demo (at the loader's hook and at exit) are links too.
		const base = bpfHeld(s.pid);
		const baseLinks = base.links;
		s.press(KEYS.space);
		// Its rate appears within two ticks (1 s each).
		await s.waitFor(/saw-line\s+\d{2,}\s+\d+/, 2500);
		held = bpfHeld(s.pid).progs;
		assert.ok(held.length >= 1, "a program is loaded");
		assert.ok(bpfHeld(s.pid).links > baseLinks, "and attached");
		// k in the enabled table: a per-pid breakdown (the key after none and execname).
		s.press(KEYS.tab);
		await sleep(200);
		s.press("k");
		await s.waitFor(/@\[execname\]/, 4000);
		s.press("k");
		await s.waitFor(new RegExp(`@\\[pid\\][\\s\\S]*${pid}`), 4000);
		// s: stacks with the demo's function names.
		s.press("s");
		await s.waitFor(/fire_line/, 5000);
		assertLayout(s, 120, 40);
		// Resize mid-run: still a valid layout.
		// The redraw at the new size comes with the next frame; on a loaded machine that
		// can take longer than a fixed sleep, so wait (up to 10 s) for a frame that fits.
		const fits = (cols: number) => () => s.lines().every((l) => [...l].length <= cols) && /^dtop /.test(s.lines()[0]);
		s.resize(80, 24);
		await s.waitFor(fits(80));
		assertLayout(s, 80, 24);
		s.resize(160, 50);
		await sleep(600);
		await s.waitFor(fits(160));
		assertLayout(s, 160, 50);
		// Space in the table disables it: its links are gone from the kernel.
		const before = bpfHeld(s.pid).progs.filter((id) => !base.progs.includes(id));
		assert.ok(before.length >= 1);
		s.press(KEYS.space);
		await s.waitFor((t) => /nothing enabled/.test(t), 4000);
		// Links are detached on a worker thread: gone within moments.
		for (let i = 0; i < 100 && bpfHeld(s.pid).links !== baseLinks; i++) await sleep(20);
		assert.equal(bpfHeld(s.pid).links, baseLinks, "its links are gone");
		assert.ok(await gone(before), "its programs are released");
		// Enable again, then quit with q: the screen is restored and nothing is left.
		await submit(s, ":", "simple$target:::saw-word { @[copyinstr(arg0)] = count(); }");
		await s.waitFor(/saw-word\s+\d+/, 4000);
		held = bpfHeld(s.pid).progs;
		s.press("q");
		const exit = await quit(s);
		assert.equal(exit.exitCode, 0);
		assert.ok(!s.alternate(), "left the alternate screen");
		assert.ok(!s.cursorHidden(), "cursor shown again");
		assert.ok(await gone(held), "nothing left in the kernel after q");
	} finally {
		s.kill();
	}
});

test("a traced process whose name holds an escape sequence is shown escaped", async () => {
	const { spawn } = await import("node:child_process");
	const evil = spawn(SIMPLE, ["--loop", "--comm", "\x1b[31mevil"], { stdio: "ignore" });
	try {
		await sleep(300);
		const s = startDtop(["-p", String(evil.pid), "-n", "simple$target:::saw-line { @[execname] = count(); }"], {
			cols: 120,
			rows: 30,
		});
		try {
			s.press(KEYS.tab);
			await s.waitFor(/\\x1b\[31mevil|\\e\[31mevil|\^\[\[31mevil/, 6000);
			assert.ok(!s.raw().includes("\x1b[31mevil"), "the raw escape never reaches the terminal");
			s.press("q");
			await quit(s);
		} finally {
			s.kill();
		}
	} finally {
		evil.kill("SIGKILL");
	}
});

for (const signal of ["SIGTERM", "SIGHUP"] as const) {
	test(`${signal} restores the terminal and releases everything`, async () => {
		const s = startDtop(["--demo", "-n", "simple$target:::saw-line { @ = count(); }"], { cols: 100, rows: 30 });
		try {
			await s.waitFor(/saw-line/, 8000);
			const held = bpfHeld(s.pid).progs;
			assert.ok(held.length >= 1);
			process.kill(s.pid, signal);
			await s.exited;
			assert.ok(!s.alternate(), "left the alternate screen");
			assert.ok(s.raw().endsWith("\x1b[?25h") || !s.cursorHidden(), "cursor shown again");
			assert.ok(await gone(held), "programs released");
		} finally {
			s.kill();
		}
	});
}

test("kill -9 of dtop --demo takes the demo program with it and leaves no program in the kernel", async () => {
	const s = startDtop(["--demo", "-n", "simple$target:::saw-line { @ = count(); }"], { cols: 100, rows: 30 });
	try {
		await s.waitFor(/saw-line/, 8000);
		const demo = demoPid(s.pid);
		const held = bpfHeld(s.pid).progs;
		process.kill(s.pid, "SIGKILL");
		await s.exited;
		const t0 = Date.now();
		while (Date.now() - t0 < 2000 && existsSync(`/proc/${demo}`)) await sleep(20);
		assert.ok(!existsSync(`/proc/${demo}`), "the demo program ended");
		assert.ok(await gone(held, 2000), "programs gone within 2 s");
	} finally {
		s.kill();
	}
});

test("LANG=C and NO_COLOR: plain ASCII on screen and no colour sequences", async () => {
	const s = startDtop(["--demo", "-n", "simple$target:::saw-line { @ = quantize(arg0); }"], {
		cols: 100,
		rows: 30,
		env: { LANG: "C", LC_ALL: "C", NO_COLOR: "1" },
	});
	try {
		await s.waitFor(/saw-line/, 8000);
		await s.waitFor(/Distribution|quantize/, 5000);
		await sleep(1200);
		const text = s.text();
		assert.ok(/^[\x20-\x7e\n]*$/.test(text), `non-ASCII on screen:\n${text}`);
		assert.ok(!/\x1b\[[0-9;]*m/.test(s.raw().replace(/\x1b\[0m/g, "")), "no colours");
		s.press("q");
		await quit(s);
	} finally {
		s.kill();
	}
});

test("l turns an entry probe into an entry/return latency histogram", async () => {
	const s = startDtop(["--demo"], { cols: 120, rows: 40 });
	try {
		await s.waitFor(/simple \(\d+ process/);
		await submit(s, "/", "syscall::clock_nanosleep:entry");
		await s.waitFor((t) => /clock_nanosleep/.test(t) && !/sdt/.test(t));
		await select(s, /^›\s+entry/);
		s.press(KEYS.space);
		await s.waitFor(/clock_nanosleep/, 3000);
		s.press("l");
		// The demo sleeps 10 ms a round: its sleeps land in the 8 ms bucket (2^23 ns).
		await s.waitFor(/quantize\(timestamp - self->dtop_ts\)[\s\S]*Distribution[\s\S]*8388608 \|@/, 6000);
		s.press("d");
		await s.waitFor(/syscall:vmlinux:clock_nanosleep:return \/self->dtop_ts\//, 3000);
		s.press(KEYS.esc);
		await s.waitFor((t) => !/self->dtop_ts = timestamp/.test(t), 3000);
		s.press("q");
		await quit(s);
	} finally {
		s.kill();
	}
});
