// A tiny program for the "hold at exit" uprobe: stops the process (SIGSTOP) as it
// enters libc's exit(), so the consumer can read its mappings — needed to
// symbolize its stacks — before they are gone, then lets it continue.
import { Asm, R0, R1 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";

export const SIGSTOP = 19;

export function compileStopProcess(): Asm {
	return new Asm().mov(R1, SIGSTOP).call(Helper.send_signal).mov(R0, 0).exit();
}
