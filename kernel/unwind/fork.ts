// The walk's knowledge of a process, kept right across fork and exec inside the
// kernel, before the process runs a user instruction:
//
// - task:task_newtask (a new process, not a thread; it fires in the parent,
//   before the child runs): the child's mappings are its parent's, so the
//   parent's procs entry is copied to the child. A pre-fork server's worker
//   (a PostgreSQL backend, a gunicorn worker) that lives a few milliseconds is
//   walked through .eh_frame from its first firing, not by frame pointers.
// - sched:sched_process_exec: the process runs a new program; its entry (the
//   old program's mappings) is deleted, so its walks say "process not known
//   yet" until user space has loaded the new mappings, never frames through
//   the old program's tables.
//
// User space learns of both from the process event feed and replaces or
// removes the entries (Unwinder.removeProcess deletes entries it never wrote).
//
// Both are raw tracepoint programs where the kernel's BTF gives task_struct.pid:
// a perf-event tracepoint's release waits out RCU grace periods (30–90 ms each,
// serialised), which every run that took user stacks paid on its way out.
import { Asm, FP, R0, R1, R2, R3, R4, R6, R7 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";

const CLONE_THREAD = 0x10000;
const BPF_ANY = 0;

/** Offsets in task:task_newtask's record (from its tracefs format). */
export interface NewtaskOffsets {
	pid: number;
	cloneFlags: number;
}

/** R1 = the procs map, R2 = a key at fp-4 holding the current process's tgid. */
function currentTgidKey(a: Asm, procsFd: number): Asm {
	return a
		.call(Helper.get_current_pid_tgid)
		.rsh(R0, 32)
		.stx(4, FP, -4, R0)
		.ldMapFd(R1, procsFd)
		.mov(R2, FP)
		.add(R2, -4);
}

/** task:task_newtask: procs[child] = procs[parent tgid], for processes (not threads). */
export function compileForkCopy(procsFd: number, o: NewtaskOffsets): Asm {
	const a = new Asm().mov(R6, R1).ldx(8, R2, R6, o.cloneFlags).and(R2, CLONE_THREAD).jne(R2, 0, "out");
	return currentTgidKey(a, procsFd)
		.call(Helper.map_lookup_elem)
		.jeq(R0, 0, "out")
		.mov(R3, R0)
		.ldx(4, R1, R6, o.pid)
		.stx(4, FP, -8, R1)
		.ldMapFd(R1, procsFd)
		.mov(R2, FP)
		.add(R2, -8)
		.mov(R4, BPF_ANY)
		.call(Helper.map_update_elem)
		.label("out")
		.mov(R0, 0)
		.exit();
}

/**
 * task_newtask as a raw tracepoint: its arguments are (struct task_struct *task,
 * u64 clone_flags); the child's pid is read from task->pid (`taskPid`, BTF).
 */
export function compileForkCopyRaw(procsFd: number, taskPid: number): Asm {
	const a = new Asm().mov(R6, R1).ldx(8, R2, R6, 8).and(R2, CLONE_THREAD).jne(R2, 0, "out");
	return currentTgidKey(a, procsFd)
		.call(Helper.map_lookup_elem)
		.jeq(R0, 0, "out")
		.mov(R7, R0)
		.mov(R1, FP)
		.add(R1, -8)
		.mov(R2, 4)
		.ldx(8, R3, R6, 0)
		.add(R3, taskPid)
		.call(Helper.probe_read_kernel)
		.jne(R0, 0, "out")
		.ldMapFd(R1, procsFd)
		.mov(R2, FP)
		.add(R2, -8)
		.mov(R3, R7)
		.mov(R4, BPF_ANY)
		.call(Helper.map_update_elem)
		.label("out")
		.mov(R0, 0)
		.exit();
}

/** sched:sched_process_exec: delete procs[tgid]: the old program's mappings are gone. */
export function compileExecDrop(procsFd: number): Asm {
	return currentTgidKey(new Asm(), procsFd).call(Helper.map_delete_elem).mov(R0, 0).exit();
}
