// Section 12: the process-event stream's own cost. The interactive UI (nothing
// enabled) follows every process of the machine from the kernel's events; its
// CPU (utime + stime of dtop's process, all threads) and system calls over 10 s
// on the machine as it is, and while spawn-loop starts /bin/true 1,000 times a
// second. CPU and system calls come from separate runs (strace slows what it
// counts).
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as pty from "node-pty";
import {
	adopt,
	DTOP,
	ensureBuilt,
	FIXTURES,
	fmt,
	median,
	progress,
	type Row,
	ratio,
	type SectionResult,
	sleep,
	spread,
} from "./util.ts";

const SECONDS = 10;
const RATE = 1000;
const RUNS = 3;
const CPU_GOAL = 2;
const CALLS_GOAL = 20;
const TICKS = 100; // USER_HZ
const forks = () => Number(/^processes (\d+)/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);

/** utime + stime of a process (all its threads), in seconds. */
function cpuSeconds(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	return (Number(f[11]) + Number(f[12])) / TICKS;
}

interface Run {
	/** % of one core, or system calls a second. */
	value: number;
	starts: number;
	overflows: boolean;
}

async function oneRun(load: boolean, what: "cpu" | "calls"): Promise<Run> {
	ensureBuilt();
	const p = pty.spawn(DTOP, [], {
		name: "xterm-256color",
		cols: 120,
		rows: 30,
		env: { ...process.env, CI: "false", TERM: "xterm-256color", LANG: "C.UTF-8" } as Record<string, string>,
	});
	adopt(p.pid);
	let screen = "";
	p.onData((d) => {
		screen = (screen + d).slice(-20000);
	});
	let loop: ReturnType<typeof spawn> | undefined;
	try {
		const deadline = Date.now() + 30_000;
		while (!/syscall/.test(screen) && Date.now() < deadline) await sleep(50);
		if (load) {
			loop = spawn(`${FIXTURES}spawn-loop`, [String(RATE), String(SECONDS + 4), "/bin/true"], { stdio: "ignore" });
			await sleep(2000); // the loop's own start and the first of its processes are over
		} else await sleep(2000);
		const before = forks();
		let value: number;
		if (what === "cpu") {
			const c0 = cpuSeconds(p.pid);
			const t0 = performance.now();
			await sleep(SECONDS * 1000);
			value = ((cpuSeconds(p.pid) - c0) / ((performance.now() - t0) / 1000)) * 100;
		} else {
			const r = spawnSync(
				"timeout",
				[
					"-s",
					"INT",
					String(SECONDS),
					"strace",
					"-c",
					"-f",
					"-e",
					"trace=all",
					"-e",
					"signal=none",
					"-p",
					String(p.pid),
				],
				{ encoding: "utf8", maxBuffer: 64 << 20 },
			);
			const total = /^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?total$/m.exec(r.stderr);
			if (!total) throw new Error(`no total in strace's summary:\n${r.stderr.slice(-3000)}`);
			value = Number(total[1]) / SECONDS;
		}
		const starts = (forks() - before) / SECONDS;
		await sleep(1500); // a tick after the window: the header shows any overflow
		return { value, starts, overflows: /proc overflows [1-9]/.test(screen) };
	} finally {
		loop?.kill("SIGKILL");
		p.write("q");
		await sleep(1000);
		try {
			process.kill(p.pid, "SIGKILL");
		} catch {
			// gone
		}
	}
}

export async function procs(_o: { quick: boolean }): Promise<SectionResult> {
	const rows: Row[] = [];
	const after: string[] = [];
	for (const what of ["cpu", "calls"] as const) {
		for (const load of [false, true]) {
			const runs: Run[] = [];
			for (let r = 0; r < RUNS; r++) {
				progress(`procs: ${what}${load ? ` at ${RATE} starts/s` : " idle"}, run ${r + 1}/${RUNS}`);
				runs.push(await oneRun(load, what));
			}
			const xs = runs.map((r) => r.value);
			const m = median(xs);
			const goal = what === "cpu" ? CPU_GOAL : CALLS_GOAL;
			const unit = what === "cpu" ? "%" : "/s";
			const starts = `machine process starts ${runs.map((r) => r.starts.toFixed(0)).join(", ")}/s`;
			const lost = runs.some((r) => r.overflows) ? "; the header showed proc overflows" : "; no proc overflows";
			rows.push({
				what: `${what === "cpu" ? "dtop's CPU (% of one core)" : "dtop's system calls a second"}, UI idle${load ? `, ${RATE.toLocaleString("en-US")} process starts a second` : ""}`,
				dtop: fmt(m, unit),
				peer: fmt(goal, unit),
				ratio: ratio(m, goal),
				notes: `dtop ${spread(xs, unit)}; ${starts}${lost}`,
			});
			if (load)
				after.push(
					`Goal: ${what === "cpu" ? `event-stream CPU ≤ ${CPU_GOAL} % of one core` : `≤ ${CALLS_GOAL} system calls a second`} at ${RATE.toLocaleString("en-US")} starts a second — ${fmt(m, unit)} (${m <= goal ? "met" : "missed"}).`,
				);
		}
	}
	return {
		id: "procs",
		title: "12. Process events",
		method:
			"`scripts/dtop` (the interactive UI, nothing enabled: it follows every process of the machine from the kernel's " +
			`exec, fork, exit, rename, mmap and munmap records) in a 120×30 pty; once the tree shows, ${SECONDS} s are measured ` +
			`on the machine as it is and while \`test/fixtures/bin/spawn-loop ${RATE} …\` starts \`/bin/true\` (dynamically ` +
			`linked: an exec, its libraries' mmaps, ld.so's munmap of its cache) ${RATE.toLocaleString("en-US")} times a second. ` +
			"CPU: utime + stime of dtop's process (all threads) from /proc over the window, as % of one core. System calls: " +
			`\`strace -c -f\` of dtop's process, in separate runs (strace slows what it counts). The machine's process starts in ` +
			`the window (\`/proc/stat\` processes, other work included) are in the notes. ${RUNS} runs each; medians. Peer: the goal.`,
		rows,
		after,
	};
}
