// The tree per container (the C key): two pre-fork servers, each in a cgroup
// v2 directory the test makes (systemd-style `NAME.service`, so the container
// name is the directory's), regrouped under one row per container; Space on
// the program's row inside one container counts that container's processes
// only (the clause gets `/container == "NAME"/`), and C again shows the
// whole machine.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildFixtures } from "../fixtures/fixtures.ts";
import { TestCgroups } from "../helpers/cgroups.ts";
import { type Prefork, startPrefork } from "../helpers/prefork.ts";
import { exitOf, KEYS, type Screen, sleep, startDtop } from "../helpers/pty.ts";
import { select } from "../helpers/ui-actions.ts";

const cgroups = new TestCgroups();
const names = [`dtoptree${process.pid}-a.service`, `dtoptree${process.pid}-b.service`];
let servers: Prefork[] = [];

before(async () => {
	buildFixtures();
	for (const name of names) {
		const dir = cgroups.make(name);
		const srv = await startPrefork(1);
		// The parent and its worker; workers started later inherit the parent's cgroup.
		for (const pid of [srv.pid, ...srv.workers]) cgroups.move(dir, pid);
		servers.push(srv);
	}
});
after(async () => {
	for (const srv of servers) await srv.stop();
	servers = [];
	await cgroups.remove();
});

/** The Detail pane's lines (right of the tree, below its title). */
function detail(s: Screen): string {
	const lines = s.lines();
	const at = lines.findIndex((l) => /Detail/.test(l));
	return lines
		.slice(at)
		.map((l) => l.split("│").at(-1) ?? "")
		.join("\n");
}
const tree = (s: Screen) => s.lines().map((l) => l.split("│")[0] ?? "");

test("C groups the tree by container; Space on a program inside one counts only that container's processes", async () => {
	const [a, b] = servers as [Prefork, Prefork];
	const s = startDtop([], { cols: 160, rows: 50 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await s.waitFor(/prefork \(\d+ processes\)/, 5000);
		s.press("C");
		const rowA = new RegExp(`\\[${names[0]}\\] \\(2 processes\\)`);
		await s.waitFor(rowA, 5000).catch(() => {
			throw new Error(`no row for container ${names[0]}:\n${s.text()}`);
		});
		assert.match(s.text(), new RegExp(`\\[${names[1]}\\] \\(2 processes\\)`));
		// The programs are under their containers now, not at the top.
		assert.equal(tree(s).filter((l) => /^[›\s]\s*▸\s+\S*\s*prefork \(/.test(l)).length, 0, s.text());
		await select(s, rowA);
		s.press(KEYS.enter);
		await s.waitFor(/prefork \(2 processes\)/, 3000);
		await select(s, /prefork \(2 processes\)/);
		s.press(KEYS.enter);
		for (const pid of [a.pid, ...a.workers]) await s.waitFor(new RegExp(`prefork${pid}\\b`), 3000);
		for (const pid of [b.pid, ...b.workers])
			assert.doesNotMatch(tree(s).join("\n"), new RegExp(`prefork${pid}\\b`), "the other container's processes");
		// Back on the program's row: Space enables it in this container.
		await select(s, /prefork \(2 processes\)/, KEYS.up);
		s.press(KEYS.space);
		await s.waitFor(/prefork\[0-9\]\*:::/, 5000);
		s.press(KEYS.tab);
		await s.waitFor(() => /container == /.test(s.text()) || /@ = count/.test(detail(s)), 4000);
		s.press("kk");
		await s.waitFor(() => /@\[pid\]/.test(detail(s)), 4000);
		await s
			.waitFor(() => new RegExp(`^${a.workers[0]}\\s`, "m").test(detail(s)), 6000)
			.catch(() => {
				throw new Error(`container a's worker is not counted:\n${s.text()}`);
			});
		// Both servers' workers fire all the time: a second more, and still only a's.
		await sleep(1500);
		assert.doesNotMatch(
			detail(s),
			new RegExp(`^${b.workers[0]}\\s`, "m"),
			`container b's worker is not counted:\n${s.text()}`,
		);
		// C again: the whole machine.
		s.press(KEYS.tab);
		s.press(KEYS.tab);
		s.press("C");
		await s.waitFor(/The whole machine|prefork \(\d+ processes\)\s*[\d/s]*\s*$/m, 5000);
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});
