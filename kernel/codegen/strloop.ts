// Loops of the string subroutines as bpf_loop (helper 181, Linux 5.17+) with a
// callback subprogram per loop, so the verifier checks each loop's body once
// rather than walking it byte by byte: a clause may hold many string loops at
// strsize 256, and a search (strstr, index, rindex) is one loop over (start,
// offset) pairs.
//
// A callback keeps nothing in registers between iterations: its state is in the
// call's words in the per-CPU buffer. bpf_loop's context is the caller's stack
// slot holding the buffer's address (strings.ts BUF_PTR), which the callback
// loads into R6 (State.cbBuf), so the callback uses no stack of its own (the
// main program may use all 512 bytes). The callbacks are emitted after the
// main program (emitCallbacks), each with its own labels.
import { type Asm, R0, R1, R2, R3, R4, R6, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { CodegenError, type State } from "./compile.ts";

/** Callbacks of one program: the kernel's 256 subprograms less the main program and an unwinder's two. */
const MAX_CALLBACKS = 250;

/** bpf_loop refuses more iterations than this (BPF_MAX_LOOPS). */
export const MAX_LOOPS = 1 << 23;

interface Pending {
	name: string;
	s: State;
	body: (c: State) => void;
}

const pending = new WeakMap<Asm, Pending[]>();
const counters = new WeakMap<Asm, number>();

/** Labels of callbacks count from here, apart from the main program's. */
const CALLBACK_LABELS = 1_000_000;

/**
 * bpf_loop(count, callback): `body` is the callback's code after its prologue,
 * with R1 = the iteration (0..count-1) and R6 = the buffer; it returns with
 * R0 = 0 to go on, 1 to stop. Clobbers R0-R5 in the caller.
 */
export function bpfLoop(s: State, count: number, what: string, body: (c: State) => void): void {
	const a = s.a;
	const n = counters.get(a) ?? CALLBACK_LABELS;
	counters.set(a, n + 1);
	const name = `cb_${what}_${n}`;
	const list = pending.get(a) ?? [];
	pending.set(a, list);
	// The kernel takes 256 subprograms (BPF_MAX_SUBPROGS), the main program and an unwinder's among them.
	if (list.length >= MAX_CALLBACKS)
		throw new CodegenError(
			`the program has more than ${MAX_CALLBACKS} string loops (each string subroutine has one to three), more than the kernel takes in one program; split the clause over several probes.`,
		);
	list.push({ name, s, body });
	a.mov(R1, Math.min(count, MAX_LOOPS)).ldFunc(R2, name);
	// The context: a pointer to the slot holding the buffer's address (the caller's, or the one passed on).
	if (s.cbBuf) throw new Error("string loops do not nest in bpf_loop callbacks.");
	a.mov(R3, R10).add(R3, -120).mov(R4, 0).call(Helper.loop);
}

/** Emit every callback a program's clauses asked for, after its main program. */
export function emitCallbacks(a: Asm): void {
	const list = pending.get(a);
	if (!list) return;
	for (const p of list) {
		const labels = counters.get(a) ?? CALLBACK_LABELS;
		// A callback cannot jump to its clause's fault handler (another subprogram).
		const c: State = { ...p.s, cbBuf: true, labels: labels * 1000, fault: undefined };
		a.label(p.name);
		a.ldx(8, R6, R2, 0);
		p.body(c);
		counters.set(a, labels + 1);
	}
	pending.delete(a);
}

/** The callback's two ways out. */
export function next(c: State): void {
	c.a.mov(R0, 0).exit();
}
export function stop(c: State): void {
	c.a.mov(R0, 1).exit();
}

export { R1 as LOOP_INDEX };
