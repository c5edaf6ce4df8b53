// Exact counts on a kernel that preempts uprobe programs (run by scripts/vm-test,
// which boots Debian's kernel with preempt=full). Uprobe programs run with
// migration disabled but preemption enabled; two busy processes pinned to one CPU
// preempt each other in the middle of the programs' per-CPU updates, so only
// atomic adds keep every firing. dtop decides from the kernel's preemption model.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { test } from "node:test";
import { preemptionModel } from "../../kernel/bpf/preemption.ts";
import { Catalog } from "../../source/catalog/index.ts";
import { CatalogProbes } from "../../source/session/catalog-source.ts";
import { Session } from "../../source/session/session.ts";
import { type SimpleRun, startSimple } from "../fixtures/fixtures.ts";

const N = 40_000;

test("the VM's kernel runs with full preemption, and dtop reads it", () => {
	const m = preemptionModel();
	assert.equal(m.model, "full", `model ${m.model} from ${m.source}`);
});

async function run(env: string | undefined): Promise<{ total: number; perPid: Map<number, number>; pids: number[] }> {
	if (env === undefined) delete process.env.DTOP_ASSUME_PREEMPTIBLE;
	else process.env.DTOP_ASSUME_PREEMPTIBLE = env;
	const procs: SimpleRun[] = [];
	let catalog: Catalog | undefined;
	let s: Session | undefined;
	try {
		for (let i = 0; i < 2; i++) procs.push(await startSimple(["--count", String(N)], { timeoutMs: 120_000 }));
		// Both on CPU 0: they can only make progress by preempting each other.
		for (const p of procs) execFileSync("taskset", ["-p", "-c", "0", String(p.pid)], { stdio: "ignore" });
		catalog = new Catalog({ usdt: true });
		s = new Session({ probes: new CatalogProbes(catalog) });
		s.enable("simple*:::saw-line { @[pid] = count(); @all = sum(1); }");
		await Promise.all(procs.map((p) => p.go()));
		await Promise.all(procs.map((p) => p.exited));
		const aggs = s.tick().enablings[0].aggregations;
		const perPid = new Map<number, number>();
		for (const row of aggs.find((a) => a.name === "")?.rows ?? [])
			if (row.key[0]?.kind === "int") perPid.set(Number(row.key[0].value), Number(row.value));
		const total = Number(aggs.find((a) => a.name === "all")?.rows[0]?.value ?? -1);
		return { total, perPid, pids: procs.map((p) => p.pid) };
	} finally {
		s?.close();
		catalog?.close();
		for (const p of procs) await p.kill();
		delete process.env.DTOP_ASSUME_PREEMPTIBLE;
	}
}

test("two processes pinned to one CPU firing a USDT probe 40,000 times each count exactly 80,000", async () => {
	const r = await run(undefined);
	assert.equal(r.total, 2 * N, `sum counted ${r.total}`);
	for (const pid of r.pids) assert.equal(r.perPid.get(pid), N, `pid ${pid} counted ${r.perPid.get(pid)}`);
});

test("for comparison: the same with plain adds forced (DTOP_ASSUME_PREEMPTIBLE=0) — lost counts are reported, not asserted", async () => {
	// Losses with plain adds are a matter of where the timer tick lands: often some,
	// not always. This prints them for the record; the exact run above is the test.
	const r = await run("0");
	const lost = 2 * N - r.total;
	console.log(`# preempt=full, plain adds: counted ${r.total} of ${2 * N} (${lost} lost)`);
	assert.ok(r.total <= 2 * N && r.total > 0);
});
