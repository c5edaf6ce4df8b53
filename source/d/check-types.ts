// The types of the checker's result (check.ts): what check(program) returns for
// today's subset, its aggregations and clauses, and the types it infers.

import type { AggFunction, AggregateStmt, BuiltinName, Clause, Expr, FunctionName, Program } from "./ast.ts";
import type { Position } from "./errors.ts";

/** Integers are 64-bit. Stacks (`ustack()`, `kstack()`) exist only as aggregation keys. */
/** `sym`: a func()/ufunc() & co value (lower-syms.ts), for keys, printf and trace. */
export type DType = "int" | "string" | "ustack" | "kstack" | "sym";

/** Parameters of an lquantize() aggregation: buckets [lo, lo + step), ... up to lo + levels * step,
 * plus DTrace's underflow (< lo) and overflow (>= lo + levels * step) buckets. */
export interface LquantizeParams {
	lo: number;
	hi: number;
	step: number;
	/** Number of linear buckets: floor((hi - lo) / step). */
	levels: number;
}

export interface AggregationInfo {
	/** Name without `@`; "" for the anonymous aggregation. */
	name: string;
	fn: AggFunction;
	/** Types of the key expressions, in order (empty for `@x = ...`). */
	keys: DType[];
	/** Type of the aggregated value (the first argument): null for count(). */
	valueType: "int" | null;
	/** Set for lquantize() only. */
	lquantize: LquantizeParams | null;
	/** Where the aggregation is first used. */
	pos: Position;
	/** Every statement that updates it, in program order. */
	uses: AggregateStmt[];
}

export interface ClauseInfo {
	clause: Clause;
	/** Built-in variables read by the predicate or the body. */
	builtins: Set<BuiltinName>;
	/** Functions called (copyinstr, strlen, ustack, kstack). */
	functions: Set<FunctionName>;
	/** Thread-local variables read / written by this clause. */
	selfReads: Set<string>;
	selfWrites: Set<string>;
	/** Names of the aggregations this clause updates. */
	aggregations: Set<string>;
}

export interface CheckedProgram {
	program: Program;
	/** The type of every expression node of the program (by identity). */
	types: Map<Expr, DType>;
	aggregations: Map<string, AggregationInfo>;
	/** Every thread-local variable assigned or read, with its type (int when only read). */
	selfVars: Map<string, "int" | "string">;
	/** Every variable by scope and name (`self:x`, `this:x`, `global:x`, `assoc:a`), with its value's type. */
	vars: Map<string, "int" | "string">;
	/** The key types of each global associative array. */
	assocKeys: Map<string, DType[]>;
	/** One entry per clause, in program order. */
	clauses: ClauseInfo[];
	/** The type of an expression of this program; throws if the node is not part of it. */
	typeOf(e: Expr): DType;
}
