// Kernel memory as D reads it through typed pointers (curthread->real_parent->pid):
// the current task's address, and a member's bytes read with
// bpf_probe_read_kernel (Linux 5.5+). A read that fails is DTrace's runtime error
// (DTRACEFLT_BADADDR at that address, faults.ts): the clause is abandoned for that
// firing and the fault counted and reported, never a 0. A member of a struct in
// user memory (a cast of copyin(), source/d/ctypes/user.ts) is read the same way
// with the user-memory helper.
import { R0, R1, R2, R3, R9, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { evalInt, extend, type State, slot } from "./compile.ts";
import { checkRead } from "./faults.ts";
import type { IntExpr } from "./ir.ts";
import { readUser } from "./user-read.ts";

/** R0 = curthread, or the kernel value a kread names. */
export function evalKernel(s: State, e: Extract<IntExpr, { k: "curtask" | "kread" }>): void {
	const a = s.a;
	if (e.k === "curtask") {
		a.call(Helper.get_current_task);
		return;
	}
	evalInt(s, e.addr);
	const dst = slot(s.depth);
	a.mov(R9, R0).st(8, R10, dst, 0);
	a.mov(R1, R10).add(R1, dst).mov(R2, e.size).mov(R3, R9);
	if (e.user) readUser(s);
	else a.call(Helper.probe_read_kernel);
	checkRead(s, R9);
	a.ldx(e.size, R0, R10, dst);
	extend(a, R0, e.size, e.signed);
}
