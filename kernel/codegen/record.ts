// Per-event records: the clause's actions that record data (the default action,
// trace, printf, exit) write into a per-CPU scratch buffer, which is copied
// into the session's ring buffer when the clause ends. The record pointer lives
// in a stack slot (fp-176) so helpers and expression evaluation may clobber
// every register; a full ring buffer is counted per CPU, never silent.
import { R0, R1, R2, R3, R4, R6, R7, R9, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { emitTaskRegs } from "../unwind/regs.ts";
import { CodegenError, counterAdd, evalInt, type State } from "./compile.ts";
import { checkRead } from "./faults.ts";
import type { RecordStmt } from "./ir.ts";
import { BUF_STR_A, RECORD_HEADER } from "./ir.ts";
import { compileSpecEnd } from "./speculation.ts";
import { countCut, materializeStr } from "./strings.ts";
import { copyToRecord } from "./strvars.ts";
import { lookupWorkArea, readUserStr } from "./user-read.ts";

/**
 * fp-176: the scratch record's address; fp-184: a value kept across a helper
 * call. (Not at the stack's end: the unwinder's subprogram needs stack of its
 * own, and the verifier bounds the two frames' sum at 512 bytes.)
 */
export const REC_PTR = -176;
const SAVED = -184;
/** A key of 0 for one-value maps (the thread-local key's area; unused when this runs). */
const KEY0 = -112;

/** The program's first check: nothing to do once the session's state flag is set. */
export function checkState(s: State, exit: string): void {
	const a = s.a;
	const fd = s.p.stateFd;
	if (fd === undefined || s.p.ignoreState) return;
	a.st(4, R10, KEY0, 0);
	a.ldMapFd(R1, fd).mov(R2, R10).add(R2, KEY0).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, exit);
	a.ldx(8, R1, R0, 0).jne(R1, 0, exit);
}

/** Find the scratch buffer and write the record's header (after the predicate). */
export function beginRecord(s: State, exit: string): void {
	const r = s.p.record;
	if (!r) return;
	const a = s.a;
	if (r.size % 8 || r.size < RECORD_HEADER) throw new CodegenError(`record size ${r.size} is not a valid record size.`);
	lookupWorkArea(s, r.scratchFd, KEY0, exit);
	a.stx(8, R10, REC_PTR, R0);
	a.st(4, R0, 0, r.descId);
	a.mov(R1, R7).rsh(R1, 32).stx(4, R0, 4, R1);
	a.call(Helper.ktime_get_ns).ldx(8, R1, R10, REC_PTR).stx(8, R1, 8, R0);
	a.call(Helper.get_smp_processor_id).ldx(8, R1, R10, REC_PTR).stx(4, R1, 16, R0);
	a.st(4, R1, 20, 0);
}

/** Copy the finished record into the ring buffer; count it per CPU when it does not fit. */
export function endRecord(s: State): void {
	const r = s.p.record;
	if (!r) return;
	const a = s.a;
	const ok = `rec_ok_${s.labels++}`;
	a.ldMapFd(R1, r.ringFd).ldx(8, R2, R10, REC_PTR).mov(R3, r.size).mov(R4, 0).call(Helper.ringbuf_output);
	a.jeq(R0, 0, ok);
	counterAdd(s, r.dropSlot);
	a.label(ok);
}

export function compileRecordStmt(s: State, st: RecordStmt): void {
	const a = s.a;
	if (!s.p.record) throw new CodegenError("a recording action needs the clause's record plan.");
	switch (st.k) {
		case "rec-int":
			evalInt(s, st.e);
			a.ldx(8, R1, R10, REC_PTR).stx(8, R1, st.off, R0);
			return;
		case "rec-str":
			if (st.e.k !== "comm" && (st.e.k !== "copyinstr" || st.e.len)) {
				materializeStr(s, st.e, BUF_STR_A, st.size);
				copyToRecord(s, BUF_STR_A, REC_PTR, st.off, st.size);
				return;
			}
			if (st.e.k === "comm") {
				a.ldx(8, R1, R10, REC_PTR).add(R1, st.off).mov(R2, Math.min(16, st.size)).call(Helper.get_current_comm);
				return;
			}
			evalInt(s, st.e.addr);
			a.mov(R9, R0);
			a.ldx(8, R1, R10, REC_PTR).stx(8, R1, st.off + 8, R0);
			a.mov(R3, R0)
				.add(R1, st.off + 16)
				.mov(R2, st.size);
			readUserStr(s);
			checkRead(s);
			// The helper's result (length with the NUL, or -errno) tells the consumer a fault from a string.
			a.ldx(8, R1, R10, REC_PTR).stx(8, R1, st.off, R0);
			countCut(s, st.size);
			return;
		case "rec-stack":
			recordStack(s, st);
			return;
		case "spec-end":
			compileSpecEnd(s, st.off, st.e);
			return;
		case "exit": {
			if (s.p.stateFd === undefined) throw new CodegenError("exit() needs the session's state map.");
			const skip = `exit_${s.labels++}`;
			evalInt(s, st.e);
			a.stx(8, R10, SAVED, R0);
			a.ldx(8, R1, R10, REC_PTR).stx(8, R1, st.off, R0);
			a.st(4, R10, KEY0, 0);
			a.ldMapFd(R1, s.p.stateFd).mov(R2, R10).add(R2, KEY0).call(Helper.map_lookup_elem);
			a.jeq(R0, 0, skip);
			a.ldx(8, R1, R10, SAVED).stx(8, R0, 8, R1);
			a.st(8, R0, 0, 1);
			a.label(skip);
			return;
		}
	}
}

const BPF_F_USER_STACK = 1 << 8;

/**
 * stack(n)/ustack(n): the program counters themselves into the record (so a
 * record needs no stack map that a later walk could overwrite), with the pid;
 * or, where the .eh_frame unwinder walks user stacks, its walk's id.
 */
function recordStack(s: State, st: Extract<RecordStmt, { k: "rec-stack" }>): void {
	const a = s.a;
	if (st.unwound) {
		if (!s.p.ustack) throw new CodegenError("ustack() needs the unwinder's code.");
		s.p.ustack.call(a, s.p.ustackRegs === "task" ? emitTaskRegs(a) : R6);
		s.unwinds = true;
		a.ldx(8, R1, R10, REC_PTR).stx(8, R1, st.off, R0);
		return;
	}
	a.call(Helper.get_current_pid_tgid).rsh(R0, 32);
	a.ldx(8, R1, R10, REC_PTR).stx(8, R1, st.off + 8, R0);
	a.mov(R1, R6)
		.ldx(8, R2, R10, REC_PTR)
		.add(R2, st.off + 16);
	a.mov(R3, st.frames * 8).mov(R4, st.user ? BPF_F_USER_STACK : 0);
	a.call(Helper.get_stack);
	a.ldx(8, R1, R10, REC_PTR).stx(8, R1, st.off, R0);
}
