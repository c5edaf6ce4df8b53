// Variables and the expressions that need more than one register: global
// scalars (one array value shared by every CPU, as DTrace's globals are),
// clause-locals (this->, in the per-CPU buffer, zeroed at each firing),
// thread-locals, global associative arrays (hash maps: assigning 0 frees an
// element; a full map is a counted dynamic variable drop), ?:, casts and
// `if`/`else`.
import { R0, R1, R2, R3, R4, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { CodegenError, compileStmt, counterAdd, evalInt, extend, label, type State, slot } from "./compile.ts";
import type { IntExpr, Stmt, VarRef } from "./ir.ts";
import { BUF_THIS, THIS_MAX } from "./ir.ts";
import { bufAt, buildKey, keyAt, lookupAssoc } from "./strings.ts";

/** fp-144: the globals map's key (u32 0); fp-160..-145: the thread-local key. */
const GLOBAL_KEY = -144;
const TLS_KEY = -160;

function globals(s: State): number {
	if (s.p.globalsFd === undefined) throw new CodegenError("global variables need the globals map.");
	return s.p.globalsFd;
}

/** Bytes a variable reference reads and writes. */
function width(v: VarRef): 1 | 2 | 4 | 8 {
	return (v.k === "global" || v.k === "this") && v.size !== undefined ? v.size : 8;
}

/** After a load of `width(v)` bytes into R0: a signed member is sign-extended. */
function widen(s: State, v: VarRef): void {
	if ((v.k === "global" || v.k === "this") && v.signed && width(v) < 8) extend(s.a, R0, width(v), true);
}

function thisOff(off: number): number {
	if (off + 8 > THIS_MAX) throw new CodegenError(`more clause-local variables than fit (${THIS_MAX / 8}).`);
	return BUF_THIS + off;
}

function tlsKey(s: State, slotNo: number): void {
	const a = s.a;
	if (s.p.tlsFd === undefined) throw new CodegenError("thread-local variables need a thread-local map.");
	a.call(Helper.get_current_pid_tgid).mov32(R0, R0);
	a.stx(8, R10, TLS_KEY, R0);
	a.st(8, R10, TLS_KEY + 8, slotNo);
}

/** R0 = the variable's value, 0 when it has none. */
export function evalLoad(s: State, v: VarRef): void {
	const a = s.a;
	const miss = label(s, "ld_miss");
	const done = label(s, "ld_done");
	switch (v.k) {
		case "this":
			bufAt(s, R1, thisOff(v.off));
			a.ldx(width(v), R0, R1, 0);
			widen(s, v);
			return;
		case "global":
			a.st(4, R10, GLOBAL_KEY, 0);
			a.ldMapFd(R1, globals(s)).mov(R2, R10).add(R2, GLOBAL_KEY).call(Helper.map_lookup_elem);
			break;
		case "tls":
			tlsKey(s, v.slot);
			a.ldMapFd(R1, s.p.tlsFd!).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_lookup_elem);
			break;
		case "assoc":
			lookupAssoc(s, v);
			break;
	}
	a.jeq(R0, 0, miss).ldx(width(v), R0, R0, v.k === "global" ? v.off : 0);
	widen(s, v);
	a.ja(done);
	a.label(miss).mov(R0, 0);
	a.label(done);
}

/** Store `value` into the variable; R0 = the value stored. */
export function evalStore(s: State, v: VarRef, value: IntExpr): void {
	const a = s.a;
	const valOff = slot(s.depth);
	evalInt(s, value);
	a.stx(8, R10, valOff, R0);
	s.depth++;
	const done = label(s, "st_done");
	const del = label(s, "st_del");
	switch (v.k) {
		case "this":
			bufAt(s, R1, thisOff(v.off));
			a.ldx(8, R2, R10, valOff).stx(width(v), R1, 0, R2);
			break;
		case "global":
			a.st(4, R10, GLOBAL_KEY, 0);
			a.ldMapFd(R1, globals(s)).mov(R2, R10).add(R2, GLOBAL_KEY).call(Helper.map_lookup_elem);
			a.jeq(R0, 0, done);
			a.ldx(8, R1, R10, valOff).stx(width(v), R0, v.off, R1);
			break;
		case "tls":
			// Assigning 0 frees the variable, as in DTrace.
			tlsKey(s, v.slot);
			a.ldx(8, R0, R10, valOff).jeq(R0, 0, del);
			a.ldMapFd(R1, s.p.tlsFd!).mov(R2, R10).add(R2, TLS_KEY).mov(R3, R10).add(R3, valOff).mov(R4, 0);
			a.call(Helper.map_update_elem).ja(done);
			a.label(del);
			a.ldMapFd(R1, s.p.tlsFd!).mov(R2, R10).add(R2, TLS_KEY).call(Helper.map_delete_elem);
			break;
		case "assoc": {
			const key = buildKey(s, v.keys);
			a.ldx(8, R0, R10, valOff).jeq(R0, 0, del);
			a.ldMapFd(R1, v.mapFd);
			keyAt(s, R2, key);
			a.mov(R3, R10).add(R3, valOff).mov(R4, 0).call(Helper.map_update_elem);
			a.jeq(R0, 0, done);
			// The map is full (dynvarsize): DTrace's dynamic variable drop.
			if (s.p.dynDropSlot !== undefined) counterAdd(s, s.p.dynDropSlot);
			a.ja(done);
			a.label(del);
			a.ldMapFd(R1, v.mapFd);
			keyAt(s, R2, key);
			a.call(Helper.map_delete_elem);
			break;
		}
	}
	a.label(done);
	s.depth--;
	a.ldx(8, R0, R10, valOff);
}

export function evalCond(s: State, e: Extract<IntExpr, { k: "cond" }>): void {
	const a = s.a;
	const no = label(s, "cond_f");
	const done = label(s, "cond_d");
	evalInt(s, e.c);
	a.jeq(R0, 0, no);
	evalInt(s, e.t);
	a.ja(done);
	a.label(no);
	evalInt(s, e.f);
	a.label(done);
}

export function evalExt(s: State, e: Extract<IntExpr, { k: "ext" }>): void {
	evalInt(s, e.e);
	extend(s.a, R0, e.size, e.signed);
}

export function compileIf(s: State, st: Extract<Stmt, { k: "if" }>): void {
	const a = s.a;
	const no = label(s, "if_f");
	const done = label(s, "if_d");
	evalInt(s, st.c);
	a.jeq(R0, 0, no);
	for (const x of st.yes) compileStmt(s, x);
	a.ja(done);
	a.label(no);
	for (const x of st.no) compileStmt(s, x);
	a.label(done);
}

/** Zero the clause-locals at the start of a firing. */
export function zeroThis(s: State, size: number): void {
	if (size <= 0) return;
	if (size > THIS_MAX) throw new CodegenError(`more clause-local variables than fit (${THIS_MAX / 8}).`);
	bufAt(s, R1, BUF_THIS);
	for (let i = 0; i < size; i += 8) s.a.st(8, R1, i, 0);
}
