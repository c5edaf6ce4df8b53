// Strings and keys, built in the program's per-CPU buffer (ClauseProgram.bufFd):
// a key of two 256-byte strings, or two strings being compared, do not fit in
// BPF's 512-byte stack. A string is read with at most strsize bytes, its NUL
// included: p.strsize is the strsize option + 1, DTrace's strsize counting characters; one cut there is counted in truncSlot
// (DTrace cuts silently; dtop shows the count).
import { R0, R1, R2, R3, R6, R7, R9, R10, type Reg } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { emitTaskRegs } from "../unwind/regs.ts";
import { copyinLen, materializeBytes } from "./bytes.ts";
import { CodegenError, counterAdd, evalInt, label, type State, slot } from "./compile.ts";
import { materializeExecArgs } from "./execargs.ts";
import { checkRead } from "./faults.ts";
import type { KeyField, StrExpr, VarRef } from "./ir.ts";
import { BUF_KEY, BUF_STR_A, BUF_STR_B, KEY_MAX, STRSIZE_DEFAULT, STRSIZE_MAX } from "./ir.ts";
import { keySize } from "./layout.ts";
import { materializeFn } from "./strfuncs.ts";
import { readStrVar } from "./strvars.ts";
import { lookupWorkArea, readUser, readUserStr } from "./user-read.ts";

/** fp-120: the buffer's address, looked up once per firing; fp-128: one byte probed past a cut string. */
export const BUF_PTR = -120;
const PROBE_BYTE = -128;
/** fp-136: the key of a keyless aggregation (one zero u64; no buffer needed). */
const EMPTY_KEY = -136;

/** Where a key was built: on the stack or in the buffer. */
export type KeyRef = { stack: number } | { buf: number };

/** reg = the key's address. */
export function keyAt(s: State, reg: Reg, k: KeyRef): void {
	if ("stack" in k) s.a.mov(reg, R10).add(reg, k.stack);
	else bufAt(s, reg, k.buf);
}

const BPF_F_USER_STACK = 0x100;
const BPF_F_REUSE_STACKID = 0x400;

export function strsize(s: State): number {
	const n = s.p.strsize ?? STRSIZE_DEFAULT;
	// n counts the NUL: the strsize option is n - 1 characters.
	if (n < 3 || n > STRSIZE_MAX)
		throw new CodegenError(`strsize ${n - 1} is outside 2..${STRSIZE_MAX - 1}; choose a strsize in that range.`);
	return n;
}

/** The bytes a string occupies in a key or comparison: strsize rounded up to 8. */
export function strSlot(s: State): number {
	return Math.ceil(strsize(s) / 8) * 8;
}

/** reg = the buffer's address + off. */
export function bufAt(s: State, reg: Reg, off: number): void {
	if (s.p.bufFd === undefined) throw new CodegenError("this clause needs the scratch buffer map.");
	if (s.cbBuf) s.a.mov(reg, R6);
	else s.a.ldx(8, reg, R10, BUF_PTR);
	if (off) s.a.add(reg, off);
}

/** Look the buffer up once at the start of the program (after the state check). */
export function loadBuf(s: State, exit: string): void {
	const a = s.a;
	if (s.p.bufFd === undefined) return;
	lookupWorkArea(s, s.p.bufFd, BUF_PTR, exit);
	a.stx(8, R10, BUF_PTR, R0);
}

/**
 * After probe_read_user_str(dst, n, R9): R0 == n means the string filled the
 * buffer; it was cut if the byte at R9 + n - 1 is not its NUL. Clobbers R0-R5.
 */
export function countCut(s: State, n: number): void {
	const a = s.a;
	if (s.p.truncSlot === undefined) return;
	const ok = label(s, "cut_ok");
	a.jne(R0, n, ok);
	a.st(8, R10, PROBE_BYTE, 0);
	a.mov(R1, R10)
		.add(R1, PROBE_BYTE)
		.mov(R2, 1)
		.mov(R3, R9)
		.add(R3, n - 1);
	readUser(s);
	a.ldx(1, R0, R10, PROBE_BYTE).jeq(R0, 0, ok);
	counterAdd(s, s.p.truncSlot);
	a.label(ok);
}

/** Write string `e`, zero-padded to `size` bytes, at buffer offset `off`. */
export function materializeStr(s: State, e: StrExpr, off: number, size: number): void {
	const a = s.a;
	if (e.k === "strtok" || e.k === "copyin" || e.k === "inet") {
		materializeBytes(s, e, off, size);
		return;
	}
	const lenSlot = slot(s.depth);
	if (e.k === "copyinstr" || e.k === "kstr") {
		// The length and the address first: evaluating them may use the buffer.
		if (e.k === "copyinstr" && e.len) {
			evalInt(s, e.len);
			a.stx(8, R10, lenSlot, R0);
			s.depth++;
		}
		evalInt(s, e.addr);
		if (e.k === "copyinstr" && e.len) s.depth--;
		a.mov(R9, R0);
	}
	if (e.k === "fn") {
		materializeFn(s, e, off, size);
		return;
	}
	if (e.k === "cond") {
		const no = label(s, "scond_f");
		const done = label(s, "scond_d");
		evalInt(s, e.c);
		a.jeq(R0, 0, no);
		materializeStr(s, e.t, off, size);
		a.ja(done);
		a.label(no);
		materializeStr(s, e.f, off, size);
		a.label(done);
		return;
	}
	bufAt(s, R1, off);
	for (let i = 0; i < size; i += 8) a.st(8, R1, i, 0);
	const n = Math.min(size, strsize(s));
	switch (e.k) {
		case "comm":
			a.mov(R2, Math.min(16, n)).call(Helper.get_current_comm);
			return;
		case "copyinstr":
			if (e.len) {
				a.ldx(8, R0, R10, lenSlot);
				copyinLen(s, n);
				a.mov(R3, R9);
				readUserStr(s);
				checkRead(s);
				return;
			}
			a.mov(R2, n).mov(R3, R9);
			readUserStr(s);
			checkRead(s);
			countCut(s, n);
			return;
		case "kstr":
			a.mov(R2, Math.min(e.size, n)).mov(R3, R9).call(Helper.probe_read_kernel_str);
			checkRead(s);
			return;
		case "strconst":
			writeConst(s, e.v, size, n);
			return;
		case "execargs":
			materializeExecArgs(s, e, off, n);
			return;
		case "var":
			readStrVar(s, e.v, off, size);
			return;
		case "strsel": {
			const done = label(s, "sel_d");
			const cases = e.cases.map(() => label(s, "sel"));
			a.mov(R2, R7).rsh(R2, 32);
			e.cases.forEach((c, i) => {
				for (const id of c.ids) a.jeq(R2, id, cases[i]!);
			});
			a.ja(done);
			e.cases.forEach((c, i) => {
				a.label(cases[i]!);
				writeConst(s, c.v, size, n);
				a.ja(done);
			});
			a.label(done);
			return;
		}
	}
}

/** A constant string at R1 (zeroed `size` bytes), cut to n - 1 bytes and its NUL. */
function writeConst(s: State, v: string, size: number, n: number): void {
	// `size` is the zeroed place, whole words (a caller's odd size is rounded as the zeroing loop does).
	const bytes = Buffer.alloc(Math.ceil(size / 8) * 8);
	bytes.write(v.slice(0, n - 1), "latin1");
	for (let i = 0; i < size; i += 4) {
		const w = bytes.readInt32LE(i);
		if (w !== 0) s.a.st(4, R1, i, w);
	}
}

/** R0 = (l == r) (or !=), comparing strsize bytes of each. */
export function evalStrEq(s: State, l: StrExpr, r: StrExpr, neg: boolean): void {
	const a = s.a;
	const size = strSlot(s);
	materializeStr(s, l, BUF_STR_A, size);
	materializeStr(s, r, BUF_STR_B, size);
	const differ = label(s, "str_ne");
	const done = label(s, "str_d");
	bufAt(s, R1, 0);
	for (let i = 0; i < size; i += 8) {
		a.ldx(8, R2, R1, BUF_STR_A + i);
		a.ldx(8, R3, R1, BUF_STR_B + i);
		a.jne(R2, R3, differ);
	}
	a.mov(R0, neg ? 0 : 1).ja(done);
	a.label(differ).mov(R0, neg ? 1 : 0);
	a.label(done);
}

/**
 * Build a key in the buffer (a keyless one on the stack); returns where. Keys nest (an
 * associative array read inside another key) at most one level deep.
 */
export function buildKey(s: State, fields: KeyField[]): KeyRef {
	const a = s.a;
	if (fields.length === 0) {
		a.st(8, R10, EMPTY_KEY, 0);
		return { stack: EMPTY_KEY };
	}
	const size = keySize(fields);
	if (size > KEY_MAX)
		throw new CodegenError(
			`a key of ${size} bytes is more than the ${KEY_MAX} dtop builds; use fewer string keys or a smaller strsize.`,
		);
	const depth = s.keyDepth ?? 0;
	if (depth > 1) throw new CodegenError("keys are nested too deeply (an array indexed by an array read inside a key).");
	const start = BUF_KEY + depth * KEY_MAX;
	s.keyDepth = depth + 1;
	try {
		let off = start;
		for (const f of fields) {
			switch (f.k) {
				case "int":
					evalInt(s, f.e);
					bufAt(s, R1, off);
					a.stx(8, R1, 0, R0);
					off += 8;
					break;
				case "str":
					materializeStr(s, f.e, off, f.size);
					off += f.size;
					break;
				case "stack": {
					if (f.user && s.p.ustack) {
						// The unwinder's id (a content hash; all ones for a hash collision)
						// stands for the whole record, tgid included. Its walk keeps R6-R9.
						s.p.ustack.call(a, s.p.ustackRegs === "task" ? emitTaskRegs(a) : R6);
						s.unwinds = true;
						bufAt(s, R1, off);
						a.stx(8, R1, 0, R0);
						off += 8;
						break;
					}
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
					bufAt(s, R1, off);
					a.stx(8, R1, 0, R0);
					off += 8;
					break;
				}
			}
		}
		return { buf: start };
	} finally {
		s.keyDepth = depth;
	}
}

/** R0 = the associative array element's value address (map_lookup_elem of the key built from its keys), 0 when not set. Clobbers R1-R5. */
export function lookupAssoc(s: State, v: Extract<VarRef, { k: "assoc" }>): void {
	const key = buildKey(s, v.keys);
	s.a.ldMapFd(R1, v.mapFd);
	keyAt(s, R2, key);
	s.a.call(Helper.map_lookup_elem);
}
