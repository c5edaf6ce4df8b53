// What the checker of the full language tells its users about a program: the type of
// every expression, the scope of every name, the variables, inlines and aggregations
// with their types, and per clause what it reads, writes and does.

import type { MacroValues } from "./macros.ts";
import type { OptionValue } from "./options.ts";
import type { Clause, Expr, Position, Program } from "./syntax.ts";
import type { DType } from "./types.ts";

/** Where a name lives. `macro` marks the constants that macro expansion put in. */
export type Scope = "global" | "self" | "this" | "aggregation" | "builtin" | "inline" | "constant" | "macro";

export interface VarInfo {
	name: string;
	scope: "global" | "self" | "this";
	/** The value type (of an element, for arrays). */
	type: DType;
	/** Key types of an associative array; null for a scalar. */
	keys: DType[] | null;
	/** Number of elements of a declared scalar array (`int a[5]`); null otherwise. */
	dimension: bigint | null;
	/** Declared (`int x;`) rather than created by its first assignment. */
	declared: boolean;
	/** The declaration or first assignment. */
	pos: Position;
}

export interface InlineInfo {
	name: string;
	type: DType;
	value: Expr;
	pos: Position;
}

/** lquantize(value, base, limit[, step]): buckets of `step` from base up to limit. */
export interface LinearParams {
	kind: "lquantize";
	base: number;
	limit: number;
	step: number;
	levels: number;
}

/** llquantize(value, factor, low magnitude, high magnitude, steps). */
export interface LogLinearParams {
	kind: "llquantize";
	factor: number;
	low: number;
	high: number;
	steps: number;
}

export interface AggInfo {
	/** Without `@`; "" for the anonymous aggregation. */
	name: string;
	fn: string;
	keys: DType[];
	/** Type of the aggregated value; null for count(). */
	valueType: DType | null;
	params: LinearParams | LogLinearParams | null;
	/** The optional increment (weight) argument is given. */
	weighted: boolean;
	pos: Position;
}

export interface ClauseFacts {
	clause: Clause;
	/** No statements: DTrace's default action (print the probe's line). */
	defaultAction: boolean;
	builtins: Set<string>;
	/** Actions and subroutines called, by name. */
	functions: Set<string>;
	reads: { global: Set<string>; self: Set<string>; this: Set<string> };
	writes: { global: Set<string>; self: Set<string>; this: Set<string> };
	aggregations: Set<string>;
	/** Calls speculate(). */
	speculative: boolean;
	/** Calls a destructive action (needs -w). */
	destructive: boolean;
	/** Records data for the consumer (printf, trace, stack, exit, ...). */
	records: boolean;
}

export interface CheckOptions {
	language: "full";
	/** Expand macros first with these values (otherwise a macro left in is an error). */
	macros?: MacroValues;
	/** Options set outside the program (-x, -q, -b, ...); the program's pragmas win. */
	options?: ReadonlyMap<string, OptionValue>;
	/** The type of args[n] in a clause, when the probes say it (int64_t otherwise). */
	argType?: (clause: Clause, index: number) => DType | undefined;
}

export interface FullCheckedProgram {
	/** The program checked (with its macros expanded). */
	program: Program;
	/** The type of every expression node. */
	types: Map<Expr, DType>;
	/** The scope of every name used: variables, builtins, inlines, constants, aggregations. */
	scopes: Map<Expr, Scope>;
	globals: Map<string, VarInfo>;
	selfVars: Map<string, VarInfo>;
	thisVars: Map<string, VarInfo>;
	inlines: Map<string, InlineInfo>;
	aggregations: Map<string, AggInfo>;
	clauses: ClauseFacts[];
	/** The options in force: DTrace's defaults, then `options`, then the pragmas. */
	options: Map<string, OptionValue>;
	typeOf(e: Expr): DType;
}
