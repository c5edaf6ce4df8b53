// Where the walk finds the user registers. A uprobe's context is the user
// pt_regs itself. Anywhere else (system calls, tracepoints, perf samples,
// kprobes) the registers the task had when it last entered the kernel are at
// the top of its kernel stack: bpf_task_pt_regs(bpf_get_current_task_btf())
// (Linux 5.15+, with the kernel's BTF). For a perf sample taken in user mode
// they are the interrupted registers; in kernel mode, those of the system call
// or interrupt that entered it, which is the user stack a sample there has.
import { Asm, R0, R1, type Reg } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { Program, ProgType } from "../bpf/program.ts";
import { ARCHES, type ArchName, archFor } from "../sys/arch.ts";

export type UserRegs = "ctx" | "task";

/** R0 = the current task's user pt_regs (a BTF pointer the walk reads fields of). Clobbers R1-R5. */
export function emitTaskRegs(a: Asm): Reg {
	a.call(Helper.get_current_task_btf).mov(R1, R0).call(Helper.task_pt_regs);
	return R0;
}

let taskRegs: boolean | undefined;

/** Whether this kernel lets tracing programs read a task's user registers (tried once, by loading a probe). */
export function taskRegsSupported(): boolean {
	if (taskRegs !== undefined) return taskRegs;
	const a = new Asm();
	emitTaskRegs(a);
	const t = archFor();
	a.ldx(8, R0, R0, t.regs[t.spReg]).mov(R0, 0).exit();
	try {
		Program.load({ type: ProgType.TRACEPOINT, insns: a, name: "probe_taskregs", license: "GPL" }).close();
		taskRegs = true;
	} catch {
		taskRegs = false;
	}
	return taskRegs;
}

/**
 * The registers a user stack walk starts from, as byte offsets into `struct
 * pt_regs`: the pc, the stack pointer, the frame pointer (rbp, x29) and, on
 * aarch64, the link register x30 (the return address of a function that has not
 * saved it yet). The in-kernel walk (bpf.ts) and the stack copy (copy.ts) both
 * read them from here, in this order.
 */
export interface WalkRegs {
	pc: number;
	sp: number;
	fp: number;
	/** aarch64's x30; undefined on x86_64, which has no link register. */
	lr: number | undefined;
}

export function walkRegs(arch: ArchName): WalkRegs {
	const t = ARCHES[arch];
	return {
		pc: t.regs[t.ipReg],
		sp: t.regs[t.spReg],
		fp: t.regs[t.fpReg],
		lr: arch === "arm64" ? t.regs.lr : undefined,
	};
}

/** The walk's registers in the order a stack-copy record stores them (pc, sp, fp[, lr]). */
export function walkRegList(arch: ArchName): number[] {
	const w = walkRegs(arch);
	return w.lr === undefined ? [w.pc, w.sp, w.fp] : [w.pc, w.sp, w.fp, w.lr];
}
