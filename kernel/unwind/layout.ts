// Byte layouts shared by the BPF unwinder (kernel/unwind/bpf.ts) and the user
// space that fills its maps and reads its stacks (maps.ts, stacks.ts). All
// little-endian; every field naturally aligned.
import { ruleKey, type UnwindRule } from "./cfa.ts";

/** Executable mappings one process may have in the `procs` map. */
export const MAX_MAPPINGS = 128;
/** log2(MAX_MAPPINGS): the branchless search takes this many steps. */
export const MAPPING_STEPS = 7;

/** procs value: { u32 count; u32 generation; Mapping[MAX_MAPPINGS] }. */
export const PROC_HEADER = 8;
export const PROC_ENTRY = 32;
export const PROC_VALUE_SIZE = PROC_HEADER + MAX_MAPPINGS * PROC_ENTRY;
/** Mapping: { u64 start; u64 end; u64 bias; u32 object; u32 flags }; table address = pc - bias. */
export const ENT_START = 0;
export const ENT_END = 8;
export const ENT_BIAS = 16;
export const ENT_OBJECT = 24;
/** Unused slots sort after every user address. */
export const PAD_START = 2n ** 62n;
/** Object id of anonymous executable memory (JIT code): no table, frame pointers only. */
export const JIT_OBJECT = 0xffffffff;

/** objects value: { u32 pagesBase; u32 pageCount } (pageCount 0: no table loaded). */
export const OBJECT_SIZE = 8;
/** pages value: { u32 firstRow; u32 rowCount } — the rows to search for an address in the page. */
export const PAGE_SIZE = 8;
/** rows value: { u32 address (relative to the table's base); u32 rule }. */
export const ROW_SIZE = 8;
/** rules value, 16 bytes (below). */
export const RULE_SIZE = 16;
/** Rows per page the kernel's binary search handles (2^steps). */
export const ROW_SEARCH_STEPS = 12;
export const MAX_ROWS_PER_PAGE = 1 << ROW_SEARCH_STEPS;

/** Rule ids every rules map starts with. */
export const RULE_UNKNOWN = 0;
export const RULE_UNSUPPORTED = 1;

/**
 * Packs a rule: u8 cfa kind | base << 4; u8 fp kind | base << 4; u8 ra kind |
 * base << 4; u8 flags; s32 cfa offset; s32 fp offset; s16 ra offset; u8 extra; u8 0.
 */
export function packRule(r: UnwindRule, out: Buffer, at: number): void {
	out[at] = r.cfa | (r.cfaBase << 4);
	out[at + 1] = r.fp | (r.fpBase << 4);
	out[at + 2] = r.ra | (r.raBase << 4);
	out[at + 3] = r.flags;
	out.writeInt32LE(r.cfaOffset, at + 4);
	out.writeInt32LE(r.fpOffset, at + 8);
	out.writeInt16LE(r.raOffset, at + 12);
	out[at + 14] = r.extra;
	out[at + 15] = 0;
}

export function unpackRule(b: Buffer, at: number): UnwindRule {
	return {
		cfa: b[at] & 15,
		cfaBase: b[at] >> 4,
		fp: b[at + 1] & 15,
		fpBase: b[at + 1] >> 4,
		ra: b[at + 2] & 15,
		raBase: b[at + 2] >> 4,
		flags: b[at + 3],
		cfaOffset: b.readInt32LE(at + 4),
		fpOffset: b.readInt32LE(at + 8),
		raOffset: b.readInt16LE(at + 12),
		extra: b[at + 14],
	};
}

export { ruleKey };

// ---- the per-CPU scratch buffer and the stack record ---------------------------

/** Scratch fields (u64 each) the walk keeps between frames. */
export const S = {
	PC: 0,
	SP: 8,
	FP: 16,
	/** 1 while FP holds the caller's frame pointer, 0 once a rule lost it. */
	FP_OK: 24,
	/** 16 bytes: where bpf_probe_read_user puts what it reads. */
	TMP: 32,
	/** 1: look up pc - 1 (a return address); 0: pc is exact (frame 0, after a signal frame). */
	ADJ: 48,
	/** The first hash, which becomes the stack id. */
	H1: 56,
	/** Why the rule lookup failed, if a frame-pointer step then fails too. */
	WHY: 64,
	CFA: 72,
	/** aarch64: the link register x30 of frame 0 (the return address before a prologue saves it). */
	LR: 80,
	/** 1 while LR holds the current frame's x30 (frame 0 on aarch64), else 0. */
	LR_OK: 88,
	/** The record starts here: it is what the stacks map stores. */
	RECORD: 96,
} as const;

/** Record: { u64 h2; u32 tgid; u16 frames; u8 stop; u8 flags; u64 pcs[maxFrames] }. */
export const R = { H2: 0, TGID: 8, COUNT: 12, STOP: 14, FLAGS: 15, FRAMES: 16 } as const;

export function recordSize(maxFrames: number): number {
	return R.FRAMES + 8 * maxFrames;
}

export function scratchSize(maxFrames: number): number {
	return S.RECORD + recordSize(maxFrames);
}

/** Per-CPU u64 counters of the unwinder. */
export const Counter = {
	/** Stacks whose record could not be stored (stacks map full): their id has no frames. */
	STACKS_FULL: 0,
	/** Two different stacks with the same 64-bit id (the second hash differs): counted under COLLISION_ID. */
	COLLISIONS: 1,
	/** Walks in a process whose mappings were not loaded yet. */
	UNKNOWN_PROCESS: 2,
	/** Every walk. */
	WALKS: 3,
} as const;
export const COUNTER_SLOTS = 4;

/** Stack id of a stack whose id collided with another's: its frames are not kept. */
export const COLLISION_ID = 0xffffffffffffffffn;

/** Hash seeds and multipliers (odd, fitting a signed 32-bit immediate). */
export const HASH = { SEED1: 0x2545f491, SEED2: 0x61c88647, MUL1: 0x5bd1e995, MUL2: 0x27d4eb2d } as const;
