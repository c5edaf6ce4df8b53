// Process events from the kernel: exec, fork (processes, not threads), exit,
// rename, executable mmap and the munmap of a file's mapping (dlclose), read
// from a BPF ring buffer the programs of
// kernel/codegen/proc-events.ts write. Reading the ring is a memory access (no
// system call), so an idle machine costs dtop nothing but its timer.
import { attachRawTracepoint, attachTracepoint, type Link } from "../../kernel/attach/index.ts";
import { BpfMap, MapType, Program, ProgType, RecordSpans, RingBuffer } from "../../kernel/bpf/index.ts";
import { kernelMemberOffset } from "../../kernel/btf/index.ts";
import {
	CTL,
	CTL_SIZE,
	compileExec,
	compileExit,
	compileFork,
	compileMmap,
	compileMunmap,
	compileRename,
	FILE_RECORD_SIZE,
	type FileOffsets,
	followsMunmap,
	LEVELS_ROOTED,
	MUNMAP,
	MUNMAP_RECORD_SIZE,
	PATH_NAME,
	type ProcEventMaps,
	type ProcEventOffsets,
	ProcEventType,
	REC,
	STATS,
	STATS_SIZE,
} from "../../kernel/codegen/proc-events.ts";
import type { Tracefs } from "../../kernel/tracefs/index.ts";
import { makedev } from "./procfs.ts";

/** A file as stat(2) names it: st_dev (glibc's makedev) and st_ino. */
export interface FileId {
	dev: number;
	inode: number;
	/** Its size and modification time (as stat's mtimeMs) when the kernel recorded them. */
	size?: number;
	mtimeMs?: number;
	/** Its path from the root of its file system, as its dentries name it, when the kernel's walk reached that root. */
	fsPath?: string;
}

export type ProcEvent =
	/** `file`: the program now running, when the kernel said; `at`: when (CLOCK_MONOTONIC ns). */
	| { type: "exec"; pid: number; comm: string; held: boolean; file?: FileId; at?: number }
	| { type: "fork"; pid: number; parent: number; comm: string }
	| { type: "exit"; pid: number }
	| { type: "comm"; pid: number; tid: number; comm: string }
	/**
	 * `file`: the file being mapped executable (at `offset`), when the kernel
	 * said; `start` (MAP_FIXED only: where ld.so puts a library's code) and
	 * `length`, and `at` (CLOCK_MONOTONIC ns, as trace records' timestamps).
	 */
	| {
			type: "mmap";
			pid: number;
			held: boolean;
			comm?: string;
			file?: FileId;
			offset?: number;
			start?: number;
			length?: number;
			at?: number;
	  }
	/** A range unmapped that begins in a mapping of `file` (dlclose): only such munmaps are recorded. */
	| { type: "munmap"; pid: number; file?: FileId; start: number; length: number; at: number };

const MAP_FIXED = 0x10;
/** poll()'s answer when nothing is waiting (never modified). */
const NONE: ProcEvent[] = [];

/** Holds stop this long after the reader last renewed them (it renews every 250 ms while it runs; a busy event loop must not let it lapse). */
const HOLD_LEASE_NS = 1_000_000_000n;

/** 4 MiB: at 1,000 process starts a second (~8 records each, exec and mmap ones with a path of 544 bytes) about 2 s of slack. */
const RING_SIZE = 1 << 22;

export class ProcessEvents {
	readonly #ring: RingBuffer;
	readonly #spans = new RecordSpans();
	readonly #files = new FileIds();
	readonly #ringMap: BpfMap;
	readonly #ctl: BpfMap;
	readonly #stats: BpfMap;
	readonly #self: number;
	readonly #programs: Program[] = [];
	readonly #links: Link[] = [];
	#hold = false;
	#renewed = 0n;
	/** Whether holds skip children of dtop (needs BTF for task_struct offsets). */
	readonly spareChildren: boolean;
	/** Why munmap is not followed (libraries dlclose'd stay in their process's list), or undefined when it is. */
	readonly munmapUnfollowed: string | undefined;

	constructor(tracefs: Tracefs, options: { self?: number; ringSize?: number } = {}) {
		const self = options.self ?? process.pid;
		const field = (group: string, event: string, name: string): number | undefined =>
			tracefs.format(group, event).fields.find((f) => f.name === name)?.offset;
		const need = (group: string, event: string, name: string): number => {
			const at = field(group, event, name);
			if (at === undefined) throw new Error(`tracepoint ${group}:${event} has no field '${name}'.`);
			return at;
		};
		const offsets: ProcEventOffsets = {
			newtaskPid: need("task", "task_newtask", "pid"),
			newtaskFlags: need("task", "task_newtask", "clone_flags"),
			exitGroupDead: field("sched", "sched_process_exit", "group_dead"),
			renamePid: need("task", "task_rename", "pid"),
			renameComm: need("task", "task_rename", "newcomm"),
			mmapProt: need("syscalls", "sys_enter_mmap", "prot"),
			mmapFd: need("syscalls", "sys_enter_mmap", "fd"),
			mmapOff: field("syscalls", "sys_enter_mmap", "off"),
			mmapAddr: field("syscalls", "sys_enter_mmap", "addr"),
			mmapLen: field("syscalls", "sys_enter_mmap", "len"),
			mmapFlags: field("syscalls", "sys_enter_mmap", "flags"),
			...munmapFields(field),
			...taskOffsets(),
			rawTaskPid: rawTaskPid(),
		};
		this.spareChildren = offsets.taskParent !== undefined;
		this.#self = self;
		this.#ringMap = BpfMap.create({
			type: MapType.RINGBUF,
			keySize: 0,
			valueSize: 0,
			maxEntries: options.ringSize ?? RING_SIZE,
			name: "dtop_procs",
		});
		try {
			this.#ctl = BpfMap.create({
				type: MapType.ARRAY,
				keySize: 4,
				valueSize: CTL_SIZE,
				maxEntries: 1,
				name: "dtop_procctl",
			});
			this.#stats = BpfMap.create({
				type: MapType.ARRAY,
				keySize: 4,
				valueSize: STATS_SIZE,
				maxEntries: 1,
				name: "dtop_procstat",
			});
			this.#ctl.update(Buffer.alloc(4), this.#control(false));
			const maps = { ringFd: this.#ringMap.fd, ctlFd: this.#ctl.fd, statsFd: this.#stats.fd };
			const programs: [string, string, typeof compileExec][] = [
				["sched", "sched_process_exec", compileExec],
				["task", "task_newtask", compileFork],
				["sched", "sched_process_exit", compileExit],
				["task", "task_rename", compileRename],
				["syscalls", "sys_enter_mmap", compileMmap],
			];
			for (const [group, event, compile] of programs) {
				// sys_enter_mmap is a syscall event (no raw tracepoint of its own); the rest are raw where BTF allows.
				const raw = offsets.rawTaskPid !== undefined && group !== "syscalls";
				const program = Program.load({
					type: raw ? ProgType.RAW_TRACEPOINT : ProgType.TRACEPOINT,
					insns: compile(maps, offsets),
					name: `dtop_${event.replace(/^sched_process_|^task_|^sys_enter_/, "p")}`,
					license: "GPL",
				});
				this.#programs.push(program);
				this.#links.push(
					raw
						? attachRawTracepoint(program.fd, event)
						: attachTracepoint(program.fd, { id: tracefs.eventId(group, event), name: `${group}:${event}` }),
				);
			}
			this.munmapUnfollowed = followsMunmap(offsets)
				? this.#followMunmap(maps, offsets, tracefs)
				: "the kernel's BTF lacks the members it needs";
			this.#ring = new RingBuffer(this.#ringMap);
		} catch (e) {
			this.close();
			throw e;
		}
	}

	/** sys_enter_munmap's program (bpf_find_vma: Linux 5.17+); the reason when the kernel refuses it. */
	#followMunmap(maps: ProcEventMaps, offsets: ProcEventOffsets, tracefs: Tracefs): string | undefined {
		let program: Program | undefined;
		try {
			program = Program.load({
				type: ProgType.TRACEPOINT,
				insns: compileMunmap(maps, offsets),
				name: "dtop_pmunmap",
				license: "GPL",
			});
			this.#links.push(
				attachTracepoint(program.fd, {
					id: tracefs.eventId("syscalls", "sys_enter_munmap"),
					name: "syscalls:sys_enter_munmap",
				}),
			);
			this.#programs.push(program);
			return undefined;
		} catch (e) {
			program?.close();
			return (e as Error).message;
		}
	}

	/** Bytes waiting in the ring, and its size. */
	available(): number {
		return this.#ring.available();
	}

	get size(): number {
		return this.#ring.size;
	}

	/** Records waiting, decoded, oldest first. No system call; nothing allocated when there are none. */
	poll(): ProcEvent[] {
		const spans = this.#ring.pending(this.#spans);
		if (spans.end === spans.start) return NONE;
		const out: ProcEvent[] = [];
		const data = this.#ring.bytes;
		try {
			// In place (no view per record): decoding keeps numbers and strings only.
			for (let i = 0; i < spans.count; i++)
				decode(data, spans.offsets[i] ?? 0, spans.lengths[i] ?? 0, out, this.#files);
		} finally {
			this.#ring.advance(spans.end);
		}
		return out;
	}

	#slot(i: number): number {
		const v = this.#stats.lookup(Buffer.alloc(4));
		return v ? Number(v.readBigUInt64LE(i * 8)) : 0;
	}

	/** Records the ring had no room for so far (one system call). */
	lost(): number {
		return this.#slot(STATS.LOST);
	}

	/** Stops made at exec/mmap so far (one system call). */
	held(): number {
		return this.#slot(STATS.HELD);
	}

	/** Whether execs and executable mmaps stop the process until resumed. One system call when it changes. */
	hold(on: boolean): void {
		if (on === this.#hold) return;
		this.#ctl.update(Buffer.alloc(4), this.#control(on));
		this.#hold = on;
	}

	#control(hold: boolean): Buffer {
		const v = Buffer.alloc(CTL_SIZE);
		v.writeBigUInt64LE(hold ? 1n : 0n, CTL.HOLD * 8);
		v.writeBigUInt64LE(BigInt(this.#self), CTL.SELF * 8);
		// process.hrtime is CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns.
		this.#renewed = process.hrtime.bigint();
		v.writeBigUInt64LE(this.#renewed + HOLD_LEASE_NS, CTL.DEADLINE * 8);
		return v;
	}

	/** While holding, renew the lease now and then (one system call each 250 ms). */
	renew(): void {
		if (!this.#hold || process.hrtime.bigint() - this.#renewed < HOLD_LEASE_NS / 4n) return;
		this.#ctl.update(Buffer.alloc(4), this.#control(true));
	}

	get holding(): boolean {
		return this.#hold;
	}

	close(): void {
		for (const l of this.#links.splice(0)) l.close();
		for (const p of this.#programs.splice(0)) p.close();
		this.#ring?.close();
		this.#ringMap.close();
		this.#ctl?.close();
		this.#stats?.close();
	}
}

/**
 * 64-bit fields as numbers without a BigInt each (exact below 2^53, as
 * Number(BigInt) was: inodes, offsets, lengths, CLOCK_MONOTONIC ns for 104 days).
 */
const u64 = (b: Buffer, at: number) => b.readUInt32LE(at) + b.readUInt32LE(at + 4) * 2 ** 32;
const i64 = (b: Buffer, at: number) => b.readUInt32LE(at) + b.readInt32LE(at + 4) * 2 ** 32;

/**
 * Files as the records name them, one FileId per file (dev, inode) while its
 * size and mtime stay: a machine starting 1,000 processes a second names the
 * same few files thousands of times, and each record's path is not decoded again.
 */
class FileIds {
	readonly #byDev = new Map<number, Map<number, FileId>>();
	#size = 0;
	get(dev: number, inode: number): FileId | undefined {
		return this.#byDev.get(dev)?.get(inode);
	}
	set(id: FileId): void {
		if (this.#size >= FILE_IDS_LIMIT) {
			this.#byDev.clear();
			this.#size = 0;
		}
		let m = this.#byDev.get(id.dev);
		if (!m) this.#byDev.set(id.dev, (m = new Map()));
		if (!m.has(id.inode)) this.#size++;
		m.set(id.inode, id);
	}
}
const FILE_IDS_LIMIT = 4096;

/** One record (at `at`, `len` bytes of the ring, not kept) decoded onto `out`. */
function decode(b: Buffer, at: number, len: number, out: ProcEvent[], files: FileIds): void {
	if (len < REC.comm + 16) return;
	const pid = b.readUInt32LE(at + REC.pid);
	const tid = b.readUInt32LE(at + REC.tid);
	const aux = b.readUInt32LE(at + REC.aux);
	const c = at + REC.comm;
	const end = b.indexOf(0, c);
	const comm = b.toString("latin1", c, end < 0 || end > c + 16 ? c + 16 : end);
	const file = fileOf(b, at, len, files);
	switch (b.readUInt32LE(at + REC.type)) {
		case ProcEventType.EXEC:
			if (!file) out.push({ type: "exec", pid, comm, held: aux === 1 });
			else if (len < FILE_RECORD_SIZE) out.push({ type: "exec", pid, comm, held: aux === 1, file });
			else out.push({ type: "exec", pid, comm, held: aux === 1, file, at: u64(b, at + REC.time) });
			break;
		case ProcEventType.FORK:
			out.push({ type: "fork", pid: tid, parent: pid, comm });
			break;
		case ProcEventType.EXIT:
			out.push({ type: "exit", pid });
			break;
		case ProcEventType.COMM:
			out.push({ type: "comm", pid, tid, comm });
			break;
		case ProcEventType.MMAP: {
			if (!file || len < FILE_RECORD_SIZE) {
				out.push({ type: "mmap", pid, comm, held: aux === 1 });
				break;
			}
			const e: ProcEvent = {
				type: "mmap",
				pid,
				comm,
				held: aux === 1,
				file,
				offset: u64(b, at + REC.pgoff),
			};
			const length = u64(b, at + REC.len);
			// flags: MAP_FIXED is in the low word.
			if (b.readUInt32LE(at + REC.flags) & MAP_FIXED && length > 0) {
				e.start = u64(b, at + REC.addr);
				e.length = length;
			}
			e.at = u64(b, at + REC.time);
			out.push(e);
			break;
		}
		case ProcEventType.MUNMAP:
			if (len < MUNMAP_RECORD_SIZE) break;
			out.push({
				type: "munmap",
				pid,
				...(file ? { file } : {}),
				start: u64(b, at + MUNMAP.addr),
				length: u64(b, at + MUNMAP.len),
				at: u64(b, at + MUNMAP.time),
			});
			break;
	}
}

const add = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : a + b);

/** The file of a record (dev 0: the kernel could not read it), as stat(2) would name it. */
function fileOf(b: Buffer, at: number, len: number, files: FileIds): FileId | undefined {
	const kdev = b.readUInt32LE(at + REC.dev);
	if (kdev === 0) return undefined;
	// The kernel's dev_t is MAJOR << 20 | MINOR.
	const dev = makedev(kdev >>> 20, kdev & 0xfffff);
	const inode = u64(b, at + REC.inode);
	// A munmap's record names the file only.
	if (len < REC.path) return { dev, inode };
	const sec = i64(b, at + REC.mtimeSec);
	const nsec = b.readUInt32LE(at + REC.mtimeNsec);
	const timed = sec !== 0 || nsec !== 0;
	const size = timed ? i64(b, at + REC.size) : undefined;
	// As Node computes Stats.mtimeMs.
	const mtimeMs = timed ? sec * 1e3 + nsec / 1e6 : undefined;
	const known = files.get(dev, inode);
	// The same file as last named, unchanged: its id (and its path) as decoded then.
	if (known && timed && known.size === size && known.mtimeMs === mtimeMs && known.fsPath !== undefined) return known;
	const id: FileId = { dev, inode };
	if (timed) {
		id.size = size;
		id.mtimeMs = mtimeMs;
	}
	const levels = b.readUInt32LE(at + REC.levels);
	const n = levels & ~LEVELS_ROOTED;
	if (levels & LEVELS_ROOTED && n >= 1 && len >= REC.path + n * PATH_NAME) {
		const names: string[] = [];
		for (let i = 0; i < n - 1; i++) {
			const p = at + REC.path + i * PATH_NAME;
			const end = b.indexOf(0, p);
			names.push(b.toString("utf8", p, end < 0 || end > p + PATH_NAME ? p + PATH_NAME : end));
		}
		// A name cut at the slot's size (PATH_NAME - 1 bytes) may be longer: no path then (stat would not find it).
		if (names.every((x) => x !== "" && x.length < PATH_NAME - 1)) id.fsPath = `/${names.reverse().join("/")}`;
	}
	if (timed && id.fsPath !== undefined) files.set(id);
	return id;
}

/** task_struct.real_parent and .tgid, and the members from a task to its files, from the kernel's BTF; none without BTF. */
function taskOffsets(): Pick<ProcEventOffsets, "taskParent" | "taskTgid" | "file"> {
	try {
		const taskParent = kernelMemberOffset("task_struct", "real_parent");
		const taskTgid = kernelMemberOffset("task_struct", "tgid");
		const out: Pick<ProcEventOffsets, "taskParent" | "taskTgid" | "file"> =
			taskParent !== undefined && taskTgid !== undefined ? { taskParent, taskTgid } : {};
		const m = (s: string, f: string) => kernelMemberOffset(s, f);
		const file = {
			taskFiles: m("task_struct", "files"),
			filesFdt: m("files_struct", "fdt"),
			fdtMaxFds: m("fdtable", "max_fds"),
			fdtFd: m("fdtable", "fd"),
			taskMm: m("task_struct", "mm"),
			mmExeFile: m("mm_struct", "exe_file"),
			fileInode: m("file", "f_inode"),
			inodeIno: m("inode", "i_ino"),
			inodeSb: m("inode", "i_sb"),
			sbDev: m("super_block", "s_dev"),
			fileDentry: add(m("file", "f_path"), m("path", "dentry")),
			dentryName: add(m("dentry", "d_name"), m("qstr", "name")),
			dentryParent: m("dentry", "d_parent"),
		};
		const times = {
			size: m("inode", "i_size"),
			mtimeSec: m("inode", "i_mtime_sec"),
			mtimeNsec: m("inode", "i_mtime_nsec"),
		};
		if (Object.values(file).every((v) => v !== undefined)) {
			out.file = file as FileOffsets;
			if (Object.values(times).every((v) => v !== undefined)) out.file.inodeTimes = times as FileOffsets["inodeTimes"];
		}
		return out;
	} catch {
		return {};
	}
}

/** task_struct.pid from the kernel's BTF (remembered per boot): the programs run on raw tracepoints. */
function rawTaskPid(): number | undefined {
	if (process.env.DTOP_PROC_TRACEPOINTS === "1") return undefined;
	try {
		return kernelMemberOffset("task_struct", "pid");
	} catch {
		return undefined;
	}
}

/** sys_enter_munmap's fields and vm_area_struct.vm_file; none when the kernel lacks either. */
function munmapFields(
	field: (group: string, event: string, name: string) => number | undefined,
): Pick<ProcEventOffsets, "munmapAddr" | "munmapLen" | "vmaFile"> {
	try {
		const vmaFile = kernelMemberOffset("vm_area_struct", "vm_file");
		const munmapAddr = field("syscalls", "sys_enter_munmap", "addr");
		const munmapLen = field("syscalls", "sys_enter_munmap", "len");
		return vmaFile === undefined ? {} : { munmapAddr, munmapLen, vmaFile };
	} catch {
		return {};
	}
}
