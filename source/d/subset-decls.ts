// Declarations in the subset parser, as DTrace checks them: a variable declared
// again with another type (D_DECL_IDRED), and the words that start a declaration,
// which a clause's body cannot hold (D_SYNTAX there).
import { TAG } from "./errtags.ts";
import { FUNCTIONS } from "./functions.ts";
import { err } from "./subset-names.ts";
import type { Program } from "./syntax.ts";
import { isInteger, resolveType } from "./types.ts";

/** Words that start a declaration (with the type names), never a statement. */
export const DECLARATION_WORDS: ReadonlySet<string> = new Set([
	"typedef",
	"struct",
	"union",
	"enum",
	"translator",
	"inline",
]);

/** A variable declared again with another type is DTrace's D_DECL_IDRED (the same declaration twice is fine). */
export function noRedeclaration(decls: Program["declarations"]): void {
	const seen = new Map<string, string>();
	for (const d of [...decls].sort((a, b) => a.pos.offset - b.pos.offset)) {
		if (d.kind !== "decl") continue;
		for (const v of d.declarators) {
			const key = `${d.storage} ${v.name}`;
			const type = `${d.type.words.join(" ")}${"*".repeat(d.type.pointers + v.pointers)}[${v.dimension ?? ""}${(v.keys ?? []).map((k) => k.words.join(" ")).join(",")}]`;
			const before = seen.get(key);
			if (before !== undefined && before !== type)
				throw err(v.pos, `${v.name} is declared again with another type`, [
					"D_DECL_IDRED",
					{ dtrace: `identifier redeclared: ${v.name}` },
				]);
			seen.set(key, type);
		}
	}
}

/** Does `e` name the identifier `name` anywhere? */
function mentions(e: unknown, name: string): boolean {
	if (e === null || typeof e !== "object") return false;
	const o = e as { kind?: unknown; name?: unknown };
	if (o.kind === "ident" && o.name === name) return true;
	return Object.values(o).some((v) => mentions(v, name));
}

/**
 * What DTrace refuses in an inline before dtop says it has no inlines: a name that is
 * already an inline or a function (D_DECL_IDRED), an inline that uses itself
 * (D_IDENT_UNDEF), a constant of the wrong kind for its type (D_OP_INCOMPAT).
 */
export function checkInlines(decls: Program["declarations"]): void {
	const seen = new Set<string>();
	for (const d of [...decls].sort((a, b) => a.pos.offset - b.pos.offset)) {
		if (d.kind !== "inline") continue;
		const redefined = (previous: string) =>
			err(d.pos, `inline ${d.name} redefines ${previous === "function " ? "a function" : "an inline"}`, [
				"D_DECL_IDRED",
				{ dtrace: `identifier redefined: ${d.name}; current: inline definition; previous: ${previous}` },
			]);
		if (FUNCTIONS.has(d.name)) throw redefined("function ");
		if (seen.has(d.name)) throw redefined("scalar inline");
		seen.add(d.name);
		if (mentions(d.value, d.name))
			throw err(d.value.pos, `inline ${d.name} is defined in terms of itself`, TAG.unknownVariable(d.name));
		const type = d.type.words.join(" ");
		const t = d.pointers === 0 ? resolveType(d.type) : undefined;
		const v = d.value.kind === "string" ? "string" : d.value.kind === "int" ? "int" : undefined;
		if (t && v && ((isInteger(t) && v === "string") || (t.k === "string" && v === "int")))
			throw err(d.value.pos, `inline ${d.name} is ${type} but is given ${v === "string" ? "a string" : "an integer"}`, [
				"D_OP_INCOMPAT",
				{ dtrace: `inline ${d.name} definition uses incompatible types: "${type}" = "${v}"` },
			]);
	}
}
