// A stack walk over compact unwind tables, in JavaScript. It is the reference
// the kernel's walk (kernel/unwind/bpf.ts) follows step for step, the consumer
// of design (b) (a copy of the stack unwound in user space), and what tests use
// to check the kernel's frames against the same tables.
//
// x86_64 and aarch64. On aarch64 the return address of the interrupted function
// may still be in the link register x30 (at a function's entry, in a leaf before
// or without a prologue): the rule says "same value" and frame 0 takes it from
// the registers; beyond frame 0 x30 is not known, and such a rule stops the walk
// (except after a signal frame, whose saved context holds the interrupted x30).
//
// Signal frames. On x86_64 glibc's trampoline __restore_rt has call frame
// information that describes the saved context (an 'S' CIE; cfa.ts turns it
// into rules). On aarch64 the handler returns to the vDSO's
// __kernel_rt_sigreturn (glibc sets no sa_restorer; qemu's user mode has its own
// trampoline), whose CFI only names a frame record {x29, x30}: followed, it
// would skip the interrupted function and leave sp inside the signal frame. So
// the walk recognises the trampoline's two instructions, as gdb and libgcc do,
// and takes pc, sp, x29 and x30 from the struct rt_sigframe at sp.
import { Base, CfaKind, RegKind, RuleFlags, type UnwindArch, type UnwindRule } from "./cfa.ts";
import type { UnwindTable } from "./table.ts";

/** Why a walk ended. The numbers are shared with the BPF program and the stacks map. */
export const Stop = {
	/** The outermost frame was reached (return address undefined or 0). */
	END: 0,
	/** `maxFrames` frames were taken and the stack goes on. */
	TRUNCATED: 1,
	/** The process's mappings were not loaded yet. */
	NO_PROCESS: 2,
	/** The pc is in no known executable mapping (JIT code, garbage), and frame pointers did not help. */
	NO_MAPPING: 3,
	/** The pc's object has no table loaded (table space full), and frame pointers did not help. */
	NO_TABLE: 4,
	/** No call frame information covers the pc, and frame pointers did not help. */
	NO_INFO: 5,
	/** The information uses a rule dtop does not evaluate. */
	UNSUPPORTED: 6,
	/** User memory could not be read (unmapped, paged out, or beyond a copied stack). */
	READ_FAULT: 7,
	/** The next frame is impossible: its sp is not above this one's, or its pc is not canonical. */
	BAD_FRAME: 8,
	/** A rule needs the frame pointer, but an earlier frame lost it. */
	LOST_FP: 9,
	/** aarch64: the return address is in the link register, whose value is only known in frame 0. */
	LOST_RA: 10,
} as const;
export type StopReason = (typeof Stop)[keyof typeof Stop];

export const STOP_NAMES: Record<number, string> = {
	[Stop.END]: "complete",
	[Stop.TRUNCATED]: "truncated at the frame limit",
	[Stop.NO_PROCESS]: "process not known yet (frames by frame pointers)",
	[Stop.NO_MAPPING]: "pc outside every known mapping",
	[Stop.NO_TABLE]: "no unwind table loaded for the object",
	[Stop.NO_INFO]: "no unwind information for the pc",
	[Stop.UNSUPPORTED]: "unsupported unwind rule",
	[Stop.READ_FAULT]: "stack memory unreadable",
	[Stop.BAD_FRAME]: "impossible next frame",
	[Stop.LOST_FP]: "frame pointer lost",
	[Stop.LOST_RA]: "return address in a lost link register",
};

/** Flag bits beside the stop reason. */
export const WalkFlags = {
	/** At least one frame was found by following frame pointers (no unwind information there). */
	FP_FALLBACK: 1,
	/** The process was not loaded yet: the frames were found by frame pointers alone. */
	UNKNOWN_PROCESS: 2,
	/** The walk went through a signal frame (a trampoline into a signal handler). */
	SIGNAL_FRAME: 4,
} as const;

/** aarch64 `mov x8, #139` (__NR_rt_sigreturn) and `svc #0`: a signal trampoline's whole code. */
export const ARM64_SIGRETURN_INSNS = [0xd2801168, 0xd4000001] as const;
/**
 * Where the interrupted registers are, from sp in the trampoline (the struct
 * rt_sigframe of arch/arm64/kernel/signal.c): siginfo (128 bytes), then the
 * ucontext, whose uc_mcontext (struct sigcontext: fault_address, regs[31], sp,
 * pc, pstate) is 16-aligned at 128 + 176 = 304. x29 and x30 are adjacent, as
 * are sp and pc: two 16-byte reads.
 */
export const ARM64_SIGFRAME = {
	X29: 304 + 8 + 29 * 8,
	X30: 304 + 8 + 30 * 8,
	SP: 304 + 8 + 31 * 8,
	PC: 304 + 8 + 32 * 8,
} as const;

/** Largest distance followed from sp to a frame pointer (8 MiB: the default stack limit). */
export const FP_REACH = 8 << 20;
/** User addresses on x86_64 are below 2^47. */
export const USER_TOP = 2 ** 47;
/**
 * User addresses on aarch64 are below 2^48 (48-bit virtual addresses, as Debian's
 * kernels have them); a return address signed by pointer authentication carries
 * its code above them, which the walk strips (mask with ARM64_ADDRESS_MASK).
 */
export const ARM64_USER_TOP = 2 ** 48;

export function userTop(arch: UnwindArch): number {
	return arch === "arm64" ? ARM64_USER_TOP : USER_TOP;
}

/** Strips an aarch64 return address of its pointer-authentication code (exact below 2^53). */
export function stripRa(ra: number, arch: UnwindArch): number {
	return arch === "arm64" && ra >= ARM64_USER_TOP ? ra % ARM64_USER_TOP : ra;
}

export interface Registers {
	pc: number;
	sp: number;
	/** rbp (x29 on aarch64); undefined once lost. */
	fp: number | undefined;
	/** aarch64's link register x30 in frame 0; undefined elsewhere (and on x86_64). */
	lr?: number;
}

/** Where an object is mapped: table addresses are `pc - bias`. */
export interface MappedObject {
	start: number;
	end: number;
	bias: number;
	/** undefined: the object is known but its table is not loaded. */
	table: UnwindTable | undefined;
	/** The mapping's bytes from `start` (the vDSO's, read from the process), where known. */
	code?: Buffer;
}

export interface AddressSpace {
	/** The executable mapping holding pc, or undefined. */
	find(pc: number): MappedObject | undefined;
	/** The 32-bit instruction at `address`, where the code is known (for signal trampolines). */
	readCode?(address: number): number | undefined;
}

/** Reads a u64 of user memory, or undefined where it cannot. */
export type ReadU64 = (address: number) => number | undefined;

export interface WalkResult {
	/** Frame 0 is the interrupted pc; the others are return addresses. */
	frames: number[];
	stop: StopReason;
	flags: number;
}

/** Sorted mappings searched by binary search. */
export class MappingList implements AddressSpace {
	private readonly list: MappedObject[];
	constructor(list: MappedObject[]) {
		this.list = [...list].sort((a, b) => a.start - b.start);
	}
	find(pc: number): MappedObject | undefined {
		let lo = 0;
		let hi = this.list.length;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (this.list[mid].start <= pc) lo = mid + 1;
			else hi = mid;
		}
		const m = this.list[lo - 1];
		return m && pc < m.end ? m : undefined;
	}
	readCode(address: number): number | undefined {
		const m = this.find(address);
		const at = m?.code ? address - m.start : -1;
		return m?.code && at >= 0 && at + 4 <= m.code.length ? m.code.readUInt32LE(at) : undefined;
	}
}

/** Whether pc is at an aarch64 signal trampoline (`mov x8, #139; svc #0`). */
export function atSigreturn(space: AddressSpace, pc: number): boolean {
	return space.readCode?.(pc) === ARM64_SIGRETURN_INSNS[0] && space.readCode?.(pc + 4) === ARM64_SIGRETURN_INSNS[1];
}

/** A reader over a copy of the stack taken at `sp` (design (b)); everything else is unreadable. */
export function stackCopyReader(sp: number, copy: Buffer): ReadU64 {
	return (address) => {
		const at = address - sp;
		if (at < 0 || at + 8 > copy.length) return undefined;
		return copy.readUInt32LE(at + 4) * 0x100000000 + copy.readUInt32LE(at);
	};
}

function base(which: number, cfa: number, r: Registers): number | undefined {
	if (which === Base.CFA) return cfa;
	if (which === Base.SP) return r.sp;
	return r.fp;
}

/** One step by frame pointers: cfa = fp + 16, ra at fp + 8, saved fp at fp. */
function fpStep(r: Registers, read: ReadU64): { cfa: number; ra: number; fp: number } | undefined {
	const fp = r.fp;
	if (fp === undefined || fp < r.sp || fp - r.sp > FP_REACH || fp % 8 !== 0) return undefined;
	const ra = read(fp + 8);
	const saved = read(fp);
	if (ra === undefined || saved === undefined) return undefined;
	return { cfa: fp + 16, ra, fp: saved };
}

/**
 * Walks from `regs`. The algorithm, which the BPF program repeats exactly:
 * record pc; find its mapping and rule (at pc - 1 for return addresses, since
 * a call may be a function's last instruction); compute the CFA; read the
 * return address at its rule; recover the frame pointer; the caller's sp is
 * the CFA. Without information for the pc, one frame-pointer step is tried.
 */
export function walk(
	regs: Registers,
	space: AddressSpace,
	read: ReadU64,
	maxFrames: number,
	arch: UnwindArch = "x64",
): WalkResult {
	const top = userTop(arch);
	const frames: number[] = [];
	let flags = 0;
	const r: Registers = { ...regs };
	let exact = true; // frame 0's pc (and one after a signal frame) is not a return address
	for (;;) {
		if (frames.length >= maxFrames) return { frames, stop: Stop.TRUNCATED, flags };
		frames.push(r.pc);
		const m = space.find(r.pc);
		const lookupPc = exact ? r.pc : r.pc - 1;
		let rule: UnwindRule | undefined;
		let why: StopReason = Stop.NO_MAPPING;
		if (m?.table) {
			rule = m.table.lookup(lookupPc - m.bias);
			why = Stop.NO_INFO;
			if (rule.cfa === CfaKind.UNKNOWN) rule = undefined;
		} else if (m) why = Stop.NO_TABLE;
		let cfa: number;
		let ra: number | undefined;
		let fp: number | undefined;
		// An aarch64 leaf's CFA may equal sp (no frame yet): allowed once, when the return address is x30.
		let fromLr = false;
		if (!rule) {
			if (arch === "arm64" && atSigreturn(space, r.pc)) {
				// The interrupted context: its pc is exact, its x30 as good as frame 0's.
				const x29 = read(r.sp + ARM64_SIGFRAME.X29);
				const x30 = read(r.sp + ARM64_SIGFRAME.X30);
				const sp = read(r.sp + ARM64_SIGFRAME.SP);
				const pc = read(r.sp + ARM64_SIGFRAME.PC);
				if (x29 === undefined || x30 === undefined || sp === undefined || pc === undefined)
					return { frames, stop: Stop.READ_FAULT, flags };
				if (pc === 0) return { frames, stop: Stop.END, flags };
				if (sp <= r.sp || pc >= top) return { frames, stop: Stop.BAD_FRAME, flags };
				flags |= WalkFlags.SIGNAL_FRAME;
				Object.assign(r, { pc, sp, fp: x29, lr: x30 });
				exact = true;
				continue;
			}
			const step = fpStep(r, read);
			if (!step) return { frames, stop: why, flags };
			flags |= WalkFlags.FP_FALLBACK;
			({ cfa, ra, fp } = step);
			exact = false;
		} else {
			if (rule.cfa === CfaKind.UNSUPPORTED) return { frames, stop: Stop.UNSUPPORTED, flags };
			if (rule.ra === RegKind.UNDEFINED) return { frames, stop: Stop.END, flags };
			const inLr = rule.ra === RegKind.SAME && arch === "arm64";
			if (rule.ra !== RegKind.AT && !inLr) return { frames, stop: Stop.UNSUPPORTED, flags };
			const b = rule.cfaBase === Base.SP ? r.sp : r.fp;
			if (b === undefined) return { frames, stop: Stop.LOST_FP, flags };
			if (rule.cfa === CfaKind.REG) cfa = b + rule.cfaOffset;
			else if (rule.cfa === CfaKind.PLT) cfa = b + rule.cfaOffset + ((r.pc & 15) >= rule.extra ? 8 : 0);
			else {
				const v = read(b + rule.cfaOffset);
				if (v === undefined) return { frames, stop: Stop.READ_FAULT, flags };
				cfa = v + rule.extra;
			}
			if (inLr) {
				if (r.lr === undefined) return { frames, stop: Stop.LOST_RA, flags };
				ra = r.lr;
				fromLr = true;
			} else {
				const raAt = base(rule.raBase, cfa, r);
				if (raAt === undefined) return { frames, stop: Stop.LOST_FP, flags };
				ra = read(raAt + rule.raOffset);
				if (ra === undefined) return { frames, stop: Stop.READ_FAULT, flags };
			}
			if (rule.fp === RegKind.SAME) fp = r.fp;
			else if (rule.fp === RegKind.AT || rule.fp === RegKind.VALUE) {
				const at = base(rule.fpBase, cfa, r);
				// An unreadable saved frame pointer only matters if a later rule needs it.
				if (at === undefined) fp = undefined;
				else fp = rule.fp === RegKind.VALUE ? at + rule.fpOffset : read(at + rule.fpOffset);
			} else fp = undefined;
			exact = (rule.flags & RuleFlags.SIGNAL) !== 0;
			if (exact) flags |= WalkFlags.SIGNAL_FRAME;
		}
		ra = stripRa(ra, arch);
		if (ra === 0) return { frames, stop: Stop.END, flags };
		if (cfa < r.sp || (cfa === r.sp && !fromLr) || ra >= top || ra < 0) return { frames, stop: Stop.BAD_FRAME, flags };
		r.pc = ra;
		r.sp = cfa;
		r.fp = fp;
		r.lr = undefined;
	}
}
