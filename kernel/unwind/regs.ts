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
import { archFor } from "../sys/arch.ts";

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
