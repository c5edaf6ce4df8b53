// DTrace checks a call against its function's prototype (dt_ident.c's
// dt_idcook_func) before anything else about it: the number of arguments
// (D_PROTO_LEN) and, where the argument's type is plain from the text, its type
// (D_PROTO_ARG). The subset parser refuses what dtop does not compile; it asks this
// first, so that a call DTrace would reject for its arguments is rejected for them
// (and with DTrace's words), and only a well-formed call is "not supported".

import { DTypeError } from "./errors.ts";
import { type FnSpec, FUNCTIONS, type Param } from "./functions.ts";
import type { CallExpr, Expr } from "./syntax.ts";

/** The argument count DTrace expects when `n` does not fit `spec`, in its words; undefined when it fits. */
function expectedCount(spec: FnSpec, n: number): string | undefined {
	const required = spec.optionalFrom ?? spec.params.length;
	const max = spec.varargs ? Number.POSITIVE_INFINITY : spec.params.length;
	if (spec.varargs) return n < required ? `at least ${required}` : undefined;
	if (required < max) {
		if (n < required) return `at least ${required}`;
		if (n > max) return `at most ${max}`;
		return undefined;
	}
	return n === max ? undefined : `${max}`;
}

type Plain = "string" | "int" | "void";

/** The type of an argument when the text alone says it: a string or integer constant, an action's void. */
function plainType(e: Expr): Plain | undefined {
	if (e.kind === "string") return "string";
	if (e.kind === "int") return "int";
	if (e.kind === "call" && FUNCTIONS.get(e.fn)?.ret.k === "void") return "void";
	return undefined;
}

function accepts(p: Param, t: Plain, e: Expr): boolean {
	// NULL (0) is a pointer too.
	const isNull = e.kind === "int" && e.value === 0n;
	switch (p) {
		case "int":
		case "addr":
			return t === "int";
		case "str":
			return t === "string" || isNull;
		case "ptr":
			return isNull;
		default:
			// DTrace's `@` takes anything (trace( ) refuses void itself).
			return true;
	}
}

/**
 * Throws DTrace's D_PROTO_LEN / D_PROTO_ARG error for a call whose arguments do not fit its
 * prototype. With `full` false only a void argument (an action's result) is checked: the
 * checker words the rest for the functions dtop compiles; with "arity" the number of
 * arguments too (for actions whose count the checker does not look at).
 */
export function checkPrototype(e: Pick<CallExpr, "fn" | "args" | "pos">, full: boolean | "arity" = true): void {
	const spec = FUNCTIONS.get(e.fn);
	if (!spec || spec.kind === "aggregating") return;
	const n = e.args.length;
	const expected = expectedCount(spec, n);
	if (expected !== undefined && full !== false) {
		const passed = `${n} arg${n === 1 ? "" : "s"}`;
		throw new DTypeError(e.pos, `${e.fn}( ) prototype mismatch: ${passed} passed, ${expected} expected`, "D_PROTO_LEN");
	}
	e.args.forEach((a, i) => {
		const p = spec.params[i];
		const t = plainType(a);
		if (p === undefined || t === undefined || (full !== true && t !== "void") || accepts(p, t, a)) return;
		throw new DTypeError(
			a.pos,
			`${e.fn}( ) argument #${i + 1} is incompatible with prototype: prototype: ${spec.protos[i]}; argument: ${t}`,
			"D_PROTO_ARG",
		);
	});
}
