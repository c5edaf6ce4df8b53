// What BPF map values hold, decoded: the CPU lists that size per-CPU values, per-CPU
// reductions of 64-bit counters, and stack-trace map values (plain or build-id frames).
import { readFileSync } from "node:fs";

// --- CPUs ----------------------------------------------------------------------

/** Parse a kernel CPU list such as "0-3,5,7-8". */
export function parseCpuList(text: string): number[] {
	const cpus: number[] = [];
	for (const part of text.trim().split(",")) {
		if (part === "") continue;
		const m = /^(\d+)(?:-(\d+))?$/.exec(part);
		if (!m) throw new Error(`cannot read the CPU list '${text.trim()}'.`);
		const a = Number(m[1]);
		const b = m[2] === undefined ? a : Number(m[2]);
		for (let c = a; c <= b; c++) cpus.push(c);
	}
	return cpus;
}

let possible: number[] | undefined;

/**
 * CPUs that may ever exist (/sys/devices/system/cpu/possible). Per-CPU maps hold
 * one value per possible CPU, online or not.
 */
export function possibleCpus(): number[] {
	if (!possible) possible = parseCpuList(readFileSync("/sys/devices/system/cpu/possible", "utf8"));
	return possible;
}

export function possibleCpuCount(): number {
	return possibleCpus().length;
}

/** CPUs online now (/sys/devices/system/cpu/online); per-CPU perf events are opened on these. */
export function onlineCpus(): number[] {
	return parseCpuList(readFileSync("/sys/devices/system/cpu/online", "utf8"));
}

// --- per-CPU merging -------------------------------------------------------------

/** Sum of the u64 at `offset` across per-CPU values (wrapping at 2^64 like the kernel's counters). */
export function sumPerCpuU64(values: Buffer[], offset = 0): bigint {
	let s = 0n;
	for (const v of values) s += v.readBigUInt64LE(offset);
	return BigInt.asUintN(64, s);
}

export type PerCpuReduce = "sum" | "min" | "max" | "smin" | "smax";

/** Combine the 64-bit field at `offset` across CPUs; "smin"/"smax" treat it as signed. */
export function reducePerCpuU64(values: Buffer[], offset: number, op: PerCpuReduce): bigint {
	if (op === "sum") return sumPerCpuU64(values, offset);
	if (values.length === 0) return 0n;
	const signed = op === "smin" || op === "smax";
	const wantMin = op === "min" || op === "smin";
	let best = signed ? values[0].readBigInt64LE(offset) : values[0].readBigUInt64LE(offset);
	for (let i = 1; i < values.length; i++) {
		const v = signed ? values[i].readBigInt64LE(offset) : values[i].readBigUInt64LE(offset);
		if (wantMin ? v < best : v > best) best = v;
	}
	return best;
}

/** Field-wise u64 sum of per-CPU values (for counters and histogram buckets). */
export function sumPerCpu(values: Buffer[]): Buffer {
	if (values.length === 0) return Buffer.alloc(0);
	const size = values[0].length;
	if (size % 8 !== 0) throw new Error(`per-CPU values of ${size} bytes cannot be summed as u64 fields.`);
	const out = Buffer.alloc(size);
	for (let off = 0; off < size; off += 8) out.writeBigUInt64LE(sumPerCpuU64(values, off), off);
	return out;
}

// --- stack traces ------------------------------------------------------------------

/** Bytes per frame in a build-id stack map (`struct bpf_stack_build_id`). */
export const BUILD_ID_FRAME_SIZE = 32;

export interface BuildIdFrame {
	/** 0 = empty slot, 1 = build id + file offset valid, 2 = only the address is known. */
	status: number;
	buildId: Buffer;
	/** File offset when status is 1, the address when status is 2. */
	offsetOrIp: bigint;
}

/** Instruction addresses of a stack map value, stopping at the first empty slot. */
export function stackFrames(value: Buffer): bigint[] {
	const out: bigint[] = [];
	for (let off = 0; off + 8 <= value.length; off += 8) {
		const ip = value.readBigUInt64LE(off);
		if (ip === 0n) break;
		out.push(ip);
	}
	return out;
}

/** Frames of a build-id stack map value, stopping at the first empty slot. */
export function buildIdFrames(value: Buffer): BuildIdFrame[] {
	const out: BuildIdFrame[] = [];
	for (let off = 0; off + BUILD_ID_FRAME_SIZE <= value.length; off += BUILD_ID_FRAME_SIZE) {
		const status = value.readInt32LE(off);
		if (status === 0) break;
		out.push({
			status,
			buildId: Buffer.from(value.subarray(off + 4, off + 24)),
			offsetOrIp: value.readBigUInt64LE(off + 24),
		});
	}
	return out;
}
