// Members of struct and union variables (source/d/ctypes): a member is bytes at its
// offset in the variable's place (the globals map's value, or the clause-local area),
// read at its width and sign-extended as its type says. A bit-field is read from the
// aligned 8-byte word holding it (shifted and masked, or sign-extended) and written
// back into that word with its other bits kept.
import type { IntExpr, VarRef } from "../../kernel/codegen/ir.ts";
import type { FieldExpr } from "../d/ast.ts";
import type { LowerEnv } from "./lower.ts";
import { LowerError } from "./lower.ts";

const c = (v: bigint): IntExpr => ({ k: "const", v: BigInt.asIntN(64, v) });

function ref(e: FieldExpr, env: LowerEnv, off: number, size: 1 | 2 | 4 | 8, signed: boolean): VarRef {
	const vars = env.vars;
	if (!vars) throw new LowerError(`${e.text}: struct variables are not available here.`);
	const base = e.scope === "global" ? vars.global(e.name) : vars.local(e.name, e.varSize);
	const v: Extract<VarRef, { k: "global" | "this" }> = { k: e.scope, off: base + off };
	if (size < 8) {
		v.size = size;
		if (signed) v.signed = true;
	}
	return v;
}

/** Where a member's bytes are (not for a bit-field). */
export function fieldRef(e: FieldExpr, env: LowerEnv): VarRef {
	return ref(e, env, e.offset, e.type.size, e.type.signed);
}

function word(e: FieldExpr): { off: number; shift: number; bits: number; mask: bigint } {
	const bits = e.bits!;
	const off = Math.floor(e.bitOffset! / 64) * 8;
	return { off, shift: e.bitOffset! - off * 8, bits, mask: (1n << BigInt(bits)) - 1n };
}

/** The member's value. */
export function lowerFieldLoad(e: FieldExpr, env: LowerEnv): IntExpr {
	if (e.bits === undefined) return { k: "load", v: fieldRef(e, env) };
	const w = word(e);
	const load: IntExpr = { k: "load", v: ref(e, env, w.off, 8, false) };
	if (e.type.signed) {
		const up: IntExpr = { k: "bin", op: "<<", l: load, r: c(BigInt(64 - w.shift - w.bits)) };
		return { k: "bin", op: ">>", l: up, r: c(BigInt(64 - w.bits)) };
	}
	const down: IntExpr = { k: "bin", op: ">>", l: load, r: c(BigInt(w.shift)), unsigned: true };
	return { k: "bin", op: "&", l: down, r: c(w.mask) };
}

/** Store `value` (already cut to the member's type) into the member; yields the value stored. */
export function lowerFieldStore(e: FieldExpr, env: LowerEnv, value: IntExpr): IntExpr {
	if (e.bits === undefined) return { k: "store", v: fieldRef(e, env), value };
	const w = word(e);
	const at = ref(e, env, w.off, 8, false);
	const kept: IntExpr = { k: "bin", op: "&", l: { k: "load", v: at }, r: c(~(w.mask << BigInt(w.shift))) };
	const bits: IntExpr = { k: "bin", op: "&", l: value, r: c(w.mask) };
	const put: IntExpr = { k: "bin", op: "<<", l: bits, r: c(BigInt(w.shift)) };
	return { k: "store", v: at, value: { k: "bin", op: "|", l: kept, r: put } };
}
