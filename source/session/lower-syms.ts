// The address-naming subroutines func() sym() mod() (kernel) and ufunc()
// usym() umod() uaddr() (user), as aggregation keys and in records: BPF keeps
// the address (and, for user addresses, the firing process's pid); the
// consumer names it with the session's symbolizer and, as DTrace does,
// aggregates keys of one function (one module for mod/umod) together.
import type { KeyField } from "../../kernel/codegen/ir.ts";
import type { Clause, Expr } from "../d/ast.ts";
import type { SymValue } from "../output/model.ts";
import { allStatements, forEachExpr, type KeyDecode, type LowerEnv, lowerInt } from "./lower.ts";

export type SymFn = SymValue["fn"];

const SYM_FNS: ReadonlySet<string> = new Set(["func", "sym", "mod", "ufunc", "usym", "umod", "uaddr"]);

/** Is `e` a call of func(), ufunc() & co? */
export function isSymCall(e: Expr): boolean {
	return e.kind === "call" && SYM_FNS.has(e.fn);
}

/** The key fields of one such call: the pid (user addresses) then the address, 8 bytes each. */
export function lowerSymKey(call: Expr, env: LowerEnv): { fields: KeyField[]; decode: KeyDecode } {
	const e = call as Extract<Expr, { kind: "call" }>;
	const fn = e.fn as SymFn;
	const user = fn.startsWith("u");
	const addr: KeyField = { k: "int", e: lowerInt(e.args[0]!, env) };
	const fields: KeyField[] = user ? [{ k: "int", e: { k: "builtin", name: "pid" } }, addr] : [addr];
	return { fields, decode: { k: "sym", fn, user } };
}

const USER_FNS: ReadonlySet<string> = new Set(["ustack", "ufunc", "usym", "umod", "uaddr"]);

/** Does the clause name user addresses (so processes' mappings must be read while they live)? */
export function usesUserAddresses(c: Clause): boolean {
	let found = false;
	forEachExpr(c, (e) => {
		if ((e.kind === "call" && USER_FNS.has(e.fn)) || (e.kind === "builtin" && e.name === "ucaller")) found = true;
	});
	return found || allStatements(c.statements).some((s) => s.kind === "expr" && USER_FNS.has(s.expr.fn));
}
