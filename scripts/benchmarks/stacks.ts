// Section 7: what a user stack costs per firing, with and without frame pointers.
//
// `deepstack --wait --count N` fires deepstack:hit N times, 20 calls below main
// (main → run → f00 … f19, the probe in f19), and prints the CPU and wall time
// of the loop itself (CLOCK_PROCESS_CPUTIME_ID: the uprobe trap and the BPF
// program run in its context and are charged to it). Built twice from one
// source: `deepstack` the way distributions build (-O2, no frame pointers) and
// `deepstack-fp` with frame pointers.
//
// dtop's `@[ustack()] = count()` walks .eh_frame tables in the kernel (the
// unwinder of kernel/unwind) whichever the binary; bpftrace's `ustack` follows
// frame pointers (bpf_get_stackid), which is what the frame-pointer build is
// for, and what a frame-pointer-less binary defeats (its stacks stop after a
// frame or two). Each stack's frames say whether it reached `main`.

import { addPerfProbe, havePerf, type PerfSample, perfRun } from "./perf-dwarf.ts";
import { type CopySample, loopTiming, stackCopyRun } from "./stack-copy.ts";
import { bpftraceTotal, startBpftrace, startDtop } from "./tracers.ts";
import {
	FIXTURES,
	fmt,
	haveBpftrace,
	median,
	progress,
	type Row,
	ratio,
	type SectionResult,
	sleep,
	start,
} from "./util.ts";

const DEEPSTACK = `${FIXTURES}deepstack`;
const DEEPSTACK_FP = `${FIXTURES}deepstack-fp`;

interface Sample {
	/** CPU ns per firing of the traced loop. */
	cpu: number;
	wall: number;
	/** Firings the tracer counted. */
	seen?: number;
	/** Share of those firings whose stack reached main (0..1). */
	main?: number;
	/** Firings the loop made (N, or what the paced loop managed). */
	fired: number;
}

type Tracer = "none" | "dtop" | "bpftrace";

/** Share of counted firings whose stack holds a `main` frame, from dtop's last --json print. */
function dtopReach(stdout: string): { seen: number; main: number } {
	const lines = stdout.split("\n").filter((l) => l.startsWith("{"));
	const last = lines.at(-1);
	if (!last) return { seen: 0, main: 0 };
	const a = JSON.parse(last) as { rows: { key: { stack?: string[] }[]; value: number }[] };
	let seen = 0;
	let main = 0;
	for (const r of a.rows) {
		seen += r.value;
		if (r.key.some((k) => k.stack?.some((f) => /`main\+0x/.test(f)))) main += r.value;
	}
	return { seen, main: seen ? main / seen : 0 };
}

/**
 * The same from bpftrace's exit output (`@[\n frames…\n]: N` blocks). Its
 * frames are bare addresses by then (the process has exited before bpftrace
 * symbolizes), so a stack reaches main when it is at least MAIN_DEPTH deep:
 * f19 … f00, run, main.
 */
const MAIN_DEPTH = 22;
function bpftraceReach(stdout: string): { seen: number; main: number } {
	let seen = 0;
	let main = 0;
	for (const m of stdout.matchAll(/^@\[\n([\s\S]*?)^\]: (\d+)$/gm)) {
		const n = Number(m[2]);
		seen += n;
		if (m[1].split("\n").filter((l) => l.trim()).length >= MAIN_DEPTH) main += n;
	}
	return { seen, main: seen ? main / seen : 0 };
}

async function run(binary: string, tracer: Tracer, loop: string[]): Promise<Sample> {
	const c = start(binary, ["--wait", ...loop]);
	const count = loop[0] === "--count" ? Number(loop[1]) : 0;
	await c.line(/^ready \d+$/, 10_000);
	const pid = c.pid;
	let stopTracer: (() => Promise<{ seen: number; main: number }>) | undefined;
	try {
		if (tracer === "dtop") {
			const d = await startDtop("deepstack$target:::hit { @[ustack()] = count(); }", pid);
			stopTracer = async () => {
				if (!(await Promise.race([d.child.exited, sleep(60_000).then(() => null)]))) await d.child.interrupt(60_000);
				return dtopReach(d.child.stdout());
			};
		} else if (tracer === "bpftrace") {
			const b = await startBpftrace(`usdt:${binary}:deepstack:hit { @[ustack] = count(); }`, pid);
			stopTracer = async () => {
				if (!(await Promise.race([b.child.exited, sleep(60_000).then(() => null)]))) await b.child.interrupt(60_000);
				const out = b.child.stdout();
				return { ...bpftraceReach(out), seen: bpftraceTotal(out) };
			};
		}
		c.write("\n");
		const t = loopTiming((await c.line(/elapsed /, 600_000)).text, count);
		await c.exited;
		const reach = stopTracer ? await stopTracer() : undefined;
		stopTracer = undefined;
		return { cpu: t.cpu / t.n, wall: t.wall / t.n, seen: reach?.seen, main: reach?.main, fired: t.n };
	} finally {
		c.signal("SIGKILL");
		if (stopTracer) await stopTracer().catch(() => undefined);
	}
}

export async function stacks(opts: { quick: boolean }): Promise<SectionResult> {
	const N = opts.quick ? 200_000 : 1_000_000;
	const RUNS = opts.quick ? 2 : 3;
	const bt = haveBpftrace();
	const variants: [string, string, Tracer][] = [
		["nofp/none", DEEPSTACK, "none"],
		["nofp/dtop", DEEPSTACK, "dtop"],
		["fp/none", DEEPSTACK_FP, "none"],
		["fp/dtop", DEEPSTACK_FP, "dtop"],
	];
	if (bt) variants.push(["fp/bpftrace", DEEPSTACK_FP, "bpftrace"], ["nofp/bpftrace", DEEPSTACK, "bpftrace"]);
	const results = new Map<string, Sample[]>();
	const miscount: string[] = [];
	for (let r = 0; r < RUNS; r++)
		for (const [k, binary, tracer] of variants) {
			progress(`stacks: ${k}, run ${r + 1}/${RUNS}, ${N.toLocaleString("en-US")} firings`);
			const s = await run(binary, tracer, ["--count", String(N)]);
			if (!results.has(k)) results.set(k, []);
			results.get(k)!.push(s);
			if (s.seen !== undefined && s.seen !== N) miscount.push(`${k} run ${r + 1} counted ${s.seen}`);
		}
	// Design (b), the stack copy: flat out, and paced at RATE beside the kernel walk and no tracing.
	const RATE = 20_000;
	const SECONDS = opts.quick ? 1 : 2;
	const paced = ["--rate", String(RATE), "--seconds", String(SECONDS)];
	const copies: CopySample[] = [];
	const pacedCopies: CopySample[] = [];
	const pacedNone: Sample[] = [];
	const pacedDtop: Sample[] = [];
	for (let r = 0; r < RUNS; r++) {
		progress(`stacks: stack copy (design b), run ${r + 1}/${RUNS}, ${N.toLocaleString("en-US")} firings flat out`);
		copies.push(await stackCopyRun(DEEPSTACK, ["--count", String(N)], MAIN_DEPTH));
		progress(`stacks: paced at ${RATE}/s for ${SECONDS} s: none, dtop, stack copy (run ${r + 1}/${RUNS})`);
		pacedNone.push(await run(DEEPSTACK, "none", paced));
		pacedDtop.push(await run(DEEPSTACK, "dtop", paced));
		pacedCopies.push(await stackCopyRun(DEEPSTACK, paced, MAIN_DEPTH));
	}
	// perf's way: a copy of 8 KiB of stack per sample to perf.data, unwound afterwards by perf script.
	const perfRuns: PerfSample[] = [];
	const PERF_N = opts.quick ? 5_000 : 20_000;
	if (havePerf()) {
		const removeProbe = addPerfProbe(DEEPSTACK);
		try {
			for (let r = 0; r < RUNS; r++) {
				progress(
					`stacks: perf record --call-graph dwarf, run ${r + 1}/${RUNS}, ${PERF_N.toLocaleString("en-US")} firings`,
				);
				perfRuns.push(await perfRun(DEEPSTACK, PERF_N));
			}
		} finally {
			removeProbe();
		}
	}
	const cpu = (k: string) => median((results.get(k) ?? []).map((x) => x.cpu));
	const wall = (k: string) => median((results.get(k) ?? []).map((x) => x.wall));
	const reach = (k: string) => median((results.get(k) ?? []).map((x) => x.main ?? 0));
	/** What tracing adds to a firing: the traced loop's CPU minus the untraced one's. */
	const extra = (k: string) => cpu(k) - cpu(k.replace(/\/.*/, "/none"));
	const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
	const rows: Row[] = [];
	const single = (what: string, k: string, notes = "") =>
		rows.push({ what, dtop: fmt(cpu(k), "ns"), peer: "", ratio: "", notes: `${notes}wall ${fmt(wall(k), "ns")}` });
	single("deepstack (no frame pointers), no tracing", "nofp/none");
	single("deepstack-fp (frame pointers), no tracing", "fp/none");
	const traced = (what: string, d: string, peer: string | undefined) =>
		rows.push({
			what,
			dtop: `${fmt(extra(d), "ns")} (${pct(reach(d))} reach main)`,
			peer: peer && bt ? `${fmt(extra(peer), "ns")} (${pct(reach(peer))} reach main)` : bt ? "" : "bpftrace missing",
			ratio: peer && bt ? ratio(extra(d), extra(peer)) : "",
			notes: `added CPU per firing (traced minus untraced loop); dtop's loop ${fmt(cpu(d), "ns")}`,
		});
	traced(
		"`@[ustack()] = count()`, no frame pointers (dtop) vs bpftrace `ustack` with frame pointers",
		"nofp/dtop",
		"fp/bpftrace",
	);
	traced("`@[ustack()] = count()`, frame pointers, both", "fp/dtop", "fp/bpftrace");
	traced("`@[ustack()] = count()`, no frame pointers, both", "nofp/dtop", "nofp/bpftrace");
	const med = <T>(xs: T[], f: (x: T) => number) => median(xs.map(f));
	const lostShare = med(copies, (x) => x.lost / (x.lost + x.records));
	rows.push({
		what: "stack copy (design b: 8 KiB per firing to a ring buffer, unwound in user space), no frame pointers, flat out",
		dtop: `${pct(1 - lostShare)} of firings walked`,
		peer: "",
		ratio: "",
		notes:
			`${pct(lostShare)} lost (64 MiB ring buffer full); consumer ${fmt(
				med(copies, (x) => x.consumerNs),
				"ns",
			)} CPU per record; ` +
			`${fmt(med(copies, (x) => x.bytesPerSecond) / 2 ** 20, "MiB/s")} through the ring buffer; ` +
			`${pct(med(copies, (x) => x.main))} of walked records reach main`,
	});
	const pacedBase = med(pacedNone, (x) => x.cpu);
	const pacedKernel = med(pacedDtop, (x) => x.cpu) - pacedBase;
	const pacedCopy = med(pacedCopies, (x) => x.cpu) - pacedBase;
	const pacedConsumer = med(pacedCopies, (x) => x.consumerNs);
	rows.push({
		what: `paced at ${RATE.toLocaleString("en-US")} firings/s, no frame pointers: in-kernel walk (dtop) vs stack copy`,
		dtop: fmt(pacedKernel, "ns"),
		peer: `${fmt(pacedCopy, "ns")} + ${fmt(pacedConsumer, "ns")} consumer`,
		ratio: ratio(pacedKernel, pacedCopy + pacedConsumer),
		notes:
			`added CPU per firing in the traced process; the copy's consumer CPU per record on top (${pct((pacedConsumer * RATE) / 1e9)} of a CPU at this rate), ` +
			`${fmt(med(pacedCopies, (x) => x.bytesPerSecond) / 2 ** 20, "MiB/s")} through the ring buffer, ` +
			`${med(pacedCopies, (x) => x.lost)} lost; dtop's walk keeps the counts in the kernel`,
	});
	if (perfRuns.length) {
		const added = med(perfRuns, (x) => x.cpu) - cpu("nofp/none");
		const rec = med(perfRuns, (x) => x.recordNs);
		const scr = med(perfRuns, (x) => x.scriptNs);
		rows.push({
			what: "`@[ustack()] = count()` (dtop) vs `perf record --call-graph dwarf` + `perf script`, no frame pointers",
			dtop: `${fmt(extra("nofp/dtop"), "ns")} (${pct(reach("nofp/dtop"))} reach main)`,
			peer: `${fmt(added + rec + scr, "ns")} (${pct(med(perfRuns, (x) => x.main))} of kept samples reach main)`,
			ratio: ratio(extra("nofp/dtop"), added + rec + scr),
			notes:
				`perf: ${fmt(added, "ns")} in the traced process + ${fmt(rec, "ns")} perf record + ${fmt(scr, "ns")} perf script per sample; ` +
				`${pct(med(perfRuns, (x) => x.samples / x.fired))} of ${PERF_N.toLocaleString("en-US")} firings kept as samples (the rest lost by perf), ` +
				`${fmt(med(perfRuns, (x) => x.bytesPerSample) / 1024, "KiB")} of perf.data per sample`,
		});
	}
	const vsFp = extra("nofp/dtop") / extra("fp/bpftrace");
	const after = [
		`Goals: ≥ 99 % of stacks reach main without frame pointers: ${pct(reach("nofp/dtop"))} ` +
			`(${reach("nofp/dtop") >= 0.99 ? "met" : "missed"}); cost per firing within 2× of the frame-pointer stack ` +
			`(bpftrace's \`ustack\` on deepstack-fp): ${bt ? `${vsFp.toFixed(2)}×` : "not measured"} ` +
			`(${bt ? (vsFp <= 2 ? "met" : "missed") : "bpftrace missing"}).`,
		"The stack copy is design (b), kernel/unwind/copy.ts (the prototype; the peer column of the paced row): what " +
			"`perf record --call-graph dwarf` does (8 KiB per sample by default); perf itself is the row after it, on an SDT event " +
			"`perf probe` makes for the run and removes after.",
		miscount.length
			? `Count mismatches: ${miscount.join("; ")}.`
			: `Every traced run counted exactly ${N.toLocaleString("en-US")} firings.`,
	];
	return {
		id: "stacks",
		title: "8. User stacks without frame pointers",
		method:
			`\`test/fixtures/bin/deepstack --wait --count ${N.toLocaleString("en-US")}\` fires the USDT probe deepstack:hit N times ` +
			"20 calls below main and prints the CPU time (CLOCK_PROCESS_CPUTIME_ID, which includes the uprobe trap and the BPF program) " +
			"and wall time of its loop; `deepstack` is built -O2 -fomit-frame-pointer, `deepstack-fp` the same source with frame " +
			"pointers. dtop runs `scripts/dtop --json -p PID -n 'deepstack$target:::hit { @[ustack()] = count(); }'`, which walks " +
			"`.eh_frame` in the kernel for either build; bpftrace runs `usdt:…:deepstack:hit { @[ustack] = count(); }`, which follows " +
			"frame pointers. Figures are the CPU a firing adds (traced loop minus untraced loop of the same binary), with the share of " +
			"counted firings whose stack reaches `main` (dtop's by name; bpftrace's frames are bare addresses once the process " +
			`has exited, so by depth: at least ${MAIN_DEPTH} frames). ${RUNS} runs of each row, interleaved; medians. Ratio = dtop / bpftrace.`,
		rows,
		after,
	};
}
