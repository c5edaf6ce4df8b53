// execargs / psargs: the process's arguments, as `ps` shows them. The kernel
// keeps them in the process's memory between mm->arg_start and mm->arg_end,
// each NUL-terminated; they are read with bpf_probe_read_user (at most
// strsize - 1 bytes) and the NULs between them become spaces. The offsets in
// task_struct and mm_struct come from the kernel's BTF. A kernel thread (no
// mm) has no arguments: "".
import { R0, R1, R2, R3, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { CodegenError, label, type State, slot } from "./compile.ts";
import type { StrExpr } from "./ir.ts";
import { bufAt } from "./strings.ts";
import { readUser } from "./user-read.ts";

export type ExecArgs = Extract<StrExpr, { k: "execargs" }>;

/** The arguments into the buffer at `off` (already zeroed), at most `n` bytes with the NUL. */
export function materializeExecArgs(s: State, e: ExecArgs, off: number, n: number): void {
	const a = s.a;
	if (s.depth + 2 > 12) throw new CodegenError("expression is nested too deeply to compile (more than 12 levels).");
	const tmp = slot(s.depth);
	const start = slot(s.depth + 1);
	const done = label(s, "xa_done");
	const read = (field: number) => {
		// tmp = *(u64 *)(tmp + field), from kernel memory; 0 when unreadable.
		a.ldx(8, R3, R10, tmp).add(R3, field);
		a.st(8, R10, tmp, 0);
		a.mov(R1, R10).add(R1, tmp).mov(R2, 8).call(Helper.probe_read_kernel);
	};
	a.call(Helper.get_current_task).stx(8, R10, tmp, R0);
	read(e.mmOffset);
	a.ldx(8, R0, R10, tmp).jeq(R0, 0, done);
	a.stx(8, R10, start, R0);
	read(e.startOffset);
	a.ldx(8, R0, R10, tmp);
	a.ldx(8, R3, R10, start).stx(8, R10, start, R0).stx(8, R10, tmp, R3);
	read(e.endOffset);
	// len = min(arg_end - arg_start, n - 1); nothing when not positive.
	a.ldx(8, R2, R10, tmp).ldx(8, R3, R10, start).sub(R2, R3);
	const fits = label(s, "xa_fits");
	a.jsle(R2, n - 1, fits).mov(R2, n - 1);
	a.label(fits);
	a.jslt(R2, 1, done);
	a.stx(8, R10, tmp, R2);
	bufAt(s, R1, off);
	readUser(s);
	a.jne(R0, 0, done);
	// The NULs between arguments become spaces (the last byte read stays: the final NUL).
	const loop = label(s, "xa_loop");
	const next = label(s, "xa_next");
	a.ldx(8, R2, R10, tmp).sub(R2, 1).stx(8, R10, tmp, R2);
	a.mov(R3, 0);
	a.label(loop);
	a.jge(R3, n - 1, done);
	a.ldx(8, R2, R10, tmp).jge(R3, R2, done);
	bufAt(s, R1, off);
	a.add(R1, R3).ldx(1, R0, R1, 0).jne(R0, 0, next);
	a.st(1, R1, 0, 0x20);
	a.label(next);
	a.add(R3, 1).ja(loop);
	a.label(done);
}
