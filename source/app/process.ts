// The traced process of -c and -p: started stopped (so probes are in place
// before its first instruction), resumed, and watched until it exits.

import type { ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Catalog } from "../catalog/index.ts";
import { readStat } from "../catalog/procfs.ts";
import type { CatalogProbes } from "../session/catalog-source.ts";
import type { Session } from "../session/session.ts";
import { spawnWatchdog } from "../util/watchdog.ts";

export interface Target {
	pid: number;
	/** The executable the process will run (for -c: resolved before exec). */
	binary?: string;
	resume(): void;
	/** A watchdog already continues it if dtop dies (a -c command, from its start). */
	watched?: boolean;
	/** Resolves when the process exits (with its exit code for -c). */
	exited: Promise<number | null>;
	kill(): void;
	/** Where the command's output goes when it is not the terminal (the interactive UI). */
	output?: OutputFile;
	/** Learn of the exit from the catalog's process events (a -p target polls /proc until then). */
	follow?(catalog: Catalog): void;
}

/** A private file (in a fresh 0700 directory) for a -c command's output. */
export interface OutputFile {
	path: string;
	fd: number;
	/** Closes it; an empty file and its directory are removed. Returns the path if it kept anything. */
	finish(): string | undefined;
}

export function outputFile(): OutputFile {
	const dir = mkdtempSync(join(tmpdir(), "dtop-"));
	const path = join(dir, "command.out");
	const fd = openSync(path, "wx", 0o600);
	let closed = false;
	return {
		path,
		fd,
		finish() {
			if (!closed) closeSync(fd);
			closed = true;
			try {
				if (statSync(path).size > 0) return path;
				unlinkSync(path);
				rmdirSync(dir);
			} catch {
				// already gone
			}
			return undefined;
		},
	};
}

/** The process's state letter from /proc/PID/stat (T = stopped), or undefined when it is gone. */
export function procState(pid: number): string | undefined {
	return readStat(pid)?.state;
}

/** Resolve a command name like the shell would (PATH lookup). */
export function resolveCommand(name: string): string | undefined {
	if (name.includes("/")) return existsSync(name) ? name : undefined;
	for (const dir of (process.env.PATH ?? "/usr/bin:/bin").split(":")) {
		const p = `${dir || "."}/${name}`;
		if (existsSync(p)) return p;
	}
	return undefined;
}

/**
 * Start `command` (a shell command line) stopped: a shell stops itself with
 * SIGSTOP and, once resumed, execs the command, so the pid dtop traces is the
 * command's own and nothing runs before the probes are attached.
 */
export async function startStopped(
	command: string,
	stdio: "inherit" | "ignore" | OutputFile = "inherit",
): Promise<Target> {
	const first = command.trim().split(/\s+/)[0] ?? "";
	const binary = resolveCommand(first);
	if (!binary) throw new Error(`cannot run '${first}': no such command (check the path or PATH).`);
	// The watchdog first: from the moment the command stops itself, a kill -9
	// of dtop at any stage of starting must not leave it stopped.
	const watch = watchdog();
	// Into a file, the command's output cannot write over the interactive UI; nor
	// can it read the keys meant for dtop.
	const out = typeof stdio === "string" ? stdio : stdio.fd;
	const child: ChildProcess = process
		.getBuiltinModule("node:child_process")
		.spawn("/bin/sh", ["-c", `kill -STOP $$; exec ${command}`], {
			stdio: [stdio === "inherit" ? "inherit" : "ignore", out, out],
		});
	const pid = child.pid;
	if (!pid) throw new Error(`cannot start '${command}'.`);
	watch(pid);
	const exited = new Promise<number | null>((resolve) =>
		child.on("exit", (code, signal) => resolve(code ?? (signal ? 128 : null))),
	);
	for (let i = 0; i < 500 && procState(pid) !== "T"; i++) await new Promise((r) => setTimeout(r, 2));
	if (procState(pid) !== "T") {
		child.kill("SIGKILL");
		throw new Error(`'${command}' did not stop for tracing.`);
	}
	return {
		pid,
		binary,
		output: typeof stdio === "string" ? undefined : stdio,
		watched: true,
		resume: () => {
			try {
				process.kill(pid, "SIGCONT");
			} catch {
				// already gone
			}
		},
		exited,
		kill: () => {
			if (child.exitCode === null) child.kill("SIGKILL");
		},
	};
}

/** Watch an existing process (-p) until it exits. */
export function attachTo(pid: number): Target {
	if (procState(pid) === undefined)
		throw new Error(`process ${pid} does not exist (or is not visible); check the pid.`);
	let timer: NodeJS.Timeout | undefined;
	let unsubscribe: (() => void) | undefined;
	let finish: () => void = () => {};
	const exited = new Promise<number | null>((resolve) => {
		finish = () => {
			clearInterval(timer);
			unsubscribe?.();
			resolve(null);
		};
	});
	const poll = (ms: number) => {
		clearInterval(timer);
		timer = setInterval(() => {
			const st = procState(pid);
			if (st === undefined || st === "Z" || st === "X") finish();
		}, ms);
		timer.unref?.();
	};
	poll(100);
	return {
		pid,
		resume: () => {},
		exited,
		kill: () => {
			clearInterval(timer);
			unsubscribe?.();
		},
		follow(catalog) {
			unsubscribe ??= catalog.subscribe((c) => {
				if (c.exited.includes(pid)) finish();
			});
			// The events say when it exits; a slow poll stays as the safety net.
			poll(2000);
		},
	};
}
/** What the enablings need the target held for. */
export interface HoldNeeds {
	/** Probes in libraries it will load (USDT or pid providers): hold after each library the loader maps. */
	libraries: boolean;
	/** Its stacks (ustack()): hold at exit() to read its mappings before they are gone. */
	exit: boolean;
}

/**
 * Hold the target at two moments, like DTrace's process control, but only
 * where an enabling needs it: when the dynamic loader has mapped a library
 * (dlopen included) — rescan and attach matching probes before the library
 * runs — and when it calls exit() — read its mappings so its stacks symbolize
 * after it is gone. Then let it go on. Only stops the holds made are resumed:
 * a process stopped by anyone else (`kill -STOP`) stays stopped.
 */
export function holdTarget(
	session: Session,
	target: Target,
	probes: CatalogProbes,
	catalog: Catalog,
	needs: HoldNeeds,
): () => void {
	const none = () => {};
	if (!needs.libraries && !needs.exit) return none;
	const libs = probes.libraries(target);
	const libc = libs.find((l) => /\/libc\.so\.6$/.test(l));
	const loader = libs.find((l) => /\/ld-linux[^/]*\.so(\.\d+)*$/.test(l));
	let held = false;
	if (libc && needs.exit) held = session.holdAt(target.pid, libc, "exit") || held;
	if (loader && needs.libraries) held = session.holdAt(target.pid, loader, "_dl_debug_state") || held;
	if (!held) return none;
	const dog = target.watched ? undefined : watchdog();
	dog?.(target.pid);
	let resumed = 0;
	const timer = setInterval(() => {
		if (procState(target.pid) !== "T" || session.holdStops() <= resumed) return;
		resumed = session.holdStops();
		try {
			const change = catalog.refreshProcess(target.pid);
			if (change.added.length) session.rematch();
		} catch {
			// the catalog's own errors do not stop the target
		}
		session.captureProcess(target.pid);
		try {
			process.kill(target.pid, "SIGCONT");
		} catch {
			// gone
		}
	}, 5);
	timer.unref();
	target.exited.then(() => clearInterval(timer));
	// On the way out (after the session removed the holds): resume a stop the
	// holds made and nobody resumed yet, then end the watchdog, which would
	// otherwise continue a process someone else stopped.
	return () => {
		clearInterval(timer);
		if (procState(target.pid) === "T" && session.holdStops() > resumed) {
			try {
				process.kill(target.pid, "SIGCONT");
			} catch {
				// gone
			}
		}
		dog?.stop();
	};
}

/**
 * The watchdog's script: a shell outside dtop that continues the target when
 * dtop is gone (kill -9) or has been stopped itself (Ctrl-Z, SIGSTOP) for a
 * second while the target is stopped too — a hold must never depend on dtop
 * being scheduled. A dead dtop not yet reaped (a zombie) counts as gone. It ends
 * by itself once dtop or the target is gone. The target's pid comes on stdin,
 * so the watchdog exists before the target does; stdin stays open (its
 * end-of-file says dtop is gone). Bash built-ins only: a program it ran would
 * be a new process the exec hold (catalog/feed.ts) could stop.
 */
const WATCHDOG = `read -r T || exit 0
st() { local s; { read -r s < /proc/$1/stat; } 2>/dev/null || { S=; return 0; }; s=\${s##*) }; S=\${s%% *}; }
n=0
while kill -0 $D 2>/dev/null && kill -0 $T 2>/dev/null; do
	st $D; d=$S
	[ "$d" = Z ] && break
	st $T
	if [ "$d" = T ] && [ "$S" = T ]; then n=$((n + 1)); else n=0; fi
	if [ $n -ge 5 ]; then kill -CONT $T 2>/dev/null; n=0; fi
	read -r -t 0.2 _ && continue
	[ $? -gt 128 ] || break
done
# The kernel tears a dead dtop's hold uprobes down after it is gone: one may
# still stop the target just after it goes on, so keep letting it go for 2 s
# (fd 9, a pipe the shell itself holds open, makes read -t a sleep).
exec 9<> <(:)
for i in 1 2 3 4 5 6 7 8 9 10; do
	kill -CONT $T 2>/dev/null || break
	read -r -t 0.2 -u 9 _
done
exit 0`;

/** A watchdog: give it the target's pid once the target exists; stop() ends it. */
type Watchdog = ((pid: number) => void) & { stop(): void };

function watchdog(): Watchdog {
	try {
		const w = spawnWatchdog(WATCHDOG);
		return Object.assign((pid: number) => w.stdin?.write(`${pid}\n`), { stop: () => void w.kill("SIGKILL") });
	} catch {
		// without a watchdog the hold still works; dtop continues the target itself
		return Object.assign(() => {}, { stop: () => {} });
	}
}

/**
 * For tests: `DTOP_STOP_AT=NAME` makes dtop stop itself (SIGSTOP) at that stage
 * of starting. `DTOP_TIMING=1` writes to stderr when each stage ended, in ms
 * since the process started (scripts/bench's start-up section reads them).
 */
export function stage(name: "target" | "catalog" | "session" | "enabled" | "frame"): void {
	if (process.env.DTOP_TIMING === "1")
		process.stderr.write(`dtop: timing ${name} ${performance.now().toFixed(1)} ms\n`);
	if (process.env.DTOP_STOP_AT === name) process.kill(process.pid, "SIGSTOP");
}
