// What a traced process mapped when, from the kernel's process events: code
// mapped at a known address (ld.so maps a library's code MAP_FIXED) and ranges
// unmapped (dlclose), each with its CLOCK_MONOTONIC time, the clock of the
// trace records' timestamps. A stack recorded before a dlclose names the
// library that was there then, one recorded after a dlopen at the same address
// the new one, whenever the records are read.
//
// Mappings read from /proc/PID/maps are "now"; a range unmapped after they were
// read is cut out of them (range-based removal) and kept here, until then.
import type { Mapping } from "../../kernel/elf/procmaps.ts";

interface Timed {
	m: Mapping;
	from: number;
	/** Unmapped at; undefined while mapped. */
	until?: number;
}

/** Most timed mappings kept per process, and processes kept (the oldest go first). */
const PER_PROCESS = 256;
const MAX_PROCESSES = 8192;

/** A file mapping from an event (no device numbers: the path opens it). */
export function eventMapping(start: number, end: number, path: string, offset: number): Mapping {
	return {
		start,
		end,
		perms: "r-xp",
		readable: true,
		writable: false,
		executable: true,
		shared: false,
		offset,
		devMajor: 0,
		devMinor: 0,
		inode: 0,
		path,
		deleted: false,
	};
}

/** `maps` (sorted) without `[start, end)`, and the pieces removed. */
export function cutRange(
	maps: readonly Mapping[],
	start: number,
	end: number,
): { kept: Mapping[]; removed: Mapping[] } {
	const kept: Mapping[] = [];
	const removed: Mapping[] = [];
	for (const m of maps) {
		if (m.end <= start || m.start >= end) {
			kept.push(m);
			continue;
		}
		if (m.start < start) kept.push({ ...m, end: start });
		const lo = Math.max(m.start, start);
		removed.push({ ...m, start: lo, end: Math.min(m.end, end), offset: m.offset + (lo - m.start) });
		if (m.end > end) kept.push({ ...m, start: end, offset: m.offset + (end - m.start) });
	}
	return { kept, removed };
}

export class MapHistory {
	readonly #byPid = new Map<number, Timed[]>();
	readonly #exited = new Map<number, number>();

	#list(pid: number): Timed[] {
		let l = this.#byPid.get(pid);
		if (!l) {
			if (this.#byPid.size >= MAX_PROCESSES) {
				const oldest = this.#byPid.keys().next().value;
				if (oldest !== undefined) this.#byPid.delete(oldest);
			}
			this.#byPid.set(pid, (l = []));
		}
		return l;
	}

	#push(pid: number, t: Timed): void {
		const l = this.#list(pid);
		l.push(t);
		if (l.length > PER_PROCESS) l.splice(0, l.length - PER_PROCESS);
	}

	/** `m` is mapped since `at`. */
	mapped(pid: number, m: Mapping, at: number): void {
		this.#push(pid, { m, from: at });
	}

	/** `[start, end)` was unmapped at `at`: what events mapped there ends then. */
	unmapped(pid: number, start: number, end: number, at: number): void {
		const l = this.#byPid.get(pid);
		if (!l) return;
		const add: Timed[] = [];
		for (const t of l) {
			if (t.until !== undefined || t.from > at || t.m.end <= start || t.m.start >= end) continue;
			const { kept, removed } = cutRange([t.m], start, end);
			t.m = removed[0] ?? t.m;
			t.until = at;
			for (const k of kept) add.push({ m: k, from: t.from });
		}
		for (const t of add) this.#push(pid, t);
	}

	/** Mappings read from /proc before `at` that `[start, end)` removed then: valid until `at`. */
	retired(pid: number, removed: readonly Mapping[], at: number): void {
		for (const m of removed) this.#push(pid, { m, from: 0, until: at });
	}

	/**
	 * The mapping covering `a` at time `at` as events tell it (newest first), or
	 * with `at` undefined the one mapped now; undefined when events do not say.
	 */
	find(pid: number, a: number, at?: number): Mapping | undefined {
		const l = this.#byPid.get(pid);
		if (!l) return undefined;
		for (let i = l.length - 1; i >= 0; i--) {
			const t = l[i]!;
			if (a < t.m.start || a >= t.m.end) continue;
			if (at === undefined ? t.until === undefined : t.from <= at && (t.until === undefined || at < t.until))
				return t.m;
		}
		return undefined;
	}

	has(pid: number): boolean {
		return this.#byPid.has(pid);
	}

	exited(pid: number): void {
		if (this.#byPid.has(pid)) this.#exited.set(pid, Date.now());
	}

	/** Forget processes that exited before `edge` (Date.now() ms). */
	prune(edge: number): void {
		for (const [pid, when] of this.#exited) {
			if (when >= edge) continue;
			this.#exited.delete(pid);
			this.#byPid.delete(pid);
		}
	}
}
