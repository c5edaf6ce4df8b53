// Benchmarks of the probe catalog and `dtop -l` (called by scripts/bench, or
//   node --import tsx scripts/bench-list.ts [--runs N] [--churn N] [--json]
// on its own):
//   1. start-to-exit time of `dtop -l` (bundle, with and without the object
//      index) against `node -e 0` and `bpftrace -l`, interleaved round by round
//      so a busy machine slows them alike; medians and minimums;
//   2. cold catalog and warm USDT rescan with 200 extra `sleep` processes;
//   3. memory (RSS, heap after GC) before and after N short-lived processes
//      carrying USDT probes, rescanning every 100 ms as the live catalog does.

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Catalog } from "../source/catalog/index.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const CLI = `${ROOT}build/cli.js`;
const SIMPLE = `${ROOT}test/fixtures/bin/simple`;

export interface Timing {
	median: number;
	min: number;
	runs: number;
}

export interface ListBench {
	processes: number;
	probes: number;
	startup: Record<string, Timing>;
	dtopMinusNode: number;
	rescan: { extraSleeps: number; processes: number; coldMs: number; warmMedianMs: number; warmMaxMs: number };
	churn?: {
		started: number;
		seen: number;
		rssBeforeMiB: number;
		rssAfterMiB: number;
		heapBeforeMiB: number;
		heapAfterMiB: number;
		trackedAfter: number;
		objectsAfter: number;
		seconds: number;
	};
}

function stats(xs: number[]): Timing {
	const s = [...xs].sort((a, b) => a - b);
	return { median: s[Math.floor((s.length - 1) / 2)], min: s[0], runs: s.length };
}

function timeRun(cmd: string, args: string[], env?: NodeJS.ProcessEnv): number {
	const t0 = process.hrtime.bigint();
	const r = spawnSync(cmd, args, { stdio: ["ignore", "ignore", "ignore"], env: env ?? process.env });
	if (r.error) throw r.error;
	return Number(process.hrtime.bigint() - t0) / 1e6;
}

function gc(): void {
	setFlagsFromString("--expose-gc");
	(runInNewContext("gc") as () => void)();
}

const mib = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;

export async function benchList(options: { runs?: number; churn?: number } = {}): Promise<ListBench> {
	const runs = options.runs ?? 15;
	execFileSync(`${ROOT}scripts/build`, ["--if-stale"], { stdio: "inherit" });

	// 1. Start-up, interleaved.
	const cacheDir = mkdtempSync(join(tmpdir(), "dtop-bench-"));
	const withIndex = { ...process.env, DTOP_CACHE_DIR: cacheDir };
	const noIndex = { ...process.env, DTOP_CACHE_DIR: "" };
	timeRun(process.execPath, [CLI, "-l"], withIndex); // fills the index
	const hasBpftrace = spawnSync("bpftrace", ["--version"], { stdio: "ignore" }).status === 0;
	const t: Record<string, number[]> = { "node -e 0": [], "dtop -l": [], "dtop -l (no index)": [] };
	if (hasBpftrace) t["bpftrace -l"] = [];
	for (let i = 0; i < runs; i++) {
		t["node -e 0"].push(timeRun(process.execPath, ["-e", "0"]));
		t["dtop -l"].push(timeRun(process.execPath, [CLI, "-l"], withIndex));
		t["dtop -l (no index)"].push(timeRun(process.execPath, [CLI, "-l"], noIndex));
		if (hasBpftrace) t["bpftrace -l"].push(timeRun("bpftrace", ["-l"]));
	}
	rmSync(cacheDir, { recursive: true, force: true });
	const startup = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v)]));

	// 2. Warm rescan with 200 more processes.
	const sleeps = Array.from({ length: 200 }, () => spawn("sleep", ["600"], { stdio: "ignore" }));
	await new Promise((r) => setTimeout(r, 300));
	const t0 = performance.now();
	const catalog = new Catalog();
	const coldMs = performance.now() - t0;
	const warm: number[] = [];
	for (let i = 0; i < 20; i++) {
		const s = performance.now();
		catalog.refresh();
		warm.push(performance.now() - s);
	}
	const processes = catalog.stats().processes;
	const probes = catalog.stats().probes;
	for (const s of sleeps) s.kill("SIGKILL");
	await Promise.all(sleeps.map((s) => (s.exitCode !== null ? undefined : new Promise((r) => s.once("exit", r)))));
	catalog.close();
	const w = [...warm].sort((a, b) => a - b);
	const result: ListBench = {
		processes,
		probes,
		startup,
		dtopMinusNode: startup["dtop -l"].median - startup["node -e 0"].median,
		rescan: {
			extraSleeps: 200,
			processes,
			coldMs,
			warmMedianMs: w[Math.floor(w.length / 2)],
			warmMaxMs: w[w.length - 1],
		},
	};

	// 3. Memory across many short-lived processes with USDT probes.
	const churn = options.churn ?? 0;
	if (churn > 0 && existsSync(SIMPLE)) {
		const live = new Catalog();
		let seen = 0;
		live.subscribe((c) => {
			seen += c.added.filter((p) => p.kind === "usdt" && p.name === "saw-line").length;
		});
		for (let i = 0; i < 20; i++) live.refresh();
		gc();
		const before = process.memoryUsage();
		const c0 = performance.now();
		live.watch(100);
		// Batches of 50 fixture processes, each alive ~150 ms so most are seen.
		const script = `for i in $(seq ${Math.ceil(churn / 50)}); do for j in $(seq 50); do "${SIMPLE}" --sleep-ms 150 >/dev/null & done; wait; done`;
		await new Promise<void>((resolve, reject) => {
			const sh = spawn("bash", ["-c", script], { stdio: "ignore" });
			sh.on("exit", () => resolve());
			sh.on("error", reject);
		});
		await new Promise((r) => setTimeout(r, 600));
		live.close();
		live.refresh();
		gc();
		const afterMem = process.memoryUsage();
		const s = live.stats();
		result.churn = {
			started: Math.ceil(churn / 50) * 50,
			seen,
			rssBeforeMiB: mib(before.rss),
			rssAfterMiB: mib(afterMem.rss),
			heapBeforeMiB: mib(before.heapUsed),
			heapAfterMiB: mib(afterMem.heapUsed),
			trackedAfter: s.processes,
			objectsAfter: s.objects,
			seconds: Math.round((performance.now() - c0) / 100) / 10,
		};
	}
	return result;
}

function arg(name: string): string | undefined {
	const i = process.argv.indexOf(name);
	return i >= 0 ? process.argv[i + 1] : undefined;
}

if (process.argv[1] && new URL(import.meta.url).pathname === process.argv[1]) {
	const r = await benchList({ runs: Number(arg("--runs") ?? 15), churn: Number(arg("--churn") ?? 0) });
	if (process.argv.includes("--json")) {
		console.log(JSON.stringify(r));
	} else {
		console.log(`dtop -l: ${r.probes} probes, ${r.processes} processes (with 200 extra sleeps)`);
		for (const [k, v] of Object.entries(r.startup)) {
			console.log(
				`  ${k.padEnd(20)} median ${v.median.toFixed(0).padStart(5)} ms   min ${v.min.toFixed(0).padStart(5)} ms`,
			);
		}
		console.log(`  dtop -l − node -e 0: ${r.dtopMinusNode.toFixed(0)} ms (goal ≤ 100)`);
		console.log(
			`rescan with ${r.rescan.processes} processes: cold ${r.rescan.coldMs.toFixed(0)} ms, warm median ${r.rescan.warmMedianMs.toFixed(1)} ms, max ${r.rescan.warmMaxMs.toFixed(1)} ms (goal ≤ 300)`,
		);
		if (r.churn) {
			const c = r.churn;
			console.log(
				`churn: ${c.started} short-lived processes in ${c.seconds} s, ${c.seen} seen with their probes; RSS ${c.rssBeforeMiB} → ${c.rssAfterMiB} MiB, heap ${c.heapBeforeMiB} → ${c.heapAfterMiB} MiB; afterwards ${c.trackedAfter} processes and ${c.objectsAfter} objects tracked`,
			);
		}
	}
}
