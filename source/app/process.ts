// The traced process of -c and -p: started stopped (so probes are in place
// before its first instruction), resumed, and watched until it exits.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Catalog } from "../catalog/index.ts";
import { readStat } from "../catalog/procfs.ts";
import type { CatalogProbes } from "../session/catalog-source.ts";
import type { Session } from "../session/session.ts";

export interface Target {
	pid: number;
	/** The executable the process will run (for -c: resolved before exec). */
	binary?: string;
	resume(): void;
	/** Resolves when the process exits (with its exit code for -c). */
	exited: Promise<number | null>;
	kill(): void;
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
export async function startStopped(command: string, stdio: "inherit" | "ignore" = "inherit"): Promise<Target> {
	const first = command.trim().split(/\s+/)[0] ?? "";
	const binary = resolveCommand(first);
	if (!binary) throw new Error(`cannot run '${first}': no such command (check the path or PATH).`);
	const child: ChildProcess = spawn("/bin/sh", ["-c", `kill -STOP $$; exec ${command}`], {
		stdio: [stdio === "inherit" ? "inherit" : "ignore", stdio, stdio],
	});
	const pid = child.pid;
	if (!pid) throw new Error(`cannot start '${command}'.`);
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
	const exited = new Promise<number | null>((resolve) => {
		timer = setInterval(() => {
			const st = procState(pid);
			if (st === undefined || st === "Z" || st === "X") {
				clearInterval(timer);
				resolve(null);
			}
		}, 100);
		timer.unref?.();
	});
	return { pid, resume: () => {}, exited, kill: () => clearInterval(timer) };
}
/**
 * Hold the target at two moments, like DTrace's process control: when the
 * dynamic loader has mapped a library (dlopen included) — rescan and attach
 * matching probes before the library runs — and when it calls exit() — read its
 * mappings so its stacks symbolize after it is gone. Then let it go on.
 */
export function holdTarget(session: Session, target: Target, probes: CatalogProbes, catalog: Catalog): void {
	const libs = probes.libraries(target);
	const libc = libs.find((l) => /\/libc\.so\.6$/.test(l));
	const loader = libs.find((l) => /\/ld-linux[^/]*\.so(\.\d+)*$/.test(l));
	let held = false;
	if (libc) held = session.holdAt(target.pid, libc, "exit") || held;
	if (loader) held = session.holdAt(target.pid, loader, "_dl_debug_state") || held;
	if (!held) return;
	startWatchdog(target.pid);
	const timer = setInterval(() => {
		if (procState(target.pid) !== "T") return;
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
}

/**
 * A held target must never stay stopped: if dtop dies (kill -9) between a hold
 * and its SIGCONT, a small watchdog outside dtop continues the target. It ends
 * by itself once dtop or the target is gone.
 */
function startWatchdog(target: number): void {
	const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${target} 2>/dev/null; do sleep 0.2; done; kill -CONT ${target} 2>/dev/null; exit 0`;
	try {
		const w = spawn("/bin/sh", ["-c", script], { stdio: "ignore", detached: true });
		w.on("error", () => {});
		w.unref();
	} catch {
		// without a watchdog the hold still works; dtop continues the target itself
	}
}
