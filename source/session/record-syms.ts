// Addresses and stacks in per-event records: func()/ufunc() & co, %a/%A of an
// integer, and stack()/ustack() as actions. The kernel records the address
// (with the pid for user ones) or the program counters; the consumer names
// them here, when the record is read, while the process is most likely still
// there: the session's symbolizer (debug files, demangling) gives module,
// function and offset.

import { Stop } from "../../kernel/unwind/walk.ts";
import type { Frame, Resolved, StackValue, SymValue } from "../output/model.ts";
import { frameText } from "../output/symbols.ts";
import type { SymFn } from "./lower-syms.ts";
import type { SharedMaps } from "./maps.ts";
import type { Symbolizer } from "./symbolize.ts";

/** What decoding needs to name addresses; absent, addresses print as numbers. */
export interface RecordSymbols {
	/** `at`: the record's timestamp (what the process mapped then). */
	user(pid: number, addr: bigint, at?: bigint): Resolved | undefined;
	kernel(addr: bigint): Resolved | undefined;
	/** A walk of the .eh_frame unwinder, by its id. */
	unwound(uid: bigint): { pid: number; frames: bigint[]; stop?: string } | { missing: string } | undefined;
}

export type SymLayout =
	/** func() & co; `addr`: an integer printed by %a (kernel) or %A (user), symbol+offset. */
	{ k: "sym"; fn: SymFn | "addr"; user: boolean; off: number; pidOff?: number };

export interface StackLayout {
	kind: "stack";
	user: boolean;
	off: number;
	frames: number;
	unwound: boolean;
}

function resolve(
	syms: RecordSymbols | undefined,
	user: boolean,
	pid: number,
	addr: bigint,
	at?: bigint,
): Resolved | undefined {
	if (!syms) return undefined;
	return user ? syms.user(pid, addr, at) : syms.kernel(addr);
}

/** A record's timestamp (its header's second u64: bpf_ktime_get_ns). */
const stamp = (buf: Buffer): bigint | undefined => (buf.length >= 16 ? buf.readBigUInt64LE(8) : undefined);

/** A recorded address as the value printf and trace print. */
export function readSym(buf: Buffer, a: SymLayout, syms?: RecordSymbols): SymValue {
	const addr = buf.readBigUInt64LE(a.off);
	const pid = a.pidOff !== undefined ? Number(buf.readBigUInt64LE(a.pidOff)) : undefined;
	const at = resolve(syms, a.user, pid ?? 0, addr, stamp(buf));
	// %a/%A: printed as symbol+offset, which printf does for "uaddr" values of either side.
	return { kind: "sym", fn: a.fn === "addr" ? "uaddr" : a.fn, addr, pid, at };
}

/**
 * Return addresses (every frame but the first) are looked up one byte back,
 * in the call: a call that ends a function must not name the next one.
 */
function frame(
	syms: RecordSymbols | undefined,
	user: boolean,
	pid: number,
	pc: bigint,
	i: number,
	when?: bigint,
): Frame {
	if (i === 0) return { pc, at: resolve(syms, user, pid, pc, when) };
	const at = resolve(syms, user, pid, pc - 1n, when);
	return { pc, at: at?.offset !== undefined ? { ...at, offset: at.offset + 1n } : at };
}

/** A recorded stack(n)/ustack(n), named. */
export function readStack(buf: Buffer, a: StackLayout, syms?: RecordSymbols): StackValue {
	if (a.unwound) {
		const r = syms?.unwound(buf.readBigUInt64LE(a.off));
		if (!r) return { kind: "stack", user: true, frames: [], text: ["<stack unavailable: no unwinder>"] };
		if ("missing" in r) return { kind: "stack", user: true, frames: [], text: [`<stack lost: ${r.missing}>`] };
		const when = stamp(buf);
		const frames = r.frames.slice(0, a.frames).map((pc, i) => frame(syms, true, r.pid, pc, i, when));
		const s: StackValue = { kind: "stack", user: true, pid: r.pid, frames };
		if (r.stop && r.frames.length <= a.frames) {
			// The walk stopped early: say why, after the frames it found.
			const probe: StackValue = { ...s };
			s.text = [...frames.map((_, i) => frameText(probe, i)), `<stack stops: ${r.stop}>`];
		}
		return s;
	}
	const got = buf.readBigInt64LE(a.off);
	const pid = Number(buf.readBigUInt64LE(a.off + 8));
	if (got < 0n) return { kind: "stack", user: a.user, pid, frames: [], text: [`<stack unavailable: error ${-got}>`] };
	const n = Math.min(a.frames, Number(got) / 8);
	const when = stamp(buf);
	const frames: Frame[] = [];
	for (let i = 0; i < n; i++) {
		const pc = buf.readBigUInt64LE(a.off + 16 + i * 8);
		if (pc === 0n) break;
		frames.push(frame(syms, a.user, pid, pc, i, a.user ? when : undefined));
	}
	return { kind: "stack", user: a.user, pid, frames };
}

/** The session's symbolizer and unwinder as RecordSymbols (the symbolizer is asked for when first needed). */
export function recordSymbols(symbolizer: () => Symbolizer, maps: SharedMaps): RecordSymbols {
	return {
		user: (pid, addr, at) => symbolizer().resolveUser(pid, addr, at),
		kernel: (addr) => symbolizer().resolveKernel(addr),
		unwound: (uid) => {
			const r = maps.unwinderIfMade?.reader.read(uid);
			if (!r) return undefined;
			if ("missing" in r) return { missing: r.missing === "collision" ? "hash collision" : "the stack map was full" };
			const early = r.stop !== Stop.END && r.stop !== Stop.TRUNCATED;
			return { pid: r.pid, frames: r.frames.map(BigInt), stop: early ? r.stopName : undefined };
		},
	};
}
