// Which processes the .eh_frame unwinder knows (kernel/unwind/unwinder.ts),
// kept current from the session's side: a process is loaded when a clause that
// takes its stacks attaches, when it starts (while such a clause is enabled),
// when it is held (after the loader mapped a library, at exit()), and when it
// fired before it was known (the kernel lists those). A process whose mappings
// changed (an exec: the -c target is a shell until it execs the command; a
// dlopen) is loaded again; its text of /proc/PID/maps tells. Processes that
// merely started, or fired unknown, are loaded within a time budget.
import { readFileSync } from "node:fs";
import type { Unwinder } from "../../kernel/unwind/unwinder.ts";

/** Above this many known processes, the tick re-reads only the target's mappings. */
const REFRESH_ALL_BELOW = 64;

/** Most time a tick spends loading processes (the rest wait for the next tick). */
const TICK_BUDGET_MS = 250;
/** A process that just started is loaded at once when at most this many bytes of its files need tables built. */
const CHEAP_BYTES = 4 << 20;

export class UnwoundProcesses {
	/** pid → its last /proc/PID/maps text. */
	private readonly seen = new Map<number, string>();
	/**
	 * Processes to load when there is time: loading builds the tables of objects
	 * seen for the first time (node's take a second), and a system-wide probe sees
	 * every process the machine starts. Newest first.
	 */
	private readonly pending = new Set<number>();

	constructor(
		private readonly unwinder: () => Unwinder | undefined,
		private readonly target: number | undefined,
	) {}

	/** Load (or reload, when its mappings changed) process `pid` now. False when it is gone. */
	load(pid: number): boolean {
		this.pending.delete(pid);
		const u = this.unwinder();
		if (!u) return false;
		let text: string;
		try {
			text = readFileSync(`/proc/${pid}/maps`, "utf8");
		} catch {
			return false;
		}
		if (this.seen.get(pid) === text && u.knows(pid)) return true;
		// A zombie's maps are empty: it runs no more code, keep what the walk knew.
		if (text === "" && u.knows(pid)) return true;
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

	/**
	 * Processes that started: loaded now when their tables are built already or
	 * cheap to build (its traced firings may come at once), otherwise as time
	 * allows (until then they are walked by frame pointers).
	 */
	started(pids: readonly number[]): void {
		const u = this.unwinder();
		if (!u) return;
		for (const pid of [...pids].reverse()) {
			// An exec dropped its entry in the kernel (kernel/unwind/fork.ts): load it again.
			this.seen.delete(pid);
			let text: string;
			try {
				text = readFileSync(`/proc/${pid}/maps`, "utf8");
			} catch {
				continue; // gone already
			}
			if (u.unbuiltBytes(pid, text) <= CHEAP_BYTES) this.load(pid);
			else this.pending.add(pid);
		}
	}

	private drain(until: number): void {
		const newest = [...this.pending].reverse();
		for (const pid of newest) {
			if (performance.now() >= until) return;
			this.load(pid);
		}
	}

	/** Every tick: processes that fired unknown first, then those waiting, then mappings that changed. */
	tick(): void {
		const u = this.unwinder();
		if (!u) return;
		const until = performance.now() + TICK_BUDGET_MS;
		for (const pid of u.pollUnknown()) this.pending.add(pid);
		this.drain(until);
		const check = this.seen.size < REFRESH_ALL_BELOW ? [...this.seen.keys()] : this.target ? [this.target] : [];
		for (const pid of check) if (!this.load(pid) && this.seen.has(pid)) this.exited(pid);
	}

	/** The process exited: its tables may go (its stacks' records stay in the stacks map). */
	exited(pid: number): void {
		this.pending.delete(pid);
		this.seen.delete(pid);
		this.unwinder()?.removeProcess(pid);
	}
}
