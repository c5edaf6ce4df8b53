// Section 6's idle rows: dtop's own system calls a second, the interactive UI
// idle with nothing enabled, counted by `strace -c -f` over 10 s, without and
// with process churn (a loop starting /bin/true 50 times a second), and how
// many of those calls opened a /proc/PID/maps.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as pty from "node-pty";
import { adopt, DTOP, ensureBuilt, fmt, median, progress, type Row, ratio, sleep, spread } from "./util.ts";

const SECONDS = 10;
const GOAL = 20;
const forks = () => Number(/^processes (\d+)/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);

interface IdleRun {
	perSecond: number;
	machineForks: number;
	mapsReads: number;
}

async function oneRun(churn: boolean): Promise<IdleRun> {
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
	const loop = churn
		? spawn(
				"python3",
				["-c", "import subprocess,time\nwhile True:\n subprocess.run(['/bin/true']); time.sleep(0.02)"],
				{ stdio: "ignore" },
			)
		: undefined;
	try {
		const deadline = Date.now() + 30_000;
		while (!/syscall/.test(screen) && Date.now() < deadline) await sleep(50);
		await sleep(5000);
		const before = forks();
		const r = spawnSync(
			"timeout",
			["-s", "INT", String(SECONDS), "strace", "-C", "-f", "-e", "trace=all", "-e", "signal=none", "-p", String(p.pid)],
			{ encoding: "utf8", maxBuffer: 64 << 20 },
		);
		const machineForks = (forks() - before) / SECONDS;
		const total = /^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?total$/m.exec(r.stderr);
		if (!total) throw new Error(`no total in strace's summary:\n${r.stderr.slice(-3000)}`);
		const mapsReads = r.stderr.split("\n").filter((l) => /openat\(.*"\/proc\/\d+\/maps"/.test(l)).length;
		return { perSecond: Number(total[1]) / SECONDS, machineForks, mapsReads };
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

export const IDLE_METHOD =
	`Idle footprint: \`scripts/dtop\` (the interactive UI, nothing enabled) in a 120×30 pty; 5 s after the tree shows, ` +
	`\`strace -C -f\` counts every system call of every thread of dtop's process for ${SECONDS} s, without and with a loop ` +
	"starting `/bin/true` 50 times a second; the machine's own process starts in the window (`/proc/stat` processes, " +
	"other work on this shared machine included) are in the notes, as are the opens of a `/proc/PID/maps`. 3 runs each; " +
	`medians. Peer: the goal, ${GOAL} a second.`;

export async function idleRows(): Promise<{ rows: Row[]; after: string[] }> {
	const rows: Row[] = [];
	const after: string[] = [];
	for (const churn of [false, true]) {
		const runs: IdleRun[] = [];
		for (let r = 0; r < 3; r++) {
			progress(`ui: idle system calls${churn ? " with churn" : ""}, run ${r + 1}/3`);
			runs.push(await oneRun(churn));
		}
		const per = runs.map((r) => r.perSecond);
		const m = median(per);
		rows.push({
			what: `dtop's system calls a second, UI idle${churn ? ", /bin/true started 50×/s" : ""}`,
			dtop: fmt(m, "/s"),
			peer: fmt(GOAL, "/s"),
			ratio: ratio(m, GOAL),
			notes: `dtop ${spread(per, "/s")}; machine process starts ${runs.map((r) => r.machineForks.toFixed(0)).join(", ")}/s; /proc/PID/maps opened ${runs.map((r) => r.mapsReads).join(", ")} times`,
		});
		after.push(
			`Goal: idle ≤ ${GOAL} system calls a second${churn ? " with churn" : ""} — ${fmt(m, "/s")} (${m <= GOAL ? "met" : "missed"}).`,
		);
	}
	return { rows, after };
}
