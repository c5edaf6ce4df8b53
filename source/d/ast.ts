// The subset of D that today's back end (source/session/lower.ts) compiles: the node
// shapes below are those of syntax.ts (the whole language) narrowed to what it handles,
// so every program of this subset is also a program of the full tree. parseProgram()
// without options returns this subset and rejects the rest with today's messages
// (subset.ts); parseProgram(text, { language: "full" }) returns the full tree.
//
// Every node has a `kind` tag and a `pos` (1-based line/column of its first
// character; for binary expressions the operator, for calls the function name).
// Nodes made with the builders below carry NO_POS (line 0).

import type { FieldExpr, KernelExpr } from "./ctypes/nodes.ts";
import { NO_POS, type Position } from "./errors.ts";
import type {
	AggVar,
	AssignOp,
	IntLiteral,
	Pragma,
	ProbeDescription,
	StringLiteral,
	TypeName,
	VarDecl,
} from "./syntax.ts";

export type { FieldExpr, KernelExpr } from "./ctypes/nodes.ts";
export type { Position } from "./errors.ts";
export type { AssignOp, TypeName, VarDecl } from "./syntax.ts";
export { equalIgnoringPositions, type IntLiteral, type ProbeDescription, type StringLiteral } from "./syntax.ts";

/** Built-in variables (all integers except those listed in STRING_BUILTINS). */
export const BUILTIN_VARIABLES = [
	"pid",
	"tid",
	"ppid",
	"uid",
	"gid",
	"cpu",
	"execname",
	"probeprov",
	"probemod",
	"probefunc",
	"probename",
	"timestamp",
	"vtimestamp",
	"walltimestamp",
	"errno",
	"id",
	"stackdepth",
	"ustackdepth",
	"uregs",
	"cgroup",
	"caller",
	"ucaller",
	"epid",
	"execargs",
	"psargs",
	"container",
	"arg0",
	"arg1",
	"arg2",
	"arg3",
	"arg4",
	"arg5",
	"arg6",
	"arg7",
	"arg8",
	"arg9",
	"retval",
] as const;
export type BuiltinName = (typeof BUILTIN_VARIABLES)[number];

/** Built-in variables whose value is a string; every other builtin is a 64-bit integer. */
export const STRING_BUILTINS: ReadonlySet<BuiltinName> = new Set([
	"execname",
	"container",
	"probeprov",
	"probemod",
	"probefunc",
	"probename",
	"execargs",
	"psargs",
]);

/** Functions usable inside expressions: `copyinstr(addr[, len])` → string,
 * `strlen(s)` → integer, `progenyof(pid)` → 1 when the current process is pid or one of its descendants, `ustack([n])` / `kstack([n])` → stack (aggregation keys only). */
export const FUNCTIONS = [
	"copyinstr",
	"strlen",
	"ustack",
	"kstack",
	"progenyof",
	"stack",
	// lower-syms.ts
	"func",
	"sym",
	"mod",
	"ufunc",
	"usym",
	"umod",
	"uaddr",
	// check-strings.ts
	"strjoin",
	"substr",
	"strchr",
	"strrchr",
	"strstr",
	"index",
	"rindex",
	"toupper",
	"tolower",
	"basename",
	"dirname",
	"lltostr",
	"htons",
	"htonl",
	"ntohs",
	"ntohl",
	"rand",
	// speculation.ts (session): a speculation's id, 0 when none is free
	"speculation",
	// check-bytes.ts: strtok's state, user bytes and addresses as strings
	"strtok",
	"stringof",
	"copyin",
	"inet_ntoa",
	"inet_ntop",
] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** Aggregating functions, usable only on the right of `@name[keys] = ...`. */
export const AGG_FUNCTIONS = [
	"count",
	"sum",
	"avg",
	"min",
	"max",
	"stddev",
	"quantize",
	"lquantize",
	"llquantize",
] as const;
export type AggFunction = (typeof AGG_FUNCTIONS)[number];

export type UnaryOp = "!" | "-" | "~" | "+";

export const BINARY_OPS = [
	"*",
	"/",
	"%",
	"+",
	"-",
	"<<",
	">>",
	"&",
	"^",
	"|",
	"<",
	"<=",
	">",
	">=",
	"==",
	"!=",
	"&&",
	"||",
	"^^",
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

/** C precedence of each binary operator: higher binds tighter. All are left-associative. */
export const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
	"||": 1,
	"^^": 1.5,
	"&&": 2,
	"|": 3,
	"^": 4,
	"&": 5,
	"==": 6,
	"!=": 6,
	"<": 7,
	"<=": 7,
	">": 7,
	">=": 7,
	"<<": 8,
	">>": 8,
	"+": 9,
	"-": 9,
	"*": 10,
	"/": 10,
	"%": 10,
};

// ---------------------------------------------------------------------------
// Probe descriptions

// ---------------------------------------------------------------------------
// Expressions

/** A built-in variable such as `pid` or `execname`. */
export interface BuiltinVar {
	kind: "builtin";
	name: BuiltinName;
	pos: Position;
}

/** A thread-local variable `self->name`. Read before any assignment it is 0. */
export interface SelfVar {
	kind: "self";
	name: string;
	pos: Position;
}

/** A clause-local variable `this->name`: zero at the start of each firing. */
export interface ThisVar {
	kind: "this";
	name: string;
	pos: Position;
}

/** A global variable (scalar), by its name. */
export interface GlobalVar {
	kind: "ident";
	name: string;
	pos: Position;
}

/** An element of a global associative array: `a[pid, probefunc]`; pos is the `[`. */
export interface AssocRef {
	kind: "index";
	base: GlobalVar;
	keys: Expr[];
	pos: Position;
}

/** What can be assigned: `self->x`, `this->x`, `x`, `a[k, ...]`, `v.m`. */
export type LValue = SelfVar | ThisVar | GlobalVar | AssocRef | FieldExpr;

/** `++x`, `x++`, `--x`, `x--`. */
export interface IncDecExpr {
	kind: "incdec";
	op: "++" | "--";
	prefix: boolean;
	operand: LValue;
	pos: Position;
}

/** An assignment used as a value (`old = a[k] = 42`); pos is the operator. */
export interface AssignExpr {
	kind: "assignexpr";
	op: AssignOp;
	target: LValue;
	value: Expr;
	pos: Position;
}

/** `cond ? whenTrue : whenFalse`; pos is the `?`. */
export interface TernaryExpr {
	kind: "ternary";
	cond: Expr;
	whenTrue: Expr;
	whenFalse: Expr;
	pos: Position;
}

/** `(type) operand` to an integer type; pos is the `(`. */
export interface CastExpr {
	kind: "cast";
	type: TypeName;
	operand: Expr;
	pos: Position;
}

export interface UnaryExpr {
	kind: "unary";
	op: UnaryOp;
	operand: Expr;
	pos: Position;
}

export interface BinaryExpr {
	kind: "binary";
	op: BinaryOp;
	left: Expr;
	right: Expr;
	/** Position of the operator. */
	pos: Position;
}

/** `copyinstr(e)`, `copyinstr(e, len)`, `strlen(e)`, `ustack()`, `ustack(n)`, `kstack()`, `kstack(n)`. */
export interface CallExpr {
	kind: "call";
	fn: FunctionName;
	args: Expr[];
	/** Position of the function name. */
	pos: Position;
}

export type Expr =
	| IntLiteral
	| StringLiteral
	| BuiltinVar
	| SelfVar
	| ThisVar
	| GlobalVar
	| AssocRef
	| FieldExpr
	| KernelExpr
	| IncDecExpr
	| AssignExpr
	| TernaryExpr
	| CastExpr
	| UnaryExpr
	| BinaryExpr
	| CallExpr;

// ---------------------------------------------------------------------------
// Statements, clauses, programs

/** `@name[key, ...] = fn(args)`. `name` is "" for the anonymous `@`; `keys` is empty
 * when there are no brackets (`@x = count()`; `@x[]` is not valid D). */
export interface AggregateStmt {
	kind: "aggregate";
	name: string;
	keys: Expr[];
	fn: AggFunction;
	args: Expr[];
	/** Position of the `@`. */
	pos: Position;
	/** Position of the aggregating function's name. */
	fnPos: Position;
}

/** `target op value`: `self->ts = timestamp`, `x += arg0`, `a[pid] = 0` (frees the element). */
export interface AssignStmt {
	kind: "assign";
	op: AssignOp;
	target: LValue;
	value: Expr;
	/** Position of `self`. */
	pos: Position;
	/** Position of the `=`. */
	opPos: Position;
}

/** Actions that record data for the consumer: `printf(fmt, ...)`, `trace(e)`, `exit(status)`, `printa([fmt,] @a, ...)`. */
export const ACTIONS = [
	"printf",
	"trace",
	"exit",
	"printa",
	"clear",
	"trunc",
	"normalize",
	"denormalize",
	// stack(), ustack() and the address-naming subroutines as statements (records.ts, record-stack.ts)
	"stack",
	"ustack",
	"func",
	"sym",
	"mod",
	"ufunc",
	"usym",
	"umod",
	"uaddr",
	"speculate",
	"commit",
	"discard",
] as const;
export type ActionName = (typeof ACTIONS)[number];

/** An action call; it appears only as a statement (never inside an expression). */
export interface ActionCall {
	kind: "call";
	fn: ActionName;
	/** printa's aggregations are `@name` references; every other argument is an expression. */
	args: (Expr | AggVar)[];
	pos: Position;
}

export type { AggVar };

/** `printf("%d\n", pid);`, `trace(arg0);`, `exit(0);` (the full tree's ExprStmt shape). */
export interface ActionStmt {
	kind: "expr";
	expr: ActionCall;
	pos: Position;
}

/** `if (cond) { ... } else { ... }` (DTrace 2.x); an `else if` is an else holding one IfStmt. */
export interface IfStmt {
	kind: "if";
	cond: Expr;
	body: Statement[];
	otherwise: Statement[] | null;
	pos: Position;
}

export type Statement = AggregateStmt | AssignStmt | ActionStmt | IfStmt;

/** One clause: probe descriptions, an optional predicate, and a body. A clause written
 * without a body (`syscall::read:entry`) has an empty `statements` list. */
export interface Clause {
	kind: "clause";
	probes: ProbeDescription[];
	predicate: Expr | null;
	statements: Statement[];
	pos: Position;
}

/** A program of the subset: `#pragma D option` lines, declarations of integer and string
 * variables (`int x;`, `self uint64_t ts;`, `this string s;`, `int a[string];`) and clauses. */
export interface Program {
	kind: "program";
	pragmas: Pragma[];
	declarations: VarDecl[];
	clauses: Clause[];
	pos: Position;
}

export type Node = Program | Clause | Statement | Expr | ProbeDescription;

// ---------------------------------------------------------------------------
// Builders (positions are NO_POS)

const MAX_U64 = (1n << 64n) - 1n;

/** An integer literal; `value` must be in [0, 2^64) — build negatives with `unary("-", int(n))`. */
export function int(value: bigint | number): IntLiteral {
	const v = typeof value === "number" ? BigInt(value) : value;
	if (v < 0n || v > MAX_U64) throw new RangeError(`integer literal ${v} is outside [0, 2^64)`);
	return { kind: "int", value: v, pos: NO_POS };
}

export function str(value: string): StringLiteral {
	return { kind: "string", value, pos: NO_POS };
}

export function builtin(name: BuiltinName): BuiltinVar {
	return { kind: "builtin", name, pos: NO_POS };
}

export function selfVar(name: string): SelfVar {
	if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`'${name}' is not a valid variable name`);
	return { kind: "self", name, pos: NO_POS };
}

export function unary(op: UnaryOp, operand: Expr): UnaryExpr {
	return { kind: "unary", op, operand, pos: NO_POS };
}

export function binary(op: BinaryOp, left: Expr, right: Expr): BinaryExpr {
	return { kind: "binary", op, left, right, pos: NO_POS };
}

export function call(fn: FunctionName, args: Expr[] = []): CallExpr {
	return { kind: "call", fn, args, pos: NO_POS };
}

/** `@name[keys] = fn(args)`; name without `@`, "" for the anonymous aggregation. */
export function aggregate(name: string, keys: Expr[], fn: AggFunction, args: Expr[] = []): AggregateStmt {
	if (name !== "" && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
		throw new RangeError(`'@${name}' is not a valid aggregation name`);
	return { kind: "aggregate", name, keys, fn, args, pos: NO_POS, fnPos: NO_POS };
}

/** `self->name = value`. */
export function assign(name: string, value: Expr): AssignStmt {
	return { kind: "assign", op: "=", target: selfVar(name), value, pos: NO_POS, opPos: NO_POS };
}

export function clause(probes: ProbeDescription[], predicate: Expr | null, statements: Statement[]): Clause {
	if (probes.length === 0) throw new RangeError("a clause needs at least one probe description");
	return { kind: "clause", probes, predicate, statements, pos: NO_POS };
}

export function program(clauses: Clause[]): Program {
	return { kind: "program", pragmas: [], declarations: [], clauses, pos: NO_POS };
}
