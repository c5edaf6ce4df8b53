// What a process maps, followed from the kernel's process events instead of
// /proc/PID/maps: an exec's record names the program's file (dev, inode), an
// executable mmap's the file being mapped, and a forked child maps what its
// parent maps. A file the object cache knows already is taken from it with no
// system call; a file not seen before is found by the path its dentries name
// (mounts.ts; one stat checks it is that file) and parsed once, even when the
// process that mapped it has exited. /proc/PID/maps is read only when the
// kernel could not name the file.
//
// The program interpreter (ld.so) is mapped by the kernel at exec, not by a
// system call, so no record names it: it is the program's PT_INTERP, looked up
// (one stat in the process's root) once per program.
//
// Mappings removed: the kernel records a munmap only when the range begins in
// a file's mapping (dlclose unmaps a library from its first segment); when that
// file is one of the process's objects its maps are read again (one read per
// dlclose: what is left mapped, partial unmaps included), else nothing is done
// (ld.so unmapping its cache at every start costs nothing).
import { statSync } from "node:fs";
import type { MappingEvent } from "./catalog-types.ts";
import { Mounts } from "./mounts.ts";
import type { MappedObject, ObjectCache } from "./objects.ts";
import type { FileId, ProcEvent } from "./proc-events.ts";

/** The part of the catalog's process state the events change. */
export interface MappingState {
	pid: number;
	objects: MappedObject[];
}

/** What an event did to a process's objects: nothing, changed them, or needs its maps read. */
export type Followed = "same" | "changed" | "reread";

const INTERP_LIMIT = 4096;
const keyOf = (f: FileId) => `${f.dev}:${f.inode}`;

export class EventMappings {
	readonly #objects: ObjectCache;
	/** Program object key → its interpreter's object key. */
	readonly #interp = new Map<string, string>();
	/** Events that changed mappings with no maps read, and maps reads made for events (tests, benchmarks). */
	avoided = 0;
	needed = 0;
	/** Processes whose maps were read for an event (the last few thousand; tests). */
	readFor = new Set<number>();
	/** New objects found by the path in the event (no maps read). */
	parsedFromEvents = 0;
	readonly #mounts = new Mounts();

	/** The catalog read `pid`'s maps for an event. */
	noteRead(pid: number): void {
		this.needed++;
		if (this.readFor.size >= INTERP_LIMIT) this.readFor.clear();
		this.readFor.add(pid);
	}

	constructor(objects: ObjectCache) {
		this.#objects = objects;
	}

	/** Applies one fork, exec or mmap to `s` (`parent`: a fork's parent, if known). */
	follow(s: MappingState, e: ProcEvent, parent?: MappingState): Followed {
		const r = this.#follow(s, e, parent);
		if (r === "changed") this.avoided++;
		return r;
	}

	#follow(s: MappingState, e: ProcEvent, parent?: MappingState): Followed {
		if (e.type === "fork") {
			if (!parent || parent.objects.length === 0) return "reread";
			this.#set(
				s,
				parent.objects.map((o) => this.#objects.retain(o)),
			);
			return "changed";
		}
		if (e.type === "exec") {
			const objs = e.file ? this.#exec(s.pid, e.file) : undefined;
			this.#set(s, objs ?? []);
			return objs ? "changed" : "reread";
		}
		if (e.type !== "mmap") return "same";
		const o = e.file ? this.#acquire(s.pid, e.file, e.offset ?? 0) : undefined;
		if (!o) return "reread";
		if (s.objects.some((x) => x.key === o.key)) {
			this.#objects.release(o);
			return "same";
		}
		s.objects.push(o);
		return "changed";
	}

	/** Whether a munmap touches one of `s`'s objects (its maps must be read again). */
	unmaps(s: MappingState, e: Extract<ProcEvent, { type: "munmap" }>): boolean {
		if (!e.file) return s.objects.length > 0;
		const key = keyOf(e.file);
		return s.objects.some((o) => o.key === key);
	}

	/** The object of a file the kernel named, parsed now if new and its path names it; a reference. */
	#acquire(pid: number, file: FileId, offset: number): MappedObject | undefined {
		const known = this.#objects.acquireKnown(keyOf(file), file);
		if (known || !file.fsPath) return known;
		const path = this.#mounts.resolve(file.dev, file.fsPath);
		if (!path) return undefined;
		let st: ReturnType<typeof statSync>;
		try {
			st = statSync(path);
		} catch {
			return undefined;
		}
		if (!st || st.dev !== file.dev || st.ino !== file.inode || !st.isFile()) return undefined;
		this.parsedFromEvents++;
		// The stat just made is the object cache's: it stats the file no second time.
		return this.#objects.acquire(
			pid,
			{ path, dev: file.dev, inode: file.inode, offset, start: 0, end: 0, deleted: false },
			{ path, size: st.size, mtimeMs: st.mtimeMs },
		);
	}

	#set(s: MappingState, objects: MappedObject[]): void {
		const old = s.objects;
		s.objects = objects;
		for (const o of old) this.#objects.release(o);
	}

	/** References to the program and its interpreter, or undefined when either is not known. */
	#exec(pid: number, file: FileId): MappedObject[] | undefined {
		const exe = this.#acquire(pid, file, 0);
		if (!exe || exe.error) {
			if (exe) this.#objects.release(exe);
			return undefined;
		}
		if (!exe.interp) return [exe];
		let key = this.#interp.get(exe.key);
		if (key === undefined) {
			// In the process's root (a container's), or in dtop's when the process is gone already.
			for (const path of [`/proc/${pid}/root${exe.interp}`, exe.interp]) {
				try {
					const st = statSync(path);
					key = `${st.dev}:${st.ino}`;
					break;
				} catch {}
			}
			if (key === undefined) {
				this.#objects.release(exe);
				return undefined;
			}
			if (this.#interp.size >= INTERP_LIMIT) this.#interp.clear();
			this.#interp.set(exe.key, key);
		}
		const ld = this.#objects.acquireKnown(key);
		if (!ld) {
			this.#objects.release(exe);
			return undefined;
		}
		return [exe, ld];
	}
}

const PAGE = 4096;
const pageEnd = (start: number, length: number) => start + Math.ceil(length / PAGE) * PAGE;

/** The range a munmap removed. */
export function rangeOf(e: Extract<ProcEvent, { type: "munmap" }>): MappingEvent {
	return { pid: e.pid, at: e.at, start: e.start, end: pageEnd(e.start, e.length) };
}

/** An exec removes every mapping (the whole address space, as an unmapped range). */
export function execRange(e: ProcEvent): MappingEvent | undefined {
	return e.type === "exec" && e.at !== undefined
		? { pid: e.pid, at: e.at, start: 0, end: Number.MAX_SAFE_INTEGER }
		: undefined;
}

/** Code an mmap put at a known address (MAP_FIXED) in one of `s`'s objects, after the event was followed. */
export function mappedRange(s: MappingState, e: ProcEvent): MappingEvent | undefined {
	if (e.type === "exec") return execRange(e);
	if (e.type !== "mmap" || e.start === undefined || !e.length || e.at === undefined || !e.file) return undefined;
	const key = keyOf(e.file);
	const o = s.objects.find((x) => x.key === key);
	if (!o) return undefined;
	return {
		pid: e.pid,
		at: e.at,
		start: e.start,
		end: pageEnd(e.start, e.length),
		path: o.openPath,
		offset: e.offset ?? 0,
	};
}
