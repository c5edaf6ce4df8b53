// The unwinder in BPF: a subprogram that walks the user stack of the current
// uprobe/perf-event context through the tables in kernel/unwind/maps.ts, leaves
// the frames in a per-CPU record, stores the record in the stacks map under a
// 64-bit content hash, and returns that hash as the stack id. It repeats
// kernel/unwind/walk.ts step for step (x86_64).
//
// Shape, for the verifier (checked on 6.18 here and Debian's 6.1 in the VM):
// - one bpf_loop (Linux 5.17+) whose callback unwinds one frame, so the loop is
//   verified once, whatever ustackframes is;
// - no data-dependent branches inside searches: the mapping search is a fixed
//   7-step branchless binary search over a fixed-size array, the row search a
//   12-step one that exits early (each step is `if n <= 1 goto found`, with no
//   precise values that would stop the verifier from pruning);
// - the walk's state lives in a per-CPU array value, not in registers or on the
//   stack: the subprogram uses 24 bytes of stack and the callback 16 (each frame
//   counts as 32 in the verifier's 512-byte budget for the whole call chain).
//
// Calling convention (a bpf-to-bpf call): R1 = pt_regs * (uprobe, kprobe and
// perf-event contexts start with the user registers of the interrupted task);
// returns R0 = the stack id (u64); R6–R9 are preserved, R1–R5 clobbered.
//
// aarch64 (the same walk, with x29 as the frame pointer): frame 0's link register
// x30 is kept in the scratch record, and a "same value" rule for the return
// address (a function's entry, a leaf without a frame) takes it from there; the
// CFA may then equal sp. Return addresses are stripped to 48 bits (pointer
// authentication signs them above the address). A pc without unwind information
// that holds the signal trampoline's `mov x8, #139; svc #0` (the vDSO's
// __kernel_rt_sigreturn) is a signal frame: the interrupted pc, sp, x29 and x30
// come from the rt_sigframe at sp (walk.ts ARM64_SIGFRAME), x30 usable as in frame 0.
import { type Asm, FP, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { type ArchName, archFor } from "../sys/arch.ts";
import { Base, CfaKind, RegKind, RuleFlags } from "./cfa.ts";
import {
	COLLISION_ID,
	Counter,
	ENT_BIAS,
	ENT_END,
	ENT_OBJECT,
	ENT_START,
	HASH,
	JIT_OBJECT,
	MAPPING_STEPS,
	MAX_MAPPINGS,
	PROC_ENTRY,
	PROC_HEADER,
	R,
	ROW_SEARCH_STEPS,
	S,
} from "./layout.ts";
import { walkRegs } from "./regs.ts";
import { ARM64_SIGFRAME, ARM64_SIGRETURN_INSNS, ARM64_USER_TOP, FP_REACH, Stop, userTop, WalkFlags } from "./walk.ts";

/** The map fds the generated code refers to. */
export interface UnwindMapFds {
	scratch: number;
	procs: number;
	objects: number;
	pages: number;
	rows: number;
	rules: number;
	stacks: number;
	counters: number;
	unknownPids: number;
}

export interface UstackCodeOptions {
	maps: UnwindMapFds;
	/** Most frames kept (DTrace's ustackframes); the record and the stacks map are sized for it. */
	maxFrames: number;
	/** Label prefix, so that two unwinders (different scratch maps) can live in one program. */
	prefix?: string;
	/** The architecture of the code generated (default: this machine's). */
	arch?: ArchName;
}

const EEXIST = 17;
const BPF_NOEXIST = 1;
const REC = S.RECORD;
/** The trampoline's two instructions as one little-endian u64. */
const SIGRETURN_U64 = (BigInt(ARM64_SIGRETURN_INSNS[1]) << 32n) | BigInt(ARM64_SIGRETURN_INSNS[0]);

/** Emits the unwinder's subprograms and the calls to it. */
export class UstackCode {
	readonly entry: string;
	private readonly p: string;
	private readonly m: UnwindMapFds;
	private readonly max: number;
	private readonly arch: ArchName;
	private n = 0;

	constructor(opts: UstackCodeOptions) {
		if (!Number.isInteger(opts.maxFrames) || opts.maxFrames < 1 || opts.maxFrames > 1024) {
			throw new Error(`ustackframes must be between 1 and 1024, not ${opts.maxFrames}.`);
		}
		this.p = opts.prefix ?? "ustack";
		this.entry = `${this.p}_walk`;
		this.m = opts.maps;
		this.max = opts.maxFrames;
		this.arch = opts.arch ?? archFor().name;
	}

	/** A call to the unwinder: R1 = ctx, and R0 = the stack id afterwards. */
	call(a: Asm, ctx: typeof R1): void {
		if (ctx !== R1) a.mov(R1, ctx);
		a.callLocal(this.entry);
	}

	/** The subprograms. Emit once, after the main program's last instruction (its exit). */
	emit(a: Asm): void {
		this.emitEntry(a);
		this.emitStep(a);
	}

	private l(name: string): string {
		return `${this.p}_${name}`;
	}

	private fresh(name: string): string {
		return `${this.p}_${name}_${this.n++}`;
	}

	/** counters[slot] += 1 (atomically: an NMI-context program may share the counters). Uses fp-4, R0–R5. */
	private count(a: Asm, slot: number): void {
		const skip = this.fresh("ctr");
		a.st(4, FP, -4, slot);
		a.ldMapFd(R1, this.m.counters).mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem);
		a.jeq(R0, 0, skip).mov(R1, 1).atomicAdd(8, R0, 0, R1).label(skip);
	}

	/** R_dst = *(u32 *)(fp-4)-keyed lookup in `fd`; jumps to `miss` on NULL. Key from `key`. */
	private lookup(a: Asm, fd: number, key: typeof R1, miss: string): void {
		a.stx(4, FP, -4, key);
		a.ldMapFd(R1, fd).mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem);
		a.jeq(R0, 0, miss);
	}

	/** h = (h ^ v) * mul; h ^= h >> shift (R1 = h in, out; R2 scratch). */
	private mix(a: Asm, v: typeof R1, mul: number, shift: number): void {
		a.xor(R1, v).mul(R1, mul).mov(R2, R1).rsh(R2, shift).xor(R1, R2);
	}

	private emitEntry(a: Asm): void {
		const m = this.m;
		const unknown = this.l("unknown");
		const finish = this.l("finish");
		const exists = this.l("exists");
		const done = this.l("done");
		a.label(this.entry);
		a.mov(R6, R1);
		a.st(4, FP, -4, 0);
		a.ldMapFd(R1, m.scratch).mov(R2, FP).add(R2, -4).call(Helper.map_lookup_elem);
		a.jne(R0, 0, this.l("have_scratch"));
		// A per-CPU array's only key always exists; this keeps the verifier satisfied.
		a.ldImm64(R0, COLLISION_ID).exit();
		a.label(this.l("have_scratch"));
		a.mov(R7, R0);
		const w = walkRegs(this.arch);
		a.ldx(8, R1, R6, w.pc).stx(8, R7, S.PC, R1);
		a.ldx(8, R1, R6, w.sp).stx(8, R7, S.SP, R1);
		a.ldx(8, R1, R6, w.fp).stx(8, R7, S.FP, R1);
		a.st(8, R7, S.FP_OK, 1).st(8, R7, S.ADJ, 0).st(8, R7, S.LR_OK, 0);
		if (w.lr !== undefined) a.ldx(8, R1, R6, w.lr).stx(8, R7, S.LR, R1).st(8, R7, S.LR_OK, 1);
		a.st(8, R7, S.H1, HASH.SEED1).st(8, R7, REC + R.H2, HASH.SEED2);
		a.call(Helper.get_current_pid_tgid).rsh(R0, 32).mov(R8, R0);
		a.stx(4, R7, REC + R.TGID, R8);
		a.st(2, R7, REC + R.COUNT, 0)
			.st(1, R7, REC + R.STOP, Stop.TRUNCATED)
			.st(1, R7, REC + R.FLAGS, 0);
		this.count(a, Counter.WALKS);
		this.lookup(a, m.procs, R8, unknown);
		a.label(this.l("loop"));
		// bpf_loop's context: { scratch, proc } on this frame's stack (6.1 wants a stack pointer).
		a.stx(8, FP, -24, R7).stx(8, FP, -16, R0);
		a.mov(R1, this.max).ldFunc(R2, this.l("step")).mov(R3, FP).add(R3, -24).mov(R4, 0).call(Helper.loop);
		a.ja(finish);

		a.label(unknown);
		// Not known yet: count it, tell user space which process to load, and walk
		// by frame pointers alone (procs[0] has no mappings: every pc takes the
		// frame-pointer step), as bpf_get_stackid would; the record says so.
		this.count(a, Counter.UNKNOWN_PROCESS);
		a.st(8, R7, S.TMP, 0).stx(4, FP, -4, R8);
		a.ldMapFd(R1, m.unknownPids).mov(R2, FP).add(R2, -4).mov(R3, R7).add(R3, S.TMP).mov(R4, BPF_NOEXIST);
		a.call(Helper.map_update_elem);
		a.mov(R3, 0);
		this.lookup(a, m.procs, R3, this.l("frame0"));
		a.st(1, R7, REC + R.FLAGS, WalkFlags.UNKNOWN_PROCESS).ja(this.l("loop"));
		a.label(this.l("frame0"));
		// No empty entry (user space did not write it): keep the pc alone.
		a.ldx(8, R1, R7, S.PC).stx(8, R7, REC + R.FRAMES, R1);
		a.st(2, R7, REC + R.COUNT, 1).st(1, R7, REC + R.STOP, Stop.NO_PROCESS);
		a.ldx(8, R1, R7, REC + R.FRAMES).ldx(8, R2, R7, S.H1);
		a.xor(R2, R1).stx(8, R7, S.H1, R2);
		a.ldx(8, R2, R7, REC + R.H2)
			.xor(R2, R1)
			.stx(8, R7, REC + R.H2, R2);

		a.label(finish);
		// Fold tgid, frame count, stop reason and flags (one u64) into both hashes.
		a.ldx(8, R3, R7, REC + R.TGID);
		a.ldx(8, R1, R7, S.H1);
		this.mix(a, R3, HASH.MUL1, 29);
		this.mix(a, R3, HASH.MUL2, 32);
		a.jne(R1, -1, this.l("id_ok")).mov(R1, 0).label(this.l("id_ok"));
		a.stx(8, R7, S.H1, R1);
		a.ldx(8, R1, R7, REC + R.H2);
		this.mix(a, R3, HASH.MUL2, 31);
		this.mix(a, R3, HASH.MUL1, 30);
		a.stx(8, R7, REC + R.H2, R1);
		a.ldMapFd(R1, m.stacks).mov(R2, R7).add(R2, S.H1).call(Helper.map_lookup_elem);
		a.jne(R0, 0, exists);
		a.ldMapFd(R1, m.stacks).mov(R2, R7).add(R2, S.H1).mov(R3, R7).add(R3, REC).mov(R4, BPF_NOEXIST);
		a.call(Helper.map_update_elem);
		a.jeq(R0, 0, done).jeq(R0, -EEXIST, done);
		this.count(a, Counter.STACKS_FULL);
		a.ja(done);
		a.label(exists);
		a.ldx(8, R1, R0, R.H2)
			.ldx(8, R2, R7, REC + R.H2)
			.jeq(R1, R2, done);
		this.count(a, Counter.COLLISIONS);
		a.ldImm64(R0, COLLISION_ID).exit();
		a.label(done);
		a.ldx(8, R0, R7, S.H1).exit();
	}

	/** R4 = the value of base `kind` (in R1: Base.CFA/SP/FP), CFA in R3; jumps to lost-fp. Clobbers R4, R5. */
	private baseValue(a: Asm, kind: typeof R1): void {
		const ok = this.fresh("base");
		a.mov(R4, R3).jeq(kind, Base.CFA, ok);
		a.ldx(8, R4, R6, S.SP).jeq(kind, Base.SP, ok);
		a.ldx(8, R5, R6, S.FP_OK).jeq(R5, 0, this.l("stop_lostfp"));
		a.ldx(8, R4, R6, S.FP);
		a.label(ok);
	}

	/** record flags |= bit (R1 clobbered). */
	private flag(a: Asm, bit: number): void {
		a.ldx(1, R1, R6, REC + R.FLAGS)
			.or(R1, bit)
			.stx(1, R6, REC + R.FLAGS, R1);
	}

	/**
	 * aarch64, a pc without unwind information: if it holds the signal trampoline,
	 * step into the interrupted context (walk.ts does the same) and end this frame;
	 * otherwise fall through to the frame-pointer step.
	 */
	private emitSigreturn(a: Asm): void {
		const L = (n: string) => this.l(n);
		a.ldx(8, R3, R6, S.PC);
		this.readUser(a, 8, R3, L("no_sigreturn"));
		a.ldx(8, R1, R6, S.TMP).ldImm64(R2, SIGRETURN_U64).jne(R1, R2, L("no_sigreturn"));
		a.ldx(8, R3, R6, S.SP).add(R3, ARM64_SIGFRAME.X29);
		this.readUser(a, 16, R3, L("stop_fault"));
		a.ldx(8, R1, R6, S.TMP).stx(8, R6, S.FP, R1).st(8, R6, S.FP_OK, 1);
		a.ldx(8, R1, R6, S.TMP + 8)
			.stx(8, R6, S.LR, R1)
			.st(8, R6, S.LR_OK, 1);
		a.ldx(8, R3, R6, S.SP).add(R3, ARM64_SIGFRAME.SP);
		this.readUser(a, 16, R3, L("stop_fault"));
		a.ldx(8, R3, R6, S.TMP).ldx(8, R8, R6, S.TMP + 8); // the interrupted sp and pc
		a.jeq(R8, 0, L("stop_end"));
		a.ldx(8, R4, R6, S.SP).jle(R3, R4, L("stop_bad"));
		a.ldImm64(R5, userTop(this.arch)).jge(R8, R5, L("stop_bad"));
		a.stx(8, R6, S.SP, R3).stx(8, R6, S.PC, R8).st(8, R6, S.ADJ, 0);
		this.flag(a, WalkFlags.SIGNAL_FRAME);
		a.mov(R0, 0).exit();
		a.label(L("no_sigreturn"));
	}

	/** R1 = dst (scratch TMP), R2 = size, R3 = src; bpf_probe_read_user; jumps to `fail` on error. */
	private readUser(a: Asm, size: number, src: typeof R1, fail: string): void {
		if (src !== R3) a.mov(R3, src);
		a.mov(R1, R6).add(R1, S.TMP).mov(R2, size).call(Helper.probe_read_user);
		a.jne(R0, 0, fail);
	}

	/** One frame per call: (R1 = index, R2 = &{scratch, proc}) → 0 to go on, 1 to stop. */
	private emitStep(a: Asm): void {
		const m = this.m;
		const L = (n: string) => this.l(n);
		a.label(L("step"));
		a.ldx(8, R6, R2, 0).ldx(8, R7, R2, 8).mov(R8, R1);
		a.jge(R8, this.max, L("stop_trunc"));
		a.ldx(8, R9, R6, S.PC);
		a.mov(R2, R8)
			.lsh(R2, 3)
			.mov(R1, R6)
			.add(R1, R2)
			.stx(8, R1, REC + R.FRAMES, R9);
		a.mov(R1, R8)
			.add(R1, 1)
			.stx(2, R6, REC + R.COUNT, R1);
		a.ldx(8, R1, R6, S.H1);
		this.mix(a, R9, HASH.MUL1, 29);
		a.stx(8, R6, S.H1, R1).ldx(8, R1, R6, REC + R.H2);
		this.mix(a, R9, HASH.MUL2, 31);
		a.stx(8, R6, REC + R.H2, R1);
		a.ldx(8, R1, R6, S.ADJ).sub(R9, R1); // R9 = the pc to look up

		// The mapping: the last entry whose start <= pc, found in MAPPING_STEPS branchless steps.
		const mask = (MAX_MAPPINGS - 1) * PROC_ENTRY;
		a.mov(R1, 0);
		for (let step = MAX_MAPPINGS >> 1, i = 0; i < MAPPING_STEPS; step >>= 1, i++) {
			a.mov(R2, R1).add(R2, step).lsh(R2, 5).and(R2, mask);
			a.mov(R3, R7)
				.add(R3, R2)
				.ldx(8, R3, R3, PROC_HEADER + ENT_START);
			a.mov(R4, R9).sub(R4, R3).arsh(R4, 63).xor(R4, -1).and(R4, step).add(R1, R4);
		}
		a.lsh(R1, 5).and(R1, mask).add(R7, R1);
		a.ldx(8, R3, R7, PROC_HEADER + ENT_START).jgt(R3, R9, L("nomap"));
		a.ldx(8, R3, R7, PROC_HEADER + ENT_END).jge(R9, R3, L("nomap"));
		a.ldx(4, R3, R7, PROC_HEADER + ENT_OBJECT).jeq32(R3, JIT_OBJECT, L("nomap"));
		a.ldx(8, R2, R7, PROC_HEADER + ENT_BIAS).sub(R9, R2); // R9 = address in the object's table
		a.mov(R2, R9).rsh(R2, 32).jne(R2, 0, L("noinfo"));

		// The object's page, then the row: the last one whose address <= R9.
		this.lookup(a, m.objects, R3, L("notable"));
		a.ldx(4, R1, R0, 4).jeq(R1, 0, L("notable"));
		a.mov(R2, R9).rsh(R2, 12).jge(R2, R1, L("noinfo"));
		a.ldx(4, R1, R0, 0).add(R1, R2);
		this.lookup(a, m.pages, R1, L("noinfo"));
		a.ldx(4, R7, R0, 0).ldx(4, R8, R0, 4).jeq(R8, 0, L("noinfo"));
		for (let i = 0; i < ROW_SEARCH_STEPS; i++) {
			a.jle(R8, 1, L("found"));
			a.mov(R1, R8).rsh(R1, 1).stx(8, FP, -16, R1);
			a.mov(R2, R7).add(R2, R1);
			this.lookup(a, m.rows, R2, L("noinfo"));
			a.ldx(4, R3, R0, 0).mov(R4, R9).sub(R4, R3).arsh(R4, 63).xor(R4, -1);
			a.ldx(8, R1, FP, -16).mov(R5, R1).and(R5, R4).add(R7, R5).sub(R8, R1);
		}
		a.label(L("found"));
		this.lookup(a, m.rows, R7, L("noinfo"));
		a.ldx(4, R3, R0, 0).jgt(R3, R9, L("noinfo"));
		a.ldx(4, R3, R0, 4);
		this.lookup(a, m.rules, R3, L("stop_unsupported"));
		a.mov(R7, R0); // R7 = the rule

		// The CFA.
		a.ldx(1, R1, R7, 0).mov(R2, R1).and(R2, 15).rsh(R1, 4);
		a.jeq(R2, CfaKind.UNKNOWN, L("noinfo")).jeq(R2, CfaKind.UNSUPPORTED, L("stop_unsupported"));
		a.ldx(1, R3, R7, 2).and(R3, 15);
		a.jeq(R3, RegKind.UNDEFINED, L("stop_end"));
		if (this.arch === "arm64") a.jeq(R3, RegKind.SAME, L("ra_ok"));
		a.jne(R3, RegKind.AT, L("stop_unsupported"));
		a.label(L("ra_ok"));
		a.ldx(8, R3, R6, S.SP).jne(R1, Base.FP, L("cfa_base"));
		a.ldx(8, R4, R6, S.FP_OK).jeq(R4, 0, L("stop_lostfp"));
		a.ldx(8, R3, R6, S.FP);
		a.label(L("cfa_base"));
		a.ldx(4, R4, R7, 4).lsh(R4, 32).arsh(R4, 32).add(R3, R4);
		a.jeq(R2, CfaKind.REG, L("cfa_done")).jeq(R2, CfaKind.PLT, L("cfa_plt"));
		this.readUser(a, 8, R3, L("stop_fault")); // DEREF
		a.ldx(8, R3, R6, S.TMP).ldx(1, R4, R7, 14).add(R3, R4).ja(L("cfa_done"));
		a.label(L("cfa_plt"));
		a.ldx(8, R4, R6, S.PC).and(R4, 15).ldx(1, R5, R7, 14).sub(R4, R5).arsh(R4, 63).xor(R4, -1).and(R4, 8);
		a.add(R3, R4);
		a.label(L("cfa_done"));
		a.stx(8, R6, S.CFA, R3);

		// The return address (R8): in memory, or (aarch64, frame 0) in x30, which
		// LR_OK = 2 then marks as used (the CFA may equal sp in that one step).
		if (this.arch === "arm64") {
			a.ldx(1, R1, R7, 2).and(R1, 15).jne(R1, RegKind.SAME, L("ra_mem"));
			a.ldx(8, R1, R6, S.LR_OK).jeq(R1, 0, L("stop_lostra"));
			a.ldx(8, R8, R6, S.LR).st(8, R6, S.LR_OK, 2).ja(L("ra_done"));
			a.label(L("ra_mem"));
		}
		a.ldx(1, R1, R7, 2).rsh(R1, 4);
		this.baseValue(a, R1);
		a.ldx(2, R5, R7, 12).lsh(R5, 48).arsh(R5, 48).add(R4, R5);
		this.readUser(a, 8, R4, L("stop_fault"));
		a.ldx(8, R8, R6, S.TMP);
		a.label(L("ra_done"));

		// The caller's frame pointer.
		a.ldx(1, R1, R7, 1).mov(R2, R1).and(R2, 15).rsh(R1, 4);
		a.jeq(R2, RegKind.SAME, L("fp_done"));
		a.jeq(R2, RegKind.AT, L("fp_at")).jeq(R2, RegKind.VALUE, L("fp_at"));
		a.st(8, R6, S.FP_OK, 0).ja(L("fp_done"));
		a.label(L("fp_at"));
		a.stx(8, FP, -16, R2).ldx(8, R3, R6, S.CFA);
		this.baseValue(a, R1);
		a.ldx(4, R5, R7, 8).lsh(R5, 32).arsh(R5, 32).add(R4, R5);
		a.ldx(8, R2, FP, -16).jne(R2, RegKind.VALUE, L("fp_read"));
		a.stx(8, R6, S.FP, R4).st(8, R6, S.FP_OK, 1).ja(L("fp_done"));
		a.label(L("fp_read"));
		// An unreadable saved frame pointer only matters if a later rule needs it.
		a.st(8, R6, S.FP_OK, 0);
		this.readUser(a, 8, R4, L("fp_done"));
		a.ldx(8, R1, R6, S.TMP).stx(8, R6, S.FP, R1).st(8, R6, S.FP_OK, 1);
		a.label(L("fp_done"));
		a.ldx(1, R1, R7, 3).and(R1, RuleFlags.SIGNAL).xor(R1, RuleFlags.SIGNAL).stx(8, R6, S.ADJ, R1);
		a.jne(R1, 0, L("not_signal"));
		this.flag(a, WalkFlags.SIGNAL_FRAME);
		a.label(L("not_signal"));
		a.ldx(8, R3, R6, S.CFA).ja(L("next"));

		// No rule for the pc: one frame-pointer step (cfa = fp + 16, [fp] = caller's fp, [fp + 8] = ra).
		a.label(L("nomap")).st(8, R6, S.WHY, Stop.NO_MAPPING).ja(L("fpstep"));
		a.label(L("notable")).st(8, R6, S.WHY, Stop.NO_TABLE).ja(L("fpstep"));
		a.label(L("noinfo")).st(8, R6, S.WHY, Stop.NO_INFO);
		a.label(L("fpstep"));
		if (this.arch === "arm64") this.emitSigreturn(a);
		a.ldx(8, R4, R6, S.FP_OK).jeq(R4, 0, L("stop_why"));
		a.ldx(8, R3, R6, S.FP).ldx(8, R4, R6, S.SP).jlt(R3, R4, L("stop_why"));
		a.mov(R5, R3).sub(R5, R4).jgt(R5, FP_REACH, L("stop_why"));
		a.mov(R5, R3).and(R5, 7).jne(R5, 0, L("stop_why"));
		this.readUser(a, 16, R3, L("stop_why"));
		a.ldx(8, R3, R6, S.FP).add(R3, 16);
		a.ldx(8, R1, R6, S.TMP).stx(8, R6, S.FP, R1);
		a.ldx(8, R8, R6, S.TMP + 8);
		this.flag(a, WalkFlags.FP_FALLBACK);
		a.st(8, R6, S.ADJ, 1);

		// R3 = the caller's sp (the CFA), R8 = its pc (the return address).
		a.label(L("next"));
		if (this.arch === "arm64") {
			// Strip a pointer-authentication code; then 0 still ends the stack.
			a.ldImm64(R5, ARM64_USER_TOP - 1).and(R8, R5);
		}
		a.jeq(R8, 0, L("stop_end"));
		a.ldx(8, R4, R6, S.SP);
		if (this.arch === "arm64") {
			a.jlt(R3, R4, L("stop_bad")).jgt(R3, R4, L("sp_ok"));
			a.ldx(8, R5, R6, S.LR_OK).jne(R5, 2, L("stop_bad"));
			a.label(L("sp_ok"));
			a.st(8, R6, S.LR_OK, 0);
		} else a.jle(R3, R4, L("stop_bad"));
		a.ldImm64(R5, userTop(this.arch)).jge(R8, R5, L("stop_bad"));
		a.stx(8, R6, S.SP, R3).stx(8, R6, S.PC, R8);
		a.mov(R0, 0).exit();

		for (const [name, why] of [
			["stop_trunc", Stop.TRUNCATED],
			["stop_end", Stop.END],
			["stop_unsupported", Stop.UNSUPPORTED],
			["stop_fault", Stop.READ_FAULT],
			["stop_bad", Stop.BAD_FRAME],
			["stop_lostfp", Stop.LOST_FP],
			...(this.arch === "arm64" ? ([["stop_lostra", Stop.LOST_RA]] as const) : []),
		] as const) {
			a.label(L(name)).mov(R1, why).ja(L("stop"));
		}
		a.label(L("stop_why")).ldx(8, R1, R6, S.WHY);
		a.label(L("stop"))
			.stx(1, R6, REC + R.STOP, R1)
			.mov(R0, 1)
			.exit();
	}
}
