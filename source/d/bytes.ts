// The subset's forms of `stringof`, `(string)` casts and NULL (narrowing, in
// place): `stringof(e)` and `(string)e` become a call of `stringof`, checked
// and lowered as the string subroutines are; NULL becomes the empty string,
// marked, since dtop's NULL strings (what strstr, strchr and strtok return when
// they find nothing) are empty strings, and strtok(NULL, d) is told apart by
// the mark. DTrace's library constants (AF_INET, DTRACEFLT_BADADDR, ...) become
// their values.
import { LIBRARY_CONSTANTS } from "./library.ts";
import type { Expr } from "./syntax.ts";

const nulls = new WeakSet<object>();

/** Turn `stringof(x)` or `(string)x` into the call `stringof(x)` (in place). */
export function asStringof(e: Extract<Expr, { kind: "stringof" | "cast" }>): void {
	const operand = e.operand;
	delete (e as { type?: unknown }).type;
	Object.assign(e, { kind: "call", fn: "stringof", args: [operand] });
}

/** Turn the name NULL into a marked "" and a library constant (AF_INET, ...) into its value (in place). */
export function asNull(e: Extract<Expr, { kind: "ident" }>): boolean {
	const value = LIBRARY_CONSTANTS.get(e.name);
	if (value !== undefined) {
		Object.assign(e, { kind: "int", value });
		delete (e as { name?: string }).name;
		return true;
	}
	if (e.name !== "NULL") return false;
	Object.assign(e, { kind: "string", value: "" });
	delete (e as { name?: string }).name;
	nulls.add(e);
	return true;
}

/** Is this expression (a string now) the NULL of the program? */
export function isNull(e: object): boolean {
	return nulls.has(e);
}

/** Why some names are not supported, after "'name' is not supported". */
export const UNSUPPORTED_WHY: Readonly<Record<string, string>> = {
	copyinto:
		": it copies into memory from alloca(), which dtop does not have; use this->b = copyin(addr, size) or stringof(copyin(addr, size))",
};
