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
//                      fp-176 .. fp-113 string A (comparisons)
//                      fp-240 .. fp-177 string B
//                      fp-496 .. fp-241 aggregation key (≤ 256 bytes)
import { Asm, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, type Reg } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import type { ArgPlan, ClauseProgram, IntExpr, KeyField, Stmt, StrExpr } from "./ir.ts";
import { STR_MAX } from "./ir.ts";
import { keySize, lquantizeBuckets, QUANTIZE_ZERO } from "./layout.ts";

export class CodegenError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "CodegenError";
	}
}

const SLOT_COUNT = 12;
const TLS_KEY = -112;
const STR_A = -176;
const STR_B = -240;
const KEY_END = -240;
export const KEY_MAX = 256;

const BPF_NOEXIST = 1;
const BPF_F_USER_STACK = 0x100;
const BPF_F_REUSE_STACKID = 0x400;

interface State {
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
}

/** *(u64 *)(ptr + off) += value (a register, or an immediate). Clobbers R1 unless value is R1. */
function addTo(s: State, ptr: Reg, off: number, value: Reg | number): void {
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

function slot(depth: number): number {
	if (depth >= SLOT_COUNT) throw new CodegenError("expression is nested too deeply to compile (more than 12 levels).");
	return -8 * (depth + 1);
}

function label(s: State, what: string): string {
	return `${what}_${s.labels++}`;
}

/** Sign- or zero-extend the low `size` bytes of R0 to 64 bits. */
function extend(a: Asm, r: Reg, size: number, signed: boolean): void {
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
		case "mem": {
			const off = slot(s.depth);
			a.st(8, R10, off, 0);
			a.ldx(8, R3, R6, plan.regOffset);
			if (plan.offset) a.add(R3, plan.offset);
			a.mov(R1, R10).add(R1, off);
			a.mov(R2, plan.size);
			a.call(Helper.probe_read_user);
			a.ldx(8, R0, R10, off);
			extend(a, R0, plan.size, plan.signed);
			return;
		}
	}
}

function loadConst(a: Asm, r: Reg, v: bigint): void {
	if (v >= -0x80000000n && v <= 0x7fffffffn) a.mov(r, Number(v));
	else a.ldImm64(r, v);
}

/** Evaluate an integer expression into R0. Clobbers R1-R5. */
function evalInt(s: State, e: IntExpr): void {
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
		case "progenyof":
			evalProgenyOf(s, e);
			return;
		case "bin":
			evalBin(s, e.op, e.l, e.r);
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

/** R0 = (R0 <op> 0) ? 1 : 0 for "==" (logical not) or "!=" (to boolean). */
function boolify(s: State, op: "==" | "!="): void {
	const a = s.a;
	const t = label(s, "bool_t");
	const done = label(s, "bool_d");
	if (op === "==") a.jeq(R0, 0, t);
	else a.jne(R0, 0, t);
	a.mov(R0, 0).ja(done);
	a.label(t).mov(R0, 1);
	a.label(done);
}

function evalBin(s: State, op: string, l: IntExpr, r: IntExpr): void {
	const a = s.a;
	if (op === "&&" || op === "||") {
		const done = label(s, "logic_d");
		evalInt(s, l);
		boolify(s, "!=");
		if (op === "&&") a.jeq(R0, 0, done);
		else a.jne(R0, 0, done);
		evalInt(s, r);
		boolify(s, "!=");
		a.label(done);
		return;
	}
	evalInt(s, l);
	const off = slot(s.depth);
	a.stx(8, R10, off, R0);
	s.depth++;
	evalInt(s, r);
	s.depth--;
	a.mov(R1, R0); // right
	a.ldx(8, R0, R10, off); // left
	switch (op) {
		case "+":
			a.add(R0, R1);
			return;
		case "-":
			a.sub(R0, R1);
			return;
		case "*":
			a.mul(R0, R1);
			return;
		case "&":
			a.and(R0, R1);
			return;
		case "|":
			a.or(R0, R1);
			return;
		case "^":
			a.xor(R0, R1);
			return;
		case "<<":
			a.lsh(R0, R1);
			return;
		case ">>":
			// D's integers are signed: >> is arithmetic.
			a.arsh(R0, R1);
			return;
		case "/":
		case "%":
			signedDivide(s, op);
			return;
		default: {
			const t = label(s, "cmp_t");
			const done = label(s, "cmp_d");
			switch (op) {
				case "==":
					a.jeq(R0, R1, t);
					break;
				case "!=":
					a.jne(R0, R1, t);
					break;
				case "<":
					a.jslt(R0, R1, t);
					break;
				case "<=":
					a.jsle(R0, R1, t);
					break;
				case ">":
					a.jsgt(R0, R1, t);
					break;
				case ">=":
					a.jsge(R0, R1, t);
					break;
				default:
					throw new CodegenError(`operator '${op}' is not supported.`);
			}
			a.mov(R0, 0).ja(done);
			a.label(t).mov(R0, 1);
			a.label(done);
		}
	}
}

/**
 * R0 = R0 / R1 or R0 % R1 with C's signed semantics, using unsigned division on
 * magnitudes (signed BPF division needs cpu v4, Linux 6.6+; dtop also runs on 6.1).
 * Division by zero yields 0, as BPF's does.
 */
function signedDivide(s: State, op: "/" | "%"): void {
	const a = s.a;
	const ln = label(s, "div_ln");
	const rn = label(s, "div_rn");
	const done = label(s, "div_d");
	// R2 = sign of result (for "/": sign(l) xor sign(r); for "%": sign(l))
	a.mov(R2, 0);
	a.jsge(R0, 0, ln).neg(R0).xor(R2, 1);
	a.label(ln);
	a.jsge(R1, 0, rn).neg(R1);
	if (op === "/") a.xor(R2, 1);
	a.label(rn);
	if (op === "/") a.div(R0, R1);
	else a.mod(R0, R1);
	a.jeq(R2, 0, done).neg(R0);
	a.label(done);
}

function tlsKey(s: State, slotNo: number): void {
	const a = s.a;
	a.call(Helper.get_current_pid_tgid).mov32(R0, R0);
	a.stx(8, R10, TLS_KEY, R0);
	a.st(8, R10, TLS_KEY + 8, slotNo);
}

/** Write string expression `e` zero-padded into `size` bytes at fp+`off`. */
function materializeStr(s: State, e: StrExpr, off: number, size: number): void {
	const a = s.a;
	if (e.k === "copyinstr") {
		// Evaluate the address before clearing the buffer (it may use the stack).
		evalInt(s, e.addr);
		a.mov(R9, R0);
	}
	for (let i = 0; i < size; i += 8) a.st(8, R10, off + i, 0);
	switch (e.k) {
		case "comm":
			a.mov(R1, R10).add(R1, off).mov(R2, Math.min(16, size)).call(Helper.get_current_comm);
			return;
		case "copyinstr":
			a.mov(R1, R10).add(R1, off).mov(R2, size).mov(R3, R9).call(Helper.probe_read_user_str);
			return;
		case "strconst": {
			const bytes = Buffer.alloc(size);
			bytes.write(e.v.slice(0, size - 1));
			for (let i = 0; i < size; i += 4) {
				const w = bytes.readInt32LE(i);
				if (w !== 0) a.st(4, R10, off + i, w);
			}
			return;
		}
	}
}

function evalStrEq(s: State, l: StrExpr, r: StrExpr, neg: boolean): void {
	const a = s.a;
	materializeStr(s, l, STR_A, STR_MAX);
	materializeStr(s, r, STR_B, STR_MAX);
	const differ = label(s, "str_ne");
	const done = label(s, "str_d");
	for (let i = 0; i < STR_MAX; i += 8) {
		a.ldx(8, R1, R10, STR_A + i);
		a.ldx(8, R2, R10, STR_B + i);
		a.jne(R1, R2, differ);
	}
	a.mov(R0, neg ? 0 : 1).ja(done);
	a.label(differ).mov(R0, neg ? 1 : 0);
	a.label(done);
}

function keyStart(fields: KeyField[]): number {
	const size = keySize(fields);
	if (size > KEY_MAX) throw new CodegenError(`aggregation key is ${size} bytes; at most ${KEY_MAX} fit.`);
	return KEY_END - Math.ceil(size / 8) * 8;
}

function buildKey(s: State, fields: KeyField[]): number {
	const a = s.a;
	const start = keyStart(fields);
	if (fields.length === 0) {
		a.st(8, R10, start, 0);
		return start;
	}
	let off = start;
	for (const f of fields) {
		switch (f.k) {
			case "int":
				evalInt(s, f.e);
				a.stx(8, R10, off, R0);
				off += 8;
				break;
			case "str":
				materializeStr(s, f.e, off, f.size);
				off += f.size;
				break;
			case "stack": {
				if (s.p.stackFd === undefined) throw new CodegenError("stacks need a stack map.");
				a.mov(R1, R6)
					.ldMapFd(R2, s.p.stackFd)
					.mov(R3, f.user ? BPF_F_USER_STACK | BPF_F_REUSE_STACKID : BPF_F_REUSE_STACKID);
				a.call(Helper.get_stackid);
				// A failed walk (negative id) still counts, under its error code; the
				// consumer shows it as an unreadable stack and counts it as a drop.
				a.mov32(R9, R0);
				if (f.user) {
					a.call(Helper.get_current_pid_tgid).rsh(R0, 32).lsh(R0, 32).or(R0, R9);
				} else {
					a.mov(R0, R9);
				}
				a.stx(8, R10, off, R0);
				off += 8;
				break;
			}
		}
	}
	return start;
}

function counterAdd(s: State, slotNo: number): void {
	const a = s.a;
	const skip = label(s, "ctr_skip");
	a.st(4, R10, TLS_KEY, slotNo);
	a.ldMapFd(R1, s.p.countersFd).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, skip);
	addTo(s, R0, 0, 1);
	a.label(skip);
}

function compileAgg(s: State, st: Extract<Stmt, { k: "agg" }>, exit: string): void {
	const a = s.a;
	// The value first (it may call helpers and use the stack), then the key.
	const valOff = slot(s.depth);
	if (st.value) {
		evalInt(s, st.value);
		a.stx(8, R10, valOff, R0);
	}
	s.depth++;
	const key = buildKey(s, st.keys);
	s.depth--;
	const have = label(s, "agg_have");
	const drop = label(s, "agg_drop");
	const next = label(s, "agg_next");
	a.ldMapFd(R1, st.mapFd).mov(R2, R10).add(R2, key).call(Helper.map_lookup_elem);
	a.jne(R0, 0, have);
	// New key: insert zeros (from the zero map) unless another CPU just did.
	a.st(4, R10, TLS_KEY, 0);
	a.ldMapFd(R1, s.p.zeroFd).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, drop);
	a.mov(R3, R0).ldMapFd(R1, st.mapFd).mov(R2, R10).add(R2, key).mov(R4, BPF_NOEXIST).call(Helper.map_update_elem);
	a.jne(R0, 0, `${have}_relookup`);
	counterAdd(s, st.insertSlot);
	a.label(`${have}_relookup`);
	a.ldMapFd(R1, st.mapFd).mov(R2, R10).add(R2, key).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, drop);
	a.label(have);
	a.mov(R8, R0);
	a.ldx(8, R9, R10, valOff);
	// count (every function's first field)
	addTo(s, R8, 0, 1);
	switch (st.fn) {
		case "count":
			break;
		case "sum":
		case "avg":
			addTo(s, R8, 8, R9);
			break;
		case "min":
		case "max": {
			// The count was bumped already: a count of 1 means "first value".
			const set = label(s, "mm_set");
			a.ldx(8, R1, R8, 0).jeq(R1, 1, set);
			a.ldx(8, R1, R8, 8);
			if (st.fn === "min") a.jsle(R1, R9, next);
			else a.jsge(R1, R9, next);
			a.label(set).stx(8, R8, 8, R9);
			break;
		}
		case "stddev":
			addTo(s, R8, 8, R9);
			square128(s);
			break;
		case "quantize":
			quantizeIndex(s);
			a.lsh(R0, 3).add(R0, 8).add(R8, R0);
			addTo(s, R8, 0, 1);
			break;
		case "lquantize": {
			const lq = st.lq!;
			const n = lquantizeBuckets(lq);
			const under = label(s, "lq_under");
			const over = label(s, "lq_over");
			const add = label(s, "lq_add");
			loadConst(a, R1, lq.lo);
			a.jslt(R9, R1, under);
			loadConst(a, R1, lq.hi);
			a.jsge(R9, R1, over);
			a.mov(R0, R9);
			loadConst(a, R1, lq.lo);
			a.sub(R0, R1);
			loadConst(a, R1, lq.step);
			a.div(R0, R1).add(R0, 1);
			// Bound the index for the verifier (and against rounding).
			a.jle(R0, n - 2, add)
				.mov(R0, n - 2)
				.ja(add);
			a.label(under).mov(R0, 0).ja(add);
			a.label(over).mov(R0, n - 1);
			a.label(add);
			a.lsh(R0, 3).add(R0, 8).add(R8, R0);
			addTo(s, R8, 0, 1);
			break;
		}
	}
	a.ja(next);
	a.label(drop);
	counterAdd(s, s.p.dropSlot);
	a.label(next);
	void exit;
}

/** Add R9*R9 as a 128-bit value to the u64 pair at R8+16 (low) / R8+24 (high). */
function square128(s: State): void {
	const a = s.a;
	const pos = label(s, "sq_pos");
	const c1 = label(s, "sq_c1");
	const c2 = label(s, "sq_c2");
	const c3 = label(s, "sq_c3");
	a.mov(R1, R9).jsge(R1, 0, pos).neg(R1);
	a.label(pos);
	// R1 = |v| = h*2^32 + l ; v^2 = h^2*2^64 + 2hl*2^32 + l^2
	a.mov(R2, R1).rsh(R2, 32); // h
	a.mov32(R1, R1); // l
	a.mov(R3, R1).mul(R3, R1); // lo = l*l
	a.mov(R4, R2).mul(R4, R1); // m = h*l
	a.mov(R5, R2).mul(R5, R2); // hi = h*h
	// lo += (m << 32) twice; hi += (m >> 32) twice, plus carries
	for (let i = 0; i < 2; i++) {
		const carry = i === 0 ? c1 : c2;
		a.mov(R0, R4).lsh(R0, 32).add(R3, R0);
		a.jge(R3, R0, carry).add(R5, 1);
		a.label(carry);
		a.mov(R0, R4).rsh(R0, 32).add(R5, R0);
	}
	// accumulate into the value
	a.ldx(8, R0, R8, 16).add(R0, R3).stx(8, R8, 16, R0);
	a.jge(R0, R3, c3).add(R5, 1);
	a.label(c3);
	a.ldx(8, R0, R8, 24).add(R0, R5).stx(8, R8, 24, R0);
}

/** R0 = quantize bucket index of R9 (0..127), as layout.quantizeBucket computes it. */
function quantizeIndex(s: State): void {
	const a = s.a;
	const zero = label(s, "q_zero");
	const pos = label(s, "q_pos");
	const done = label(s, "q_done");
	a.jeq(R9, 0, zero);
	a.mov(R1, R9).jsgt(R1, 0, pos).neg(R1);
	a.label(pos);
	// R2 = floor(log2(R1)) by binary search
	a.mov(R2, 0);
	for (const sh of [32, 16, 8, 4, 2, 1]) {
		const skip = label(s, "q_s");
		a.mov(R3, R1).rsh(R3, sh).jeq(R3, 0, skip);
		a.add(R2, sh).rsh(R1, sh);
		a.label(skip);
	}
	a.jle(R2, 62, `${done}_c`).mov(R2, 62);
	a.label(`${done}_c`);
	const neg = label(s, "q_neg");
	a.jslt(R9, 0, neg);
	a.mov(R0, QUANTIZE_ZERO + 1)
		.add(R0, R2)
		.ja(done);
	a.label(neg)
		.mov(R0, QUANTIZE_ZERO - 1)
		.sub(R0, R2)
		.ja(done);
	a.label(zero).mov(R0, QUANTIZE_ZERO);
	a.label(done);
	a.and(R0, 127);
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

/** The program for one clause. */
export function compileClause(p: ClauseProgram): Asm {
	const a = new Asm();
	const s: State = { a, p, depth: 0, labels: 0, atomic: p.atomic ?? true };
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
	if (p.predicate) {
		evalInt(s, p.predicate);
		a.jeq(R0, 0, exit);
	}
	// Count the firing against its probe.
	a.mov(R0, R7).stx(4, R10, TLS_KEY, R0);
	a.ldMapFd(R1, p.hitsFd).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, "hit_done");
	addTo(s, R0, 0, 1);
	a.label("hit_done");
	for (const st of p.statements) {
		if (st.k === "agg") compileAgg(s, st, exit);
		else compileTls(s, st);
	}
	a.label(exit).mov(R0, 0).exit();
	return a;
}
