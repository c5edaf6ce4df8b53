// Shared pieces of scripts/bench: statistics, progress, formatting, and child
// processes that are always reaped — on success, on error and on Ctrl-C — so a
// run leaves nothing in the process table (BPF objects made in this process are
// fds and die with it; children's die with them).
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DTOP = `${ROOT}scripts/dtop`;
export const FIXTURES = `${ROOT}test/fixtures/bin/`;
export const SIMPLE = `${FIXTURES}simple`;
export const BENCH_LOOP = `${FIXTURES}bench-loop`;
export const BPFTRACE = "bpftrace";

/**
 * `scripts/dtop` rebuilds its bundle when a source file is newer; others commit
 * while a run goes on, so rebuild (untimed) before every timed dtop start.
 */
export function ensureBuilt(): void {
	execFileSync(`${ROOT}scripts/build`, ["--if-stale"], { stdio: ["ignore", "ignore", "inherit"] });
}

// ---- statistics and formatting ------------------------------------------------

export function median(xs: readonly number[]): number {
	if (xs.length === 0) return Number.NaN;
	const s = [...xs].sort((a, b) => a - b);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** `12.3`, `1,234`, with a unit; NaN prints as "—". */
export function fmt(v: number, unit: string, digits?: number): string {
	if (!Number.isFinite(v)) return "—";
	const d = digits ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);
	return `${v.toLocaleString("en-US", { minimumFractionDigits: d, maximumFractionDigits: d })} ${unit}`.trim();
}

export function ratio(a: number, b: number): string {
	if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "—";
	const r = a / b;
	return `${r < 0.1 ? r.toPrecision(2) : r.toFixed(2)}×`;
}

/** Every run of a sample (`runs 1.2, 1.3, 1.1 ms`), for the notes column. */
export function spread(xs: readonly number[], unit: string): string {
	if (xs.length === 0) return "";
	return `runs ${xs.map((x) => fmt(x, "", Math.abs(x) >= 100 ? 0 : 1)).join(", ")} ${unit}`.trim();
}

export interface Row {
	what: string;
	dtop: string;
	peer: string;
	ratio: string;
	notes?: string;
}

export interface SectionResult {
	id: string;
	title: string;
	method: string;
	rows: Row[];
	/** Extra paragraphs after the table (goals met or missed, what could not be measured). */
	after?: string[];
}

const started = performance.now();
export function progress(msg: string): void {
	const s = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
	process.stderr.write(`bench ${s}s  ${msg}\n`);
}

export function table(rows: readonly Row[]): string {
	const esc = (s: string) => s.replaceAll("|", "\\|");
	const lines = ["| what | dtop | peer | ratio | notes |", "|---|---:|---:|---:|---|"];
	for (const r of rows)
		lines.push(`| ${esc(r.what)} | ${esc(r.dtop)} | ${esc(r.peer)} | ${esc(r.ratio)} | ${esc(r.notes ?? "")} |`);
	return lines.join("\n");
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- child processes ------------------------------------------------------------

const children = new Set<ChildProcess>();
/** Grandchildren (a fixture under `perf stat`) to kill along with the children. */
const grandchildren = new Set<number>();

export function adopt(pid: number): void {
	grandchildren.add(pid);
}
export function disown(pid: number): void {
	grandchildren.delete(pid);
}

/** Every child this run started that has not exited yet. */
export function liveChildren(): ChildProcess[] {
	return [...children];
}

export interface Child {
	proc: ChildProcess;
	pid: number;
	/** Next stdout line (or the next one matching `re`), with the time it arrived. */
	line(re?: RegExp, timeoutMs?: number): Promise<{ text: string; at: number }>;
	/** Next stderr line matching `re`. */
	errLine(re: RegExp, timeoutMs?: number): Promise<{ text: string; at: number }>;
	/** Everything read from stdout/stderr so far. */
	stdout(): string;
	stderr(): string;
	write(s: string): void;
	/** Resolves when the process has exited (code or signal), with the time. */
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
	signal(sig: NodeJS.Signals): void;
	/** SIGINT, then SIGKILL after `graceMs`; resolves once it is gone. */
	stop(graceMs?: number): Promise<void>;
	/**
	 * Stop it like Ctrl-C and wait for the exit: SIGINT, repeated while the process
	 * is evidently still idling in its event loop (bpftrace 0.17 now and then
	 * sleeps through a SIGINT), SIGKILL after `maxMs`. Resolves with the time from
	 * the last SIGINT (the one it took) to the exit, the time from the first, and
	 * the number of repeats; rejects if it had to be killed.
	 */
	interrupt(maxMs?: number): Promise<{ ms: number; fromFirstMs: number; repeats: number }>;
}

function lineQueue(stream: NodeJS.ReadableStream | null, all: string[]) {
	const lines: { text: string; at: number }[] = [];
	const waiters: { re?: RegExp; resolve: (l: { text: string; at: number }) => void }[] = [];
	let ended = false;
	const enders: (() => void)[] = [];
	if (stream) {
		createInterface({ input: stream }).on("line", (text) => {
			const at = performance.now();
			all.push(text);
			const i = waiters.findIndex((w) => !w.re || w.re.test(text));
			if (i >= 0) waiters.splice(i, 1)[0].resolve({ text, at });
			else lines.push({ text, at });
		});
		stream.on("end", () => {
			ended = true;
			for (const e of enders.splice(0)) e();
		});
	}
	return (what: string, re?: RegExp, timeoutMs = 60_000) =>
		new Promise<{ text: string; at: number }>((resolve, reject) => {
			const i = lines.findIndex((l) => !re || re.test(l.text));
			if (i >= 0) {
				resolve(lines.splice(0, i + 1)[i]);
				return;
			}
			const fail = (why: string) => reject(new Error(`${what}: ${why} waiting for ${re ?? "a line"}`));
			if (ended) return fail("output ended");
			const t = setTimeout(() => fail(`nothing after ${timeoutMs} ms`), timeoutMs);
			const w = {
				re,
				resolve: (l: { text: string; at: number }) => {
					clearTimeout(t);
					resolve(l);
				},
			};
			waiters.push(w);
			enders.push(() => {
				const j = waiters.indexOf(w);
				if (j >= 0) {
					waiters.splice(j, 1);
					clearTimeout(t);
					fail("output ended");
				}
			});
		});
}

/** Start a child with piped stdio; it is reaped by `reapAll` if still alive at the end. */
export function start(cmd: string, args: string[], opts: SpawnOptions = {}): Child {
	const proc = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], ...opts });
	children.add(proc);
	const out: string[] = [];
	const err: string[] = [];
	const name = `${cmd.split("/").pop()} ${args.join(" ").slice(0, 60)}`;
	const outQ = lineQueue(proc.stdout, out);
	const errQ = lineQueue(proc.stderr, err);
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => {
		proc.on("exit", (code, signal) => {
			children.delete(proc);
			resolve({ code, signal, at: performance.now() });
		});
		proc.on("error", (e) => {
			children.delete(proc);
			process.stderr.write(`bench: cannot start ${cmd}: ${e.message}\n`);
			resolve({ code: -1, signal: null, at: performance.now() });
		});
	});
	proc.stdin?.on("error", () => {});
	return {
		proc,
		pid: proc.pid ?? -1,
		line: (re, timeoutMs) => outQ(name, re, timeoutMs),
		errLine: (re, timeoutMs) => errQ(`${name} (stderr)`, re, timeoutMs),
		stdout: () => out.join("\n"),
		stderr: () => err.join("\n"),
		write: (s) => {
			proc.stdin?.write(s);
		},
		exited,
		signal: (sig) => {
			if (proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
		},
		async interrupt(maxMs = 180_000) {
			const first = performance.now();
			let last = first;
			let repeats = 0;
			if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGINT");
			for (;;) {
				const e = await Promise.race([exited, sleep(500).then(() => null)]);
				if (e) return { ms: e.at - last, fromFirstMs: e.at - first, repeats };
				if (performance.now() - first > maxMs) {
					proc.kill("SIGKILL");
					await exited;
					throw new Error(`${name} did not exit within ${maxMs / 1000} s of SIGINT`);
				}
				// A tool that took the signal leaves its event loop (both poll with timeouts
				// of 100 ms or less) to print and detach; one still waiting in epoll half a
				// second later slept through the signal.
				if (performance.now() - last >= 500 && wchan(proc.pid) === "do_epoll_wait") {
					repeats++;
					last = performance.now();
					proc.kill("SIGINT");
				}
			}
		},
		async stop(graceMs = 30_000) {
			if (proc.exitCode !== null || proc.signalCode !== null) return;
			proc.kill("SIGINT");
			const t = setTimeout(() => proc.kill("SIGKILL"), graceMs);
			await exited;
			clearTimeout(t);
		},
	};
}

/** Kill every child still running and wait until all have exited. */
export async function reapAll(): Promise<void> {
	for (const pid of grandchildren) {
		try {
			process.kill(pid, "SIGKILL");
		} catch {
			// already gone
		}
	}
	grandchildren.clear();
	const live = liveChildren();
	if (live.length === 0) return;
	const gone = live.map((p) => new Promise<void>((r) => (p.exitCode !== null ? r() : p.once("exit", () => r()))));
	for (const p of live) p.kill("SIGKILL");
	await Promise.race([Promise.all(gone), sleep(120_000)]);
}

/** The kernel function a process's main thread sleeps in ("" when running or gone). */
export function wchan(pid: number | undefined): string {
	try {
		return readFileSync(`/proc/${pid}/wchan`, "utf8").trim();
	} catch {
		return "";
	}
}

/** Resident set size of a process in KiB (VmRSS), or NaN once it is gone. */
export function rssKiB(pid: number): number {
	try {
		const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
		return m ? Number(m[1]) : Number.NaN;
	} catch {
		return Number.NaN;
	}
}

export interface Simple extends Child {
	/** The fixture's own pid (the child is `perf stat`). */
	pid: number;
	/** Tell it to start; resolves with the time its `semaphore` line (right before the loop) arrived. */
	go(): Promise<number>;
	/** After exit: the fixture's CPU time in ms (perf stat's task-clock: user + kernel, BPF programs included). */
	taskClockMs(): number;
	/** Kill the fixture and perf. */
	kill(): void;
}

/** The `simple` fixture under `perf stat -e task-clock`, waiting for its go line (`--wait`). */
export async function startSimple(args: string[]): Promise<Simple> {
	const c = start("perf", ["stat", "-x,", "-e", "task-clock", "--", SIMPLE, "--wait", ...args]);
	const pid = Number((await c.line(/^ready \d+$/, 10_000)).text.split(" ")[1]);
	adopt(pid);
	void c.exited.then(() => disown(pid));
	return {
		...c,
		pid,
		async go() {
			c.write("\n");
			return (await c.line(/^semaphore /)).at;
		},
		kill() {
			try {
				process.kill(pid, "SIGKILL");
			} catch {
				// gone
			}
			c.signal("SIGKILL");
		},
		taskClockMs() {
			const m = /^([\d.]+),msec,task-clock/m.exec(c.stderr());
			if (!m) throw new Error(`perf stat printed no task-clock: ${c.stderr().slice(0, 300)}`);
			return Number(m[1]);
		},
	};
}

/** The bench-loop fixture waiting for its go line. */
export async function startLoop(args: string[]): Promise<Child & { go(): void }> {
	const c = start(BENCH_LOOP, ["--wait", ...args]);
	await c.line(/^ready \d+$/, 10_000);
	return { ...c, go: () => c.write("\n") };
}

/**
 * Run a command to completion under `perf stat -e task-clock`: wall time in ms
 * from spawn to exit, and the CPU time (ms) of the command and its children.
 */
export async function timeCommand(
	cmd: string,
	args: string[],
	opts: SpawnOptions = {},
): Promise<{ ms: number; cpuMs: number; code: number | null; stdout: string; stderr: string }> {
	const t0 = performance.now();
	const c = start("perf", ["stat", "-x,", "-e", "task-clock", "--", cmd, ...args], opts);
	const e = await c.exited;
	const m = /^([\d.]+),msec,task-clock/m.exec(c.stderr());
	return {
		ms: e.at - t0,
		cpuMs: m ? Number(m[1]) : Number.NaN,
		code: e.code,
		stdout: c.stdout(),
		stderr: c.stderr().replace(/^[\d.]+,msec,task-clock.*$/m, ""),
	};
}

export function haveBpftrace(): boolean {
	try {
		return readFileSync("/usr/bin/bpftrace").length > 0;
	} catch {
		return false;
	}
}
