// Mapped ELF objects, parsed once and shared by every process that maps them.
// Identity is (device, inode) as /proc/PID/maps reports it; size and mtime are
// checked so a file rewritten in place is parsed again. An object is freed when
// no process maps it any more.

import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { PT_INTERP } from "../../kernel/elf/constants.ts";
import { ElfFile } from "../../kernel/elf/index.ts";
import { ModuleSymbols } from "../../kernel/elf/module-symbols.ts";
import { siteLabel } from "../../kernel/elf/site-label.ts";
import type { ExecMapping } from "./procfs.ts";

export interface UsdtNote {
	provider: string;
	name: string;
	args: string;
	pcOffset: number;
	semaphoreOffset: number;
	/** Enclosing function symbol, "" when the symbol tables do not say. */
	function: string;
}

export interface FunctionSymbol {
	name: string;
	/** File offset of the function's entry. */
	offset: number;
}

export interface MappedObject {
	/** `${dev}:${inode}`. */
	readonly key: string;
	readonly dev: number;
	readonly inode: number;
	/** The path the first process mapped it under. */
	readonly path: string;
	/** A path that opens exactly this object from dtop's mount namespace. */
	readonly openPath: string;
	/** The object's file name: the DTrace module. */
	readonly module: string;
	readonly size: number;
	readonly mtimeMs: number;
	readonly usdt: readonly UsdtNote[];
	/** The program interpreter (PT_INTERP) a program names, e.g. /lib64/ld-linux-x86-64.so.2. */
	readonly interp?: string;
	/** Why the object could not be read, if it could not (it then has no probes). */
	readonly error?: string;
	/** Processes mapping it. */
	refs: number;
}

/** A path that opens a mapped object, with the size and mtime a stat of it gave. */
export interface OpenPath {
	path: string;
	size: number;
	mtimeMs: number;
}

function objectKey(dev: number, inode: number): string {
	return `${dev}:${inode}`;
}

/** What the on-disk index remembers of one object (by device, inode, size and mtime). */
interface Remembered {
	usdt: UsdtNote[];
	interp?: string;
	error?: string;
}

// 2: probe sites outside every symbol are named `object+0xADDRESS` (siteLabel), never "".
// 3: ... by the separate debug file's symbols first (build-id, .gnu_debuglink, MiniDebugInfo).
// 4: the program interpreter (interp).
const INDEX_VERSION = 4;
const INDEX_LIMIT = 4000;
const IDLE_LIMIT = 512;
const SMALL_OBJECT = 1 << 20;

export class ObjectCache {
	readonly #objects = new Map<string, MappedObject>();
	/**
	 * Optional on-disk index of parsed objects. `dtop -l` starts cold every time;
	 * with the index it stats each mapped object instead of parsing its ELF
	 * headers (~0.5 ms per object, ~60 objects on a quiet machine).
	 */
	readonly #indexPath: string | undefined;
	#index = new Map<string, Remembered>();
	readonly #used = new Set<string>();
	#indexDirty = false;
	readonly #symbols = new Map<string, FunctionSymbol[]>();
	/**
	 * Objects no process maps any more, kept (oldest first, at most IDLE_LIMIT)
	 * because short-lived processes run the same programs again and again: a
	 * shell script's `grep` need not be parsed once per run.
	 */
	readonly #idle = new Map<string, MappedObject>();
	/** Objects whose size/mtime were checked in the current scan. */
	#checked = new Set<string>();
	#checkedAt = 0;
	/** Parse counters, for tests and benchmarks. */
	parses = 0;
	/** Objects found in the on-disk index instead of parsed. */
	indexHits = 0;

	constructor(options: { indexPath?: string } = {}) {
		this.#indexPath = options.indexPath;
		if (!this.#indexPath) return;
		try {
			const data = JSON.parse(readFileSync(this.#indexPath, "utf8"));
			if (data?.version === INDEX_VERSION && data.objects && typeof data.objects === "object") {
				this.#index = new Map(Object.entries(data.objects as Record<string, Remembered>));
			}
		} catch {
			// No index yet, or an unreadable one: parse everything.
		}
	}

	/** Writes the on-disk index if it changed (entries used now first; at most INDEX_LIMIT). */
	saveIndex(): void {
		if (!this.#indexPath || !this.#indexDirty) return;
		const objects: Record<string, Remembered> = {};
		let n = 0;
		for (const k of this.#used) {
			const v = this.#index.get(k);
			if (v && n++ < INDEX_LIMIT) objects[k] = v;
		}
		for (const [k, v] of this.#index) if (!(k in objects) && n++ < INDEX_LIMIT) objects[k] = v;
		try {
			mkdirSync(dirname(this.#indexPath), { recursive: true, mode: 0o700 });
			const tmp = `${this.#indexPath}.${process.pid}.tmp`;
			writeFileSync(tmp, JSON.stringify({ version: INDEX_VERSION, objects }), { mode: 0o600 });
			renameSync(tmp, this.#indexPath);
			this.#indexDirty = false;
		} catch {
			// A read-only home is no reason to fail a listing.
		}
	}

	get size(): number {
		return this.#objects.size - this.#idle.size;
	}

	/** Starts a scan: each object is re-validated (one stat) at most once per scan. */
	/** Starts a scan: objects are checked against their files again (at most once per `everyMs`). */
	beginScan(everyMs = 0): void {
		const now = Date.now();
		if (now - this.#checkedAt < everyMs) return;
		this.#checkedAt = now;
		this.#checked = new Set();
	}

	/**
	 * Takes a reference to the object `key` (dev:inode) if it is known and still
	 * what its file holds; undefined otherwise (read the process's maps and
	 * acquire() it). With `seen` (size and mtime from the kernel's record) it
	 * is compared with those; else an object some process maps is not checked
	 * (a file being run cannot be rewritten) and one no process maps is, by a
	 * stat once per scan.
	 */
	acquireKnown(key: string, seen?: { size?: number; mtimeMs?: number }): MappedObject | undefined {
		const obj = this.#objects.get(key);
		if (!obj) return undefined;
		if (seen?.mtimeMs !== undefined) {
			// The kernel said what the file is now: no stat.
			if (seen.size !== obj.size || seen.mtimeMs !== obj.mtimeMs) {
				// acquire() checks it against the file again (and parses it anew).
				this.#checked.delete(key);
				return undefined;
			}
		} else if (obj.refs === 0 && !this.#checked.has(key)) {
			try {
				const st = statSync(obj.openPath);
				if (st.size !== obj.size || st.mtimeMs !== obj.mtimeMs || st.ino !== obj.inode) return undefined;
			} catch {
				// The path went away; the object is still what is mapped.
			}
			this.#checked.add(key);
		}
		this.#idle.delete(key);
		obj.refs++;
		return obj;
	}

	/** Another reference to an object held already (a forked child maps what its parent maps). */
	retain(obj: MappedObject): MappedObject {
		obj.refs++;
		return obj;
	}

	/**
	 * Parses (or reuses) the object of a mapping of process `pid`, and takes a
	 * reference. `found`: a path the caller has just stat'ed and found to be this
	 * very file (device and inode), with its size and mtime; then no stat is
	 * made again (one stat per new file, not two).
	 */
	acquire(pid: number, m: ExecMapping, found?: OpenPath): MappedObject {
		const key = objectKey(m.dev, m.inode);
		let obj = this.#objects.get(key);
		this.#idle.delete(key);
		if (obj && !this.#checked.has(key)) {
			this.#checked.add(key);
			let now: OpenPath | undefined = found;
			if (!now) {
				try {
					const st = statSync(obj.openPath);
					// The path now names another file: parse again (from a path that names this one).
					now =
						st.ino === obj.inode
							? { path: obj.openPath, size: st.size, mtimeMs: st.mtimeMs }
							: { path: "", size: -1, mtimeMs: -1 };
				} catch {
					// The path went away; the object we parsed is still what is mapped.
				}
			}
			if (now && (now.size !== obj.size || now.mtimeMs !== obj.mtimeMs)) {
				// Rewritten in place (or the path now names another file): parse again.
				this.#objects.delete(key);
				this.#symbols.delete(key);
				const refs = obj.refs;
				obj = this.#load(pid, m, key, found);
				obj.refs = refs;
				this.#objects.set(key, obj);
			}
		}
		if (!obj) {
			obj = this.#load(pid, m, key, found);
			this.#checked.add(key);
			this.#objects.set(key, obj);
		}
		obj.refs++;
		return obj;
	}

	release(obj: MappedObject): void {
		if (--obj.refs > 0) return;
		if (this.#objects.get(obj.key) !== obj) return;
		this.#idle.set(obj.key, obj);
		if (this.#idle.size <= IDLE_LIMIT) return;
		const oldest = this.#idle.keys().next().value as string;
		this.#idle.delete(oldest);
		this.#objects.delete(oldest);
		this.#symbols.delete(oldest);
	}

	/** Finds a path from which dtop opens exactly the mapped object (same device and inode). */
	#openPath(pid: number, m: ExecMapping): OpenPath | undefined {
		const candidates = m.deleted ? [] : [m.path, `/proc/${pid}/root${m.path}`];
		// map_files (Linux 3.3+, root) opens the mapped file itself, even replaced or deleted.
		candidates.push(`/proc/${pid}/map_files/${m.start.toString(16)}-${m.end.toString(16)}`);
		for (const path of candidates) {
			try {
				const st = statSync(path);
				if (st.ino === m.inode && st.dev === m.dev && st.isFile()) return { path, size: st.size, mtimeMs: st.mtimeMs };
			} catch {}
		}
		return undefined;
	}

	#load(pid: number, m: ExecMapping, key: string, found?: OpenPath): MappedObject {
		this.parses++;
		const base = {
			key,
			dev: m.dev,
			inode: m.inode,
			path: m.path,
			module: basename(m.path),
			refs: 0,
		};
		const where = found ?? this.#openPath(pid, m);
		if (!where)
			return { ...base, openPath: m.path, size: 0, mtimeMs: 0, usdt: [], error: "cannot open the mapped file" };
		const identity = `${m.dev}:${m.inode}:${where.size}:${where.mtimeMs}`;
		this.#used.add(identity);
		const known = this.#index.get(identity);
		if (known && Array.isArray(known.usdt)) {
			this.indexHits++;
			this.parses--;
			return {
				...base,
				openPath: where.path,
				size: where.size,
				mtimeMs: where.mtimeMs,
				usdt: known.usdt,
				interp: known.interp,
				error: known.error,
			};
		}
		let usdt: UsdtNote[] = [];
		let interp: string | undefined;
		let error: string | undefined;
		try {
			// A small file is read whole (one read; a lazy open costs an open, fstat, read and close per piece).
			const elf = ElfFile.open(where.path, { lazy: where.size > SMALL_OBJECT });
			interp = interpreterOf(elf);
			let debug: ModuleSymbols | undefined;
			const named = (pc: number) => {
				debug ??= new ModuleSymbols(elf, m.path, { root: where.path === m.path ? "" : `/proc/${pid}/root` });
				return siteLabel(debug, m.path, pc);
			};
			usdt = elf.usdtProbes().map((p) => ({
				provider: p.provider,
				name: p.name,
				args: p.args,
				pcOffset: p.pcOffset,
				semaphoreOffset: p.semaphoreOffset,
				function: p.function ?? named(p.pc),
			}));
		} catch (e) {
			error = (e as Error).message;
		}
		if (this.#indexPath) {
			this.#index.set(identity, { usdt, ...(interp ? { interp } : {}), ...(error === undefined ? {} : { error }) });
			this.#indexDirty = true;
		}
		return { ...base, openPath: where.path, size: where.size, mtimeMs: where.mtimeMs, usdt, interp, error };
	}

	/** Function symbols with file offsets (for the pid provider), read on first use. */
	functions(obj: MappedObject): FunctionSymbol[] {
		let syms = this.#symbols.get(obj.key);
		if (syms) return syms;
		syms = [];
		try {
			const elf = ElfFile.open(obj.openPath, { lazy: true });
			const seen = new Set<string>();
			for (const s of elf.symbols().symbols) {
				if (seen.has(s.name)) continue;
				const offset = elf.addressToOffset(s.address);
				if (offset === undefined) continue;
				seen.add(s.name);
				syms.push({ name: s.name, offset });
			}
			syms.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
		} catch {
			// Unreadable objects have no pid probes.
		}
		if (this.#objects.get(obj.key) === obj) this.#symbols.set(obj.key, syms);
		return syms;
	}
}

/** The PT_INTERP path of a program, if it names one. */
function interpreterOf(elf: ElfFile): string | undefined {
	const seg = elf.programHeaders.find((p) => p.type === PT_INTERP);
	if (!seg || seg.filesz < 2 || seg.filesz > 4096) return undefined;
	const raw = elf.readRange(seg.offset, seg.filesz);
	const end = raw.indexOf(0);
	return raw.toString("latin1", 0, end < 0 ? raw.length : end) || undefined;
}
