// Input the way a terminal over SSH delivers it, to the real dtop in a
// pseudo-terminal: bursts of keys in one write, pastes, a filter that would have
// backtracked for seconds, and the mouse.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { demoPid, exitOf, KEYS, type Screen, sleep, startDtop } from "../helpers/pty.ts";

const MOUSE_ON = "\x1b[?1000h\x1b[?1006h";
const MOUSE_OFF = "\x1b[?1006l\x1b[?1000l";
const PASTE_OFF = "\x1b[?2004l";

/** The first frame is up (and with it raw mode). */
async function started(s: Screen): Promise<void> {
	await s.waitFor(/simple \(\d+ process/, 15_000);
	await s.waitFor(/Help/);
}

/** The selected tree row (marked ›), its tree part trimmed. */
function selectedRow(s: Screen): string {
	return (s.lines().find((l) => l.startsWith("›")) ?? "").split("│")[0].trim();
}

/** The terminal is back to normal, with mouse and paste reporting off after they were last turned on. */
function assertRestored(s: Screen): void {
	const raw = s.raw();
	assert.ok(!s.alternate(), "left the alternate screen");
	assert.ok(!s.cursorHidden(), "cursor shown again");
	const on = raw.lastIndexOf(MOUSE_ON);
	assert.ok(on !== -1, "mouse reporting was on");
	assert.ok(raw.lastIndexOf(MOUSE_OFF) > on, "mouse reporting off at the end");
	assert.ok(raw.lastIndexOf(PASTE_OFF) > on, "bracketed paste off at the end");
}

describe("keys that arrive together", { concurrency: false }, () => {
	it("`/saw-line` and Enter in one write open the prompt, filter, and close it", async () => {
		const s = startDtop(["--demo"], { cols: 120, rows: 40 });
		try {
			await started(s);
			s.press("/saw-line\r");
			await s.waitFor((t) => /Probes \/saw-line/.test(t) && /saw-line/.test(t) && !/sdt/.test(t), 3000);
			// The prompt is gone (Enter was taken as Enter, not as text) and the filter is shown.
			assert.ok(!s.lines().some((l) => l.startsWith("/ ")), `prompt still open:\n${s.text()}`);
			assert.ok(
				s.lines().some((l) => /filter saw-line/.test(l)),
				s.text(),
			);
			// And the same again, sent as three writes in a row: the Enter is never lost.
			for (let i = 0; i < 5; i++) {
				s.press(KEYS.esc);
				await s.waitFor((t) => !/Probes \//.test(t), 2000);
				s.press("/");
				s.press("saw-word");
				s.press("\r");
				await s.waitFor((t) => /Probes \/saw-word/.test(t) && !s.lines().some((l) => l.startsWith("/ ")), 3000);
			}
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0);
		} finally {
			s.kill();
		}
	});

	it("`:` and a whole clause with its newline in one write enable the clause", async () => {
		const s = startDtop(["--demo"], { cols: 120, rows: 40 });
		try {
			await started(s);
			s.press(":simple$target:::saw-word { @[copyinstr(arg0)] = count(); }\n");
			await s.waitFor(/Enabled: simple\$target:::saw-word/, 6000);
			await s.waitFor(/saw-word\s+\d+\s+\d+/, 4000);
			assert.ok(!s.lines().some((l) => l.startsWith(": ")), "the prompt closed");
			// Keys after the clause in the same write act as keys: Tab from the table (focused after
			// an enabling) to the detail pane.
			s.press(":simple$target:::saw-line { @ = count(); }\r\t");
			await s.waitFor(/\[ Detail/, 6000);
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0);
			assertRestored(s);
		} finally {
			s.kill();
		}
	});

	it("a bracketed paste into `:` is inserted whole (lines joined) and its final newline submits", async () => {
		const s = startDtop(["--demo"], { cols: 120, rows: 40 });
		try {
			await started(s);
			assert.ok(s.raw().includes("\x1b[?2004h"), "asks for bracketed paste");
			s.press(":");
			await s.waitFor((t) => t.split("\n").some((l) => l === ":" || l.startsWith(": ")), 2000);
			s.press("\x1b[200~simple$target:::saw-line\n{ @[pid] = count(); }\n\x1b[201~");
			await s.waitFor(/Enabled: simple\$target:::saw-line \{ @\[pid\] = count\(\); \}/, 6000);
			// A paste outside a prompt is not taken for keys (its q would quit).
			s.press("\x1b[200~qqq\x1b[201~");
			await s.waitFor(/Pasted text goes into a prompt/, 2000);
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0);
		} finally {
			s.kill();
		}
	});
});

describe("the filter never blocks", () => {
	it("a 27-character pathological glob is answered, and q honoured, within a second", async () => {
		const s = startDtop(["--demo"], { cols: 120, rows: 40 });
		try {
			await started(s);
			const glob = `${"*?".repeat(13)}Q`;
			assert.equal(glob.length, 27);
			const t0 = Date.now();
			s.press(`/${glob}\r`);
			await s.waitFor(/nothing matches the filter/, 1000);
			const answered = Date.now() - t0;
			const t1 = Date.now();
			s.press("q");
			const exit = await exitOf(s, 1000);
			const quitMs = Date.now() - t1;
			assert.equal(exit.exitCode, 0, "q ended dtop (it was not killed)");
			assert.ok(answered < 1000 && quitMs < 1000, `answered in ${answered} ms, quit in ${quitMs} ms`);
		} finally {
			s.kill();
		}
	});
});

describe("the mouse", () => {
	it("click selects and expands tree rows, the wheel moves, a click selects an enabling", async () => {
		const s = startDtop(["--demo", "-n", "simple$target:::saw-line { @ = count(); }"], { cols: 120, rows: 40 });
		try {
			await started(s);
			assert.ok(s.raw().includes(MOUSE_ON), "asks for SGR mouse reports");
			// A filtered tree, so that processes coming and going elsewhere do not move its rows.
			s.press("/syscall::read*:\r");
			await s.waitFor(/▾ +readlink/, 3000);
			const position = () => Number(/(\d+)\/\d+/.exec(s.lines()[1])?.[1]);
			// A click selects the row under it.
			const rl = s.find(/▾ +readlink /);
			assert.ok(rl, s.text());
			s.click(rl.x + 4, rl.y);
			await s.waitFor(() => /readlink/.test(selectedRow(s)), 2000);
			// A click on a row's expand mark closes it (and selects it) ...
			const vm = s.find(/▾ +vmlinux/);
			assert.ok(vm, s.text());
			s.click(vm.x, vm.y);
			await s.waitFor((t) => /▸ +vmlinux/.test(t) && !/readlink/.test(t), 2000);
			assert.match(selectedRow(s), /vmlinux/);
			// ... and a click on the selected row opens it again.
			s.click(vm.x + 6, vm.y);
			await s.waitFor(/▾ +vmlinux[\s\S]*readlink/, 2000);
			// The wheel: three rows a notch.
			const before = position();
			s.wheel(vm.x + 4, vm.y + 3, "down");
			await s.waitFor(() => position() === before + 3, 2000);
			s.wheel(vm.x + 4, vm.y + 3, "up");
			await s.waitFor(() => position() === before, 2000);
			// Two enablings; a click on the second row of the table selects it (and focuses the table).
			s.press(":simple$target:::saw-word { @[copyinstr(arg0)] = count(); }\r");
			await s.waitFor(/saw-word\s+\d+/, 6000);
			const row = s.find(/saw-word\s+\d+/);
			assert.ok(row);
			s.click(row.x + 2, row.y);
			await s.waitFor(/\[ Enabled \][\s\S]*Detail: simple\d+:::saw-word/, 2000);
			const other = s.find(/saw-line\s+\d+/);
			assert.ok(other);
			s.click(other.x + 2, other.y);
			await s.waitFor(/Detail: simple\d+:::saw-line/, 2000);
			// A click on the footer's Help item presses ?.
			const help = s.find(/\?\s*Help/);
			assert.ok(help);
			s.click(help.x, help.y);
			await s.waitFor(/Help: keys/, 2000);
			s.press(KEYS.esc);
			await s.waitFor((t) => !/Help: keys/.test(t), 2000);
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0);
			assertRestored(s);
		} finally {
			s.kill();
		}
	});

	it("--no-mouse never asks for mouse reports, and still restores the terminal", async () => {
		const s = startDtop(["--demo", "--no-mouse"], { cols: 100, rows: 30 });
		try {
			await started(s);
			assert.ok(!s.raw().includes("\x1b[?1000h"), "no mouse reporting");
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0);
			assert.ok(s.raw().endsWith(`${MOUSE_OFF}${PASTE_OFF}\x1b[?25h\x1b[?1049l`) || !s.alternate());
		} finally {
			s.kill();
		}
	});

	for (const [how, act] of [
		["q", (s: Screen) => s.press("q")],
		["Ctrl-C", (s: Screen) => s.press(KEYS.ctrlC)],
		["SIGTERM", (s: Screen) => process.kill(s.pid, "SIGTERM")],
		["SIGHUP", (s: Screen) => process.kill(s.pid, "SIGHUP")],
	] as const) {
		it(`${how} turns mouse reporting off with the alternate screen`, async () => {
			const s = startDtop(["--demo"], { cols: 100, rows: 30 });
			try {
				await started(s);
				demoPid(s.pid);
				act(s);
				await exitOf(s);
				await sleep(50);
				assertRestored(s);
			} finally {
				s.kill();
			}
		});
	}
});
