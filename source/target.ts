// The traced process of -c and -p: started stopped (so probes are in place
// before its first instruction), resumed, and watched until it exits.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { readStat } from "./catalog/procfs.ts";

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
