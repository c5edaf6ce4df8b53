// A tiny program for the hold uprobes (libc's exit(), the loader's
// _dl_debug_state()): counts the stop in a one-slot array map, then stops the
// process (SIGSTOP), so the consumer can read its mappings or attach new
// probes before it goes on. The count lets the consumer resume only stops it
// caused: a process stopped by someone else stays stopped.
import { Asm, R0, R1, R6 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";

export const SIGSTOP = 19;

/** `stopsFd`: an ARRAY map, 4-byte key, 8-byte value, one entry. */
export function compileStopProcess(stopsFd: number): Asm {
	return new Asm()
		.ldMapValue(R6, stopsFd, 0)
		.mov(R1, 1)
		.atomicAdd(8, R6, 0, R1)
		.mov(R1, SIGSTOP)
		.call(Helper.send_signal)
		.mov(R0, 0)
		.exit();
}
