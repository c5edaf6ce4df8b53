// Many short-lived processes: each is seen with its probes while it lives,
// and everything the catalog kept for it is gone after it exits.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Catalog } from "../../../source/catalog/index.ts";

const SIMPLE = new URL("../../fixtures/bin/simple", import.meta.url).pathname;

function gc(): void {
	setFlagsFromString("--expose-gc");
	(runInNewContext("gc") as () => void)();
}

test("1,000 short-lived processes: seen while alive, freed after exit, memory bounded", {
	timeout: 60_000,
}, async (t) => {
	assert.ok(existsSync(SIMPLE), "run scripts/setup to build the fixtures");
	const catalog = new Catalog();
	const pids = new Set<number>();
	const seen = new Set<number>();
	catalog.subscribe((c) => {
		for (const p of c.added) if (p.kind === "usdt" && pids.has(p.pid)) seen.add(p.pid);
	});
	for (let i = 0; i < 5; i++) catalog.refresh();
	gc();
	const heapBefore = process.memoryUsage().heapUsed;
	const rssBefore = process.memoryUsage().rss;
	catalog.watch(100);
	// 20 batches of 50, each process alive ~500 ms (fires its probes, then sleeps).
	const script = `for i in $(seq 20); do for j in $(seq 50); do "${SIMPLE}" --sleep-ms 500 >/dev/null & echo $!; done; wait; done`;
	await new Promise<void>((resolve, reject) => {
		const sh = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "inherit"] });
		sh.stdout.setEncoding("utf8").on("data", (d: string) => {
			for (const l of d.split("\n")) if (l) pids.add(Number(l));
		});
		sh.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the spawning shell exited ${code}`))));
	});
	catalog.close();
	catalog.refresh();
	assert.equal(pids.size, 1000);
	// A 100 ms scan against a 500 ms life: nearly all are seen (a loaded machine may delay a few scans).
	assert.ok(seen.size >= 900, `only ${seen.size} of 1000 processes were seen with their probes`);
	const left = catalog.processes().filter((p) => pids.has(p.pid));
	assert.deepEqual(left, [], "exited processes are forgotten");
	assert.equal(catalog.probes().filter((p) => (p.kind === "usdt" || p.kind === "uprobe") && pids.has(p.pid)).length, 0);
	gc();
	const heapAfter = process.memoryUsage().heapUsed;
	const rssAfter = process.memoryUsage().rss;
	t.diagnostic(
		`seen ${seen.size}/1000; heap ${(heapBefore / 2 ** 20).toFixed(1)} → ${(heapAfter / 2 ** 20).toFixed(1)} MiB; rss ${(rssBefore / 2 ** 20).toFixed(1)} → ${(rssAfter / 2 ** 20).toFixed(1)} MiB`,
	);
	assert.ok(heapAfter - heapBefore < 4 * 2 ** 20, "the heap does not keep what the processes left");
});
