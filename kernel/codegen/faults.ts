// Runtime faults (DTrace's DTRACEFLT_*): a division or modulo by zero, or an
// address copyinstr() cannot read, abandons the rest of the clause for that
// firing, as in DTrace: nothing after it is recorded (no aggregation update, no
// record). Each fault site jumps to its clause's handler, which counts the fault
// per CPU in the enabling's counter slot and writes a fault record into the
// session's ring buffer; the consumer prints DTrace's report line and fires the
// ERROR probe with the fault's arguments.
//
// When the program carries the enabling's ERROR clauses (ClauseProgram.onError),
// the handler then stores ERROR's arguments in ERROR_ARGS, notes where the
// firing goes on (ERROR_RETURN, an index into the clauses' end labels) and
// jumps to the error block (compile.ts), which runs the ERROR clauses in the
// faulting firing, so pid, execname, stacks and the order of output are the
// faulting thread's, as in DTrace. The record's fault word then carries
// FAULT_ERROR_FIRED, so the consumer does not fire ERROR again. A fault in an
// ERROR clause itself is counted and reported but fires nothing.
//
// The site puts the address in R1, the fault code in R2 and the action index in
// R3 (every other register may hold anything: the clause is over). The record
// is built in the expression slots fp-48..fp-9, which no later clause expects
// to keep.
import { R0, R1, R2, R3, R4, R7, R9, R10, type Reg } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { counterAdd, label, type State } from "./compile.ts";
import type { ClauseProgram } from "./ir.ts";

/** DTrace's fault codes as DTrace numbers them (the ERROR probe's arg4). */
export const DTRACEFLT = { BADADDR: 1, DIVZERO: 4 } as const;

/** A fault record's first word: this bit set, the enabled probe id in the rest. */
export const FAULT_RECORD_BIT = 0x8000_0000;
/** In a fault record's fault word: ERROR already ran inside the faulting firing. */
export const FAULT_ERROR_FIRED = 0x4000_0000;
/** ERROR's arg0..arg5 while the error block runs (below every other slot of compile.ts). */
export const ERROR_ARGS = -264;
/** Which clause end the error block returns to. */
export const ERROR_RETURN = -272;
/** The faulting probe's cookie (R7), put back after the error block. */
export const ERROR_COOKIE = -280;
/** The state flag before ERROR ran (and at -296 after): an exit() of ERROR's ends the faulting firing. */
export const ERROR_EXITED = -288;
/** The error block's label. */
export const ERROR_BLOCK = "error_block";
/** Bytes of a fault record. */
export const FAULT_RECORD_SIZE = 40;
const BASE = -48;

/**
 * Where a clause's faults go. Without a plan a fault still abandons the clause
 * (a value that could not be computed is never recorded), silently.
 */
export interface FaultPlan {
	ringFd: number;
	/** The enabled probe id (the ERROR probe's arg1). */
	epid: number;
	/** The clause's index in its program (the ERROR probe's arg2). */
	clause: number;
	/** Counter slot (countersFd) of the enabling's faults. */
	slot: number;
	/** Counter slot of fault records the ring buffer could not take. */
	dropSlot: number;
}

/** A fault record as the consumer reads it (little-endian). */
export interface FaultRecord {
	epid: number;
	probe: number;
	timestamp: bigint;
	cpu: number;
	fault: number;
	action: number;
	clause: number;
	addr: bigint;
	/** ERROR ran inside the faulting firing. */
	errorFired: boolean;
}

export function decodeFaultRecord(buf: Buffer): FaultRecord | undefined {
	if (buf.length < FAULT_RECORD_SIZE) return undefined;
	const desc = buf.readUInt32LE(0);
	if ((desc & FAULT_RECORD_BIT) === 0) return undefined;
	const word = buf.readUInt32LE(20);
	return {
		epid: desc & ~FAULT_RECORD_BIT,
		probe: buf.readUInt32LE(4),
		timestamp: buf.readBigUInt64LE(8),
		cpu: buf.readUInt32LE(16),
		fault: word & ~FAULT_ERROR_FIRED,
		errorFired: (word & FAULT_ERROR_FIRED) !== 0,
		action: buf.readUInt32LE(24),
		clause: buf.readUInt32LE(28),
		addr: buf.readBigUInt64LE(32),
	};
}

/** The clause being compiled: its handler's label and the action being compiled (0: the predicate). */
export interface FaultScope {
	label: string;
	action: number;
	used: boolean;
}

/** Jump to the handler with the fault `code`; the address is `addr` (a register) or 0. */
export function raise(s: State, code: number, addr: Reg | undefined): void {
	const a = s.a;
	const f = s.fault;
	if (!f) return;
	f.used = true;
	if (addr === undefined) a.mov(R1, 0);
	else if (addr !== R1) a.mov(R1, addr);
	a.mov(R2, code).mov(R3, f.action).ja(f.label);
}

/** Before R0 / R1 or R0 % R1: a zero divisor is DTRACEFLT_DIVZERO. */
export function checkDivisor(s: State): void {
	if (!s.fault) return;
	const ok = label(s, "div_ok");
	s.a.jne(R1, 0, ok);
	raise(s, DTRACEFLT.DIVZERO, undefined);
	s.a.label(ok);
}

/**
 * After bpf_probe_read_user_str (or another read) of the address in `addr`: a
 * negative R0 (-errno) is DTRACEFLT_BADADDR at that address.
 */
export function checkRead(s: State, addr: Reg = R9): void {
	if (!s.fault) return;
	const ok = label(s, "read_ok");
	s.a.jsge(R0, 0, ok);
	raise(s, DTRACEFLT.BADADDR, addr);
	s.a.label(ok);
}

/** Start a clause: its faults jump to its handler. */
export function openFaults(s: State, name: string): void {
	s.fault = { label: `${name}_fault`, action: 0, used: false };
}

/**
 * End a clause: `end` is its last label (not yet placed). Emits the handler
 * when some site jumps to it, the normal path jumping over it.
 */
export function closeFaults(s: State, end: string): void {
	const f = s.fault;
	s.fault = undefined;
	if (!f?.used) return;
	const a = s.a;
	a.ja(end);
	a.label(f.label);
	const plan: FaultPlan | undefined = s.p.faults;
	const errors = plan ? s.errors : undefined;
	if (errors && plan) {
		// ERROR's arguments: 0, the enabled probe id, the clause, the action, the fault, the address.
		a.st(8, R10, ERROR_ARGS, 0)
			.st(8, R10, ERROR_ARGS + 8, plan.epid)
			.st(8, R10, ERROR_ARGS + 16, plan.clause)
			.stx(8, R10, ERROR_ARGS + 24, R3)
			.stx(8, R10, ERROR_ARGS + 32, R2)
			.stx(8, R10, ERROR_ARGS + 40, R1);
		a.or(R2, FAULT_ERROR_FIRED);
	}
	if (plan) {
		a.stx(8, R10, BASE + 32, R1)
			.stx(4, R10, BASE + 20, R2)
			.stx(4, R10, BASE + 24, R3);
		a.st(4, R10, BASE + 28, plan.clause);
		a.st(4, R10, BASE, plan.epid | FAULT_RECORD_BIT | 0);
		a.mov(R1, R7)
			.rsh(R1, 32)
			.stx(4, R10, BASE + 4, R1);
		a.call(Helper.ktime_get_ns).stx(8, R10, BASE + 8, R0);
		a.call(Helper.get_smp_processor_id).stx(4, R10, BASE + 16, R0);
		counterAdd(s, plan.slot);
		const sent = label(s, "fault_sent");
		a.ldMapFd(R1, plan.ringFd).mov(R2, R10).add(R2, BASE).mov(R3, FAULT_RECORD_SIZE).mov(R4, 0);
		a.call(Helper.ringbuf_output).jeq(R0, 0, sent);
		counterAdd(s, plan.dropSlot);
		a.label(sent);
	}
	if (errors) {
		let i = errors.returns.indexOf(end);
		if (i < 0) i = errors.returns.push(end) - 1;
		a.st(8, R10, ERROR_RETURN, i).ja(ERROR_BLOCK);
		return;
	}
	a.ja(end);
}

/** Can the clause fault (a division, a modulo, a copyinstr)? Only then does it need an enabled probe id of its own. */
export function canFault(c: Pick<ClauseProgram, "predicate" | "statements">): boolean {
	const text = JSON.stringify([c.predicate ?? null, c.statements], (_k, v) => (typeof v === "bigint" ? 0 : v));
	return /"op":"[/%]"|"k":"(copyinstr|copyin|strtok|inet|kread|kstr)"/.test(text);
}
