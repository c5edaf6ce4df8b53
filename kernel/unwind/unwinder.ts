// The user-space half of the kernel unwinder: which processes the walk knows,
// where their objects are mapped, and which tables are loaded.
//
// Feeding it. A process is described by its executable mappings. Today they
// come from /proc/PID/maps when a process is first seen (addProcess); a source
// of kernel mapping events (mmap/munmap/exec, e.g. a perf_event with
// `mmap2` records or a BPF program on the mmap paths) can later call
// addMapping/removeMapping/removeProcess for each event instead — each call
// rewrites the process's entry in one map update, so walks see the old or the
// new set, never a mix. A process that fires before it is known is counted
// (its stacks say "process not known yet", with what frame pointers give) and listed by
// pollUnknown(), so the caller can load it for the firings that follow.
import { statSync } from "node:fs";
import { attachRawTracepoint, attachTracepoint, type Link } from "../attach/index.ts";
import { Program, ProgType } from "../bpf/index.ts";
import { type Mapping, openablePath, parseMaps, readMaps } from "../elf/procmaps.ts";
import { UstackCode } from "./bpf.ts";
import { mappingBias, sharedTableCache, type TableCache } from "./cache.ts";
import { compileExecDrop, compileForkCopy, compileForkCopyRaw, type NewtaskOffsets } from "./fork.ts";
import {
	COUNTER_SLOTS,
	Counter,
	ENT_BIAS,
	ENT_END,
	ENT_OBJECT,
	ENT_START,
	JIT_OBJECT,
	MAX_MAPPINGS,
	PAD_START,
	PROC_ENTRY,
	PROC_HEADER,
	PROC_VALUE_SIZE,
} from "./layout.ts";
import { UnwindMaps, type UnwindSizes } from "./maps.ts";
import { StackReader } from "./stacks.ts";
import { NO_TABLE_OBJECT, type StoreStats, TableStore } from "./store.ts";

/** One executable mapping as the walk sees it. */
export interface WalkMapping {
	start: number;
	end: number;
	/** Table address = pc - bias (the ELF address minus the table's base). */
	bias: number;
	/** Object id in the maps; JIT_OBJECT for anonymous code, NO_TABLE_OBJECT without a table. */
	object: number;
	/** The file ("" for anonymous memory, "[vdso]" and such as the kernel names them). */
	path: string;
	/** Why there is no table, when there is none. */
	problem?: string;
}

export interface UnwinderStats {
	/** Per-CPU counters summed (layout.ts Counter). */
	walks: bigint;
	unknownProcess: bigint;
	stacksFull: bigint;
	collisions: bigint;
	processes: number;
	/** Executable mappings beyond MAX_MAPPINGS that a process had and the walk does not know. */
	mappingsDropped: number;
	tables: StoreStats;
	/** Objects whose file could not be read, and why. */
	problems: string[];
}

export interface UnwinderOptions extends Partial<UnwindSizes> {
	cache?: TableCache;
}

export class Unwinder {
	readonly maps: UnwindMaps;
	readonly reader: StackReader;
	private readonly store: TableStore;
	private readonly cache: TableCache;
	private readonly procs = new Map<number, Map<number, WalkMapping>>();
	private mappingsDropped = 0;
	private readonly problems = new Set<string>();
	private readonly followers: { program: Program; link: Link }[] = [];

	constructor(opts: UnwinderOptions = {}) {
		this.maps = new UnwindMaps(opts);
		this.cache = opts.cache ?? sharedTableCache;
		this.store = new TableStore(this.maps);
		this.reader = new StackReader(this.maps);
		this.writeEmptyProcess();
	}

	/**
	 * procs[0]: no mappings. The walk of a process not loaded yet goes through it,
	 * so every frame takes the frame-pointer step (tgid 0 is the idle task, never
	 * a traced process).
	 */
	private writeEmptyProcess(): void {
		const value = Buffer.alloc(PROC_VALUE_SIZE);
		for (let i = 0; i < MAX_MAPPINGS; i++) {
			const at = PROC_HEADER + i * PROC_ENTRY;
			value.writeBigUInt64LE(PAD_START, at + ENT_START);
			value.writeBigUInt64LE(PAD_START, at + ENT_END);
		}
		this.maps.procs.update(Buffer.alloc(4), value);
	}

	get maxFrames(): number {
		return this.maps.sizes.maxFrames;
	}

	/** A code emitter bound to these maps (see UstackCode: call() and emit()). */
	code(prefix?: string): UstackCode {
		return new UstackCode({ maps: this.maps.fds(), maxFrames: this.maxFrames, prefix });
	}

	/** Loads a process from /proc/PID/maps. Throws ProcessGoneError if it has exited. */
	addProcess(pid: number): WalkMapping[] {
		const maps = readMaps(pid);
		this.replaceMappings(pid, maps);
		return this.mappingsOf(pid);
	}

	/**
	 * Bytes of the files a process maps (text of /proc/PID/maps) whose tables are
	 * not built yet: what loading it would cost (building runs at tens of MB/s).
	 */
	unbuiltBytes(pid: number, text: string): number {
		let bytes = 0;
		const seen = new Set<string>();
		for (const m of parseMaps(text)) {
			if (!m.executable || m.path === "" || m.path.startsWith("[") || seen.has(m.path)) continue;
			seen.add(m.path);
			const path = openablePath(pid, m);
			if (this.cache.has(path)) continue;
			try {
				bytes += statSync(path).size;
			} catch {
				// gone: nothing to build
			}
		}
		return bytes;
	}

	/** Loads a process from a maps text (for tests and for callers that already read it). */
	addProcessFromText(pid: number, text: string): WalkMapping[] {
		this.replaceMappings(pid, parseMaps(text));
		return this.mappingsOf(pid);
	}

	/** A new executable mapping of a known (or new) process, e.g. from an mmap event. */
	addMapping(pid: number, m: Mapping): void {
		const cur = this.procs.get(pid) ?? new Map<number, WalkMapping>();
		if (m.executable) {
			const old = cur.get(m.start);
			if (old) this.store.release(old.object);
			cur.set(m.start, this.describe(pid, m));
		}
		this.commit(pid, cur);
	}

	/** Mappings overlapping [start, end) are gone (munmap). */
	removeMapping(pid: number, start: number, end: number): void {
		const cur = this.procs.get(pid);
		if (!cur) return;
		for (const [s, w] of cur) {
			if (w.start < end && w.end > start) {
				this.store.release(w.object);
				cur.delete(s);
			}
		}
		this.commit(pid, cur);
	}

	/**
	 * The process exited (or exec'ed: call addProcess again afterwards). Its
	 * entry goes from the kernel even when this side never loaded it (a child
	 * whose entry followForks copied from its parent).
	 */
	removeProcess(pid: number): void {
		const cur = this.procs.get(pid);
		if (cur) for (const w of cur.values()) this.store.release(w.object);
		this.procs.delete(pid);
		if (pid === 0) return;
		const key = Buffer.alloc(4);
		key.writeUInt32LE(pid);
		this.maps.procs.delete(key);
	}

	/**
	 * Keep the walk right across fork and exec in the kernel (fork.ts): a new
	 * process gets its parent's entry before it runs, an exec drops the old
	 * program's. `tp` gives task:task_newtask's offsets and the events' ids.
	 */
	followForks(tp: { newtask: NewtaskOffsets; newtaskId: number; execId: number; taskPid?: number }): void {
		const procs = this.maps.procs.fd;
		const add = (insns: ReturnType<typeof compileExecDrop>, name: string, tpName: string, id?: number) => {
			const raw = id === undefined;
			const type = raw ? ProgType.RAW_TRACEPOINT : ProgType.TRACEPOINT;
			const program = Program.load({ type, insns, name, license: "GPL" });
			try {
				const event = tpName.slice(tpName.indexOf(":") + 1);
				const link = raw ? attachRawTracepoint(program.fd, event) : attachTracepoint(program.fd, { id, name: tpName });
				this.followers.push({ program, link });
			} catch (e) {
				program.close();
				throw e;
			}
		};
		try {
			if (tp.taskPid !== undefined) {
				add(compileForkCopyRaw(procs, tp.taskPid), "dtop_uw_fork", "task:task_newtask");
				add(compileExecDrop(procs), "dtop_uw_exec", "sched:sched_process_exec");
			} else {
				add(compileForkCopy(procs, tp.newtask), "dtop_uw_fork", "task:task_newtask", tp.newtaskId);
				add(compileExecDrop(procs), "dtop_uw_exec", "sched:sched_process_exec", tp.execId);
			}
		} catch (e) {
			this.closeFollowers();
			throw e;
		}
	}

	/** Something the walk lacks, for the stats' problems. */
	addProblem(text: string): void {
		this.problems.add(text);
	}

	/** Whether followForks' programs are attached. */
	get followingForks(): boolean {
		return this.followers.length > 0;
	}

	/** Detach followForks' programs (no enabling takes user stacks any more). */
	stopFollowingForks(): void {
		this.closeFollowers();
	}

	private closeFollowers(): void {
		for (const f of this.followers.splice(0)) {
			f.link.close();
			f.program.close();
		}
	}

	knows(pid: number): boolean {
		return this.procs.has(pid);
	}

	mappingsOf(pid: number): WalkMapping[] {
		return [...(this.procs.get(pid)?.values() ?? [])].sort((a, b) => a.start - b.start);
	}

	/** Processes that fired before they were known, taken out of the kernel's list. */
	pollUnknown(): number[] {
		const out: number[] = [];
		for (const k of this.maps.unknownPids.keys()) {
			out.push(k.readUInt32LE(0));
			this.maps.unknownPids.delete(k);
		}
		return out;
	}

	private replaceMappings(pid: number, maps: Mapping[]): void {
		const old = this.procs.get(pid);
		const next = new Map<number, WalkMapping>();
		for (const m of maps) if (m.executable) next.set(m.start, this.describe(pid, m));
		if (old) for (const w of old.values()) this.store.release(w.object);
		this.commit(pid, next);
	}

	private describe(pid: number, m: Mapping): WalkMapping {
		if (m.path === "" || m.path.startsWith("[")) {
			// Anonymous code is JIT output (V8, the JVM): frame pointers only. The vdso
			// has no file to read here; its frames are also walked by frame pointer.
			return { start: m.start, end: m.end, bias: 0, object: JIT_OBJECT, path: m.path };
		}
		const entry = this.cache.get(openablePath(pid, m));
		const bias = mappingBias(entry.segments, m.start, m.offset);
		if (!entry.table || bias === undefined) {
			const problem = entry.error ?? `${m.path}: no loadable segment holds file offset 0x${m.offset.toString(16)}`;
			this.problems.add(problem);
			return { start: m.start, end: m.end, bias: 0, object: NO_TABLE_OBJECT, path: m.path, problem };
		}
		const object = this.store.acquire(entry.key, entry.table);
		return { start: m.start, end: m.end, bias: bias + entry.table.base, object, path: m.path };
	}

	private commit(pid: number, mappings: Map<number, WalkMapping>): void {
		this.procs.set(pid, mappings);
		const sorted = [...mappings.values()].sort((a, b) => a.start - b.start);
		if (sorted.length > MAX_MAPPINGS) this.mappingsDropped += sorted.length - MAX_MAPPINGS;
		const value = Buffer.alloc(PROC_VALUE_SIZE);
		value.writeUInt32LE(Math.min(sorted.length, MAX_MAPPINGS), 0);
		for (let i = 0; i < MAX_MAPPINGS; i++) {
			const at = PROC_HEADER + i * PROC_ENTRY;
			const w = sorted[i];
			if (!w) {
				value.writeBigUInt64LE(PAD_START, at + ENT_START);
				value.writeBigUInt64LE(PAD_START, at + ENT_END);
				continue;
			}
			value.writeBigUInt64LE(BigInt(w.start), at + ENT_START);
			value.writeBigUInt64LE(BigInt(w.end), at + ENT_END);
			value.writeBigUInt64LE(BigInt.asUintN(64, BigInt(w.bias)), at + ENT_BIAS);
			value.writeUInt32LE(w.object >>> 0, at + ENT_OBJECT);
		}
		const key = Buffer.alloc(4);
		key.writeUInt32LE(pid);
		this.maps.procs.update(key, value);
	}

	stats(): UnwinderStats {
		const sums = new Array<bigint>(COUNTER_SLOTS).fill(0n);
		for (let i = 0; i < COUNTER_SLOTS; i++) {
			const k = Buffer.alloc(4);
			k.writeUInt32LE(i);
			for (const v of this.maps.counters.lookupPerCpu(k) ?? []) sums[i] += v.readBigUInt64LE(0);
		}
		return {
			walks: sums[Counter.WALKS],
			unknownProcess: sums[Counter.UNKNOWN_PROCESS],
			stacksFull: sums[Counter.STACKS_FULL],
			collisions: sums[Counter.COLLISIONS],
			processes: this.procs.size,
			mappingsDropped: this.mappingsDropped,
			tables: this.store.stats(),
			problems: [...this.problems],
		};
	}

	close(): void {
		this.closeFollowers();
		this.maps.close();
	}
}
