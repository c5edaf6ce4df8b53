// Design (b), kept as a measured prototype (the report explains why (a), the
// in-kernel walk of bpf.ts, was chosen): per firing, copy the registers and the
// top of the user stack into a ring buffer, as `perf record --call-graph dwarf`
// does, and unwind in user space with the same tables (walk.ts). Its cost per
// firing is one large bpf_probe_read_user and ring-buffer traffic of
// COPY_HEADER + copySize bytes; the consumer's cost grows with the rate.
//
// Record: { u32 tgid; u32 copied; u64 regs[]; u8 stack[copySize] }, the
// registers the walk starts from in regs.ts's order (pc, sp, frame pointer, and
// on aarch64 the link register x30): 32 bytes of header on x86_64, 40 on aarch64.
// bpf_probe_read_user is all-or-nothing, and a stack's top is often closer than
// copySize to sp (the main thread's stack ends a few KiB above main), so the copy
// is tried whole, then built greedily from halves: copySize/2 at sp, copySize/4
// after what was copied, … down to 8 bytes, so it carries every byte from sp up
// to copySize, the stack's top, or the first page that is not present, whichever
// comes first (bpf_probe_read_user cannot fault a page in; perf's copy stops the
// same way). Such a page is normal: exec leaves a random gap of up to 8 KiB
// between the auxiliary vector and the argument strings that nothing touches, in
// about 4 of 10 processes a whole page; it lies above every frame, so the walk
// loses nothing (test/kernel/unwind/copy.test.ts). Halving the whole copy instead kept
// as little as half the readable stack: on aarch64, where a signal frame is
// ~4.6 KiB, the frames below a signal handler were beyond the copy.
//
// aarch64's signal frames need the code of the signal trampoline (the vDSO's
// __kernel_rt_sigreturn, walk.ts): the vDSO's bytes are read from the process
// when it is added.
import { closeSync, openSync, readSync } from "node:fs";
import { Asm, FP, R0, R1, R2, R3, R6, R7, R8 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import type { RingBuffer } from "../bpf/ringbuf.ts";
import { type Mapping, openablePath, readMaps } from "../elf/procmaps.ts";
import { type ArchName, archFor } from "../sys/arch.ts";
import { mappingBias, sharedTableCache, type TableCache } from "./cache.ts";
import { walkRegs } from "./regs.ts";
import {
	type MappedObject,
	MappingList,
	type Registers,
	Stop,
	stackCopyReader,
	type WalkResult,
	walk,
} from "./walk.ts";

/** pt_regs offsets of the registers a record carries, in its order. */
function recordRegs(arch: ArchName): number[] {
	const w = walkRegs(arch);
	return w.lr === undefined ? [w.pc, w.sp, w.fp] : [w.pc, w.sp, w.fp, w.lr];
}

/** Bytes before the stack in a record: tgid, copied, the registers. */
export function copyHeader(arch: ArchName = archFor().name): number {
	return 8 + 8 * recordRegs(arch).length;
}

export interface StackCopyOptions {
	ringbufFd: number;
	/** A per-CPU array of u64 whose slot `lostSlot` counts records the ring buffer had no room for. */
	countersFd: number;
	lostSlot: number;
	/** Bytes of stack copied per firing (perf's default is 8192). */
	copySize: number;
	/** The architecture of the code generated (default: this machine's). */
	arch?: ArchName;
}

/** A whole uprobe program: copy registers and stack into the ring buffer; returns 0. */
export function stackCopyProgram(o: StackCopyOptions): Asm {
	if (o.copySize < 64 || (o.copySize & (o.copySize - 1)) !== 0)
		throw new Error(`the stack copy must be a power of two of at least 64 bytes (not ${o.copySize}).`);
	const arch = o.arch ?? archFor().name;
	const regs = recordRegs(arch);
	const head = copyHeader(arch);
	const sp = walkRegs(arch).sp;
	const a = new Asm();
	a.mov(R6, R1);
	a.ldMapFd(R1, o.ringbufFd)
		.mov(R2, head + o.copySize)
		.mov(R3, 0)
		.call(Helper.ringbuf_reserve);
	a.jne(R0, 0, "have");
	a.st(4, FP, -4, o.lostSlot).ldMapFd(R1, o.countersFd).mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, "out").mov(R1, 1).atomicAdd(8, R0, 0, R1).ja("out");
	a.label("have").mov(R7, R0);
	a.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx(4, R7, 0, R0);
	regs.forEach((off, i) => {
		a.ldx(8, R1, R6, off).stx(8, R7, 8 + 8 * i, R1);
	});
	a.st(4, R7, 4, 0);
	a.mov(R1, R7).add(R1, head).mov(R2, o.copySize).ldx(8, R3, R6, sp).call(Helper.probe_read_user);
	a.jne(R0, 0, "halves").st(4, R7, 4, o.copySize).ja("submit");
	a.label("halves");
	// Each half goes after what the larger ones copied. That count is kept in the
	// record (R7+4) and reloaded, so the verifier sees one state per step instead of
	// one per combination; masked with copySize - 2·size (the count is a sum of larger
	// halves, so the mask keeps its value) to prove the read stays in the record.
	for (let size = o.copySize >> 1; size >= 8; size >>= 1) {
		a.ldx(4, R8, R7, 4).and(R8, o.copySize - 2 * size);
		a.mov(R1, R7).add(R1, head).add(R1, R8).mov(R2, size).ldx(8, R3, R6, sp).add(R3, R8);
		a.call(Helper.probe_read_user);
		a.jne(R0, 0, `past_${size}`).add(R8, size).stx(4, R7, 4, R8);
		a.label(`past_${size}`);
	}
	a.label("submit").mov(R1, R7).mov(R2, 0).call(Helper.ringbuf_submit);
	a.label("out").mov(R0, 0).exit();
	return a;
}

/** `length` bytes of a process's memory at `address` (/proc/PID/mem), or undefined where it cannot be read. */
export function readProcessMemory(pid: number, address: number, length: number): Buffer | undefined {
	let fd: number | undefined;
	try {
		fd = openSync(`/proc/${pid}/mem`, "r");
		const buf = Buffer.alloc(length);
		return readSync(fd, buf, 0, length, address) === length ? buf : undefined;
	} catch {
		return undefined;
	} finally {
		if (fd !== undefined) closeSync(fd);
	}
}

/** Largest vDSO read for its code (Linux's are one or two pages). */
const VDSO_MAX = 64 << 10;

/**
 * The objects a process maps, with tables, for walking copies of its stack in
 * user space; on aarch64 with the vDSO's code (its signal trampoline).
 */
export function processAddressSpace(
	pid: number,
	cache: TableCache = sharedTableCache,
	maps?: Mapping[],
	arch: ArchName = archFor().name,
): MappingList {
	const list: MappedObject[] = [];
	for (const m of maps ?? readMaps(pid)) {
		if (!m.executable) continue;
		if (m.path === "" || m.path.startsWith("[")) {
			const vdso = arch === "arm64" && m.path === "[vdso]" && m.end - m.start <= VDSO_MAX;
			const code = vdso ? readProcessMemory(pid, m.start, m.end - m.start) : undefined;
			list.push({ start: m.start, end: m.end, bias: 0, table: undefined, code });
			continue;
		}
		const e = cache.get(openablePath(pid, m));
		const bias = mappingBias(e.segments, m.start, m.offset);
		list.push({ start: m.start, end: m.end, bias: bias ?? 0, table: bias === undefined ? undefined : e.table });
	}
	return new MappingList(list);
}

export interface CopiedStack {
	pid: number;
	result: WalkResult;
	/** Bytes of stack the record carried. */
	copied: number;
}

/** Decodes one ring-buffer record and walks it. `space` gives the process's objects. */
export function walkCopy(
	rec: Buffer,
	space: (pid: number) => MappingList | undefined,
	maxFrames: number,
	arch: ArchName = archFor().name,
): CopiedStack {
	const head = copyHeader(arch);
	if (rec.length < head) throw new Error(`a stack-copy record of ${rec.length} bytes is shorter than its header.`);
	const pid = rec.readUInt32LE(0);
	const copied = Math.min(rec.readUInt32LE(4), rec.length - head);
	const num = (at: number) => Number(rec.readBigUInt64LE(at));
	const regs: Registers = { pc: num(8), sp: num(16), fp: num(24) };
	if (arch === "arm64") regs.lr = num(32);
	const s = space(pid);
	const stack = rec.subarray(head, head + copied);
	const result: WalkResult = s
		? walk(regs, s, stackCopyReader(regs.sp, stack), maxFrames, arch)
		: { frames: [regs.pc], stop: Stop.NO_PROCESS, flags: 0 };
	return { pid, result, copied };
}

/** The consumer of design (b): poll, walk, count per stack (as the folded frame list). */
export class StackCopyConsumer {
	readonly counts = new Map<string, number>();
	records = 0;
	bytes = 0;
	/** Called with each record as walked (tests check what was copied). */
	onRecord: ((s: CopiedStack, rec: Buffer) => void) | undefined;
	private readonly spaces = new Map<number, MappingList>();
	constructor(
		private readonly ring: RingBuffer,
		private readonly maxFrames: number,
		private readonly cache: TableCache = sharedTableCache,
		private readonly arch: ArchName = archFor().name,
	) {}

	/** Learn a process before its records arrive (reads /proc/PID/maps). */
	addProcess(pid: number): void {
		this.spaces.set(pid, processAddressSpace(pid, this.cache, undefined, this.arch));
	}

	poll(): number {
		const recs = this.ring.poll();
		for (const r of recs) {
			const s = walkCopy(r, (pid) => this.spaces.get(pid), this.maxFrames, this.arch);
			const key = `${s.pid};${s.result.stop};${s.result.frames.join(",")}`;
			this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
			this.bytes += r.length;
			this.onRecord?.(s, r);
		}
		this.records += recs.length;
		return recs.length;
	}
}
