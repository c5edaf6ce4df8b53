// Compiles one lowered clause (ClauseProgram) into BPF instructions.
//
// Register use: R6 = context, R7 = cookie (high 32 bits: dtop's probe id, low 32
// bits: the probe's index within this program), R8/R9 = scratch that survives
// helper calls. Expressions are evaluated into R0 with intermediate values
// spilled to fixed stack slots, which keeps the generator simple and the
// verifier happy; the programs are short either way.
//
// Stack (512 bytes):   fp-8 .. fp-96    expression slots (12 × u64)
//                      fp-112 .. fp-97  thread-local key {tid, slot}
//                      fp-120           the per-CPU buffer's address (strings.ts)
//                      fp-128           a byte probed past a string cut at strsize
//                      fp-136 .. fp-160 keys (strings.ts, vars.ts)
//                      fp-176, fp-184   record.ts
//                      fp-208 .. fp-192 a user string read's arguments (user-read.ts)
//                      fp-296 .. fp-217 the error block's arguments and state (faults.ts)
// Keys and compared strings are built in the per-CPU buffer, not on the stack.
import { Asm, R0, R1, R2, R3, R4, R6, R7, R10, type Reg } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { compileAgg } from "./agg.ts";
import { boolify, evalBin } from "./binary.ts";
import { evalBuiltinVar } from "./builtins.ts";
import { cgroupScope, evalContainer } from "./container.ts";
import {
	closeFaults,
	ERROR_ARGS,
	ERROR_BLOCK,
	ERROR_COOKIE,
	ERROR_EXITED,
	ERROR_RETURN,
	type FaultScope,
	openFaults,
} from "./faults.ts";
import type { ArgPlan, ClauseProgram, IntExpr, Stmt } from "./ir.ts";
import { evalKernel } from "./kread.ts";
import { beginRecord, checkState, compileRecordStmt, endRecord } from "./record.ts";
import { compileSpeculate, evalSpeculation } from "./speculation.ts";
import { evalIntFn, evalStrInt } from "./strfuncs.ts";
import { evalStrEq, loadBuf } from "./strings.ts";
import { emitCallbacks } from "./strloop.ts";
import { storeStr } from "./strvars.ts";
import { readUser } from "./user-read.ts";
import { compileIf, evalCond, evalExt, evalLoad, evalStore, zeroThis } from "./vars.ts";

export class CodegenError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "CodegenError";
	}
}

const SLOT_COUNT = 12;
const TLS_KEY = -112;

export interface State {
	a: Asm;
	p: ClauseProgram;
	depth: number;
	labels: number;
	/**
	 * Whether per-CPU updates must be atomic. Programs of one kind attached to
	 * user-mode traps (uprobes) or to tracepoints do not nest on one CPU for the
	 * same aggregation (tracepoint and perf programs are serialised by the
	 * kernel's bpf_prog_active; a uprobe fires only from user mode), so a plain
	 * load-add-store of a per-CPU value is exact and cheaper than a locked add.
	 * Sampling (NMI) and trampoline programs, or a mix of kinds sharing an
	 * aggregation, can interrupt another program mid-update: atomics there.
	 */
	atomic: boolean;
	/** Keys being built (strings.ts buildKey). */
	keyDepth?: number;
	/** The unwinder was called: its subprograms follow the main program. */
	unwinds?: boolean;
	/** The clause's end: where a clause stops early (a speculate() that cannot speculate). */
	end?: string;
	/** Code of a bpf_loop callback (strloop.ts): the buffer's address is in R6. */
	cbBuf?: boolean;
	/** The clause's fault handler (faults.ts). */
	fault?: FaultScope;
	/** Faults jump to the error block, which returns to one of these clause ends (faults.ts). */
	errors?: { returns: string[] };
}

/** *(u64 *)(ptr + off) += value (a register, or an immediate). Clobbers R1 unless value is R1. */
export function addTo(s: State, ptr: Reg, off: number, value: Reg | number): void {
	const a = s.a;
	if (s.atomic) {
		if (typeof value === "number") {
			a.mov(R1, value);
			value = R1;
		}
		a.atomicAdd(8, ptr, off, value);
		return;
	}
	const tmp = value === R1 ? R2 : R1;
	a.ldx(8, tmp, ptr, off).add(tmp, value).stx(8, ptr, off, tmp);
}

export function slot(depth: number): number {
	if (depth >= SLOT_COUNT) throw new CodegenError("expression is nested too deeply to compile (more than 12 levels).");
	return -8 * (depth + 1);
}

export function label(s: State, what: string): string {
	return `${what}_${s.labels++}`;
}

/** Sign- or zero-extend the low `size` bytes of R0 to 64 bits. */
export function extend(a: Asm, r: Reg, size: number, signed: boolean): void {
	if (size === 8) return;
	const shift = 64 - size * 8;
	a.lsh(r, shift);
	if (signed) a.arsh(r, shift);
	else a.rsh(r, shift);
}

function readArg(s: State, plan: ArgPlan | undefined, what: string): void {
	const a = s.a;
	if (!plan) throw new CodegenError(`${what} is not available for this probe.`);
	switch (plan.k) {
		case "const":
			loadConst(a, R0, plan.v);
			return;
		case "ctx":
			if (s.p.ctx === "uprobe" || s.p.ctx === "uprobe-multi" || s.p.ctx === "kprobe" || s.p.ctx === "perf") {
				// pt_regs: read the whole slot, then narrow (registers are 8 bytes wide).
				a.ldx(8, R0, R6, plan.offset - (plan.offset % 8));
				if (plan.offset % 8) a.rsh(R0, (plan.offset % 8) * 8);
			} else {
				a.ldx(plan.size, R0, R6, plan.offset);
			}
			extend(a, R0, plan.size, plan.signed);
			return;
		case "error-arg":
			a.ldx(8, R0, R10, ERROR_ARGS + 8 * plan.n);
			return;
		case "pc": {
			const zero = `pc_zero_${s.labels++}`;
			const done = `pc_done_${s.labels++}`;
			a.ldx(8, R0, R6, plan.modeOffset).and(R0, plan.mask);
			if (plan.user) a.jne(R0, plan.userBits, zero);
			else a.jeq(R0, plan.userBits, zero);
			a.ldx(8, R0, R6, plan.offset).ja(done);
			a.label(zero).mov(R0, 0);
			a.label(done);
			return;
		}
		case "mem": {
			const off = slot(s.depth);
			a.st(8, R10, off, 0);
			a.ldx(8, R3, R6, plan.regOffset);
			if (plan.offset) a.add(R3, plan.offset);
			a.mov(R1, R10).add(R1, off);
			a.mov(R2, plan.size);
			readUser(s);
			a.ldx(8, R0, R10, off);
			extend(a, R0, plan.size, plan.signed);
			return;
		}
	}
}

export function loadConst(a: Asm, r: Reg, v: bigint): void {
	if (v >= -0x80000000n && v <= 0x7fffffffn) a.mov(r, Number(v));
	else a.ldImm64(r, v);
}

/** Evaluate an integer expression into R0. Clobbers R1-R5. */
export function evalInt(s: State, e: IntExpr): void {
	const a = s.a;
	switch (e.k) {
		case "const":
			loadConst(a, R0, e.v);
			return;
		case "builtin":
			switch (e.name) {
				case "pid":
					a.call(Helper.get_current_pid_tgid).rsh(R0, 32);
					return;
				case "tid":
					a.call(Helper.get_current_pid_tgid).mov32(R0, R0);
					return;
				case "uid":
					a.call(Helper.get_current_uid_gid).mov32(R0, R0);
					return;
				case "gid":
					a.call(Helper.get_current_uid_gid).rsh(R0, 32);
					return;
				case "cpu":
					a.call(Helper.get_smp_processor_id);
					return;
				case "timestamp":
					a.call(Helper.ktime_get_ns);
					return;
				case "cgroup":
					a.call(Helper.get_current_cgroup_id);
					return;
				case "probeid":
					a.mov(R0, R7).rsh(R0, 32);
					return;
			}
			return;
		case "arg":
			readArg(s, s.p.args[e.n], `arg${e.n}`);
			return;
		case "retval":
			readArg(s, s.p.retval, "retval");
			return;
		case "tls": {
			if (s.p.tlsFd === undefined) throw new CodegenError("thread-local variables need a thread-local map.");
			const miss = label(s, "tls_miss");
			const done = label(s, "tls_done");
			tlsKey(s, e.slot);
			a.ldMapFd(R1, s.p.tlsFd).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_lookup_elem);
			a.jeq(R0, 0, miss).ldx(8, R0, R0, 0).ja(done);
			a.label(miss).mov(R0, 0);
			a.label(done);
			return;
		}
		case "load":
			evalLoad(s, e.v);
			return;
		case "store":
			evalStore(s, e.v, e.value);
			return;
		case "cond":
			evalCond(s, e);
			return;
		case "ext":
			evalExt(s, e);
			return;
		case "un":
			evalInt(s, e.e);
			if (e.op === "-") a.neg(R0);
			else if (e.op === "~") a.xor(R0, -1);
			else boolify(s, "==");
			return;
		case "probein": {
			const yes = label(s, "in_yes");
			const done = label(s, "in_done");
			a.mov(R1, R7).rsh(R1, 32);
			for (const id of e.ids) a.jeq(R1, id, yes);
			a.mov(R0, 0).ja(done);
			a.label(yes).mov(R0, 1);
			a.label(done);
			return;
		}
		case "streq":
			evalStrEq(s, e.l, e.r, e.neg);
			return;
		case "strint":
			evalStrInt(s, e);
			return;
		case "speculation":
			evalSpeculation(s);
			return;
		case "rand":
		case "bswap":
			evalIntFn(s, e);
			return;
		case "progenyof":
			evalProgenyOf(s, e);
			return;
		case "curtask":
		case "kread":
			evalKernel(s, e);
			return;
		case "container":
			evalContainer(s, e);
			return;
		case "xvar":
			evalBuiltinVar(s, e);
			return;
		case "bin":
			evalBin(s, e.op, e.l, e.r, e.unsigned === true);
			return;
	}
}

/** Parent steps progenyof() follows (DTrace walks to init; deeper trees are rare). */
export const PROGENY_DEPTH = 32;

/**
 * R0 = 1 when the current process (or an ancestor within PROGENY_DEPTH) has
 * tgid `pid`, else 0. Each step reads task->tgid and task->real_parent with
 * bpf_probe_read_kernel (Linux 5.5+); a failed read answers 0.
 */
function evalProgenyOf(s: State, e: Extract<IntExpr, { k: "progenyof" }>): void {
	const a = s.a;
	evalInt(s, e.pid);
	const pidSlot = slot(s.depth);
	const taskSlot = slot(s.depth + 1);
	const tmpSlot = slot(s.depth + 2);
	a.stx(8, R10, pidSlot, R0);
	a.call(Helper.get_current_task).stx(8, R10, taskSlot, R0);
	const yes = label(s, "prog_yes");
	const no = label(s, "prog_no");
	const done = label(s, "prog_done");
	for (let i = 0; i < PROGENY_DEPTH; i++) {
		a.st(8, R10, tmpSlot, 0);
		a.ldx(8, R3, R10, taskSlot).jeq(R3, 0, no).add(R3, e.tgidOffset);
		a.mov(R1, R10).add(R1, tmpSlot).mov(R2, 4).call(Helper.probe_read_kernel).jne(R0, 0, no);
		a.ldx(4, R1, R10, tmpSlot).ldx(8, R2, R10, pidSlot).jeq(R1, R2, yes);
		// tgid 1 (init) or 0 (the idle task) has no parent worth following.
		a.jle(R1, 1, no);
		a.ldx(8, R3, R10, taskSlot).add(R3, e.parentOffset);
		a.mov(R1, R10).add(R1, taskSlot).mov(R2, 8).call(Helper.probe_read_kernel).jne(R0, 0, no);
	}
	a.label(no).mov(R0, 0).ja(done);
	a.label(yes).mov(R0, 1);
	a.label(done);
}

function tlsKey(s: State, slotNo: number): void {
	const a = s.a;
	a.call(Helper.get_current_pid_tgid).mov32(R0, R0);
	a.stx(8, R10, TLS_KEY, R0);
	a.st(8, R10, TLS_KEY + 8, slotNo);
}

export function counterAdd(s: State, slotNo: number): void {
	const a = s.a;
	const skip = label(s, "ctr_skip");
	a.st(4, R10, TLS_KEY, slotNo);
	a.ldMapFd(R1, s.p.countersFd).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, skip);
	addTo(s, R0, 0, 1);
	a.label(skip);
}

function compileTls(s: State, st: Extract<Stmt, { k: "tls" }>): void {
	const a = s.a;
	if (s.p.tlsFd === undefined) throw new CodegenError("thread-local variables need a thread-local map.");
	const valOff = slot(s.depth);
	evalInt(s, st.value);
	a.stx(8, R10, valOff, R0);
	const del = label(s, "tls_del");
	const done = label(s, "tls_done");
	tlsKey(s, st.slot);
	a.ldx(8, R0, R10, valOff).jeq(R0, 0, del);
	// Assigning 0 frees the variable, as in DTrace.
	a.ldMapFd(R1, s.p.tlsFd).mov(R2, R10).add(R2, TLS_KEY).mov(R3, R10).add(R3, valOff).mov(R4, 0);
	a.call(Helper.map_update_elem).ja(done);
	a.label(del);
	a.ldMapFd(R1, s.p.tlsFd).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_delete_elem);
	a.label(done);
}

/**
 * Does the clause build anything in the per-CPU buffer (a key, a compared or
 * stored string, a clause-local)? A clause that does not skips its lookup.
 */
function needsBuf(c: ClauseProgram): boolean {
	// copyinstr(addr, len) is read into the buffer first (a bounded size), then copied to its record.
	let bounded = false;
	const text = JSON.stringify([c.predicate ?? null, c.statements], (_k, v) => {
		if (v?.k === "copyinstr" && v.len) bounded = true;
		return typeof v === "bigint" ? 0 : v;
	});
	return (
		bounded ||
		/"k":"(streq|assoc|this|strstore|var|fn|strint|strconst|execargs|strtok|copyin|inet|kstr)"|"name":"u?(stackdepth|caller)"|"keys":\[\{/.test(
			text,
		) ||
		(c.thisSize ?? 0) > 0
	);
}

/** One statement of a clause. */
export function compileStmt(s: State, st: Stmt): void {
	switch (st.k) {
		case "agg":
			compileAgg(s, st, "");
			return;
		case "tls":
			compileTls(s, st);
			return;
		case "eval":
			evalInt(s, st.e);
			return;
		case "strstore":
			storeStr(s, st.v, st.e);
			return;
		case "if":
			compileIf(s, st);
			return;
		case "speculate":
			compileSpeculate(s, st.id);
			return;
		default:
			compileRecordStmt(s, st);
	}
}

/** The program for one clause. */
export function compileClause(p: ClauseProgram): Asm {
	return compileClauses([p]);
}

/**
 * One program for every clause of an enabling that serves the same probes, run
 * in program order on each firing (as DTrace runs a probe's clauses): the
 * probe's context, cookie and state check once, then each clause's predicate
 * and body. The first clause's context fields (ctx, syscall map, cookie, pid,
 * state) are the program's.
 */
export function compileClauses(ps: ClauseProgram[]): Asm {
	const a = new Asm();
	const p = ps[0];
	if (!p) throw new CodegenError("a program needs at least one clause.");
	let labels = 0;
	const exit = "exit";
	a.mov(R6, R1);
	if (p.ctx === "syscall-enter" || p.ctx === "syscall-exit") {
		if (p.syscallMapFd === undefined) throw new CodegenError("syscall programs need their syscall map.");
		// raw_syscalls record: long id at offset 8. Only enabled numbers pass.
		a.ldx(8, R0, R6, 8).stx(4, R10, TLS_KEY, R0);
		a.ldMapFd(R1, p.syscallMapFd).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_lookup_elem);
		a.jeq(R0, 0, exit).ldx(8, R7, R0, 0);
	} else if (p.fixedCookie !== undefined) {
		a.ldImm64(R7, p.fixedCookie);
	} else {
		a.mov(R1, R6).call(Helper.get_attach_cookie).mov(R7, R0);
	}
	if (p.pid !== undefined) {
		a.call(Helper.get_current_pid_tgid).rsh(R0, 32).jne(R0, p.pid, exit);
	}
	if (p.cgroupScopeFd !== undefined) cgroupScope({ a, p, depth: 0, labels, atomic: true }, p.cgroupScopeFd, exit);
	checkState({ a, p, depth: 0, labels, atomic: true }, exit);
	const onError = p.onError;
	const errorClauses = onError?.clauses ?? [];
	const all = [...ps, ...errorClauses];
	const withBuf = all.find((c) => c.bufFd !== undefined && needsBuf(c));
	if (withBuf) {
		loadBuf({ a, p: withBuf, depth: 0, labels, atomic: true }, exit);
		zeroThis({ a, p: withBuf, depth: 0, labels, atomic: true }, Math.max(0, ...all.map((c) => c.thisSize ?? 0)));
	}
	const errors = onError ? { returns: [] as string[] } : undefined;
	const errorExits = errorClauses.some((e) => callsExit(e.statements));
	let unwinds: ClauseProgram | undefined;
	ps.forEach((c, i) => {
		const next = `clause_${i}_end`;
		const s: State = { a, p: c, depth: 0, labels, atomic: c.atomic ?? true, unwinds: false, end: next, errors };
		// DTrace: once a clause of this firing called exit() (or ERROR did, after a fault), the later clauses record nothing.
		if (i > 0 && (errorExits || ps.slice(0, i).some((e) => callsExit(e.statements)))) checkState(s, next);
		labels = compileOne(s, c, `clause_${i}`);
		if (s.unwinds) unwinds ??= c;
	});
	a.label(exit).mov(R0, 0).exit();
	if (onError && errors && errors.returns.length > 0) {
		// The error block: ERROR's clauses with ERROR's cookie, then back to the faulting clause's end.
		a.label(ERROR_BLOCK);
		a.stx(8, R10, ERROR_COOKIE, R7).ldImm64(R7, onError.cookie);
		// An exit() of ERROR's acts inside the faulting firing: its later clauses record nothing (BEGIN's and END's too, which do not check the state).
		if (errorExits) stateFlag(a, p, ERROR_EXITED, exit);
		errorClauses.forEach((c, i) => {
			const next = `error_${i}_end`;
			const s: State = { a, p: c, depth: 0, labels, atomic: c.atomic ?? true, unwinds: false, end: next };
			labels = compileOne(s, c, `error_${i}`);
			if (s.unwinds) unwinds ??= c;
		});
		if (errorExits) {
			stateFlag(a, p, ERROR_EXITED - 8, exit);
			a.ldx(8, R1, R10, ERROR_EXITED)
				.ldx(8, R2, R10, ERROR_EXITED - 8)
				.jne(R1, R2, exit);
		}
		a.ldx(8, R7, R10, ERROR_COOKIE).ldx(8, R1, R10, ERROR_RETURN);
		errors.returns.forEach((end, i) => {
			a.jeq(R1, i, end);
		});
		a.ja(exit);
	}
	// The unwinder's subprograms follow the main program, once for every clause that calls them.
	unwinds?.ustack?.emit(a);
	emitCallbacks(a);
	return a;
}

/** The session's state flag (exit() called, or stopping) into the stack slot `off`; no state map: to `exit`. */
function stateFlag(a: Asm, p: ClauseProgram, off: number, exit: string): void {
	if (p.stateFd === undefined) throw new CodegenError("exit() needs the session's state map.");
	a.st(4, R10, TLS_KEY, 0);
	a.ldMapFd(R1, p.stateFd).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, exit);
	a.ldx(8, R1, R0, 0).stx(8, R10, off, R1);
}

/** One clause's predicate and body, ending at `s.end` (placed here); the state's label count after it. */
function compileOne(s: State, c: ClauseProgram, name: string): number {
	const a = s.a;
	const next = s.end as string;
	openFaults(s, name);
	if (c.predicate) {
		evalInt(s, c.predicate);
		a.jeq(R0, 0, next);
	}
	// Count the firing against its probe.
	a.mov(R0, R7).stx(4, R10, TLS_KEY, R0);
	a.ldMapFd(R1, c.hitsFd).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, `${name}_hit_done`);
	addTo(s, R0, 0, 1);
	a.label(`${name}_hit_done`);
	beginRecord(s, next);
	c.statements.forEach((st, n) => {
		// DTrace numbers a clause's actions from 1 (0 is the predicate).
		if (s.fault) s.fault.action = n + 1;
		compileStmt(s, st);
	});
	endRecord(s);
	closeFaults(s, next);
	a.label(next);
	return s.labels;
}

/** Does a clause's code call exit() (at any depth of if/else)? */
function callsExit(ss: Stmt[]): boolean {
	return ss.some((st) => st.k === "exit" || (st.k === "if" && (callsExit(st.yes) || callsExit(st.no))));
}
