// Section 1: what one firing costs the traced program.
//
// The figure is CPU time of the traced process per firing: the uprobe trap or
// system call and the BPF program run in its context and are charged to it,
// while the time it spends waiting for a CPU (this machine is shared) is not.
// Wall-clock time is kept for the notes.
//
// USDT: `simple --wait --count N` under `perf stat -e task-clock` fires
// simple:saw__line N times (one per round; each round also passes three other,
// untraced USDT sites and a call into libsimple). The task-clock of a
// `--count 0` run is subtracted. Wall time runs from its `semaphore` line
// (right before the loop) to its `done` line (right after), both read the same
// way. Tracers attach before the loop and stop after it.
//
// Tracepoint: `bench-loop --getppid N` measures the CPU and wall time of N
// getppid(2) calls itself.
import { attachTracepoint, attachUprobeMulti } from "../../kernel/attach/index.ts";
import { ElfFile } from "../../kernel/elf/index.ts";
import { tracefs } from "../../kernel/tracefs/index.ts";
import { bpftraceTotal, dtopTotal, emptyProgram, startBpftrace, startDtop } from "./tracers.ts";
import {
	fmt,
	haveBpftrace,
	median,
	progress,
	type Row,
	ratio,
	type SectionResult,
	SIMPLE,
	sleep,
	spread,
	startLoop,
	startSimple,
} from "./util.ts";

export interface Sample {
	/** CPU ns per firing (the traced process's user + kernel time, BPF programs included). */
	cpu: number;
	/** Wall-clock ns per firing. */
	wall: number;
	/** What the tracer counted, if it counts. */
	seen?: number;
}

interface Variant {
	key: string;
	run(n: number): Promise<Sample>;
	/** The rows the goals are judged on get more runs. */
	extra?: boolean;
}

/** Starts a tracer around a loop; the returned function stops it and says what it counted. */
export type Around = (pid: number | undefined) => Promise<() => Promise<number | undefined>>;

export function sawLineOffset(): bigint {
	const p = ElfFile.open(SIMPLE)
		.usdtProbes()
		.find((u) => u.provider === "simple" && u.name === "saw__line");
	if (!p) throw new Error(`${SIMPLE} has no simple:saw__line probe; rebuild the fixtures.`);
	return BigInt(p.pcOffset);
}

/** CPU time of `simple --count 0` (start-up and exit), subtracted from every USDT run. */
export async function simpleOverheadMs(): Promise<number> {
	const xs: number[] = [];
	for (let i = 0; i < 5; i++) {
		const f = await startSimple(["--count", "0"]);
		await f.go();
		await f.exited;
		xs.push(f.taskClockMs());
	}
	return median(xs);
}

export async function usdtLoop(n: number, baseMs: number, around: Around): Promise<Sample> {
	const f = await startSimple(["--count", String(n)]);
	let finish: (() => Promise<number | undefined>) | undefined;
	try {
		finish = await around(f.pid);
		const t0 = await f.go();
		const t1 = (await f.line(/^done$/, 600_000)).at;
		await f.exited;
		const seen = await finish();
		finish = undefined;
		return { cpu: ((f.taskClockMs() - baseMs) * 1e6) / n, wall: ((t1 - t0) * 1e6) / n, seen };
	} finally {
		f.kill();
		if (finish) await finish().catch(() => undefined);
	}
}

async function getppidLoop(n: number, around: Around): Promise<Sample> {
	const f = await startLoop(["--getppid", String(n)]);
	let finish: (() => Promise<number | undefined>) | undefined;
	try {
		finish = await around(undefined);
		f.go();
		const m = /^elapsed (\d+) cpu (\d+)$/.exec((await f.line(/^elapsed /, 600_000)).text);
		if (!m) throw new Error("bench-loop printed no timing; rebuild the fixtures.");
		await f.line(/^done$/);
		await f.exited;
		const seen = await finish();
		finish = undefined;
		return { cpu: Number(m[2]) / n, wall: Number(m[1]) / n, seen };
	} finally {
		f.signal("SIGKILL");
		if (finish) await finish().catch(() => undefined);
	}
}

const noTracer: Around = async () => async () => undefined;

/** dtop with -p PID (it exits with the target) or without (stopped like Ctrl-C). */
export function dtopAround(clause: string): Around {
	return async (pid) => {
		const d = await startDtop(clause, pid);
		return async () => {
			// With -p it exits with the target; otherwise stop it like Ctrl-C.
			if (pid === undefined || !(await Promise.race([d.child.exited, sleep(30_000).then(() => null)])))
				await d.child.interrupt(60_000);
			return dtopTotal(d.child.stdout());
		};
	};
}

export function bpftraceAround(program: string): Around {
	return async (pid) => {
		const b = await startBpftrace(program, pid);
		return async () => {
			if (pid === undefined || !(await Promise.race([b.child.exited, sleep(30_000).then(() => null)])))
				await b.child.interrupt(60_000);
			return bpftraceTotal(b.child.stdout());
		};
	};
}

export async function firing(opts: { quick: boolean }): Promise<SectionResult> {
	const N = opts.quick ? 500_000 : 5_000_000;
	const RUNS = 3;
	// The rows the goals are judged on (none, empty, dtop and bpftrace count()) get more runs.
	const EXTRA_RUNS = opts.quick ? 3 : 5;
	const bt = haveBpftrace();
	const offset = sawLineOffset();
	const multi = emptyProgram("uprobe-multi");
	const tpProg = emptyProgram("tracepoint");
	const tf = tracefs();
	const usdtDesc = "simple$target:::saw-line";
	const usdtProbe = `usdt:${SIMPLE}:simple:saw__line`;
	progress("firing: CPU time of `simple --count 0` (subtracted from every USDT run)");
	const baseMs = await simpleOverheadMs();

	const usdt = (key: string, around: Around, extra = false): Variant => ({
		key,
		run: (n) => usdtLoop(n, baseMs, around),
		extra,
	});
	const tp = (key: string, around: Around): Variant => ({ key, run: (n) => getppidLoop(n, around) });
	const usdtVariants: Variant[] = [
		usdt("none", noTracer, true),
		usdt(
			"empty",
			async (pid) => {
				const link = attachUprobeMulti(multi.fd, { path: SIMPLE, pid, sites: [{ offset, cookie: 0n }] });
				return async () => {
					link.close();
					return undefined;
				};
			},
			true,
		),
		usdt("dtop count", dtopAround(`${usdtDesc} { @ = count(); }`), true),
		usdt("dtop ustack", dtopAround(`${usdtDesc} { @[ustack()] = count(); }`)),
		usdt("dtop quantize", dtopAround(`${usdtDesc} { @ = quantize(arg0); }`)),
	];
	if (bt)
		usdtVariants.push(
			usdt("bpftrace count", bpftraceAround(`${usdtProbe} { @ = count(); }`), true),
			usdt("bpftrace ustack", bpftraceAround(`${usdtProbe} { @[ustack] = count(); }`)),
			usdt("bpftrace hist", bpftraceAround(`${usdtProbe} { @ = hist(arg0); }`)),
		);
	const emptyTp = (group: string, event: string): Around => {
		return async () => {
			const link = attachTracepoint(tpProg.fd, { id: tf.eventId(group, event), name: `${group}:${event}` });
			return async () => {
				link.close();
				return undefined;
			};
		};
	};
	const tpVariants: Variant[] = [
		tp("none", noTracer),
		tp("empty sys_enter_getppid", emptyTp("syscalls", "sys_enter_getppid")),
		tp("empty raw sys_enter", emptyTp("raw_syscalls", "sys_enter")),
		tp("dtop count", dtopAround("syscall::getppid:entry { @ = count(); }")),
	];
	if (bt)
		tpVariants.push(tp("bpftrace count", bpftraceAround("tracepoint:syscalls:sys_enter_getppid { @ = count(); }")));

	const results = new Map<string, Sample[]>();
	const miscount: string[] = [];
	try {
		// Interleaved: run r of every variant before run r + 1 of any, so drift
		// on this noisy machine spreads over all rows alike.
		for (let r = 0; r < EXTRA_RUNS; r++) {
			for (const [group, variants] of [
				["usdt", usdtVariants],
				["tp", tpVariants],
			] as const) {
				for (const v of variants) {
					if (r >= RUNS && !v.extra) continue;
					const k = `${group}/${v.key}`;
					const of = v.extra ? EXTRA_RUNS : RUNS;
					progress(`firing: ${k}, run ${r + 1}/${of}, ${N.toLocaleString("en-US")} firings`);
					const res = await v.run(N);
					if (!results.has(k)) results.set(k, []);
					results.get(k)!.push(res);
					// Tracepoint counts include other processes' getppid calls: at least N.
					if (res.seen !== undefined && (group === "usdt" ? res.seen !== N : res.seen < N))
						miscount.push(`${k} run ${r + 1} counted ${res.seen.toLocaleString("en-US")}`);
				}
			}
		}
	} finally {
		multi.close();
		tpProg.close();
	}

	const cpu = (k: string) => median((results.get(k) ?? []).map((x) => x.cpu));
	const wall = (k: string) => median((results.get(k) ?? []).map((x) => x.wall));
	const runs = (k: string) =>
		spread(
			(results.get(k) ?? []).map((x) => x.cpu),
			"",
		);
	const note = (k: string) => `wall ${fmt(wall(k), "ns")}; CPU ${runs(k)}`;
	const rows: Row[] = [];
	const single = (what: string, k: string, extra = "") =>
		rows.push({ what, dtop: fmt(cpu(k), "ns"), peer: "", ratio: "", notes: `${extra}${note(k)}` });
	const pair = (what: string, d: string, b: string, floor: string) =>
		rows.push({
			what,
			dtop: fmt(cpu(d), "ns"),
			peer: bt ? fmt(cpu(b), "ns") : "bpftrace missing",
			ratio: ratio(cpu(d), cpu(b)),
			notes: `${ratio(cpu(d), cpu(floor))} the empty program. dtop ${note(d)}. bpftrace ${note(b)}`,
		});
	single("USDT, no tracing", "usdt/none");
	single("USDT, empty BPF program (uprobe_multi)", "usdt/empty", "the floor; ");
	pair("USDT `@ = count()`", "usdt/dtop count", "usdt/bpftrace count", "usdt/empty");
	pair("USDT `@[ustack()] = count()`", "usdt/dtop ustack", "usdt/bpftrace ustack", "usdt/empty");
	pair("USDT `@ = quantize(arg0)` (bpftrace `hist(arg0)`)", "usdt/dtop quantize", "usdt/bpftrace hist", "usdt/empty");
	single("getppid(2), no tracing", "tp/none");
	single(
		"getppid(2), empty program on `syscalls:sys_enter_getppid`",
		"tp/empty sys_enter_getppid",
		"bpftrace's attachment; ",
	);
	single(
		"getppid(2), empty program on `raw_syscalls:sys_enter`",
		"tp/empty raw sys_enter",
		"dtop's attachment (one for every system call); ",
	);
	pair("`syscall::getppid:entry { @ = count(); }`", "tp/dtop count", "tp/bpftrace count", "tp/empty raw sys_enter");

	const c = cpu("usdt/dtop count") / cpu("usdt/empty");
	const b = cpu("usdt/dtop count") / cpu("usdt/bpftrace count");
	const after = [
		`Goals: dtop \`count()\` within 1.1× of the empty program: ${c.toFixed(2)}× (${c <= 1.1 ? "met" : "missed"}); ` +
			`no slower than bpftrace: ${b.toFixed(2)}× (${b <= 1 ? "met" : "missed"}).`,
		"dtop serves every `syscall` probe from one `raw_syscalls:sys_enter` program that looks the system-call number up " +
			"in a map, so while it is enabled every system call of every process pays about the empty raw_syscalls program's " +
			`extra (${fmt(cpu("tp/empty raw sys_enter") - cpu("tp/none"), "ns")} here) plus a map lookup; bpftrace's ` +
			"per-syscall tracepoint costs only the traced call.",
		miscount.length
			? `Count mismatches: ${miscount.join("; ")}.`
			: `Every traced USDT run counted exactly ${N.toLocaleString("en-US")} firings.`,
	];
	return {
		id: "firing",
		title: "1. Cost per firing",
		method:
			"Figures are CPU time of the traced process per firing (user + kernel time, which includes the uprobe trap and the BPF " +
			"program); wall-clock time per firing is in the notes (on this shared 2-CPU machine wall time mostly measures other load). " +
			`USDT: \`test/fixtures/bin/simple --wait --count ${N.toLocaleString("en-US")}\` fires \`simple:saw__line\` once per round ` +
			"(each round also passes three untraced USDT sites and calls into libsimple). It runs under `perf stat -e task-clock`; the " +
			"task-clock of a `--count 0` run (start-up and exit) is subtracted, and the rest divided by N. Wall time runs from its " +
			"`semaphore` line (printed just before the loop) to its `done` line. Tracers attach before the loop and stop after it, so " +
			"their start-up and exit are outside the measurement. dtop runs as `scripts/dtop --json -p PID -n CLAUSE` (ready when it " +
			"prints `matched N probes`); bpftrace as `bpftrace -p PID -e 'usdt:…/simple:simple:saw__line {…} BEGIN { printf(\"ready\\n\") } END {…}'`. " +
			"The empty program is `r0 = 0; exit`, attached with uprobe_multi to the same process. Tracepoint: " +
			"`test/fixtures/bin/bench-loop --getppid N` measures the CPU and wall time of N raw getppid(2) calls itself; dtop and " +
			`bpftrace run without -p and are stopped with SIGINT. ${RUNS} runs of every row (${EXTRA_RUNS} of the USDT ` +
			"no-tracing, empty-program and `count()` rows the goals are judged on), interleaved; medians. " +
			"Ratio = dtop / bpftrace.",
		rows,
		after,
	};
}
