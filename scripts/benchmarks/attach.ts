// Section 2: how long attaching and detaching take.
//
// - kernel/attach alone: one empty program attached to 1 and to 100 function
//   entries of a live, idle bench-loop process, as one uprobe_multi link or as
//   perf-event links (one per site), and closed again.
// - Session.enable / Session.disable of one clause (what a keystroke in the UI
//   costs), in this process, against a live catalog.
// - The whole tools, start to ready and SIGINT to exit, on the same probe set:
//   dtop (`scripts/dtop -n …`) and bpftrace (`bpftrace -e …`).
import {
	attachTracepoint,
	attachUprobeMulti,
	attachUprobePerf,
	type Link,
	type UprobeSite,
} from "../../kernel/attach/index.ts";
import { ElfFile } from "../../kernel/elf/index.ts";
import { tracefs } from "../../kernel/tracefs/index.ts";
import { Catalog } from "../../source/catalog/index.ts";
import { CatalogProbes } from "../../source/session/catalog-source.ts";
import { Session } from "../../source/session/session.ts";
import { cliRuns, stopTargets } from "./cli-runs.ts";
import { emptyProgram } from "./tracers.ts";
import {
	BENCH_LOOP,
	fmt,
	haveBpftrace,
	median,
	progress,
	type Row,
	ratio,
	type SectionResult,
	spread,
	startLoop,
	startSimple,
} from "./util.ts";

/** File offsets of bf_000, bf_001, … in bench-loop. */
function functionSites(n: number): UprobeSite[] {
	const elf = ElfFile.open(BENCH_LOOP);
	const syms = elf
		.symbols()
		.symbols.filter((s) => /^bf_\d{3}$/.test(s.name))
		.sort((a, b) => (a.name < b.name ? -1 : 1))
		.slice(0, n);
	if (syms.length < n) throw new Error(`${BENCH_LOOP} has only ${syms.length} bf_ functions; rebuild the fixtures.`);
	return syms.map((s, i) => {
		const off = elf.addressToOffset(s.address);
		if (off === undefined) throw new Error(`${s.name} is outside every segment of ${BENCH_LOOP}`);
		return { offset: BigInt(off), cookie: BigInt(i) };
	});
}

/** A note when some run needed its SIGINT repeated (bpftrace 0.17 sometimes sleeps through the first). */
function repeated(runs: readonly { repeats: number }[]): string {
	const n = runs.filter((r) => r.repeats > 0).length;
	return n ? `; ${n} run(s) slept through the first SIGINT and got another (timed from the one taken)` : "";
}

/** Probes attached, as the tool said (the largest over the runs). */
function probes(runs: readonly { probes: number }[]): string {
	const n = Math.max(...runs.map((r) => r.probes).filter((x) => Number.isFinite(x)));
	return Number.isFinite(n) ? String(n) : "?";
}

function timed<T>(f: () => T): [T, number] {
	const t = performance.now();
	const v = f();
	return [v, performance.now() - t];
}

export async function attach(opts: { quick: boolean }): Promise<SectionResult> {
	const rows: Row[] = [];
	const after: string[] = [];
	const bt = haveBpftrace();

	// ---- kernel/attach -----------------------------------------------------------
	const loop = await startLoop([]);
	const multi = emptyProgram("uprobe-multi");
	const perf = emptyProgram("uprobe-perf");
	const tp = emptyProgram("tracepoint");
	const tf = tracefs();
	const raw = { id: tf.eventId("raw_syscalls", "sys_enter"), name: "raw_syscalls:sys_enter" };
	const one = { id: tf.eventId("syscalls", "sys_enter_getppid"), name: "syscalls:sys_enter_getppid" };
	const sites1 = functionSites(1);
	const sites100 = functionSites(100);
	const t: Record<string, { attach: number[]; detach: number[] }> = {};
	const record = (k: string, link: () => Link) => {
		const [l, a] = timed(link);
		const [, d] = timed(() => l.close());
		t[k] ??= { attach: [], detach: [] };
		t[k].attach.push(a);
		t[k].detach.push(d);
	};
	try {
		const spec = (sites: UprobeSite[]) => ({ path: BENCH_LOOP, pid: loop.pid, sites });
		for (let r = 0; r < 5; r++) {
			progress(`attach: kernel/attach, 1 and 100 uprobes, run ${r + 1}/5 (perf links for 100 sites: 3 runs)`);
			record("multi1", () => attachUprobeMulti(multi.fd, spec(sites1)));
			record("perf1", () => attachUprobePerf(perf.fd, spec(sites1)));
			record("multi100", () => attachUprobeMulti(multi.fd, spec(sites100)));
			record("raw", () => attachTracepoint(tp.fd, raw));
			record("one", () => attachTracepoint(tp.fd, one));
			// ~100 ms per perf uprobe to detach: 3 runs are ~30 s already.
			if (r < (opts.quick ? 1 : 3)) record("perf100", () => attachUprobePerf(perf.fd, spec(sites100)));
		}
	} finally {
		multi.close();
		perf.close();
		tp.close();
		loop.signal("SIGKILL");
	}
	const ms = (k: string, w: "attach" | "detach") => median(t[k]?.[w] ?? []);
	const runs = (k: string, w: "attach" | "detach") => spread(t[k]?.[w] ?? [], "ms");
	for (const [n, what] of [
		["1", "1 uprobe"],
		["100", "100 uprobes"],
	] as const) {
		for (const w of ["attach", "detach"] as const) {
			rows.push({
				what: `kernel/attach: ${w} ${what} (uprobe_multi vs perf-event links)`,
				dtop: fmt(ms(`multi${n}`, w), "ms"),
				peer: fmt(ms(`perf${n}`, w), "ms"),
				ratio: ratio(ms(`multi${n}`, w), ms(`perf${n}`, w)),
				notes: `uprobe_multi ${runs(`multi${n}`, w)}; perf ${runs(`perf${n}`, w)}`,
			});
		}
	}

	for (const w of ["attach", "detach"] as const)
		rows.push({
			what: `kernel/attach: ${w} 1 tracepoint (\`raw_syscalls:sys_enter\` vs \`syscalls:sys_enter_getppid\`)`,
			dtop: fmt(ms("raw", w), "ms"),
			peer: fmt(ms("one", w), "ms"),
			ratio: ratio(ms("raw", w), ms("one", w)),
			notes: `raw_syscalls ${runs("raw", w)}; sys_enter_getppid ${runs("one", w)}`,
		});

	// ---- Session.enable / disable --------------------------------------------------
	progress("attach: Session.enable/disable");
	const simple = await startSimple(["--count", "1"]);
	const loop2 = await startLoop([]);
	const catalog = new Catalog();
	const session = new Session({ probes: new CatalogProbes(catalog) });
	const clauses: [string, string, number][] = [
		[`simple${simple.pid}:::saw-line { @ = count(); }`, "1 USDT probe", 7],
		[`pid${loop2.pid}:bench-loop:bf_0*:entry { @ = count(); }`, "100 pid-provider probes", 5],
		["syscall:::entry { @ = count(); }", "`syscall:::entry`", 5],
	];
	const sess: Record<string, { enable: number[]; disable: number[]; released: number[]; probes: number }> = {};
	try {
		for (let r = 0; r < 7; r++) {
			for (const [clause, what, n] of clauses) {
				if (r >= n) continue;
				const [id, e] = timed(() => session.enable(clause));
				const probes = session.view().enablings.find((x) => x.id === id)?.probes ?? 0;
				// disable() returns at once and detaches on a worker thread; "released" is
				// until the kernel has let go (and the next enable attaches afresh).
				const t0 = performance.now();
				const [, d] = timed(() => session.disable(id));
				await session.settled();
				const released = performance.now() - t0;
				sess[what] ??= { enable: [], disable: [], released: [], probes };
				sess[what].enable.push(e);
				sess[what].disable.push(d);
				sess[what].released.push(released);
			}
		}
	} finally {
		session.close();
		catalog.close();
		simple.kill();
		loop2.signal("SIGKILL");
	}
	for (const [, what] of clauses) {
		const s = sess[what];
		const goalE = what === "1 USDT probe" ? 10 : Number.NaN;
		const goalD = what === "1 USDT probe" ? 30 : Number.NaN;
		for (const [w, xs, goal] of [
			["enable", s.enable, goalE],
			["disable (call returns)", s.disable, Number.NaN],
			["disable until released", s.released, goalD],
		] as const) {
			rows.push({
				what: `Session.${w}: ${what}${what.startsWith("`") ? ` (${s.probes} probes)` : ""}`,
				dtop: fmt(median(xs), "ms"),
				peer: Number.isNaN(goal) ? "" : `goal ≤ ${goal} ms`,
				ratio: Number.isNaN(goal) ? "" : ratio(median(xs), goal),
				notes: spread(xs, "ms"),
			});
		}
	}
	const e1 = median(sess["1 USDT probe"].enable);
	const d1 = median(sess["1 USDT probe"].released);
	after.push(
		`Goals for one clause on one probe: enable ≤ 10 ms — ${fmt(e1, "ms")} (${e1 <= 10 ? "met" : "missed"}); ` +
			`disable ≤ 30 ms (until the kernel released it) — ${fmt(d1, "ms")} (${d1 <= 30 ? "met" : "missed"}).`,
	);

	// ---- whole tools -----------------------------------------------------------------
	try {
		const sets = [
			["usdt1", "1 USDT probe", 3, 3],
			["uprobe100", "100 uprobes (`pid$target:bench-loop:bf_0*:entry` / `uprobe:…:bf_0*`)", 3, opts.quick ? 1 : 3],
			[
				"syscalls",
				"all system-call entries (`syscall:::entry` / `tracepoint:syscalls:sys_enter_*`)",
				3,
				opts.quick ? 0 : 1,
			],
			[
				"tracepoints",
				"the tracepoints of groups a–h (`sdt:[a-h]*::` / `tracepoint:GROUP:*` for each such group)",
				3,
				opts.quick ? 0 : 1,
			],
		] as const;
		for (const [set, what, dn, bn] of sets) {
			const d = await cliRuns("dtop", set, dn);
			const b = bt && bn > 0 ? await cliRuns("bpftrace", set, bn) : [];
			for (const [w, f] of [
				["start to ready", (x: { startMs: number }) => x.startMs],
				["SIGINT to exit", (x: { exitMs: number }) => x.exitMs],
			] as const) {
				const dv = d.map(f);
				const bv = b.map(f);
				rows.push({
					what: `whole tool, ${what}: ${w}`,
					dtop: fmt(median(dv), "ms"),
					peer: b.length ? fmt(median(bv), "ms") : bt ? "not run (--quick)" : "bpftrace missing",
					ratio: ratio(median(dv), median(bv)),
					notes: `dtop ${probes(d)} probes, ${spread(dv, "ms")}${b.length ? `; bpftrace ${probes(b)} probes, ${spread(bv, "ms")}` : ""}${w === "SIGINT to exit" ? repeated([...d, ...b]) : ""}`,
				});
			}
		}
	} finally {
		stopTargets();
	}
	after.push(
		"bpftrace 0.17 attaches uprobes and tracepoints one perf event at a time; its runs on all system-call entries and on " +
			"the tracepoints of groups a–h are made once (they take tens of seconds), so those peer figures are single runs, " +
			"not medians. dtop attaches clauses that read no tracepoint arguments as raw tracepoints, which detach without " +
			"waiting for RCU grace periods.",
	);
	return {
		id: "attach",
		title: "2. Attach and detach",
		method:
			"kernel/attach rows: an empty program attached to the entries of bf_000 (1 site) or bf_000…bf_099 (100 sites) of a live, " +
			"idle `test/fixtures/bin/bench-loop` (pid filter set), as one uprobe_multi link (dtop's way) or as perf-event uprobe " +
			"links (the fallback, and how bpftrace 0.17 attaches); time of the attach call and of `close()`; 5 runs (3 for 100 " +
			"perf links). Session rows: `Session.enable(clause)` and `Session.disable(id)` in this process with a live catalog " +
			'(5–7 runs). Whole-tool rows: `scripts/dtop --json -n CLAUSE` and `bpftrace -e \'PROGRAM BEGIN { printf("ready\\n") } END { printf("end\\n") }\'` ' +
			"from spawn to ready (dtop's `matched N probes`, bpftrace's BEGIN output, both printed after attaching), then after " +
			"~1 s SIGINT and the time until the process has exited (bpftrace's detach happens there). Ratio = dtop / peer.",
		rows,
		after,
	};
}
