// A provider module says how the interactive tree shows its probes: a dtop
// with one more provider (fixtures/with-provider.ts: `demo`, probes of this
// test's process and of the dtop process, grouped by program then process,
// with a hint) shows its program row with the hint and its processes under it
// with their command lines, and Space on the program's row enables all its
// processes' providers, as for a USDT program. A provider module whose info()
// says the kernel cannot give it (`demooff`) is a row saying why, and Space on
// it says the reason, as fbt's does. Nothing in the UI or the app names either.
import assert from "node:assert/strict";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { exitOf, KEYS, sleep, startDtop } from "../helpers/pty.ts";
import { select } from "../helpers/ui-actions.ts";

const FIXTURE = fileURLToPath(new URL("./fixtures/with-provider.ts", import.meta.url));

test("a provider module's grouping, hint and unavailable row are what the tree shows, and Space acts on its rows", async () => {
	const s = startDtop(["--import", "tsx", FIXTURE], { cols: 160, rows: 45, command: process.execPath });
	try {
		await s.waitFor(/syscall/, 20_000);
		// One row for the program, with the module's hint; no row per process at the top.
		await s.waitFor(/^[›\s]▸\s+demo {2}a provider module's own hint/m, 3000);
		assert.equal(s.lines().filter((l) => /^[›\s]▸\s+demo\d+/.test(l)).length, 0, "no top-level process rows");
		await select(s, /▸\s+demo {2}/);
		// Open it and enable it: one write, as SSH delivers a burst.
		s.press(`${KEYS.enter}${KEYS.space}`);
		// Its processes under it by pid, each with its command line (this test's node and the fixture's).
		const [first, second] = [process.pid, s.pid].sort((a, b) => a - b);
		const row = (pid: number) => new RegExp(`^[›\\s]\\s+▸.{0,3}demo${pid} {2}node --import tsx`);
		await s.waitFor(() => s.lines().some((l) => row(second).test(l)), 3000);
		const at = (pid: number) => s.lines().findIndex((l) => row(pid).test(l));
		assert.ok(at(first) !== -1 && at(first) < at(second), `processes by pid:\n${s.text()}`);
		// Space on the program's row enabled every process of it, as for a USDT program.
		await s.waitFor(/demo\[0-9\]\*:::\s+\d+/, 5000);
		// The unavailable provider's row, and its reason on Space.
		await s.waitFor(/▸\s+demooff {2}unavailable: no such feature/, 3000);
		await select(s, /▸\s+demooff {2}/);
		s.press(KEYS.space);
		await s.waitFor(/demooff is not available on this kernel: no such feature/, 3000);
		await sleep(200);
		s.press(KEYS.esc);
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});
