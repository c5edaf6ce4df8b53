// Built-in variables that need more than one helper call: ppid and vtimestamp
// (fields of the current task_struct, at offsets the kernel's BTF gives),
// walltimestamp (the monotonic clock plus the wall clock's offset from it),
// errno (a system call's return), uregs[] (the user registers), and the depths
// of the kernel and user stacks.
import { R0, R1, R2, R3, R4, R6, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { emitTaskRegs } from "../unwind/regs.ts";
import { CodegenError, type State, slot } from "./compile.ts";
import { BUF_STR_B, type IntExpr, STACK_DEPTH } from "./ir.ts";

export type BuiltinVar = Extract<IntExpr, { k: "xvar" }>;

const BPF_F_USER_STACK = 1 << 8;
/** Where compile.ts's loadBuf keeps the per-CPU buffer's address. */
const BUF_PTR = -120;

/** Evaluate one of these built-in variables into R0. Clobbers R1-R5. */
export function evalBuiltinVar(s: State, e: BuiltinVar): void {
	const a = s.a;
	const v = e.v;
	switch (v.name) {
		case "ppid": {
			// task->real_parent->tgid: two kernel reads; a failed read is 0 (no parent).
			const tmp = slot(s.depth);
			const fail = `ppid_fail_${s.labels++}`;
			const done = `ppid_done_${s.labels++}`;
			a.st(8, R10, tmp, 0);
			a.call(Helper.get_current_task).mov(R3, R0).add(R3, v.parentOffset);
			a.mov(R1, R10).add(R1, tmp).mov(R2, 8).call(Helper.probe_read_kernel).jne(R0, 0, fail);
			a.ldx(8, R3, R10, tmp).jeq(R3, 0, fail).add(R3, v.tgidOffset);
			a.st(8, R10, tmp, 0);
			a.mov(R1, R10).add(R1, tmp).mov(R2, 4).call(Helper.probe_read_kernel).jne(R0, 0, fail);
			a.ldx(4, R0, R10, tmp).ja(done);
			a.label(fail).mov(R0, 0);
			a.label(done);
			return;
		}
		case "vtimestamp": {
			// task->se.sum_exec_runtime: the thread's time on a CPU as the scheduler last
			// accounted it (at a tick, a switch or a wakeup), so it lags by at most a tick.
			const tmp = slot(s.depth);
			a.st(8, R10, tmp, 0);
			a.call(Helper.get_current_task).mov(R3, R0).add(R3, v.offset);
			a.mov(R1, R10).add(R1, tmp).mov(R2, 8).call(Helper.probe_read_kernel);
			a.ldx(8, R0, R10, tmp);
			return;
		}
		case "walltimestamp":
			a.call(Helper.ktime_get_ns);
			if (v.offset >= -0x80000000n && v.offset <= 0x7fffffffn) a.add(R0, Number(v.offset));
			else a.ldImm64(R1, v.offset).add(R0, R1);
			return;
		case "errno": {
			if (s.p.ctx !== "syscall-exit")
				throw new CodegenError("errno is set only at system call returns (syscall::*:return) in dtop.");
			// raw_syscalls:sys_exit: long ret at offset 16; -4095..-1 is -errno.
			const none = `errno_none_${s.labels++}`;
			const done = `errno_done_${s.labels++}`;
			a.ldx(8, R0, R6, 16);
			a.jsge(R0, 0, none).jslt(R0, -4095, none).neg(R0).ja(done);
			a.label(none).mov(R0, 0);
			a.label(done);
			return;
		}
		case "uregs": {
			if (s.p.ctx === "uprobe" || s.p.ctx === "uprobe-multi") {
				a.ldx(8, R0, R6, v.offset);
				return;
			}
			const r = emitTaskRegs(a);
			a.ldx(8, R0, r, v.offset);
			return;
		}
		case "stackdepth":
		case "ustackdepth": {
			if (s.p.bufFd === undefined) throw new CodegenError(`${v.name} needs the per-CPU buffer.`);
			// bpf_get_stack into the buffer's second string area: bytes / 8 frames.
			const done = `sd_done_${s.labels++}`;
			a.mov(R1, R6);
			a.ldx(8, R2, R10, BUF_PTR).add(R2, BUF_STR_B);
			a.mov(R3, STACK_DEPTH * 8).mov(R4, v.name === "ustackdepth" ? BPF_F_USER_STACK : 0);
			a.call(Helper.get_stack);
			a.jsge(R0, 0, done).mov(R0, 0);
			a.label(done).rsh(R0, 3);
			return;
		}
		case "caller":
		case "ucaller": {
			if (s.p.bufFd === undefined) throw new CodegenError(`${v.name} needs the per-CPU buffer.`);
			// Two frames of the stack: the second is the caller's return address.
			const none = `caller_none_${s.labels++}`;
			const done = `caller_done_${s.labels++}`;
			a.mov(R1, R6);
			a.ldx(8, R2, R10, BUF_PTR).add(R2, BUF_STR_B);
			a.mov(R3, 16).mov(R4, v.name === "ucaller" ? BPF_F_USER_STACK : 0);
			a.call(Helper.get_stack);
			a.jslt(R0, 16, none);
			a.ldx(8, R1, R10, BUF_PTR)
				.ldx(8, R0, R1, BUF_STR_B + 8)
				.ja(done);
			a.label(none).mov(R0, 0);
			a.label(done);
			return;
		}
	}
}
