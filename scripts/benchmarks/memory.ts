// Section 5: resident memory. dtop and bpftrace on the same small probe sets
// (runs shared with the attach section), and dtop with 1,000 enabled probes
// that fire, against dtop with one.
import { cliRuns, stopTargets } from "./cli-runs.ts";
import { startDtop } from "./tracers.ts";
import {
	fmt,
	haveBpftrace,
	median,
	progress,
	type Row,
	ratio,
	rssKiB,
	type SectionResult,
	sleep,
	spread,
	startLoop,
} from "./util.ts";

/** dtop -p on a bench-loop calling `funcs` functions 10⁴ times a second; RSS after 3 ticks. */
async function dtopFiring(funcs: number, glob: string, runs: number): Promise<{ kib: number[]; probes: number }> {
	const kib: number[] = [];
	let probes = 0;
	for (let r = 0; r < runs; r++) {
		progress(`memory: dtop with ${funcs} enabled pid probes, run ${r + 1}/${runs}`);
		const loop = await startLoop(["--rate", "10000", "--funcs", String(funcs)]);
		try {
			loop.go();
			const d = await startDtop(`pid$target:bench-loop:${glob}:entry { @[probefunc] = count(); }`, loop.pid);
			try {
				await sleep(3200);
				kib.push(rssKiB(d.child.pid));
				probes = Number(/matched (\d+) probes?\b/.exec(d.child.stderr())?.[1] ?? Number.NaN);
			} finally {
				await d.child.stop(10_000);
			}
		} finally {
			loop.signal("SIGKILL");
			await loop.exited;
		}
	}
	return { kib, probes };
}

export async function memory(opts: { quick: boolean }): Promise<SectionResult> {
	const bt = haveBpftrace();
	const rows: Row[] = [];
	const mib = (k: number) => fmt(k / 1024, "MiB", 1);
	const many = await dtopFiring(1000, "bf_*", 3);
	const one = await dtopFiring(1, "bf_000", 3);
	rows.push({
		what: `dtop, ${many.probes} enabled pid probes firing 10⁴/s (\`@[probefunc] = count()\`), after 3 ticks`,
		dtop: mib(median(many.kib)),
		peer: mib(median(one.kib)),
		ratio: ratio(median(many.kib), median(one.kib)),
		notes: `peer: dtop with ${one.probes} probe, same load; dtop ${spread(
			many.kib.map((k) => k / 1024),
			"MiB",
		)}; 1 probe ${spread(
			one.kib.map((k) => k / 1024),
			"MiB",
		)}`,
	});
	try {
		for (const [set, what, bn] of [
			["usdt1", "1 USDT probe", 3],
			["uprobe100", "100 uprobes", opts.quick ? 1 : 3],
		] as const) {
			const d = await cliRuns("dtop", set, 3);
			const b = bt ? await cliRuns("bpftrace", set, bn) : [];
			const dk = d.map((x) => x.rssKiB);
			const bk = b.map((x) => x.rssKiB);
			rows.push({
				what: `${what}, ~1 s after ready (dtop vs bpftrace)`,
				dtop: mib(median(dk)),
				peer: b.length ? mib(median(bk)) : "bpftrace missing",
				ratio: ratio(median(dk), median(bk)),
				notes: `dtop ${spread(
					dk.map((k) => k / 1024),
					"MiB",
				)}; bpftrace ${spread(
					bk.map((k) => k / 1024),
					"MiB",
				)}`,
			});
		}
	} finally {
		stopTargets();
	}
	return {
		id: "memory",
		title: "5. Resident memory",
		method:
			"VmRSS of the tool's process (for dtop, the node process `scripts/dtop` execs). 1,000 probes: " +
			"`test/fixtures/bin/bench-loop --rate 10000 --funcs 1000` calls bf_000…bf_999 round-robin; " +
			"`scripts/dtop --json -p PID -n 'pid$target:bench-loop:bf_*:entry { @[probefunc] = count(); }'` is measured 3.2 s " +
			"after it is ready (3 ticks, 1,000 keys read and rolled); the peer is the same with `bf_000` only. bpftrace is " +
			"compared on 1 USDT probe and on 100 uprobes (the attach section's runs, measured ~1 s after ready); it is not run " +
			"with 1,000 uprobes, which it attaches as perf events that take ~0.1 s each to detach here. 3 runs each; medians.",
		rows,
	};
}
