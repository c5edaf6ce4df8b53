// A child process that waits for a line on stdin before it works (deepstack
// --wait, or a script that reads stdin first), so tests attach probes first.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { readFileSync, readlinkSync, realpathSync } from "node:fs";

export interface WaitingChild {
	pid: number;
	child: ChildProcessWithoutNullStreams;
	/** Sends the line that starts the work. */
	go(): void;
	/** The next stdout line matching `re` (lines already printed count). */
	line(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
	exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
	kill(): Promise<void>;
}

/**
 * Resolves once process `pid` runs `exe` and sits in read(2) on its stdin: it
 * has exec'ed, loaded its libraries and reached the line it waits for.
 */
async function readingStdin(pid: number, exe: string, timeoutMs = 30_000): Promise<void> {
	const want = realpathSync(exe);
	const reading = new RegExp(`^${process.arch === "arm64" ? 63 : 0} 0x0 `);
	const end = Date.now() + timeoutMs;
	for (;;) {
		try {
			// /proc/PID/syscall: "NR 0x0 …" is read(0, …) in progress (read is 0 on x86_64, 63 on aarch64).
			if (readlinkSync(`/proc/${pid}/exe`) === want && reading.test(readFileSync(`/proc/${pid}/syscall`, "utf8")))
				return;
		} catch {
			// Not started yet, or gone (the caller notices through `exited`).
		}
		if (Date.now() > end) throw new Error(`${exe} (pid ${pid}) never waited for input on stdin`);
		await new Promise((r) => setTimeout(r, 10));
	}
}

/**
 * Starts `cmd args`. With `ready`, waits for a stdout line `ready PID` first
 * (deepstack's --wait); otherwise until the process blocks reading stdin.
 */
export async function startWaiting(cmd: string, args: string[], opts: { ready?: boolean } = {}): Promise<WaitingChild> {
	const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
	let out = "";
	let err = "";
	let consumed = 0;
	const waiters: (() => void)[] = [];
	child.stdout.setEncoding("utf8");
	child.stdout.on("data", (d: string) => {
		out += d;
		for (const w of waiters.splice(0)) w();
	});
	child.stderr.setEncoding("utf8");
	child.stderr.on("data", (d: string) => {
		err += d;
	});
	const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
		child.on("close", (code, signal) => {
			resolve({ code, signal });
			for (const w of waiters.splice(0)) w();
		});
	});
	let gone = false;
	void exited.then(() => {
		gone = true;
	});
	const line = (re: RegExp, timeoutMs = 60_000) =>
		new Promise<RegExpMatchArray>((resolve, reject) => {
			const timer = setTimeout(
				() =>
					reject(
						new Error(
							`${cmd} printed no line matching ${re} (stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)})`,
						),
					),
				timeoutMs,
			);
			const check = () => {
				const lines = out.slice(consumed).split("\n");
				let at = consumed;
				for (const l of lines.slice(0, -1)) {
					at += l.length + 1;
					const m = l.match(re);
					if (m) {
						consumed = at;
						clearTimeout(timer);
						resolve(m);
						return;
					}
				}
				if (gone) {
					clearTimeout(timer);
					reject(new Error(`${cmd} exited before printing ${re} (stderr ${JSON.stringify(err)})`));
					return;
				}
				waiters.push(check);
			};
			check();
		});
	let pid = child.pid ?? 0;
	if (opts.ready) pid = Number((await line(/^ready (\d+)$/))[1]);
	else await readingStdin(pid, cmd);
	return {
		pid,
		child,
		go: () => child.stdin.write("go\n"),
		line,
		exited,
		kill: async () => {
			if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
			await exited;
		},
	};
}
