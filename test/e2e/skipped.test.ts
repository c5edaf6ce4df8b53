// Probes the kernel refused alone (here a uprobe on libc's pthread_spin_lock,
// whose first instruction the kernel cannot probe) are listed in the Detail
// pane of their enabling, as batch mode reports them on stderr.
import assert from "node:assert/strict";
import { test } from "node:test";
import { startSimple } from "../helpers/fixture.ts";
import { exitOf, KEYS, sleep, startDtop } from "../helpers/pty.ts";

test("the Detail pane names the probes the kernel refused, with the reason, and the rest count", async () => {
	const fx = await startSimple(["--loop"]);
	const clause =
		"pid$target:libc.so.6:pthread_spin_lock:entry, pid$target:libc.so.6:write:entry { @[probefunc] = count(); }";
	const s = startDtop(["-n", clause, "-p", String(fx.pid)], { cols: 230, rows: 40 });
	try {
		await s.waitFor(/write|pthread_spin/, 15_000);
		for (let i = 0; i < 10 && !/Detail/.test(s.text()); i++) {
			s.press(KEYS.tab);
			await sleep(300);
		}
		await s.waitFor(/1 probe skipped \(the kernel cannot probe the instruction there/, 8000);
		await s.waitFor(/pid\d+:libc\.so\.6:pthread_spin_lock:entry: the kernel cannot probe/, 3000);
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
		fx.kill();
	}
});
