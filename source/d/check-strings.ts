// The string subroutines (and rand, htons, ...) the subset compiles: their
// prototypes as DTrace's, and their checking. Arguments in [] are optional.
import type { CallExpr, Expr } from "./ast.ts";
import { DTypeError } from "./errors.ts";
import { TAG } from "./errtags.ts";

type T = "int" | "string";

interface Proto {
	ret: T;
	args: T[];
	/** How many of the last arguments may be left out. */
	optional?: number;
}

export const STRING_FUNCTIONS: Readonly<Record<string, Proto>> = {
	strjoin: { ret: "string", args: ["string", "string"] },
	substr: { ret: "string", args: ["string", "int", "int"], optional: 1 },
	strchr: { ret: "string", args: ["string", "int"] },
	strrchr: { ret: "string", args: ["string", "int"] },
	strstr: { ret: "string", args: ["string", "string"] },
	index: { ret: "int", args: ["string", "string", "int"], optional: 1 },
	rindex: { ret: "int", args: ["string", "string", "int"], optional: 1 },
	toupper: { ret: "string", args: ["string"] },
	tolower: { ret: "string", args: ["string"] },
	basename: { ret: "string", args: ["string"] },
	dirname: { ret: "string", args: ["string"] },
	lltostr: { ret: "string", args: ["int"] },
	htons: { ret: "int", args: ["int"] },
	htonl: { ret: "int", args: ["int"] },
	ntohs: { ret: "int", args: ["int"] },
	ntohl: { ret: "int", args: ["int"] },
	rand: { ret: "int", args: [] },
	// lower-bytes.ts: strtok(NULL, d) goes on with the last string; copyin's bytes are a
	// string's (up to strsize of them); inet_ntoa/inet_ntop read the first 4 or 16.
	strtok: { ret: "string", args: ["string", "string"] },
	stringof: { ret: "string", args: ["string"] },
	copyin: { ret: "string", args: ["int", "int"] },
	inet_ntoa: { ret: "string", args: ["string"] },
	inet_ntop: { ret: "string", args: ["int", "string"] },
	// A speculation's id (session/speculation.ts), not a string function, but checked the same way.
	speculation: { ret: "int", args: [] },
};

export const STRING_FUNCTION_NAMES = Object.keys(STRING_FUNCTIONS);

function article(t: string): string {
	return t === "int" ? "an integer" : t === "string" ? "a string" : `a ${t}`;
}

/** The type of a call of one of these functions, its arguments checked with `expr`. */
export function checkStringCall(e: CallExpr, expr: (e: Expr) => string): T | undefined {
	const p = STRING_FUNCTIONS[e.fn];
	if (!p) return undefined;
	const n = e.args.length;
	const min = p.args.length - (p.optional ?? 0);
	if (n < min || n > p.args.length) {
		const expected = min === p.args.length ? `${min}` : `${min} or ${p.args.length}`;
		throw new DTypeError(
			e.pos,
			`${e.fn}() prototype mismatch: ${n} arg${n === 1 ? "" : "s"} passed, ${expected} expected`,
			...TAG.protoLen(e.fn, n, min, p.args.length),
		);
	}
	e.args.forEach((a, i) => {
		const t = expr(a);
		const want = p.args[i]!;
		if (t !== want)
			throw new DTypeError(
				a.pos,
				`${e.fn}() argument #${i + 1} must be ${article(want)}, not ${article(t)}`,
				...TAG.protoArg(e.fn, i + 1, t),
			);
	});
	return p.ret;
}
