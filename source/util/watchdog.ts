// A watchdog shell outside dtop: a bash script that outlives dtop (detached, its
// own session) to continue processes dtop stopped if dtop dies or stops itself.
// It runs bash built-ins only, with no rc files or BASH_ENV: a program it started
// could itself be held. Lines for it go to its stdin.
import type { ChildProcess } from "node:child_process";

// node:child_process is loaded on first use (process.getBuiltinModule): it pulls in
// net and dgram, which -l and runs without -c never need.

/** Start `script` with D set to dtop's pid; throws when it cannot be spawned. */
export function spawnWatchdog(script: string): ChildProcess {
	const w = process.getBuiltinModule("node:child_process").spawn("/bin/bash", ["--norc", "--noprofile", "-c", script], {
		stdio: ["pipe", "ignore", "ignore"],
		detached: true,
		env: { PATH: "/usr/bin:/bin", D: String(process.pid) },
	});
	w.on("error", () => {});
	w.stdin?.on("error", () => {});
	w.unref();
	return w;
}
