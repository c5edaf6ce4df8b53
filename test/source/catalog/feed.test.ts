// Process events from the kernel (real BPF on the sched/task tracepoints and
// sys_enter_mmap): what the programs record, the catalog following them, and
// an overflowing ring answered by one /proc rescan.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { tracefs } from "../../../kernel/tracefs/index.ts";
import { Catalog } from "../../../source/catalog/index.ts";
import { type ProcEvent, ProcessEvents } from "../../../source/catalog/proc-events.ts";

const SIMPLE = new URL("../../fixtures/bin/simple", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
	const t0 = Date.now();
	while (!ok()) {
		if (Date.now() - t0 > ms) throw new Error(`timed out waiting until ${what}`);
		await sleep(10);
	}
}

test("the programs record fork, exec, rename, executable mmaps and exit of a process, and no threads", async () => {
	assert.ok(existsSync(SIMPLE), "run scripts/setup to build the fixtures");
	const events = new ProcessEvents(tracefs());
	try {
		const r = spawnSync(SIMPLE, ["--count", "1", "--comm", "renamed"], { stdio: "ignore" });
		assert.equal(r.status, 0);
		const worker = new Worker("setTimeout(() => {}, 10)", { eval: true });
		await new Promise((resolve) => worker.on("exit", resolve));
		await sleep(50);
		const all = events.poll();
		const fork = all.find((e) => e.type === "fork" && e.parent === process.pid && e.comm === "node");
		assert.ok(fork, "no fork record from this process");
		const mine = all.filter((e) => e.pid === fork.pid);
		// (ld.so's munmap of its cache is recorded too, for the file: see dlclose.test.ts.)
		const kinds = mine.map((e) => e.type).filter((k) => k !== "munmap");
		assert.deepEqual(
			[...new Set(kinds)],
			["fork", "comm", "exec", "mmap", "exit"],
			`records of the child, in order: ${JSON.stringify(mine)}`,
		);
		const exec = mine.find((e) => e.type === "exec") as Extract<ProcEvent, { type: "exec" }>;
		assert.equal(exec.comm, "simple");
		assert.equal(exec.held, false);
		const renames = mine.filter((e) => e.type === "comm").map((e) => (e as { comm: string }).comm);
		assert.deepEqual(renames, ["simple", "renamed"], "exec's rename, then prctl's");
		// ld.so maps libsimple.so and libc.so.6 with PROT_EXEC
		assert.ok(mine.filter((e) => e.type === "mmap").length >= 2, JSON.stringify(mine));
		assert.equal(kinds.filter((k) => k === "exit").length, 1, "one exit per process, not per thread");
		// The worker is a thread of this process: no fork record names this process as the child's parent twice.
		assert.equal(all.filter((e) => e.type === "fork" && e.parent === process.pid).length, 1);
		assert.equal(events.lost(), 0);
	} finally {
		events.close();
	}
});

test("the catalog follows a new process from events: its USDT probes come and go with it", async (t) => {
	const catalog = new Catalog();
	try {
		catalog.watch();
		assert.equal(catalog.following().via, "events");
		const child = spawn(SIMPLE, ["--wait"], { stdio: ["pipe", "pipe", "ignore"] });
		t.after(() => child.kill("SIGKILL"));
		const pid = child.pid ?? 0;
		const probes = () => catalog.probes().filter((p) => p.kind === "usdt" && p.pid === pid).length;
		await until("its probes are in the catalog", () => probes() > 0, 2000);
		assert.equal(catalog.processes().find((p) => p.pid === pid)?.comm, "simple");
		child.kill("SIGKILL");
		await until("its probes are gone", () => probes() === 0, 2000);
		assert.equal(
			catalog.processes().some((p) => p.pid === pid),
			false,
		);
	} finally {
		catalog.close();
	}
});

test("an overflowing ring is counted and answered by a /proc rescan that leaves the catalog right", async (t) => {
	const catalog = new Catalog();
	try {
		// One page of ring (~85 records) and a slow poll: 200 processes overflow it.
		catalog.watch(500, { ringSize: 4096, idleMs: 300 });
		spawnSync("bash", ["-c", "for i in $(seq 200); do /bin/true; done"], { stdio: "ignore" });
		const child = spawn(SIMPLE, ["--wait"], { stdio: ["pipe", "pipe", "ignore"] });
		t.after(() => child.kill("SIGKILL"));
		const pid = child.pid ?? 0;
		spawnSync("bash", ["-c", "for i in $(seq 200); do /bin/true; done"], { stdio: "ignore" });
		await until("an overflow was seen", () => catalog.following().overflows > 0, 5000);
		const f = catalog.following();
		assert.ok(f.lost > 0, `lost ${f.lost}`);
		await until(
			"the process started during the overflow is in the catalog",
			() => catalog.probes().some((p) => p.kind === "usdt" && p.pid === pid),
			5000,
		);
		// Every process the catalog tracks exists (none of the 400 short ones is left behind).
		// (Others on the machine exit all the time: one that exited since the last poll is dropped by the next.)
		await sleep(500);
		const gone = catalog.processes().filter((p) => !existsSync(`/proc/${p.pid}`));
		await sleep(700);
		const stale = gone.filter((g) => catalog.processes().some((p) => p.pid === g.pid));
		assert.deepEqual(stale, [], "processes tracked after they exited");
		child.kill("SIGKILL");
	} finally {
		catalog.close();
	}
});

test("holding: dtop's own children run on, a grandchild is stopped at exec until resumed", async () => {
	const events = new ProcessEvents(tracefs());
	try {
		events.hold(true);
		assert.ok(events.spareChildren, "this kernel has BTF: dtop's children must be spared");
		// A child of this process: held, spawnSync would never return.
		const r = spawnSync("/bin/true", [], { timeout: 5000 });
		assert.equal(r.status, 0, "a child of the reader was held");
		const sh = spawn("bash", ["-c", "/bin/true; echo done"], { stdio: ["ignore", "pipe", "ignore"] });
		let out = "";
		sh.stdout.on("data", (d) => (out += d));
		const finished = new Promise((resolve) => sh.on("exit", resolve));
		let held: ProcEvent | undefined;
		// Every exec on the machine is held meanwhile: resume all but ours at once.
		const others = (batch: ProcEvent[]) => {
			for (const e of batch) {
				if (e === held || !(e.type === "exec" || e.type === "mmap") || !e.held) continue;
				try {
					process.kill(e.pid, "SIGCONT");
				} catch {}
			}
		};
		await until("the grandchild's exec is held", () => {
			events.renew();
			const batch = events.poll();
			held ??= batch.find((e) => e.type === "exec" && e.comm === "true" && e.held);
			others(batch);
			return held !== undefined;
		});
		events.hold(false);
		await sleep(100);
		others(events.poll());
		assert.equal(out, "", "the held process ran on");
		process.kill(held?.pid ?? 0, "SIGCONT");
		await finished;
		assert.equal(out, "done\n");
		assert.ok(events.held() >= 1);
	} finally {
		events.close();
	}
});
