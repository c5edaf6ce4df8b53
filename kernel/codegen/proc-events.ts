// Programs for the process event feed: one per tracepoint, each writing a
// fixed-size record to a BPF ring buffer (Linux 5.8+), so user space learns
// of process starts, execs, exits, renames, executable mappings and files
// unmapped (dlclose) without rescanning /proc. A record the ring has no room for is counted (counter
// LOST), so the reader knows to fall back to one /proc scan.
//
// With the control slot HOLD set (and DEADLINE not passed), an exec and an executable mmap also stop the
// process (SIGSTOP, delivered before it returns to user space) and say so in
// the record: the reader attaches the probes the new code needs, then resumes
// it. Children of the process in slot SELF are never held (dtop's own helpers:
// it may wait for them).
import { Asm, FP, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, type Reg } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { SIGSTOP } from "./hold.ts";

export const ProcEventType = { EXEC: 1, FORK: 2, EXIT: 3, COMM: 4, MMAP: 5, MUNMAP: 6 } as const;

/**
 * Record layout: type u32, pid u32 (process), tid u32, aux u32 (parent pid /
 * held), flags u64, comm[16]; then the file an exec runs or an mmap maps: its
 * device (the kernel's dev_t, MAJOR << 20 | MINOR; 0 when it could not be
 * read), inode u64, and the mmap's file offset u64.
 */
export const RECORD_SIZE = 64;
export const REC = {
	type: 0,
	pid: 4,
	tid: 8,
	aux: 12,
	flags: 16,
	comm: 24,
	dev: 40,
	levels: 44,
	inode: 48,
	pgoff: 56,
	// Exec and mmap records only:
	size: 64,
	mtimeSec: 72,
	mtimeNsec: 80,
	path: 88,
	// After the path (file records of mmap and munmap): the range asked for,
	// the mmap's flags (in `flags`) and when (bpf_ktime_get_ns, CLOCK_MONOTONIC).
	addr: 568,
	len: 576,
	time: 584,
} as const;
/**
 * Exec and mmap records go on with the file's size and modification time
 * (i_size, i_mtime_sec, i_mtime_nsec; zero on kernels without those members),
 * then its path as its dentries name it:
 * PATH_LEVELS slots of PATH_NAME bytes, the file's own name first, then each
 * parent's, up to the root of its file system (named "/"). `levels` is the
 * number of slots filled, with LEVELS_ROOTED set when the walk reached that
 * root (else the path is longer than the slots).
 */
export const PATH_LEVELS = 10;
export const PATH_NAME = 48;
export const LEVELS_ROOTED = 0x100;
export const FILE_RECORD_SIZE = REC.time + 8;
if (REC.addr !== REC.path + PATH_LEVELS * PATH_NAME)
	throw new Error("proc-events: REC.addr must follow the path slots.");

/**
 * A munmap record is the 64-byte one (the file's device and inode, no path:
 * only a file already known matters) and the range and when, in place of the
 * mmap's flags and offset and after them.
 */
export const MUNMAP = { len: REC.flags, addr: REC.pgoff, time: RECORD_SIZE } as const;
export const MUNMAP_RECORD_SIZE = RECORD_SIZE + 8;

/** u64 slots of the one-entry control array map (written by user space). */
export const CTL = { HOLD: 0, SELF: 1, DEADLINE: 2 } as const;
export const CTL_SIZE = 24;
/** u64 slots of the one-entry counter array map (written by the programs). */
export const STATS = { LOST: 0, HELD: 1 } as const;
export const STATS_SIZE = 16;

const CLONE_THREAD = 0x10000;
const PROT_EXEC = 4;

/** Field offsets (from tracefs formats) the programs read. */
export interface ProcEventOffsets {
	/** task_newtask: pid, clone_flags. */
	newtaskPid: number;
	newtaskFlags: number;
	/** sched_process_exit: group_dead (Linux 6.6+), or undefined to use tid == tgid. */
	exitGroupDead?: number;
	/** task_rename: pid, newcomm. */
	renamePid: number;
	renameComm: number;
	/** sys_enter_mmap: prot, fd. */
	mmapProt: number;
	mmapFd: number;
	/** sys_enter_mmap: off (the file offset). */
	mmapOff?: number;
	/** sys_enter_mmap: addr, len, flags (the range asked for; MAP_FIXED says it is where it goes). */
	mmapAddr?: number;
	mmapLen?: number;
	mmapFlags?: number;
	/** sys_enter_munmap: addr, len; and vm_area_struct.vm_file (BTF). All three, or munmap is not followed. */
	munmapAddr?: number;
	munmapLen?: number;
	vmaFile?: number;
	/**
	 * task_struct.pid (BTF): exec, fork, exit and rename run as raw tracepoint
	 * programs, reading the tracepoints' arguments rather than their records
	 * (a perf-event tracepoint's release waits out RCU grace periods, 30–90 ms
	 * each, which every dtop paid on its way out). Undefined: tracepoints.
	 */
	rawTaskPid?: number;
	/** task_struct.real_parent and task_struct.tgid (BTF); undefined: no exclusion of dtop's children. */
	taskParent?: number;
	taskTgid?: number;
	/** Member offsets (BTF) from the task to a file's identity; undefined: records carry no file. */
	file?: FileOffsets;
}

/** Offsets of the members between a task and the device and inode of a file it has open or runs. */
export interface FileOffsets {
	taskFiles: number;
	filesFdt: number;
	fdtMaxFds: number;
	fdtFd: number;
	taskMm: number;
	mmExeFile: number;
	fileInode: number;
	inodeIno: number;
	inodeSb: number;
	sbDev: number;
	/** file.f_path + path.dentry; dentry.d_name + qstr.name; dentry.d_parent. */
	fileDentry: number;
	dentryName: number;
	dentryParent: number;
	/** inode.i_size, i_mtime_sec, i_mtime_nsec (Linux 6.11+); undefined: not recorded. */
	inodeTimes?: { size: number; mtimeSec: number; mtimeNsec: number };
}

export interface ProcEventMaps {
	ringFd: number;
	ctlFd: number;
	statsFd: number;
}

/** R7 = reserved record or jump to "lost"; R6 holds ctx. Clobbers R0–R5. */
function reserve(a: Asm, m: ProcEventMaps, size = RECORD_SIZE): Asm {
	return a.ldMapFd(R1, m.ringFd).mov(R2, size).mov(R3, 0).call(Helper.ringbuf_reserve).jeq(R0, 0, "lost").mov(R7, R0);
}

/** Writes type, pid (tgid) and tid of the current task into the record in R7. */
function header(a: Asm, type: number): Asm {
	return a
		.st(4, R7, REC.type, type)
		.call(Helper.get_current_pid_tgid)
		.stx(4, R7, REC.tid, R0)
		.rsh(R0, 32)
		.stx(4, R7, REC.pid, R0)
		.st(4, R7, REC.aux, 0)
		.st(8, R7, REC.flags, 0)
		.st(8, R7, REC.dev, 0)
		.st(8, R7, REC.inode, 0)
		.st(8, R7, REC.pgoff, 0);
}

/** `dst` = the `size`-byte value at R3 + off (kernel memory), or jump to `fail` when it cannot be read. Clobbers R0–R5. */
function readAt(a: Asm, off: number, fail: string, dst: Reg, size: 4 | 8): Asm {
	return a
		.add(R3, off)
		.mov(R1, FP)
		.add(R1, -8)
		.mov(R2, size)
		.call(Helper.probe_read_kernel)
		.jne(R0, 0, fail)
		.ldx(size, dst, FP, -8);
}

/** R3 = *(u64 *)(R3 + off) read from kernel memory through the stack slot FP-8, or jump to `fail` (also when it is NULL). */
function deref(a: Asm, off: number, fail: string): Asm {
	return readAt(a, off, fail, R3, 8).jeq(R3, 0, fail);
}

/** `dst` = the u32 at R3 + off (kernel memory), or jump to `fail` when it cannot be read. Clobbers R0–R5. */
function read32(a: Asm, off: number, fail: string, dst: Reg): Asm {
	return readAt(a, off, fail, dst, 4);
}

/**
 * With R3 = a struct file *, reads its inode's number and device, and (`full`)
 * its size, mtime and path's names, into the record (R7).
 */
function fileIdentity(a: Asm, f: FileOffsets, fail: string, full = true): Asm {
	a.stx(8, FP, -16, R3);
	deref(a, f.fileInode, fail)
		.mov(R9, R3)
		.mov(R1, R7)
		.add(R1, REC.inode)
		.mov(R2, 8)
		.add(R3, f.inodeIno)
		.call(Helper.probe_read_kernel)
		.jne(R0, 0, fail);
	if (f.inodeTimes && full) {
		const t = f.inodeTimes;
		for (const [to, from, size] of [
			[REC.size, t.size, 8],
			[REC.mtimeSec, t.mtimeSec, 8],
			[REC.mtimeNsec, t.mtimeNsec, 4],
		] as const) {
			a.mov(R1, R7).add(R1, to).mov(R2, size).mov(R3, R9).add(R3, from).call(Helper.probe_read_kernel).jne(R0, 0, fail);
		}
	}
	a.mov(R3, R9);
	deref(a, f.inodeSb, fail)
		.mov(R1, R7)
		.add(R1, REC.dev)
		.mov(R2, 4)
		.add(R3, f.sbDev)
		.call(Helper.probe_read_kernel)
		.jne(R0, 0, fail)
		.ldx(8, R3, FP, -16);
	if (!full) return a;
	deref(a, f.fileDentry, fail).mov(R9, R3);
	for (let i = 0; i < PATH_LEVELS; i++) {
		// R9 = this level's dentry: its name into slot i, then up to its parent.
		a.mov(R3, R9);
		deref(a, f.dentryName, fail)
			.mov(R1, R7)
			.add(R1, REC.path + i * PATH_NAME)
			.mov(R2, PATH_NAME)
			.call(Helper.probe_read_kernel_str)
			.jsle(R0, 0, fail)
			.st(4, R7, REC.levels, i + 1)
			.mov(R3, R9);
		deref(a, f.dentryParent, fail)
			.jne(R3, R9, `up${i}`)
			.st(4, R7, REC.levels, (i + 1) | LEVELS_ROOTED)
			.ja(fail)
			.label(`up${i}`)
			.mov(R9, R3);
	}
	return a;
}

function zeroFileFields(a: Asm): Asm {
	return a.st(8, R7, REC.size, 0).st(8, R7, REC.mtimeSec, 0).st(8, R7, REC.mtimeNsec, 0);
}

/** The file of descriptor R8 of the current task into the record. Clobbers R0–R5, R9. */
function fdFile(a: Asm, f: FileOffsets): Asm {
	zeroFileFields(a);
	a.call(Helper.get_current_task).mov(R3, R0);
	deref(a, f.taskFiles, "nofile");
	deref(a, f.filesFdt, "nofile").mov(R9, R3);
	read32(a, f.fdtMaxFds, "nofile", R1).jge(R8, R1, "nofile").mov(R3, R9);
	deref(a, f.fdtFd, "nofile").mov(R1, R8).lsh(R1, 3).add(R3, R1);
	deref(a, 0, "nofile");
	return fileIdentity(a, f, "nofile").label("nofile");
}

/** The file the current task runs (mm->exe_file) into the record. Clobbers R0–R5, R9. */
function exeFile(a: Asm, f: FileOffsets): Asm {
	zeroFileFields(a);
	a.call(Helper.get_current_task).mov(R3, R0);
	deref(a, f.taskMm, "nofile");
	deref(a, f.mmExeFile, "nofile");
	return fileIdentity(a, f, "nofile").label("nofile");
}

function currentComm(a: Asm): Asm {
	return a.mov(R1, R7).add(R1, REC.comm).mov(R2, 16).call(Helper.get_current_comm);
}

function submitAndLost(a: Asm, m: ProcEventMaps): Asm {
	return a
		.mov(R1, R7)
		.mov(R2, 0)
		.call(Helper.ringbuf_submit)
		.label("out")
		.mov(R0, 0)
		.exit()
		.label("lost")
		.ldMapValue(R1, m.statsFd, STATS.LOST * 8)
		.mov(R2, 1)
		.atomicAdd(8, R1, 0, R2)
		.mov(R0, 0)
		.exit();
}

/**
 * Stop the current process when HOLD is set and its parent is not SELF: marks
 * aux = 1 and counts it. Uses R8, R9 and a stack slot.
 */
function maybeHold(a: Asm, m: ProcEventMaps, o: ProcEventOffsets): Asm {
	a.ldMapValue(R8, m.ctlFd, 0)
		.ldx(8, R9, R8, CTL.HOLD * 8)
		.jeq(R9, 0, "nohold");
	// Only while the reader is alive and running: it renews DEADLINE (CLOCK_MONOTONIC ns)
	// as it polls, so a reader stopped (Ctrl-Z) or killed stops holding within moments.
	a.call(Helper.ktime_get_ns)
		.ldMapValue(R8, m.ctlFd, 0)
		.ldx(8, R9, R8, CTL.DEADLINE * 8)
		.jgt(R0, R9, "nohold");
	if (o.taskParent !== undefined && o.taskTgid !== undefined) {
		// parent = current->real_parent; if parent->tgid == SELF, leave it be.
		a.call(Helper.get_current_task).mov(R3, R0);
		deref(a, o.taskParent, "dohold");
		read32(a, o.taskTgid, "dohold", R9)
			.ldMapValue(R8, m.ctlFd, 0)
			.ldx(8, R1, R8, CTL.SELF * 8)
			.jeq(R9, R1, "nohold");
	}
	return a
		.label("dohold")
		.st(4, R7, REC.aux, 1)
		.ldMapValue(R8, m.statsFd, STATS.HELD * 8)
		.mov(R1, 1)
		.atomicAdd(8, R8, 0, R1)
		.mov(R1, SIGSTOP)
		.call(Helper.send_signal)
		.label("nohold");
}

/** sched:sched_process_exec: the process (now its own leader) runs a new program. */
export function compileExec(m: ProcEventMaps, o: ProcEventOffsets): Asm {
	const a = new Asm().mov(R6, R1);
	reserve(a, m, o.file ? FILE_RECORD_SIZE : RECORD_SIZE);
	header(a, ProcEventType.EXEC);
	currentComm(a);
	if (o.file) {
		// When (every mapping before it is gone from then on).
		a.st(8, R7, REC.addr, 0).st(8, R7, REC.len, 0).call(Helper.ktime_get_ns).stx(8, R7, REC.time, R0);
		exeFile(a, o.file);
	}
	maybeHold(a, m, o);
	return submitAndLost(a, m);
}

/** task:task_newtask: a new process (threads are skipped); pid = parent, tid = child. */
export function compileFork(m: ProcEventMaps, o: ProcEventOffsets): Asm {
	// Raw: (struct task_struct *task, u64 clone_flags).
	const flags = o.rawTaskPid === undefined ? o.newtaskFlags : 8;
	const a = new Asm().mov(R6, R1).ldx(8, R8, R6, flags).and(R8, CLONE_THREAD).jne(R8, 0, "out");
	reserve(a, m);
	header(a, ProcEventType.FORK);
	if (o.rawTaskPid === undefined) a.ldx(4, R1, R6, o.newtaskPid).stx(4, R7, REC.tid, R1);
	else readKernel(a, REC.tid, 4, 0, o.rawTaskPid);
	a.ldx(8, R1, R6, flags).stx(8, R7, REC.flags, R1);
	currentComm(a);
	return submitAndLost(a, m);
}

/** R7's record at `at` = `size` bytes at ctx[arg] + `offset` (kernel memory); zeroed when unreadable. */
function readKernel(a: Asm, at: number, size: number, arg: number, offset: number, str = false): Asm {
	return a
		.mov(R1, R7)
		.add(R1, at)
		.mov(R2, size)
		.ldx(8, R3, R6, arg * 8)
		.add(R3, offset)
		.call(str ? Helper.probe_read_kernel_str : Helper.probe_read_kernel);
}

/** sched:sched_process_exit: only the exit of a whole process (group_dead, or the leader). */
export function compileExit(m: ProcEventMaps, o: ProcEventOffsets): Asm {
	const a = new Asm().mov(R6, R1);
	// Raw: (struct task_struct *p, bool group_dead) where the record has group_dead.
	if (o.exitGroupDead !== undefined && o.rawTaskPid !== undefined) a.ldx(8, R8, R6, 8).and(R8, 0xff).jeq(R8, 0, "out");
	else if (o.exitGroupDead !== undefined) a.ldx(1, R8, R6, o.exitGroupDead).jeq(R8, 0, "out");
	else a.call(Helper.get_current_pid_tgid).mov(R8, R0).rsh(R8, 32).and(R0, 0xffffffff).jne(R0, R8, "out");
	reserve(a, m);
	header(a, ProcEventType.EXIT);
	currentComm(a);
	return submitAndLost(a, m);
}

/** task:task_rename: tid = the renamed task, comm = its new name. */
export function compileRename(m: ProcEventMaps, o: ProcEventOffsets): Asm {
	const a = new Asm().mov(R6, R1);
	reserve(a, m);
	header(a, ProcEventType.COMM);
	if (o.rawTaskPid !== undefined) {
		// Raw: (struct task_struct *task, const char *comm).
		readKernel(a, REC.tid, 4, 0, o.rawTaskPid);
		readKernel(a, REC.comm, 16, 1, 0, true);
		return submitAndLost(a, m);
	}
	a.ldx(4, R1, R6, o.renamePid).stx(4, R7, REC.tid, R1);
	// Four-byte loads: the field need not be 8-byte aligned, and the context allows only aligned access.
	for (const off of [0, 4, 8, 12]) a.ldx(4, R1, R6, o.renameComm + off).stx(4, R7, REC.comm + off, R1);
	return submitAndLost(a, m);
}

/** syscalls:sys_enter_mmap with PROT_EXEC and a file: a library (or program) is being mapped. */
export function compileMmap(m: ProcEventMaps, o: ProcEventOffsets): Asm {
	const a = new Asm()
		.mov(R6, R1)
		.ldx(8, R8, R6, o.mmapProt)
		.and(R8, PROT_EXEC)
		.jeq(R8, 0, "out")
		.ldx(4, R8, R6, o.mmapFd)
		.jsgt(R8, 0x7fffffff, "out");
	reserve(a, m, o.file ? FILE_RECORD_SIZE : RECORD_SIZE);
	header(a, ProcEventType.MMAP);
	currentComm(a);
	if (o.mmapOff !== undefined) a.ldx(8, R1, R6, o.mmapOff).stx(8, R7, REC.pgoff, R1);
	if (o.file) {
		// The range (an address only with MAP_FIXED, as ld.so maps a library's code) and when.
		for (const [to, from] of [
			[REC.addr, o.mmapAddr],
			[REC.len, o.mmapLen],
			[REC.flags, o.mmapFlags],
		] as const) {
			if (from === undefined) a.st(8, R7, to, 0);
			else a.ldx(8, R1, R6, from).stx(8, R7, to, R1);
		}
		a.call(Helper.ktime_get_ns).stx(8, R7, REC.time, R0);
		fdFile(a, o.file);
	}
	maybeHold(a, m, o);
	return submitAndLost(a, m);
}

/** Whether the kernel's offsets allow following munmap (compileMunmap). */
export function followsMunmap(o: ProcEventOffsets): boolean {
	return o.file !== undefined && o.vmaFile !== undefined && o.munmapAddr !== undefined && o.munmapLen !== undefined;
}

/**
 * syscalls:sys_enter_munmap of a range that begins in a file's mapping (as
 * ld.so's dlclose unmaps a whole library, its first segment first): the file
 * (as an mmap record names it), the range and when. The mapping at the address
 * is found with bpf_find_vma (Linux 5.17+), whose callback copies its vm_file;
 * anonymous memory (malloc's large blocks) writes no record at all.
 */
export function compileMunmap(m: ProcEventMaps, o: ProcEventOffsets): Asm {
	const { file, vmaFile, munmapAddr, munmapLen } = o;
	if (!file || vmaFile === undefined || munmapAddr === undefined || munmapLen === undefined)
		throw new Error("following munmap needs the kernel's BTF (task_struct, file and vm_area_struct members).");
	const a = new Asm().mov(R6, R1).st(8, FP, -24, 0);
	a.call(Helper.get_current_task_btf)
		.mov(R1, R0)
		.ldx(8, R2, R6, munmapAddr)
		.ldFunc(R3, "vma_file")
		.mov(R4, FP)
		.add(R4, -24)
		.mov(R5, 0)
		.call(Helper.find_vma)
		.ldx(8, R8, FP, -24)
		.jeq(R8, 0, "out");
	reserve(a, m, MUNMAP_RECORD_SIZE);
	header(a, ProcEventType.MUNMAP);
	currentComm(a);
	a.ldx(8, R1, R6, munmapAddr).stx(8, R7, MUNMAP.addr, R1);
	a.ldx(8, R1, R6, munmapLen).stx(8, R7, MUNMAP.len, R1);
	a.call(Helper.ktime_get_ns).stx(8, R7, MUNMAP.time, R0);
	a.mov(R3, R8);
	fileIdentity(a, file, "nofile", false).label("nofile");
	submitAndLost(a, m);
	// The callback (task, vma, ctx): *(u64 *)ctx = vma->vm_file.
	return a
		.label("vma_file")
		.mov(R1, R3)
		.mov(R3, R2)
		.add(R3, vmaFile)
		.mov(R2, 8)
		.call(Helper.probe_read_kernel)
		.mov(R0, 0)
		.exit();
}
