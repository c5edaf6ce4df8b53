// Reads of user memory and lookups of a firing's working memory, for programs
// loaded sleepable or not (ClauseProgram.sleepable). Not sleepable:
// bpf_probe_read_user(_str), which fail on a page that is not mapped yet, and
// per-CPU arrays. Sleepable: bpf_copy_from_user and bpf_copy_from_user_str (a
// kfunc, 6.12+), which take the page fault, and task storage, since a firing
// that sleeps in a fault must find its buffers as it left them. Without the
// kfunc a string is read like a non-sleepable one, and when that fails the
// first byte is copied with bpf_copy_from_user (which faults the page in) and
// the string read again: a string within one page reads.
import { R0, R1, R2, R3, R4, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import type { State } from "./compile.ts";
import { label } from "./compile.ts";

/** fp-208/200/192: R1..R3 of a string read, kept for its retry. */
const RETRY = -208;

/** R0 = bytes read (the NUL included) or -errno: a string of at most R2 bytes from R3 into R1. Clobbers R1-R5. */
export function readUserStr(s: State): void {
	const a = s.a;
	const sl = s.p.sleepable;
	if (!sl) {
		a.call(Helper.probe_read_user_str);
		return;
	}
	if (sl.strKfunc !== undefined) {
		// The kfunc returns a C int: only the low 32 bits of R0 are its value.
		a.mov(R4, 0).callKfunc(sl.strKfunc).lsh(R0, 32).arsh(R0, 32);
		return;
	}
	const done = label(s, "us_done");
	a.stx(8, R10, RETRY, R1)
		.stx(8, R10, RETRY + 8, R2)
		.stx(8, R10, RETRY + 16, R3);
	a.call(Helper.probe_read_user_str);
	a.jsge(R0, 0, done);
	a.ldx(8, R1, R10, RETRY)
		.mov(R2, 1)
		.ldx(8, R3, R10, RETRY + 16)
		.call(Helper.copy_from_user);
	a.jne(R0, 0, done);
	a.ldx(8, R1, R10, RETRY)
		.ldx(8, R2, R10, RETRY + 8)
		.ldx(8, R3, R10, RETRY + 16);
	a.call(Helper.probe_read_user_str);
	a.label(done);
}

/** R0 = 0 or -errno: R2 bytes from user address R3 into R1 (zeroed on failure). Clobbers R1-R5. */
export function readUser(s: State): void {
	s.a.call(s.p.sleepable ? Helper.copy_from_user : Helper.probe_read_user);
}

/**
 * R0 = the firing's working area in map `fd` (a one-value per-CPU array, or
 * task storage when sleepable); `key` is a stack slot this may use. Jumps to
 * `exit` when there is none. Clobbers R1-R5.
 */
export function lookupWorkArea(s: State, fd: number, key: number, exit: string): void {
	const a = s.a;
	if (s.p.sleepable) {
		a.call(Helper.get_current_task_btf).mov(R2, R0).ldMapFd(R1, fd).mov(R3, 0).mov(R4, 1);
		a.call(Helper.task_storage_get);
	} else {
		a.st(4, R10, key, 0);
		a.ldMapFd(R1, fd).mov(R2, R10).add(R2, key).call(Helper.map_lookup_elem);
	}
	a.jeq(R0, 0, exit);
}
