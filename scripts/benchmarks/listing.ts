// Section 3: listing probes. `dtop -l` (every provider, including the USDT
// probes of every running process) against `bpftrace -l` (kernel probes only)
// and a bare `node -e 0`; and the catalog's warm rescan of all processes with
// 200 extra USDT-carrying processes running.
import { Catalog } from "../../source/catalog/index.ts";
import {
	type Child,
	DTOP,
	ensureBuilt,
	fmt,
	haveBpftrace,
	median,
	progress,
	type Row,
	ratio,
	type SectionResult,
	SIMPLE,
	spread,
	start,
	timeCommand,
} from "./util.ts";

const lineCount = (s: string) => (s.length ? s.split("\n").length : 0);

async function timeRuns(
	variants: Record<string, [string, string[]]>,
	runs: number,
): Promise<Record<string, { ms: number[]; cpu: number[]; lines: number }>> {
	const out: Record<string, { ms: number[]; cpu: number[]; lines: number }> = {};
	for (let r = 0; r < runs; r++) {
		for (const [k, [cmd, args]] of Object.entries(variants)) {
			if (cmd === DTOP) ensureBuilt();
			const res = await timeCommand(cmd, args);
			if (res.code !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${res.code}): ${res.stderr.slice(0, 300)}`);
			out[k] ??= { ms: [], cpu: [], lines: 0 };
			out[k].ms.push(res.ms);
			out[k].cpu.push(res.cpuMs);
			out[k].lines = lineCount(res.stdout);
		}
	}
	return out;
}

export async function listing(opts: { quick: boolean }): Promise<SectionResult> {
	const bt = haveBpftrace();
	const RUNS = opts.quick ? 3 : 5;
	const variants: Record<string, [string, string[]]> = {
		dtop: [DTOP, ["-l"]],
		node: [process.execPath, ["-e", "0"]],
	};
	if (bt) variants.bpftrace = ["bpftrace", ["-l"]];
	progress(`list: dtop -l, bpftrace -l, node -e 0 (${RUNS} runs each, interleaved)`);
	// One unmeasured run of each first: the page cache, not the tools, would win the first round.
	await timeRuns(variants, 1);
	const idle = await timeRuns(variants, RUNS);

	const N = 200;
	progress(`list: starting ${N} extra simple processes`);
	const extra: Child[] = [];
	let busy: Awaited<ReturnType<typeof timeRuns>> | undefined;
	const cat = { cold: Number.NaN, warm: [] as number[], processes: 0, probes: 0 };
	try {
		for (let i = 0; i < N; i++) extra.push(start(SIMPLE, ["--wait"]));
		await Promise.all(extra.map((c) => c.line(/^ready /, 30_000)));
		progress(`list: catalog cold scan and warm rescans with ${N} extra processes`);
		const t0 = performance.now();
		const catalog = new Catalog();
		cat.cold = performance.now() - t0;
		try {
			for (let r = 0; r < 9; r++) {
				const t = performance.now();
				catalog.refresh();
				cat.warm.push(performance.now() - t);
			}
			cat.processes = catalog.stats().processes;
			cat.probes = catalog.probes().length;
		} finally {
			catalog.close();
		}
		progress(`list: dtop -l with ${N} extra processes (${RUNS} runs)`);
		busy = await timeRuns({ dtop: variants.dtop, ...(bt ? { bpftrace: variants.bpftrace } : {}) }, RUNS);
	} finally {
		for (const c of extra) c.signal("SIGKILL");
		await Promise.all(extra.map((c) => c.exited));
	}

	const m = (r: typeof idle, k: string) => median(r[k]?.ms ?? []);
	const cpu = (r: typeof idle, k: string) => fmt(median(r[k]?.cpu ?? []), "ms");
	const rows: Row[] = [
		{
			what: "`dtop -l` (everything, incl. every process's USDT probes)",
			dtop: fmt(m(idle, "dtop"), "ms"),
			peer: bt ? fmt(m(idle, "bpftrace"), "ms") : "bpftrace missing",
			ratio: ratio(m(idle, "dtop"), m(idle, "bpftrace")),
			notes: `dtop ${idle.dtop.lines} lines, CPU ${cpu(idle, "dtop")}, ${spread(idle.dtop.ms, "ms")}; bpftrace -l ${idle.bpftrace?.lines ?? 0} lines, CPU ${cpu(idle, "bpftrace")}, ${spread(idle.bpftrace?.ms ?? [], "ms")}`,
		},
		{
			what: "`dtop -l` against bare Node start (`node -e 0`)",
			dtop: fmt(m(idle, "dtop"), "ms"),
			peer: fmt(m(idle, "node"), "ms"),
			ratio: ratio(m(idle, "dtop"), m(idle, "node")),
			notes: `dtop − node = ${fmt(m(idle, "dtop") - m(idle, "node"), "ms")} (goal ≤ 100 ms); node CPU ${cpu(idle, "node")}, ${spread(idle.node.ms, "ms")}`,
		},
		{
			what: `\`dtop -l\` with ${N} extra \`simple\` processes`,
			dtop: fmt(m(busy!, "dtop"), "ms"),
			peer: bt ? fmt(m(busy!, "bpftrace"), "ms") : "bpftrace missing",
			ratio: ratio(m(busy!, "dtop"), m(busy!, "bpftrace")),
			notes: `dtop ${busy!.dtop.lines} lines, CPU ${cpu(busy!, "dtop")}, ${spread(busy!.dtop.ms, "ms")}`,
		},
		{
			what: `Catalog: warm USDT rescan of all processes (${cat.processes} processes)`,
			dtop: fmt(median(cat.warm), "ms"),
			peer: "goal ≤ 300 ms",
			ratio: ratio(median(cat.warm), 300),
			notes: `${cat.probes} probes; ${spread(cat.warm, "ms")}`,
		},
		{
			what: "Catalog: cold start (tracefs, syscalls, every process's objects parsed)",
			dtop: fmt(cat.cold, "ms"),
			peer: "",
			ratio: "",
			notes: "one run: only the first is cold",
		},
	];
	const over = m(idle, "dtop") - m(idle, "node");
	const warm = median(cat.warm);
	return {
		id: "list",
		title: "3. Listing probes",
		method:
			`Wall time from spawn to exit of \`scripts/dtop -l\` (the user's command: a bash wrapper, then the esbuild bundle), ` +
			`\`bpftrace -l\` and \`node -e 0\`, each under \`perf stat -e task-clock\` (its CPU time, all threads and children, ` +
			`is in the notes), stdout read through a pipe; one unmeasured warm-up round, then ${RUNS} rounds, ` +
			`interleaved. bpftrace -l lists kernel probes only (no USDT without -p). Then ${N} extra ` +
			"`test/fixtures/bin/simple --wait` processes (each maps simple and libsimple.so with USDT probes) are started, and " +
			"in this process `new Catalog()` (cold) and `catalog.refresh()` (warm rescan of /proc; 9 runs) are timed.",
		rows,
		after: [
			`Goals: \`dtop -l\` within 100 ms of Node's bare start — ${fmt(over, "ms")} over (${over <= 100 ? "met" : "missed"}); ` +
				`warm rescan with ${N} extra processes ≤ 300 ms — ${fmt(warm, "ms")} (${warm <= 300 ? "met" : "missed"}).`,
		],
	};
}
