// Design (b), kept as a measured prototype (the report explains why (a), the
// in-kernel walk of bpf.ts, was chosen): per firing, copy the registers and the
// top of the user stack into a ring buffer, as `perf record --call-graph dwarf`
// does, and unwind in user space with the same tables (walk.ts). Its cost per
// firing is one large bpf_probe_read_user and ring-buffer traffic of
// COPY_HEADER + copySize bytes; the consumer's cost grows with the rate.
//
// Record: { u32 tgid; u32 copied; u64 ip; u64 sp; u64 bp; u8 stack[copySize] }.
// The copy is all-or-nothing per size, so it is tried at copySize, then halved
// down to 512 bytes (a stack whose top is closer than copySize to sp).
import { Asm, FP, R0, R1, R2, R3, R6, R7 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import type { RingBuffer } from "../bpf/ringbuf.ts";
import { type Mapping, openablePath, readMaps } from "../elf/procmaps.ts";
import { ARCHES } from "../sys/arch.ts";
import { mappingBias, sharedTableCache, type TableCache } from "./cache.ts";
import { type MappedObject, MappingList, Stop, stackCopyReader, type WalkResult, walk } from "./walk.ts";

export const COPY_HEADER = 32;
const X64 = ARCHES.x64.regs;

export interface StackCopyOptions {
	ringbufFd: number;
	/** A per-CPU array of u64 whose slot `lostSlot` counts records the ring buffer had no room for. */
	countersFd: number;
	lostSlot: number;
	/** Bytes of stack copied per firing (perf's default is 8192). */
	copySize: number;
}

/** A whole uprobe program: copy registers and stack into the ring buffer; returns 0. */
export function stackCopyProgram(o: StackCopyOptions): Asm {
	if (o.copySize < 512 || o.copySize % 8 !== 0)
		throw new Error(`the stack copy must be ≥ 512 bytes and a multiple of 8.`);
	const a = new Asm();
	a.mov(R6, R1);
	a.ldMapFd(R1, o.ringbufFd)
		.mov(R2, COPY_HEADER + o.copySize)
		.mov(R3, 0)
		.call(Helper.ringbuf_reserve);
	a.jne(R0, 0, "have");
	a.st(4, FP, -4, o.lostSlot).ldMapFd(R1, o.countersFd).mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, "out").mov(R1, 1).atomicAdd(8, R0, 0, R1).ja("out");
	a.label("have").mov(R7, R0);
	a.call(Helper.get_current_pid_tgid).rsh(R0, 32).stx(4, R7, 0, R0);
	a.ldx(8, R1, R6, X64.rip).stx(8, R7, 8, R1);
	a.ldx(8, R1, R6, X64.rsp).stx(8, R7, 16, R1);
	a.ldx(8, R1, R6, X64.rbp).stx(8, R7, 24, R1);
	a.st(4, R7, 4, 0);
	for (let size = o.copySize; size >= 512; size >>= 1) {
		a.mov(R1, R7).add(R1, COPY_HEADER).mov(R2, size).ldx(8, R3, R6, X64.rsp).call(Helper.probe_read_user);
		a.jne(R0, 0, `try_${size >> 1}`)
			.st(4, R7, 4, size)
			.ja("submit");
		a.label(`try_${size >> 1}`);
	}
	a.label("submit").mov(R1, R7).mov(R2, 0).call(Helper.ringbuf_submit);
	a.label("out").mov(R0, 0).exit();
	return a;
}

/** The objects a process maps, with tables, for walking copies of its stack in user space. */
export function processAddressSpace(pid: number, cache: TableCache = sharedTableCache, maps?: Mapping[]): MappingList {
	const list: MappedObject[] = [];
	for (const m of maps ?? readMaps(pid)) {
		if (!m.executable) continue;
		if (m.path === "" || m.path.startsWith("[")) {
			list.push({ start: m.start, end: m.end, bias: 0, table: undefined });
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
export function walkCopy(rec: Buffer, space: (pid: number) => MappingList | undefined, maxFrames: number): CopiedStack {
	const pid = rec.readUInt32LE(0);
	const copied = rec.readUInt32LE(4);
	const num = (at: number) => Number(rec.readBigUInt64LE(at));
	const regs = { pc: num(8), sp: num(16), fp: num(24) };
	const s = space(pid);
	const stack = rec.subarray(COPY_HEADER, COPY_HEADER + copied);
	const result: WalkResult = s
		? walk(regs, s, stackCopyReader(regs.sp, stack), maxFrames)
		: { frames: [regs.pc], stop: Stop.NO_PROCESS, flags: 0 };
	return { pid, result, copied };
}

/** The consumer of design (b): poll, walk, count per stack (as the folded frame list). */
export class StackCopyConsumer {
	readonly counts = new Map<string, number>();
	records = 0;
	bytes = 0;
	private readonly spaces = new Map<number, MappingList>();
	constructor(
		private readonly ring: RingBuffer,
		private readonly maxFrames: number,
		private readonly cache: TableCache = sharedTableCache,
	) {}

	/** Learn a process before its records arrive (reads /proc/PID/maps). */
	addProcess(pid: number): void {
		this.spaces.set(pid, processAddressSpace(pid, this.cache));
	}

	poll(): number {
		const recs = this.ring.poll();
		for (const r of recs) {
			const s = walkCopy(r, (pid) => this.spaces.get(pid), this.maxFrames);
			const key = `${s.pid};${s.result.stop};${s.result.frames.join(",")}`;
			this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
			this.bytes += r.length;
		}
		this.records += recs.length;
		return recs.length;
	}
}
