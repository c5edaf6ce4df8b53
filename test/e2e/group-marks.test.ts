// The marks of a program's grouped row follow what its enabling covers: Space
// on `prefork (N processes)` enables `prefork[0-9]*:::`, attached to the file's
// inode (session/widen.ts), so every process mapping the file fires it; the
// group row and every process row below it are marked enabled (●), not the
// first process alone with the group half enabled (◐).
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildFixtures } from "../fixtures/fixtures.ts";
import { type Cluster, startCluster } from "../helpers/postgres.ts";
import { type Prefork, startPrefork } from "../helpers/prefork.ts";
import { exitOf, KEYS, type Screen, sleep, startDtop } from "../helpers/pty.ts";
import { select } from "../helpers/ui-actions.ts";

let srv: Prefork;
before(async () => {
	buildFixtures();
	srv = await startPrefork(3);
});
after(() => srv.stop());

/** The tree's row (left of the first │) naming `re`. */
const row = (s: Screen, re: RegExp) =>
	s
		.lines()
		.map((l) => l.split("│")[0] ?? "")
		.find((l) => re.test(l)) ?? "";

test("Space on a grouped program row marks the group and every one of its processes enabled", async () => {
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		const n = srv.workers.length + 1;
		await s.waitFor(new RegExp(`prefork \\(${n} processes\\)`), 5000);
		await select(s, /prefork \(\d+ processes\)/);
		// Open it first, then Space (in one write, as SSH sends them).
		s.press(KEYS.enter);
		for (const w of srv.workers) await s.waitFor(new RegExp(`prefork${w}\\b`), 3000);
		s.press(KEYS.space);
		await s.waitFor(/prefork\[0-9\]\*:::\s+\d+/, 4000);
		await s
			.waitFor(() => /●/.test(row(s, /prefork \(\d+ processes\)/)), 3000)
			.catch(() => {
				throw new Error(`the group row is not marked enabled:\n${s.text()}`);
			});
		for (const pid of [srv.pid, ...srv.workers]) {
			await s
				.waitFor(() => /●/.test(row(s, new RegExp(`prefork${pid}\\b`))), 3000)
				.catch(() => {
					throw new Error(`prefork${pid}'s row is not marked enabled:\n${s.text()}`);
				});
		}
		assert.doesNotMatch(row(s, /prefork \(\d+ processes\)/), /◐/);
		// A worker started now is covered as well.
		const fresh = await srv.spawn();
		await s
			.waitFor(() => /●/.test(row(s, new RegExp(`prefork${fresh}\\b`))), 6000)
			.catch(() => {
				throw new Error(`the new worker prefork${fresh}'s row is not marked enabled:\n${s.text()}`);
			});
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});

test("Debian's PostgreSQL: Space on `postgresql (N processes)` marks the group and every postgres process enabled", async (t) => {
	const pg: Cluster = startCluster();
	t.after(() => pg.stop());
	const s = startDtop([], { cols: 160, rows: 50 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await s.waitFor(/postgresql \(\d+ processes\)/, 10_000);
		// The postmaster's helpers (checkpointer, walwriter, ...) all run the same binary.
		await sleep(500);
		await select(s, /postgresql \(\d+ processes\)/);
		s.press(KEYS.enter);
		await s.waitFor(new RegExp(`postgresql${pg.pid}\\b`), 5000);
		s.press(KEYS.space);
		// Every probe of every process: above 100, so it asks first.
		await s.waitFor(/Enable [\d,]+ probes/, 5000);
		s.press("y");
		await s.waitFor(/postgresql\[0-9\]\*:::/, 10_000);
		const group = () => row(s, /postgresql \(\d+ processes\)/);
		await s
			.waitFor(() => /●/.test(group()), 5000)
			.catch(() => {
				throw new Error(`the group row is not marked enabled:\n${s.text()}`);
			});
		const processes = s
			.lines()
			.map((l) => l.split("│")[0] ?? "")
			.filter((l) => /postgresql\d+/.test(l));
		assert.ok(processes.length >= 2, `the postmaster and its helpers are listed:\n${s.text()}`);
		for (const l of processes) assert.match(l, /●/, `every postgres process is marked enabled:\n${s.text()}`);
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});
