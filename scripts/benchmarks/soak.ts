// The soak: the interactive UI for a long run (30 minutes by default) with a
// syscall, a USDT and a profile enabling while short-lived processes start and
// exit about 100 times a second. Every minute: dtop's resident memory and CPU, and
// the drops and evictions its header shows; after quitting, what it left in the
// kernel. Writes the `soak` section of BENCHMARKS.md (scripts/bench keeps it).
//
//   scripts/soak [MINUTES]
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import xterm from "@xterm/headless";
import * as pty from "node-pty";
import { programs } from "../../test/helpers/bpf-objects.ts";
import { adopt, DTOP, ensureBuilt, fmt, progress, SIMPLE, sleep } from "./util.ts";

const { Terminal } = xterm as unknown as { Terminal: typeof import("@xterm/headless").Terminal };
const COLS = 140;
const ROWS = 45;
const CLAUSES = [
	"syscall::openat:entry { @opens[execname] = count(); }",
	"simple*:::saw-line { @lines[arg0] = count(); }",
	"profile-97 { @samples[execname] = count(); }",
];

const ticksPerSecond = 100; // USER_HZ on Linux
function cpuTicks(pid: number): number {
	const s = readFileSync(`/proc/${pid}/stat`, "utf8");
	const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
	return Number(f[11]) + Number(f[12]); // utime, stime
}
/** Ids of the BPF programs a process holds, and its count of link descriptors. */
function held(pid: number): { progs: Set<number>; links: number } {
	const progs = new Set<number>();
	let linkCount = 0;
	for (const fd of readdirSync(`/proc/${pid}/fd`)) {
		try {
			const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
			if (target === "anon_inode:bpf_link") linkCount++;
			if (target === "anon_inode:bpf-prog") {
				const m = /prog_id:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"));
				if (m) progs.add(Number(m[1]));
			}
		} catch {
			// closed meanwhile
		}
	}
	return { progs, links: linkCount };
}
function rssMiB(pid: number): number {
	const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
	return m ? Number(m[1]) / 1024 : Number.NaN;
}

interface Minute {
	minute: number;
	rss: number;
	cpu: number;
	drops: string;
	evictions: string;
	started: number;
}

async function main(): Promise<void> {
	const minutes = Number(process.argv[2] ?? 30);
	if (!(minutes > 0)) throw new Error("usage: scripts/soak [MINUTES]");
	ensureBuilt();
	// Short-lived processes: each fires saw-line three times and exits.
	let started = 0;
	const spawner = setInterval(() => {
		const c = spawn(SIMPLE, ["--count", "3"], { stdio: "ignore" });
		c.on("error", () => {});
		started++;
	}, 1000 / 100);
	const term = new Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
	// -Z: the USDT clause matches processes that come and go, none of them there at start.
	const args = ["-Z", ...CLAUSES.flatMap((c) => ["-n", c])];
	const p = pty.spawn(DTOP, args, {
		name: "xterm-256color",
		cols: COLS,
		rows: ROWS,
		env: { ...process.env, CI: "false", TERM: "xterm-256color", LANG: "C.UTF-8" } as Record<string, string>,
	});
	adopt(p.pid);
	p.onData((d) => term.write(d));
	const exited = new Promise<void>((r) => p.onExit(() => r()));
	const screen = () => {
		const b = term.buffer.active;
		const out: string[] = [];
		for (let i = 0; i < ROWS; i++) out.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? "");
		return out.join("\n");
	};
	const samples: Minute[] = [];
	const dtopProgs = new Set<number>();
	let maxLinks = 0;
	try {
		await sleep(5000);
		const pid = p.pid; // scripts/dtop execs node: the same process
		let lastCpu = cpuTicks(pid);
		let lastAt = performance.now();
		let lastStarted = started;
		for (let m = 1; m <= minutes; m++) {
			await sleep(60_000);
			const h = held(pid);
			for (const id of h.progs) dtopProgs.add(id);
			maxLinks = Math.max(maxLinks, h.links);
			const cpu = cpuTicks(pid);
			const at = performance.now();
			const text = screen();
			samples.push({
				minute: m,
				rss: rssMiB(pid),
				cpu: (100 * (cpu - lastCpu)) / ticksPerSecond / ((at - lastAt) / 1000),
				drops: /drops ([\d.,]+\w?)/.exec(text)?.[1] ?? "?",
				evictions: /evictions ([\d.,]+\w?)/.exec(text)?.[1] ?? "?",
				started: (started - lastStarted) / ((at - lastAt) / 1000),
			});
			const s = samples.at(-1)!;
			progress(
				`soak: minute ${m}/${minutes}: RSS ${s.rss.toFixed(1)} MiB, CPU ${s.cpu.toFixed(1)} %, drops ${s.drops}, evictions ${s.evictions}, ${s.started.toFixed(0)} processes/s`,
			);
			lastCpu = cpu;
			lastAt = at;
			lastStarted = started;
		}
	} finally {
		clearInterval(spawner);
		p.write("q");
		await Promise.race([exited, sleep(30_000)]);
	}
	await sleep(2000);
	// What dtop held (programs seen in its descriptors) that is still in the kernel.
	const left = programs().filter((x) => dtopProgs.has(x.id)).length;
	write(minutes, samples, dtopProgs.size, left, maxLinks);
	term.dispose();
}

function write(minutes: number, samples: Minute[], held: number, left: number, maxLinks: number): void {
	const file = new URL("../../BENCHMARKS.md", import.meta.url);
	const old = readFileSync(file, "utf8");
	const last = samples.at(-1);
	// One sample lands anywhere in the collector's cycle (RSS swings by tens of MiB
	// between collections): what is retained is the floor, the least RSS of the
	// five minutes after the first against that of the last five.
	const floor = (xs: Minute[]) => (xs.length ? Math.min(...xs.map((x) => x.rss)) : Number.NaN);
	const early = floor(samples.slice(1, 6));
	const late = floor(samples.slice(-5));
	const growth = late - early;
	const swing = `${fmt(Math.min(...samples.map((x) => x.rss)), "MiB", 1)}–${fmt(Math.max(...samples.map((x) => x.rss)), "MiB", 1)}`;
	const rows = samples
		.map(
			(s) =>
				`| ${s.minute} | ${fmt(s.rss, "MiB", 1)} | ${s.cpu.toFixed(1)} % | ${s.drops} | ${s.evictions} | ${s.started.toFixed(0)}/s |`,
		)
		.join("\n");
	const section = `<!-- section:soak -->
## 11. Soak

Measured on ${new Date().toISOString().slice(0, 10)} by \`scripts/soak ${minutes}\`: the interactive UI (140×45 pty) with three enablings
(\`${CLAUSES.join("`, `")}\`) for ${minutes} minutes while short-lived \`simple --count 3\` processes started at 100/s.
RSS growth, the least RSS of minutes 2–6 against that of the last five: **${fmt(growth, "MiB", 1)}** (${fmt(early, "MiB", 1)} → ${fmt(late, "MiB", 1)}; goal: under 5 MiB); single samples ranged ${swing} with the collector's cycle (last minute: ${fmt(last?.rss ?? Number.NaN, "MiB", 1)}).
dtop held ${held} BPF programs and up to ${maxLinks} links; after quitting, **${left} of those programs** were still in the kernel 2 s later
(a program outlives its links, so none left means none of its links either).

| minute | dtop RSS | dtop CPU | drops (header) | evictions (header) | processes started |
|---|---|---|---|---|---|
${rows}
<!-- /section:soak -->`;
	const re = /<!-- section:soak -->[\s\S]*?<!-- \/section:soak -->/;
	const next = re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}\n`;
	// Written whole at the end: an interrupted soak leaves BENCHMARKS.md as it was.
	writeFileSync(file, next);
}

main().catch((e) => {
	process.stderr.write(`soak: ${e instanceof Error ? e.message : e}\n`);
	process.exit(1);
});
