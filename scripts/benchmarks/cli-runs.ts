// Whole-tool runs of dtop and bpftrace on the same probe sets: start to ready
// (every probe attached), resident memory once settled, and SIGINT to exit
// (detaching everything). Kept per invocation, so the attach and memory
// sections share one set of runs of the slow ones.
import { tracefs } from "../../kernel/tracefs/index.ts";
import { type Ready, startBpftrace, startDtop } from "./tracers.ts";
import {
	BENCH_LOOP,
	type Child,
	progress,
	rssKiB,
	SIMPLE,
	type Simple,
	sleep,
	startLoop,
	startSimple,
} from "./util.ts";

export interface CliRun {
	startMs: number;
	exitMs: number;
	rssKiB: number;
	/** SIGINTs that had to be repeated before it took one (exitMs counts from the one it took). */
	repeats: number;
	/** Probes the tool said it attached. */
	probes: number;
}

export type ProbeSet = "usdt1" | "uprobe100" | "syscalls" | "tracepoints";
export type Tool = "dtop" | "bpftrace";

const cache = new Map<string, CliRun[]>();

/** Idle processes to trace, started on first use and stopped by `stopTargets`. */
let simple: Simple | undefined;
let loop: Child | undefined;

async function target(set: ProbeSet): Promise<number | undefined> {
	if (set === "usdt1") {
		simple ??= await startSimple(["--count", "1"]);
		return simple.pid;
	}
	if (set === "uprobe100") {
		loop ??= await startLoop([]);
		return loop.pid;
	}
	return undefined;
}

export function stopTargets(): void {
	simple?.kill();
	loop?.signal("SIGKILL");
	simple = undefined;
	loop = undefined;
}

function launch(tool: Tool, set: ProbeSet, pid: number | undefined): Promise<Ready> {
	if (tool === "dtop") {
		const clause = {
			usdt1: "simple$target:::saw-line { @ = count(); }",
			uprobe100: "pid$target:bench-loop:bf_0*:entry { @ = count(); }",
			syscalls: "syscall:::entry { @ = count(); }",
			tracepoints: "sdt:[a-h]*:: { @ = count(); }",
		}[set];
		return startDtop(clause, pid);
	}
	const program = {
		usdt1: `usdt:${SIMPLE}:simple:saw__line { @ = count(); }`,
		uprobe100: `uprobe:${BENCH_LOOP}:bf_0* { @ = count(); }`,
		syscalls: "tracepoint:syscalls:sys_enter_* { @ = count(); }",
		// bpftrace's globs have no [a-h]: name each such group.
		tracepoints: `${tracefs()
			.groups()
			.filter((g) => /^[a-h]/.test(g))
			.map((g) => `tracepoint:${g}:*`)
			.join(",")} { @ = count(); }`,
	}[set];
	return startBpftrace(program, pid);
}

function probesOf(tool: Tool, c: Child): number {
	const m = tool === "dtop" ? /matched (\d+) probes?\b/.exec(c.stderr()) : /^Attaching (\d+) probes/m.exec(c.stdout());
	// bpftrace counts its BEGIN and END probes too.
	return m ? Number(m[1]) - (tool === "bpftrace" ? 2 : 0) : Number.NaN;
}

/** `runs` runs of one tool on one probe set (fewer if the cache already has some). */
export async function cliRuns(tool: Tool, set: ProbeSet, runs: number, settleMs = 1100): Promise<CliRun[]> {
	const key = `${tool}/${set}`;
	const have = cache.get(key) ?? [];
	cache.set(key, have);
	while (have.length < runs) {
		progress(`${tool} on ${set}: run ${have.length + 1}/${runs} (start, settle, SIGINT, exit)`);
		const pid = await target(set);
		const r = await launch(tool, set, pid);
		await sleep(settleMs);
		const rss = rssKiB(r.child.pid);
		const e = await r.child.interrupt();
		have.push({ startMs: r.startMs, exitMs: e.ms, repeats: e.repeats, rssKiB: rss, probes: probesOf(tool, r.child) });
	}
	return have.slice(0, Math.max(runs, have.length));
}
