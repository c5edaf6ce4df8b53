// Turns stack addresses into `module`function+0xoff` frames, DTrace-style.
// User frames: the process's mappings (captured when the pid is first seen, so
// processes that exit before the next tick still symbolize) → file offset →
// ELF virtual address → the object's symbols, its separate debug file or its
// MiniDebugInfo (kernel/elf/module-symbols.ts) → demangled name. JIT frames come
// from /tmp/perf-PID.map. Kernel frames: /proc/kallsyms.
//
// A frame in a file that no symbol covers prints as `module+0xADDR`, ADDR being
// the ELF virtual address inside that file: what `addr2line -e FILE 0xADDR`
// and gdb's `info symbol 0xADDR` (on the file) take, and the same in every
// process whatever its load address. (When the file cannot be read at all, the
// file offset is printed instead; for the usual layout of code they agree.)
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import { demanglerFor } from "../../kernel/elf/demangle.ts";
import { ElfFile } from "../../kernel/elf/index.ts";
import { ModuleSymbols, type ModuleSymbolsOptions } from "../../kernel/elf/module-symbols.ts";
import { fileOffsetOf, type Mapping, readMaps, resolveAddress } from "../../kernel/elf/procmaps.ts";
import { KernelSymbols } from "../../kernel/ksyms/index.ts";
import type { MappingEvent } from "../catalog/catalog-types.ts";
import type { Resolved } from "../output/model.ts";
import { cutRange, eventMapping, MapHistory } from "./map-history.ts";

interface PerfMapEntry {
	start: number;
	end: number;
	name: string;
}

interface ProcessMaps {
	maps: Mapping[];
	at: number;
	/** When they were read (CLOCK_MONOTONIC ns, the clock of the kernel's events). */
	ns: number;
	dead: boolean;
	/** Mapped path → the file's identity (device, inode, size, mtime), or null when it cannot be opened. */
	files: Map<string, string | null>;
}

export interface SymbolizerOptions {
	/** Raw (mangled) names, as `-x nodemangle` asks. */
	nodemangle?: boolean;
	/** Look for separate debug files and MiniDebugInfo (default true). */
	debugFiles?: boolean;
	/** Debug directories (default /usr/lib/debug); tests point this at their own. */
	debugDirs?: readonly string[];
	/** Bound on the symbols held in memory across all objects (default 3,000,000). */
	maxSymbols?: number;
}

const MAPS_TTL_MS = 2000;
/** Most objects whose symbols are kept; the least recently used go first. */
const MAX_MODULES = 512;
const MAX_DEMANGLED = 50_000;

export class Symbolizer {
	private maps = new Map<number, ProcessMaps>();
	/** File identity → its symbols (null: not a readable ELF object). Map order is recency (LRU). */
	private modules = new Map<string, ModuleSymbols | null>();
	private perfMaps = new Map<number, { entries: PerfMapEntry[] | null; size: number; checked: number }>();
	private kernel: KernelSymbols | undefined | null;
	private demangleName: (name: string) => string;
	private demangled = new Map<string, string>();
	private readonly moduleOptions: ModuleSymbolsOptions;
	private readonly maxSymbols: number;
	/** Mappings by time, from the kernel's events (map-history.ts). */
	private readonly history = new MapHistory();
	/** The kernel's process events are applied up to this time (CLOCK_MONOTONIC ns). */
	private eventsNs = 0;
	/** Applies the process events queued so far (set by whoever follows them): called before naming an address recorded later. */
	sync: (() => void) | undefined;

	constructor(options: SymbolizerOptions = {}) {
		this.demangleName = demanglerFor(options);
		this.moduleOptions = { debug: options.debugFiles !== false, debugDirs: options.debugDirs };
		this.maxSymbols = options.maxSymbols ?? 3_000_000;
	}

	/** Remember a process's mappings now (call when a pid first appears). */
	capture(pid: number, force = false): void {
		const have = this.maps.get(pid);

		if (!force && have && (have.dead || Date.now() - have.at < MAPS_TTL_MS)) return;
		try {
			const maps = readMaps(pid);
			// An exiting process (a zombie) has no mappings left: keep what it had.
			if (maps.length === 0 && have?.maps.length) {
				have.dead = true;
				return;
			}
			this.maps.set(pid, { maps, at: Date.now(), ns: Number(process.hrtime.bigint()), dead: false, files: new Map() });
		} catch {
			// The process is gone: keep what we had, if anything.
			if (have && !have.dead) {
				have.dead = true;
				have.at = Date.now();
			}
		}
	}

	/**
	 * `child` was forked by `parent` (and has not exec'd): until its own
	 * mappings are read, they are its parent's, so the stacks of a child that
	 * exits before it is read (a pre-fork server's short-lived worker) still name
	 * their frames. Read the parent's now if they are not held.
	 */
	forked(child: number, parent: number): void {
		if (this.maps.has(child)) return;
		this.capture(parent);
		const p = this.maps.get(parent);
		if (p?.maps.length) this.maps.set(child, { ...p, at: Date.now(), dead: false, files: new Map() });
	}

	/**
	 * Code mapped and ranges unmapped, with when (the catalog's kernel events):
	 * a range unmapped after the maps were read is cut out of them and kept,
	 * with what events mapped, for addresses recorded before it.
	 */
	mappingEvents(events: readonly MappingEvent[]): void {
		for (const e of events) {
			if (e.path !== undefined) {
				this.history.mapped(e.pid, eventMapping(e.start, e.end, e.path, e.offset ?? 0), e.at);
				continue;
			}
			this.history.unmapped(e.pid, e.start, e.end, e.at);
			const have = this.maps.get(e.pid);
			if (!have || have.ns >= e.at) continue;
			const { kept, removed } = cutRange(have.maps, e.start, e.end);
			have.maps = kept;
			this.history.retired(e.pid, removed, e.at);
		}
	}

	/** A process exited: keep its mappings a while (its stacks may still be read), then forget them. */
	exited(pid: number): void {
		this.history.exited(pid);
		const have = this.maps.get(pid);
		if (have) {
			have.dead = true;
			have.at = Date.now();
		}
	}

	/** Forget processes that exited more than `ms` ago (bounded memory over many short-lived pids). */
	prune(ms = 60_000): void {
		const edge = Date.now() - ms;
		this.history.prune(edge);
		for (const [pid, m] of this.maps) {
			if (m.dead && m.at < edge) {
				this.maps.delete(pid);
				this.perfMaps.delete(pid);
			}
		}
	}

	/** Raw (mangled) names from now on, or demangled ones (the UI's `m`). */
	setNodemangle(nodemangle: boolean): void {
		this.demangleName = demanglerFor({ nodemangle });
		this.demangled.clear();
	}

	/** A mangled name as it should be shown (demangled unless `nodemangle`); for `-l` and probefunc keys too. */
	functionName(name: string): string {
		let d = this.demangled.get(name);
		if (d === undefined) {
			d = this.demangleName(name);
			if (this.demangled.size >= MAX_DEMANGLED) this.demangled.clear();
			this.demangled.set(name, d);
		}
		return d;
	}

	/** Objects whose symbols are held, and how many symbols in all (for tests of the bound). */
	cacheStats(): { modules: number; symbols: number } {
		let symbols = 0;
		for (const m of this.modules.values()) symbols += m?.symbolCount ?? 0;
		return { modules: this.modules.size, symbols };
	}

	/** The symbols of the file `path` mapped in `pid`, shared by every process that maps the same file. */
	private module(pid: number, entry: ProcessMaps, path: string): ModuleSymbols | null {
		let id = entry.files.get(path);
		const open = path.startsWith("/") ? `/proc/${pid}/root${path}` : path;
		if (id === undefined) {
			id = identity(open) ?? identity(path);
			entry.files.set(path, id);
		}
		if (id === null) return null;
		const have = this.modules.get(id);
		if (have !== undefined) {
			// Most recently used last.
			this.modules.delete(id);
			this.modules.set(id, have);
			return have;
		}
		// Opened by its plain path when that is the same file (the same mount
		// namespace): a lazily read object must stay readable after this process
		// exits, and /proc/PID/root does not. Otherwise (a container) through it.
		const direct = identity(path) === id;
		let m: ModuleSymbols | null = null;
		try {
			const at = direct ? path : open;
			m = new ModuleSymbols(ElfFile.open(at, { lazy: true }), path, {
				...this.moduleOptions,
				root: direct ? "" : `/proc/${pid}/root`,
			});
		} catch {
			m = null; // not an ELF object we can read
		}
		this.modules.set(id, m);
		if (this.modules.size > MAX_MODULES) this.evict();
		return m;
	}

	/** Keep the symbols in memory under the bound, dropping the least recently used objects. */
	private evict(): void {
		if (this.modules.size > MAX_MODULES) {
			for (const k of this.modules.keys()) {
				if (this.modules.size <= MAX_MODULES) break;
				this.modules.delete(k);
			}
		}
		let total = 0;
		for (const m of this.modules.values()) total += m?.symbolCount ?? 0;
		for (const [k, m] of this.modules) {
			if (total <= this.maxSymbols || this.modules.size <= 1) break;
			total -= m?.symbolCount ?? 0;
			this.modules.delete(k);
		}
	}

	/**
	 * The JIT's symbol map (/tmp/perf-PID.map, written by e.g. node
	 * --perf-basic-prof, or HotSpot's `jcmd PID Compiler.perfmap`, which writes
	 * its numbers with 0x). It grows as code is compiled: read it again when it
	 * changed size, at most once a second.
	 */
	private perfMap(pid: number): PerfMapEntry[] | null {
		const file = `/tmp/perf-${pid}.map`;
		const have = this.perfMaps.get(pid);
		const now = Date.now();
		// A JIT may write its map as it exits (HotSpot's -XX:+DumpPerfMapAtExit): look once more after.
		const proc = this.maps.get(pid);
		const exitedSince = proc?.dead === true && have !== undefined && proc.at >= have.checked;
		if (have && now - have.checked < 1000 && !exitedSince) return have.entries;
		let size: number;
		try {
			size = statSync(file).size;
		} catch {
			this.perfMaps.set(pid, { entries: have?.entries ?? null, size: -1, checked: now });
			return have?.entries ?? null;
		}
		if (have && have.size === size) {
			have.checked = now;
			return have.entries;
		}
		const entries: PerfMapEntry[] = [];
		try {
			for (const line of readFileSync(file, "utf8").split("\n")) {
				const f = /^(?:0x)?([0-9a-fA-F]+) (?:0x)?([0-9a-fA-F]+) (.*)$/.exec(line);
				if (!f) continue;
				const start = Number.parseInt(f[1], 16);
				entries.push({ start, end: start + Number.parseInt(f[2], 16), name: f[3] });
			}
		} catch {
			// unreadable now: keep what we had
		}
		entries.sort((a, b) => a.start - b.start);
		this.perfMaps.set(pid, { entries, size, checked: now });
		return entries;
	}

	/**
	 * One user frame. A return address (`caller`) is looked up one byte back, in
	 * the call instruction, and printed as itself: a call that ends a function
	 * (to a noreturn function) must not name the function that follows.
	 */
	userFrame(pid: number, addr: bigint, caller = false): string {
		const back = caller ? 1 : 0;
		const a = Number(addr) - back;
		const { entry, r } = this.locate(pid, a);
		if (entry && r?.path.startsWith("/")) {
			const mod = basename(r.path);
			const m = this.module(pid, entry, r.path);
			if (!m) return `${mod}+0x${(r.fileOffset + back).toString(16)}`;
			const vaddr = m.elf.offsetToAddress(r.fileOffset);
			if (vaddr === undefined) return `${mod}+0x${(r.fileOffset + back).toString(16)}`;
			const held = m.symbolCount;
			const s = m.lookup(vaddr);
			if (m.symbolCount !== held) this.evict(); // a table was loaded
			if (s) return `${mod}\`${this.functionName(s.name)}+0x${(s.offset + back).toString(16)}`;
			return `${mod}+0x${(vaddr + back).toString(16)}`;
		}
		// [vdso], [stack] and the like: relative to the mapping, never absolute.
		if (r?.path.startsWith("[")) return `${r.path}+0x${(a + back - r.mapping.start).toString(16)}`;
		const pm = this.perfMap(pid);
		if (pm) {
			let lo = 0;
			let hi = pm.length - 1;
			while (lo <= hi) {
				const mid = (lo + hi) >> 1;
				if (pm[mid].end <= a) lo = mid + 1;
				else if (pm[mid].start > a) hi = mid - 1;
				else return `[jit]\`${pm[mid].name}+0x${(a + back - pm[mid].start).toString(16)}`;
			}
		}
		// Anonymous memory (JIT code without a perf map): the address is all there is.
		return `0x${addr.toString(16)}`;
	}

	/**
	 * The mappings of `pid` (captured now if new) and the one that covers
	 * address `a`: at time `at` (a record's timestamp) where the kernel's events
	 * say what was mapped then (a library dlclose'd since, or one dlopen'd at
	 * the same address), else as last read.
	 */
	private locate(pid: number, a: number, at?: bigint): { entry?: ProcessMaps; r?: ReturnType<typeof resolveAddress> } {
		const when = at === undefined ? undefined : Number(at);
		if (when !== undefined && when > this.eventsNs && this.sync) {
			// Events up to now first: what the process mapped before `at` is known then.
			const now = Number(process.hrtime.bigint());
			this.sync();
			this.eventsNs = now;
		}
		this.capture(pid);
		const timed = this.history.find(pid, a, when);
		if (timed) {
			let entry = this.maps.get(pid);
			if (!entry) {
				entry = { maps: [], at: Date.now(), ns: 0, dead: true, files: new Map() };
				this.maps.set(pid, entry);
			}
			return { entry, r: { mapping: timed, path: timed.path, fileOffset: fileOffsetOf(timed, a) } };
		}
		let entry = this.maps.get(pid);
		let r = entry ? resolveAddress(entry.maps, a) : undefined;
		// Mappings read before an exec (a -c target captured while still the
		// shell) or before a dlopen do not cover the address: read them again.
		if (entry && !entry.dead && !r?.path && Date.now() - entry.at > 50) {
			this.capture(pid, true);
			entry = this.maps.get(pid);
			r = entry ? resolveAddress(entry.maps, a) : undefined;
		}
		return { entry, r };
	}

	/**
	 * What an address of a process is, as DTrace's usym()/ufunc()/umod()/uaddr()
	 * name it: the object's path, the symbol and the offset into it. Undefined
	 * when no mapping covers the address (anonymous memory, a process long gone).
	 */
	resolveUser(pid: number, addr: bigint, at?: bigint): Resolved | undefined {
		const a = Number(addr);
		const { entry, r } = this.locate(pid, a, at);
		if (!entry || !r?.path) {
			const pm = this.perfMap(pid);
			const hit = pm?.find((e) => e.start <= a && a < e.end);
			return hit ? { module: "[jit]", symbol: hit.name, offset: BigInt(a - hit.start) } : undefined;
		}
		if (!r.path.startsWith("/")) return { module: r.path };
		const m = this.module(pid, entry, r.path);
		const vaddr = m?.elf.offsetToAddress(r.fileOffset);
		if (!m || vaddr === undefined) return { module: r.path };
		const held = m.symbolCount;
		const s = m.lookup(vaddr);
		if (m.symbolCount !== held) this.evict();
		if (!s) return { module: r.path };
		return { module: r.path, symbol: this.functionName(s.name), offset: BigInt(s.offset) };
	}

	/** A kernel address as sym()/func()/mod() name it: vmlinux (or its module), the function, the offset. */
	resolveKernel(addr: bigint): Resolved | undefined {
		const k = this.kernelSymbols();
		const h = k?.lookup(addr);
		if (!h) return undefined;
		return { module: h.module ?? "vmlinux", symbol: h.name, offset: h.offset };
	}

	private kernelSymbols(): KernelSymbols | null {
		if (this.kernel === undefined) {
			try {
				this.kernel = KernelSymbols.load();
			} catch {
				this.kernel = null;
			}
		}
		return this.kernel;
	}

	kernelFrame(addr: bigint): string {
		if (this.kernel === undefined) {
			try {
				this.kernel = KernelSymbols.load();
			} catch {
				this.kernel = null;
			}
		}
		if (this.kernel) {
			const h = this.kernel.lookup(addr);
			if (h) return `vmlinux\`${this.kernel.symbolize(addr)}`;
		}
		return `0x${addr.toString(16)}`;
	}
}

/** A file's identity: the same string for the same file whatever path or mount namespace reaches it. */
function identity(path: string): string | null {
	try {
		const s = statSync(path);
		return s.isFile() ? `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}` : null;
	} catch {
		return null;
	}
}
