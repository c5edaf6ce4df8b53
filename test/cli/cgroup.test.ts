// The `cgroup` variable on the real kernel: two cgroup v2 directories made by
// the test, one USDT fixture moved into each; a predicate naming one cgroup's
// id (the inode number of its directory) counts only that fixture, and the
// key `cgroup` holds that id.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";

/** Where cgroup v2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid system). */
function cgroup2Root(): string {
	const line = readFileSync("/proc/mounts", "utf8")
		.split("\n")
		.find((l) => l.split(" ")[2] === "cgroup2");
	assert.ok(line, "cgroup v2 is mounted");
	return line.split(" ")[1];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("cgroup: a probe counted only for the cgroup named, keyed by its id", async () => {
	const root = cgroup2Root();
	const dirs = ["a", "b"].map((n) => join(root, `dtop-test-${process.pid}-${n}`));
	const kids = dirs.map(() => spawn(SIMPLE, ["--loop"], { stdio: "ignore" }));
	try {
		for (const d of dirs) mkdirSync(d);
		for (const [i, d] of dirs.entries()) writeFileSync(join(d, "cgroup.procs"), `${kids[i].pid}\n`);
		const ids = dirs.map((d) => statSync(d).ino);
		const r = await runDtop([
			"-q",
			"-n",
			`simple*:::saw-line /cgroup == ${ids[0]}/ { @[pid, cgroup] = count(); } profile:::tick-2s { exit(0); }`,
		]);
		assert.equal(r.code, 0, r.stderr);
		const rows = r.stdout
			.split("\n")
			.map((l) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(l))
			.filter((m) => m !== null)
			.map((m) => ({ pid: Number(m[1]), cgroup: Number(m[2]), n: Number(m[3]) }));
		assert.equal(rows.length, 1, `one row:\n${r.stdout}\n${r.stderr}`);
		assert.equal(rows[0].pid, kids[0].pid);
		assert.equal(rows[0].cgroup, ids[0]);
		assert.ok(rows[0].n > 0);
	} finally {
		for (const k of kids) k.kill("SIGKILL");
		await Promise.all(kids.map((k) => new Promise((res) => (k.exitCode !== null ? res(0) : k.on("exit", res)))));
		for (const d of dirs) {
			for (let i = 0; i < 50; i++) {
				try {
					rmdirSync(d);
					break;
				} catch (e) {
					if ((e as NodeJS.ErrnoException).code === "ENOENT") break;
					await sleep(20);
				}
			}
		}
	}
});
