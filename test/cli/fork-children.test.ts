// Forked children (no exec) of a -p target, on the real kernel (6.18): the
// pre-fork fixture's workers fire prefork:::query-start, its parent never does.
// A forked child inherits the parent's uprobe breakpoints with its copy of the
// memory, but a probe made for one process (a uprobe_multi link with a pid,
// Linux 6.6+, or an inode-wide probe with a pid test in BPF) does not count the
// child there: `prefork$target:::` counts nothing from workers forked before or
// after dtop attached, while `prefork*::: /progenyof($target)/` counts every
// worker and no other process.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";
import { startPrefork } from "../helpers/prefork.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function counted(out: string): Map<number, number> {
	const got = new Map<number, number>();
	for (const line of out.split("\n")) {
		const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(line);
		if (m) got.set(Number(m[1]), Number(m[2]));
	}
	return got;
}

test("-p: the target's own probes do not count its forked children; progenyof($target) counts every one", async () => {
	const server = await startPrefork(1);
	const other = await startPrefork(1);
	try {
		const run = (d: string) => runDtop(["-q", "-p", String(server.pid), "-n", `${d} profile:::tick-3s { exit(0); }`]);
		const own = run("prefork$target:::query-start { @[pid] = count(); }");
		const progeny = run("prefork*:::query-start /progenyof($target)/ { @[pid] = count(); }");
		// A worker forked after both have attached.
		await sleep(1500);
		const late = await server.spawn();
		const [a, b] = await Promise.all([own, progeny]);
		assert.equal(a.code, 0, a.stderr);
		assert.equal(b.code, 0, b.stderr);
		assert.deepEqual([...counted(a.stdout).keys()], [], `prefork$target counted:\n${a.stdout}\n${a.stderr}`);
		const got = counted(b.stdout);
		assert.deepEqual(
			[...got.keys()].sort(),
			[server.workers[0], late].sort(),
			`progenyof counted:\n${b.stdout}\n${b.stderr}`,
		);
		assert.equal(got.has(other.workers[0]!), false);
		for (const [pid, n] of got) assert.ok(n > 0, `pid ${pid} counted ${n}`);
	} finally {
		await server.stop();
		await other.stop();
	}
});
