// Section 4: the consumer's CPU per tick with 500 enabled probes, at event
// rates from 10³ to 10⁶ firings per second. Kernel maps hold monotonic
// counters, so what a tick reads depends on the number of keys, not on the
// rate: the cost should stay flat.
import { Catalog } from "../../source/catalog/index.ts";
import { CatalogProbes } from "../../source/session/catalog-source.ts";
import { Session } from "../../source/session/session.ts";
import { fmt, median, progress, type Row, ratio, type SectionResult, sleep, spread, startLoop } from "./util.ts";

const PROBES = 500;

interface Point {
	rate: number;
	achieved: number;
	cpuMs: number[];
	wallMs: number[];
	keys: number;
	probes: number;
}

async function measure(rate: number, ticks: number): Promise<Point> {
	const loop = await startLoop(["--rate", String(rate), "--funcs", String(PROBES)]);
	const catalog = new Catalog();
	const session = new Session({ probes: new CatalogProbes(catalog) });
	try {
		const id = session.enable(`pid${loop.pid}:bench-loop:bf_[0-4]*:entry { @[probefunc] = count(); }`);
		loop.go();
		// Two ticks to fill the maps and the rows before measuring.
		await sleep(1000);
		session.tick();
		await sleep(1000);
		session.tick();
		const cpuMs: number[] = [];
		const wallMs: number[] = [];
		let total0 = 0;
		let t0 = 0;
		for (let i = 0; i < ticks; i++) {
			await sleep(1000);
			const c = process.cpuUsage();
			const w = performance.now();
			const view = session.tick();
			wallMs.push(performance.now() - w);
			const d = process.cpuUsage(c);
			cpuMs.push((d.user + d.system) / 1000);
			const total = view.enablings.find((e) => e.id === id)?.total ?? 0;
			if (i === 0) {
				total0 = total;
				t0 = w;
			} else if (i === ticks - 1) {
				const e = view.enablings.find((x) => x.id === id);
				return {
					rate,
					achieved: ((total - total0) * 1000) / (w - t0),
					cpuMs,
					wallMs,
					keys: e?.aggregations[0]?.rows.length ?? 0,
					probes: e?.probes ?? 0,
				};
			}
		}
		throw new Error("unreachable");
	} finally {
		session.close();
		catalog.close();
		loop.signal("SIGKILL");
		await loop.exited;
	}
}

export async function consumer(opts: { quick: boolean }): Promise<SectionResult> {
	const TICKS = opts.quick ? 4 : 6;
	const points: Point[] = [];
	// A first, discarded round: the first session in this process pays for compiling the tick's code paths.
	progress("consumer: warm-up round (discarded)");
	await measure(1e3, 2);
	for (const rate of [1e3, 1e4, 1e5, 1e6]) {
		progress(`consumer: ${PROBES} probes at ${rate.toLocaleString("en-US")} firings/s, ${TICKS} ticks`);
		points.push(await measure(rate, TICKS));
	}
	const base = median(points[0].cpuMs);
	const rows: Row[] = points.map((p) => ({
		what: `${PROBES} probes, ${p.rate.toExponential(0).replace("e+", "e")} firings/s asked (${fmt(p.achieved, "/s", 0)} reached)`,
		dtop: fmt(median(p.cpuMs), "ms"),
		peer: fmt(base, "ms"),
		ratio: ratio(median(p.cpuMs), base),
		notes: `${p.probes} probes, ${p.keys} keys; CPU ${spread(p.cpuMs, "ms")}; wall ${fmt(median(p.wallMs), "ms")}`,
	}));
	const meds = points.map((p) => median(p.cpuMs));
	const spreadX = Math.max(...meds) / Math.min(...meds);
	return {
		id: "consumer",
		title: "4. Consumer CPU per tick",
		method:
			`\`test/fixtures/bin/bench-loop --rate R --funcs ${PROBES}\` calls bf_000…bf_499 round-robin at R calls/s (paced every ` +
			"millisecond; a rate the machine cannot reach runs flat out, and the reached rate is shown). In this process a " +
			`Session enables \`pid$PID:bench-loop:bf_[0-4]*:entry { @[probefunc] = count(); }\` (${PROBES} probes, one ` +
			"uprobe_multi link, 500 keys); after two warm-up ticks, `session.tick()` is called once a second and its CPU time " +
			`(process.cpuUsage, user + system) measured; median of ${TICKS} ticks. A discarded warm-up round comes first. Peer = the same at 10³ firings/s: ` +
			"the ratio shows how the cost grows with the rate (flat is the goal). bpftrace has no comparable per-tick read " +
			"(and 500 perf-event uprobes take ~50 s to detach here), so it is not run.",
		rows,
		after: [
			`Flatness: the dearest rate's median tick is ${spreadX.toFixed(2)}× the cheapest rate's ` +
				`(${meds.map((m) => fmt(m, "ms")).join(", ")} from the lowest rate up).`,
		],
	};
}
