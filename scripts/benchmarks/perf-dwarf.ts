// perf's way of taking stacks without frame pointers, on section 7's workload:
// `perf record -e sdt_deepstack:hit --call-graph dwarf` copies the registers
// and 8 KiB of the user stack per sample into its ring buffer and writes them
// to perf.data; `perf script` unwinds them afterwards (libdw/libunwind over
// .eh_frame). Its costs: the copy and the trap in the traced process, perf
// record's own CPU (the data it writes), and the unwinding per sample at report
// time. Samples perf could not keep are reported by perf ("lost N chunks") and
// show as fewer samples than firings.
//
// The SDT event is made with `perf probe` (a uprobe event in tracefs) and
// removed afterwards, as is perf.data.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loopTiming } from "./stack-copy.ts";
import { start } from "./util.ts";

export interface PerfSample {
	/** CPU ns per firing of the traced loop. */
	cpu: number;
	/** Samples perf.data holds. */
	samples: number;
	/** Firings the loop made. */
	fired: number;
	/** perf record's own CPU (user + system) per sample, ns. */
	recordNs: number;
	/** perf script's CPU per sample (the unwinding and symbolizing), ns. */
	scriptNs: number;
	/** perf.data bytes per sample. */
	bytesPerSample: number;
	/** Share of samples whose unwound stack holds `main`. */
	main: number;
}

export function havePerf(): boolean {
	return spawnSync("perf", ["--version"], { stdio: "ignore" }).status === 0;
}

const EVENT = "sdt_deepstack:hit";

/** Makes the SDT event for `binary`'s deepstack:hit; returns a function removing it. */
export function addPerfProbe(binary: string): () => void {
	execFileSync("perf", ["buildid-cache", "--add", binary], { stdio: "ignore" });
	spawnSync("perf", ["probe", "-q", "-d", EVENT], { stdio: "ignore" });
	execFileSync("perf", ["probe", "-q", "-x", binary, "-a", EVENT], { stdio: "pipe" });
	return () => {
		spawnSync("perf", ["probe", "-q", "-d", EVENT], { stdio: "ignore" });
		spawnSync("perf", ["buildid-cache", "--remove", binary], { stdio: "ignore" });
	};
}

/** User + system seconds of the children `bash -c '…; times'` printed on its last line. */
function childTimes(out: string): number {
	const last = out.trim().split("\n").at(-1) ?? "";
	const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(last.trim());
	if (!m) throw new Error(`no times line in: ${out.slice(-200)}`);
	return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/** One run of `binary --wait --count N` under `perf record --call-graph dwarf` (events enabled at its exec), then `perf script`. */
export async function perfRun(binary: string, count: number): Promise<PerfSample> {
	const dir = mkdtempSync(join(tmpdir(), "dtop-bench-perf-"));
	const data = join(dir, "perf.data");
	const text = join(dir, "perf.txt");
	const rec = start("bash", [
		"-c",
		`perf record -q -e ${EVENT} --call-graph dwarf -o ${data} -- ${binary} --wait --count ${count} 2>/dev/null; times`,
	]);
	try {
		await rec.line(/^ready \d+$/, 30_000);
		rec.write("\n");
		const t = loopTiming((await rec.line(/elapsed /, 600_000)).text, count);
		await rec.exited;
		// bash's `times`: the shell's own times, then its children's (perf record and the loop).
		const recordS = childTimes(rec.stdout()) - t.cpu / 1e9;
		const script = spawnSync("bash", ["-c", `perf script -i ${data} -F ip,sym >${text} 2>/dev/null; times`]);
		const stacks = readFileSync(text, "utf8")
			.split(/\n\s*\n/)
			.filter((s) => s.trim());
		const samples = stacks.length;
		const main = stacks.filter((s) => /\smain$/m.test(s)).length;
		const scriptS = childTimes(script.stdout.toString());
		const bytes = statSync(data).size;
		return {
			cpu: t.cpu / t.n,
			fired: t.n,
			samples,
			recordNs: samples ? (recordS * 1e9) / samples : 0,
			scriptNs: samples ? (scriptS * 1e9) / samples : 0,
			bytesPerSample: samples ? bytes / samples : 0,
			main: samples ? main / samples : 0,
		};
	} finally {
		rec.signal("SIGKILL");
		rmSync(dir, { recursive: true, force: true });
	}
}
