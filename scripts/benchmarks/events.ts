// Section "events": per-event output. One printf per getppid(2) call, from a
// loop asking for 10⁴, 10⁵ and 10⁶ calls a second for a few seconds; dtop and
// bpftrace in the same run, one after the other at each rate. Measured: lines
// delivered per second (counted on the pipe, never kept), drops each tool
// reports, and the tool's CPU (utime + stime from /proc) per 100,000 lines.
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import {
	BENCH_LOOP,
	BPFTRACE,
	DTOP,
	fmt,
	haveBpftrace,
	progress,
	type Row,
	type SectionResult,
	sleep,
} from "./util.ts";

const SECONDS = 4;
const FORMAT = String.raw`"%d %s %d\n"`;
const DTOP_D = `BEGIN { printf("ready\\n"); } syscall::getppid:entry { printf(${FORMAT}, pid, execname, arg0); }`;
const BPF_D = `BEGIN { printf("ready\\n"); } tracepoint:syscalls:sys_enter_getppid { printf(${FORMAT}, pid, comm, args->__syscall_nr); }`;

interface Run {
	lines: number;
	seconds: number;
	drops: number;
	cpuMs: number;
	calls: number;
}

function cpuMs(pid: number): number {
	const f = readFileSync(`/proc/${pid}/stat`, "utf8");
	const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
	// Fields 14 and 15 (utime, stime), counted from after the command name; 100 ticks a second.
	return ((Number(rest[11]) + Number(rest[12])) * 1000) / 100;
}

function until(child: ChildProcess, what: () => boolean, ms: number, name: string): Promise<void> {
	return new Promise((resolve, reject) => {
		const t0 = Date.now();
		const poll = setInterval(() => {
			if (what()) {
				clearInterval(poll);
				resolve();
			} else if (Date.now() - t0 > ms || child.exitCode !== null) {
				clearInterval(poll);
				reject(new Error(`${name} did not get ready`));
			}
		}, 20);
	});
}

async function measure(tool: "dtop" | "bpftrace", rate: number): Promise<Run> {
	const child =
		tool === "dtop"
			? spawn(DTOP, ["-q", "-n", DTOP_D], { stdio: ["ignore", "pipe", "pipe"] })
			: spawn(BPFTRACE, ["-e", BPF_D], { stdio: ["ignore", "pipe", "pipe"] });
	let newlines = 0;
	let ready = false;
	let err = "";
	let tail = "";
	let end = Buffer.alloc(0);
	child.stdout?.on("data", (b: Buffer) => {
		if (!ready) {
			tail += b.toString("latin1");
			if (tail.includes("ready\n")) ready = true;
		}
		for (let i = b.indexOf(10); i >= 0; i = b.indexOf(10, i + 1)) newlines++;
		// The last 4 KB (bpftrace's "Lost N events" come last), kept as bytes: a string of every
		// chunk would make this reader, not the tools, the bottleneck at 10⁶ lines a second.
		if (ready) end = Buffer.concat([end, b.subarray(Math.max(0, b.length - 4096))]).subarray(-4096);
	});
	child.stderr?.on("data", (b: Buffer) => {
		err += b.toString("utf8");
	});
	const exited = new Promise<void>((r) => child.on("exit", () => r()));
	try {
		await until(child, () => ready, 60_000, tool);
		const n0 = newlines;
		const c0 = cpuMs(child.pid!);
		const loop = spawn(BENCH_LOOP, ["--rate", String(rate), "--seconds", String(SECONDS), "--ppid"], {
			stdio: ["ignore", "pipe", "ignore"],
		});
		let loopOut = "";
		loop.stdout?.on("data", (b: Buffer) => (loopOut += b));
		const t0 = performance.now();
		await new Promise<void>((r) => loop.on("exit", () => r()));
		// Let the consumer drain what the buffers still hold.
		let last = -1;
		while (newlines !== last) {
			last = newlines;
			await sleep(300);
		}
		const seconds = (performance.now() - t0 - 300) / 1000;
		const c1 = cpuMs(child.pid!);
		const lines = newlines - n0;
		child.kill("SIGINT");
		await Promise.race([exited, sleep(10_000)]);
		const drops =
			tool === "dtop"
				? [...err.matchAll(/(\d+) drops? on CPU/g)].reduce((s, m) => s + Number(m[1]), 0)
				: [...`${end.toString("latin1")}\n${err}`.matchAll(/Lost (\d+) events/g)].reduce((s, m) => s + Number(m[1]), 0);
		return { lines, seconds, drops, cpuMs: c1 - c0, calls: Number(/calls (\d+)/.exec(loopOut)?.[1] ?? Number.NaN) };
	} finally {
		if (child.exitCode === null) child.kill("SIGKILL");
		await Promise.race([exited, sleep(5000)]);
	}
}

export async function events(o: { quick: boolean }): Promise<SectionResult> {
	const rates = o.quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];
	const rows: Row[] = [];
	const peer = haveBpftrace();
	const loads: string[] = [];
	for (const rate of rates) {
		loads.push(loadavg()[0].toFixed(2));
		progress(`events: ${rate}/s dtop`);
		const d = await measure("dtop", rate);
		let b: Run | undefined;
		if (peer) {
			progress(`events: ${rate}/s bpftrace`);
			b = await measure("bpftrace", rate);
		}
		const share = (r: Run) => `${((100 * r.lines) / r.calls).toFixed(1)} %`;
		const per = (r: Run) => (r.lines ? (r.cpuMs * 100_000) / r.lines : Number.NaN);
		const cell = (r: Run | undefined) =>
			r
				? `${fmt(r.lines / r.seconds, "/s", 0)} delivered, ${r.drops} drops, ${fmt(per(r), "ms", 0)} CPU per 10⁵`
				: "not measured";
		rows.push({
			what: `${rate.toLocaleString("en")}/s asked (loop made ${(d.calls / SECONDS).toFixed(0)}/s; bpftrace's run ${b ? (b.calls / SECONDS).toFixed(0) : "-"}/s)`,
			dtop: cell(d),
			peer: cell(b),
			ratio: b
				? `CPU ${(per(d) / per(b)).toFixed(2)}×, delivered/s ${(d.lines / d.seconds / (b.lines / b.seconds)).toFixed(2)}×`
				: "-",
			// The loops' rates differ between the runs (the machine is shared): the share of the calls each tool printed compares them.
			notes: `${d.lines} vs ${b?.lines ?? "-"} lines: ${share(d)} vs ${b ? share(b) : "-"} of the calls; ${d.seconds.toFixed(1)} s vs ${b ? b.seconds.toFixed(1) : "-"} s to deliver`,
		});
	}
	return {
		id: "events",
		title: "10. Per-event output",
		method:
			`\`dtop -q -n 'syscall::getppid:entry { printf("%d %s %d\\n", pid, execname, arg0); }'\` against ` +
			`\`bpftrace -e 'tracepoint:syscalls:sys_enter_getppid { printf("%d %s %d\\n", pid, comm, args->__syscall_nr); }'\` ` +
			`(bpftrace has no arg0 on a tracepoint; the syscall number is the same-sized field), both writing to a pipe that ` +
			`the benchmark counts lines on; both with a BEGIN line to know they are attached. \`bench-loop --rate R --seconds ${SECONDS} --ppid\` ` +
			`calls getppid(2) R times a second; lines are counted until the pipe has been quiet for 0.3 s. Drops: dtop's ` +
			"`dtop: N drops on CPU C` lines, bpftrace's `Lost N events`. CPU: the tool's utime+stime from /proc while the loop runs and " +
			`the pipe drains, per 100,000 lines; dtop's includes reading the loop's new process (its maps and ELF file), ` +
			"a fixed cost that weighs most at 10⁴/s. Default buffer sizes (dtop: one ring of 4 MB for each CPU, as DTrace's bufsize). " +
			`1-minute load average before each rate: ${loads.join(", ")}.`,
		rows,
	};
}
