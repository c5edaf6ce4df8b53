// Which processes the .eh_frame unwinder knows (kernel/unwind/unwinder.ts),
// kept current from the session's side: a process is loaded when a clause that
// takes its stacks attaches, when it starts (while such a clause is enabled),
// when it is held (after the loader mapped a library, at exit()), and when it
// fired before it was known (the kernel lists those). A process whose mappings
// changed (an exec: the -c target is a shell until it execs the command; a
// dlopen) is loaded again; its text of /proc/PID/maps tells.
import { readFileSync } from "node:fs";
import type { Unwinder } from "../../kernel/unwind/unwinder.ts";

/** Above this many known processes, the tick re-reads only the target's mappings. */
const REFRESH_ALL_BELOW = 64;

export class UnwoundProcesses {
	/** pid → its last /proc/PID/maps text. */
	private readonly seen = new Map<number, string>();

	constructor(
		private readonly unwinder: () => Unwinder | undefined,
		private readonly target: number | undefined,
	) {}

	/** Load (or reload, when its mappings changed) process `pid`. False when it is gone. */
	load(pid: number): boolean {
		const u = this.unwinder();
		if (!u) return false;
		let text: string;
		try {
			text = readFileSync(`/proc/${pid}/maps`, "utf8");
		} catch {
			return false;
		}
		if (this.seen.get(pid) === text && u.knows(pid)) return true;
		this.seen.set(pid, text);
		try {
			u.addProcessFromText(pid, text);
		} catch {
			// The procs map is full: its stacks say "process not known yet", counted.
			this.seen.delete(pid);
			return false;
		}
		return true;
	}

	/** Every tick: processes that fired unknown, and mappings that changed since. */
	tick(): void {
		const u = this.unwinder();
		if (!u) return;
		for (const pid of u.pollUnknown()) this.load(pid);
		const check = this.seen.size < REFRESH_ALL_BELOW ? [...this.seen.keys()] : this.target ? [this.target] : [];
		for (const pid of check) if (!this.load(pid) && this.seen.has(pid)) this.exited(pid);
	}

	/** The process exited: its tables may go (its stacks' records stay in the stacks map). */
	exited(pid: number): void {
		this.seen.delete(pid);
		this.unwinder()?.removeProcess(pid);
	}
}
