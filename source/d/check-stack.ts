// stack( ) and ustack( ) (as actions or aggregation keys): their frame counts and
// ustack( )'s string space are integer constants, with DTrace's tags and words
// (dt_cg.c's D_STACK_SIZE, D_USTACK_FRAMES, D_USTACK_STRSIZE).
import type { AggVar, Expr } from "./ast.ts";

type Arg = Expr | AggVar;

import type { DType } from "./check-types.ts";
import { constantValue } from "./constant.ts";
import { DTypeError } from "./errors.ts";
import { TAG } from "./errtags.ts";
import { FUNCTIONS } from "./functions.ts";
import { LIBRARY_CONSTANTS } from "./library.ts";
import { type DType as CType, VOID } from "./types.ts";

/** A subset type as DTrace's messages name it. */
function named(t: DType): string {
	return t === "ustack" || t === "kstack" ? "stack" : t === "sym" ? "_symaddr" : t;
}

/** Throws DTrace's error for a stack( )/ustack( )/kstack( ) whose arguments (of `types`) it refuses. */
export function checkStackArgs(e: { fn: string; args: readonly Arg[] }, types: readonly (DType | undefined)[]): void {
	const fn = e.fn === "kstack" ? "stack" : e.fn;
	e.args.forEach((a, i) => {
		const t = types[i];
		if (t !== undefined && t !== "int")
			throw new DTypeError(
				a.pos,
				`${fn}( ) argument #${i + 1} must be an integer constant, not ${t === "string" ? "a string" : `a ${named(t)}`}`,
				...TAG.protoArg(fn, i + 1, named(t)),
			);
	});
	const frames = e.args[0];
	if (frames) {
		const v = frames.kind === "aggvar" ? undefined : constantValue(frames);
		if (v === undefined || v <= 0n)
			throw new DTypeError(
				frames.pos,
				`${e.fn}() argument #1 must be a non-zero positive integer constant`,
				fn === "stack" ? "D_STACK_SIZE" : "D_USTACK_FRAMES",
				{ dtrace: `${fn}( ) argument #1 must be a non-zero positive integer constant` },
			);
	}
	const strsize = e.args[1];
	if (strsize) {
		const v = strsize.kind === "aggvar" ? undefined : constantValue(strsize);
		if (v === undefined || v < 0n)
			throw new DTypeError(
				strsize.pos,
				"ustack( ) argument #2 must be a positive integer constant",
				"D_USTACK_STRSIZE",
			);
	}
}

/**
 * uregs[ ] takes one integer constant, a register's number (R_PC, R_SP, ... are the
 * library's constants): anything else is DTrace's D_PROTO_ARG.
 */
export function checkUregsIndex(e: Extract<Expr, { kind: "index" }>, type: (k: Expr) => DType): void {
	const k = e.keys[0];
	if (e.keys.length !== 1 || !k)
		throw new DTypeError(e.pos, `uregs[ ] prototype mismatch: ${e.keys.length} args passed, 1 expected`, "D_PROTO_LEN");
	if (k.kind === "int") return;
	if (k.kind === "ident" && LIBRARY_CONSTANTS.has(k.name)) return;
	// An unknown name is refused as such (D_IDENT_UNDEF) by typing it.
	const t = type(k);
	throw new DTypeError(k.pos, "uregs[ ] needs an integer constant index, such as uregs[R_PC]", "D_PROTO_ARG", {
		dtrace: `uregs[ ] argument #1 is incompatible with prototype: prototype: integer constant; argument: ${named(t)}`,
	});
}

/** An action's result (void): no value at all. */
function isVoidCall(a: Arg): boolean {
	return a.kind === "call" && isAction(a.fn);
}

/** trace( ) of an aggregation (DTrace's dynamic expression) or of an action's void result. */
export function checkTraceArg(a: Arg): void {
	if (a.kind === "aggvar")
		throw new DTypeError(
			a.pos,
			`trace( ) of aggregation @${a.name}: an aggregation's value is printed with printa( )`,
			"D_TRACE_DYN",
			{ dtrace: "trace( ) may not be applied to a dynamic expression" },
		);
	if (isVoidCall(a)) throw new DTypeError(a.pos, "trace( ) may not be applied to a void expression", "D_TRACE_VOID");
}

/** The C type of printf( )'s argument when it is no value (an aggregation, an action's void result). */
export function oddFormatArg(a: Arg): CType | undefined {
	// typeName() of this stand-in is "aggregation", as DTrace's messages name it.
	if (a.kind === "aggvar") return { k: "sou", name: "aggregation" };
	if (isVoidCall(a)) return VOID;
	return undefined;
}

/** A function whose result is void (an action or void subroutine, not an aggregating function). */
function isAction(fn: string): boolean {
	const s = FUNCTIONS.get(fn);
	return s !== undefined && s.kind !== "aggregating" && s.ret.k === "void";
}
