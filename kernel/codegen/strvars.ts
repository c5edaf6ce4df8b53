// String variables: a global's or clause-local's strsize bytes, or an
// associative array element whose value is a string. Reading copies the bytes
// where the string is needed (a key, a comparison, a record); storing builds
// the string in the buffer's second string area, then copies it (or hands it
// to the hash map) to the variable's place.
import { R0, R1, R2, R3, R4, R10, type Reg } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { CodegenError, counterAdd, label, type State } from "./compile.ts";
import type { StrExpr, VarRef } from "./ir.ts";
import { BUF_STR_B, BUF_THIS, THIS_MAX } from "./ir.ts";
import { bufAt, buildKey, keyAt, lookupAssoc, materializeStr, strSlot } from "./strings.ts";

/** fp-144: the globals map's key (u32 0), as vars.ts uses it. */
const GLOBAL_KEY = -144;

/** Copy `size` bytes from [src] to [dst] (8 at a time). Clobbers R3. */
function copy(s: State, dst: Reg, src: Reg, size: number): void {
	for (let i = 0; i < size; i += 8) s.a.ldx(8, R3, src, i).stx(8, dst, i, R3);
}

/**
 * R0 = the address of the variable's bytes, or 0 when it has none (a global
 * map that did not answer, an element not set). Clobbers R1-R5.
 */
function varAddress(s: State, v: VarRef): void {
	const a = s.a;
	switch (v.k) {
		case "this":
			if (v.off + strSlot(s) > THIS_MAX) throw new CodegenError("clause-local strings do not fit.");
			bufAt(s, R0, BUF_THIS + v.off);
			return;
		case "global": {
			if (s.p.globalsFd === undefined) throw new CodegenError("global variables need the globals map.");
			const done = label(s, "gaddr");
			a.st(4, R10, GLOBAL_KEY, 0);
			a.ldMapFd(R1, s.p.globalsFd).mov(R2, R10).add(R2, GLOBAL_KEY).call(Helper.map_lookup_elem);
			a.jeq(R0, 0, done).add(R0, v.off);
			a.label(done);
			return;
		}
		case "assoc":
			lookupAssoc(s, v);
			return;
		case "tls":
			throw new CodegenError("thread-local strings are not supported yet.");
	}
}

/** Write the variable's string (zeroed `size` bytes when it has none) at buffer offset `off`. */
export function readStrVar(s: State, v: VarRef, off: number, size: number): void {
	const a = s.a;
	const none = label(s, "svar_none");
	varAddress(s, v);
	a.jeq(R0, 0, none);
	bufAt(s, R1, off);
	copy(s, R1, R0, Math.min(size, strSlot(s)));
	a.label(none);
}

/** Copy a string at buffer offset `off` into the per-event record at REC_PTR + recOff. */
export function copyToRecord(s: State, off: number, recPtrSlot: number, recOff: number, size: number): void {
	s.a.ldx(8, R1, R10, recPtrSlot).add(R1, recOff);
	bufAt(s, R2, off);
	copy(s, R1, R2, size);
}

/** Store a string into a string variable. */
export function storeStr(s: State, v: VarRef, e: StrExpr): void {
	const a = s.a;
	const size = strSlot(s);
	materializeStr(s, e, BUF_STR_B, size);
	const done = label(s, "sst_done");
	if (v.k === "assoc") {
		const key = buildKey(s, v.keys);
		a.ldMapFd(R1, v.mapFd);
		keyAt(s, R2, key);
		bufAt(s, R3, BUF_STR_B);
		a.mov(R4, 0).call(Helper.map_update_elem);
		a.jeq(R0, 0, done);
		// The map is full (dynvarsize): DTrace's dynamic variable drop.
		if (s.p.dynDropSlot !== undefined) counterAdd(s, s.p.dynDropSlot);
		a.label(done);
		return;
	}
	varAddress(s, v);
	a.jeq(R0, 0, done);
	bufAt(s, R1, BUF_STR_B);
	copy(s, R0, R1, size);
	a.label(done);
}
