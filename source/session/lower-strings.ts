// Lowers calls of D's string subroutines (check-strings.ts) into the code
// generator's IR (kernel/codegen/strfuncs.ts).
import type { IntExpr, StrExpr, StrFn } from "../../kernel/codegen/ir.ts";
import type { CallExpr } from "../d/ast.ts";
import { STRING_FUNCTIONS } from "../d/check-strings.ts";
import { type LowerEnv, lowerInt, lowerStr } from "./lower.ts";
import { lowerBytesCall } from "./lower-bytes.ts";

/** Does this call yield a string? */
export function isStringCall(e: CallExpr): boolean {
	return e.fn === "copyinstr" || STRING_FUNCTIONS[e.fn]?.ret === "string";
}

function split(e: CallExpr, env: LowerEnv): { s: StrExpr[]; n: IntExpr[] } {
	const p = STRING_FUNCTIONS[e.fn]!;
	const s: StrExpr[] = [];
	const n: IntExpr[] = [];
	e.args.forEach((a, i) => {
		if (p.args[i] === "string") s.push(lowerStr(a, env));
		else n.push(lowerInt(a, env));
	});
	return { s, n };
}

/** A string-valued subroutine call. */
export function lowerStrCall(e: CallExpr, env: LowerEnv): StrExpr | undefined {
	const bytes = lowerBytesCall(e, env);
	if (bytes) return bytes;
	if (STRING_FUNCTIONS[e.fn]?.ret !== "string") return undefined;
	return { k: "fn", fn: e.fn as StrFn, ...split(e, env) };
}

/** An integer-valued one (strlen, index, rindex, rand, htons, ...). */
export function lowerIntCall(e: CallExpr, env: LowerEnv): IntExpr | undefined {
	switch (e.fn) {
		case "strlen":
			return { k: "strint", fn: "strlen", s: [lowerStr(e.args[0]!, env)], n: [] };
		case "index":
		case "rindex":
			return { k: "strint", fn: e.fn, ...split(e, env) };
		case "rand":
			return { k: "rand" };
		case "htons":
		case "ntohs":
			return { k: "bswap", bits: 16, e: lowerInt(e.args[0]!, env) };
		case "htonl":
		case "ntohl":
			return { k: "bswap", bits: 32, e: lowerInt(e.args[0]!, env) };
	}
	return undefined;
}
