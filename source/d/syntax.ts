// The abstract syntax of the whole of D as DTrace for Linux accepts it (plus the
// clause-level if/else of DTrace 2.x). ast.ts holds the subset today's back end compiles
// under the same node shapes: every node of that subset is also a node of this tree.
//
// Every node has a `kind` tag and a `pos` (1-based line/column of its first
// character; for binary, ternary and assignment expressions the operator, for calls
// the function name). Nodes made with the builders carry NO_POS (line 0).

import type { FieldExpr, KernelExpr } from "./ctypes/nodes.ts";
import { NO_POS, type Position } from "./errors.ts";

export type { Position } from "./errors.ts";

// ---------------------------------------------------------------------------
// Types as written (casts, sizeof, declarations)

/** A type name as written: specifier and qualifier words in order (`unsigned`,
 * `long`, `const`, `char`, `struct`, `task_struct`, `uint64_t`, ...) and the number of
 * `*`s after them. */
export interface TypeName {
	kind: "typename";
	words: string[];
	pointers: number;
	pos: Position;
}

// ---------------------------------------------------------------------------
// Expressions

/** An integer constant. `value` is in [0, 2^64). `radix` and `suffix` are kept because
 * D gives a constant its type from them (0xffffffff is unsigned int, 4294967295 is
 * long); both are absent for a plain decimal or character constant. */
export interface IntLiteral {
	kind: "int";
	value: bigint;
	radix?: 8 | 16;
	suffix?: string;
	pos: Position;
}

/** A string constant, escapes decoded. Characters are bytes (U+0000..U+00FF) unless
 * the source held non-ASCII text, which is kept as written (UTF-8 when encoded). */
export interface StringLiteral {
	kind: "string";
	value: string;
	pos: Position;
}

/** A built-in variable: `pid`, `execname`, `arg0`, `walltimestamp`, `curthread`, ... */
export interface BuiltinVar {
	kind: "builtin";
	name: string;
	pos: Position;
}

/** A thread-local variable `self->name`. */
export interface SelfVar {
	kind: "self";
	name: string;
	pos: Position;
}

/** A clause-local variable `this->name`. */
export interface ThisVar {
	kind: "this";
	name: string;
	pos: Position;
}

/** Any other identifier: a global variable (scalar or associative array), an inline, or
 * a D library constant (R_PC, EINVAL, SIGKILL, ...). The checker resolves it. */
export interface Ident {
	kind: "ident";
	name: string;
	pos: Position;
}

/** An aggregation used as a value (`printa(@a)`, `clear(@a)`); "" is the anonymous `@`. */
export interface AggVar {
	kind: "aggvar";
	name: string;
	pos: Position;
}

/** An unexpanded macro: `$1` (name "1"), `$$1` (stringify), `$target`, `$pid`, ...;
 * expandProgramMacros() replaces it with a constant or an identifier. */
export interface MacroRef {
	kind: "macro";
	name: string;
	stringify: boolean;
	pos: Position;
}

export type UnaryOp = "!" | "-" | "~" | "+" | "*" | "&";

export interface UnaryExpr {
	kind: "unary";
	op: UnaryOp;
	operand: Expr;
	pos: Position;
}

/** `++x`, `x++`, `--x`, `x--`. */
export interface IncDecExpr {
	kind: "incdec";
	op: "++" | "--";
	prefix: boolean;
	operand: Expr;
	pos: Position;
}

export const BINARY_OPS = [
	",",
	"||",
	"^^",
	"&&",
	"|",
	"^",
	"&",
	"==",
	"!=",
	"<",
	"<=",
	">",
	">=",
	"<<",
	">>",
	"+",
	"-",
	"*",
	"/",
	"%",
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

/** C precedence of each binary operator: higher binds tighter. All are left-associative. */
export const PRECEDENCE: Readonly<Record<BinaryOp, number>> = {
	",": 0,
	"||": 1,
	"^^": 2,
	"&&": 3,
	"|": 4,
	"^": 5,
	"&": 6,
	"==": 7,
	"!=": 7,
	"<": 8,
	"<=": 8,
	">": 8,
	">=": 8,
	"<<": 9,
	">>": 9,
	"+": 10,
	"-": 10,
	"*": 11,
	"/": 11,
	"%": 11,
};

export interface BinaryExpr {
	kind: "binary";
	op: BinaryOp;
	left: Expr;
	right: Expr;
	/** Position of the operator. */
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

export const ASSIGN_OPS = ["=", "+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>="] as const;
export type AssignOp = (typeof ASSIGN_OPS)[number];

/** An assignment used as a value (`x = y = 0`); a statement-level one is an AssignStmt. */
export interface AssignExpr {
	kind: "assignexpr";
	op: AssignOp;
	target: Expr;
	value: Expr;
	/** Position of the operator. */
	pos: Position;
}

/** A call of an action, subroutine or aggregating function by name; pos is the name. */
export interface CallExpr {
	kind: "call";
	fn: string;
	args: Expr[];
	pos: Position;
}

/** `base[k1, k2, ...]`: an associative array element, `args[N]`, `uregs[R]`, ...;
 * pos is the `[`. */
export interface IndexExpr {
	kind: "index";
	base: Expr;
	keys: Expr[];
	pos: Position;
}

/** `base->member` or `base.member` on anything but self/this; pos is the operator. */
export interface MemberExpr {
	kind: "member";
	op: "->" | ".";
	base: Expr;
	member: string;
	pos: Position;
}

/** `(type) operand`; pos is the `(`. */
export interface CastExpr {
	kind: "cast";
	type: TypeName;
	operand: Expr;
	pos: Position;
}

/** `sizeof (type)` or `sizeof expr`. */
export interface SizeofExpr {
	kind: "sizeof";
	type: TypeName | null;
	operand: Expr | null;
	pos: Position;
}

/** `stringof expr` (also written `stringof(expr)`). */
export interface StringofExpr {
	kind: "stringof";
	operand: Expr;
	pos: Position;
}

/** `offsetof(type, member)`. */
export interface OffsetofExpr {
	kind: "offsetof";
	type: TypeName;
	member: string;
	pos: Position;
}

/** `xlate <type> (expr)`. */
export interface XlateExpr {
	kind: "xlate";
	type: TypeName;
	operand: Expr;
	pos: Position;
}

export type Expr =
	| IntLiteral
	| StringLiteral
	| BuiltinVar
	| SelfVar
	| ThisVar
	| Ident
	| AggVar
	| MacroRef
	| UnaryExpr
	| IncDecExpr
	| BinaryExpr
	| TernaryExpr
	| AssignExpr
	| CallExpr
	| IndexExpr
	| MemberExpr
	| CastExpr
	| SizeofExpr
	| StringofExpr
	| OffsetofExpr
	| XlateExpr
	// Made by the subset's narrowing (ctypes/nodes.ts), never by the parser.
	| FieldExpr
	| KernelExpr;

// ---------------------------------------------------------------------------
// Statements

/** `@name[keys] = fn(args)`. `name` is "" for the anonymous `@`; `keys` is empty when
 * there are no brackets. `fn` is whatever function was called (the checker insists on
 * an aggregating one). */
export interface AggregateStmt {
	kind: "aggregate";
	name: string;
	keys: Expr[];
	fn: string;
	args: Expr[];
	/** Position of the `@`. */
	pos: Position;
	/** Position of the aggregating function's name. */
	fnPos: Position;
}

/** `target op value;` at statement level: `x = 1`, `self->ts = timestamp`, `a[k] += 2`. */
export interface AssignStmt {
	kind: "assign";
	op: AssignOp;
	target: Expr;
	value: Expr;
	/** Position of the target's first character. */
	pos: Position;
	/** Position of the operator. */
	opPos: Position;
}

/** Any other expression used as a statement: an action or subroutine call, `x++`, ... */
export interface ExprStmt {
	kind: "expr";
	expr: Expr;
	pos: Position;
}

/** `if (cond) { ... } else { ... }` (DTrace 2.x). An `else if` is an else branch holding
 * one IfStmt. */
export interface IfStmt {
	kind: "if";
	cond: Expr;
	body: Statement[];
	otherwise: Statement[] | null;
	pos: Position;
}

export type Statement = AggregateStmt | AssignStmt | ExprStmt | IfStmt;

// ---------------------------------------------------------------------------
// Probe descriptions, clauses, declarations, pragmas, programs

/**
 * `provider:module:function:name`. Fewer fields in the text fill the rightmost ones
 * (`read:entry` is function `read`, name `entry`). An empty string matches anything;
 * fields may hold globs (`*`, `?`, `[...]`) and unexpanded macros (`$target`, `$1`).
 */
export interface ProbeDescription {
	kind: "probe";
	provider: string;
	module: string;
	function: string;
	name: string;
	/** The description as written in the source (ignored by equalIgnoringPositions). */
	text: string;
	pos: Position;
}

/** One clause: probe descriptions, an optional predicate, and a body. A clause written
 * without braces (`dtrace -n BEGIN`) or with an empty body has no statements and gets
 * DTrace's default action (see isDefaultAction). */
export interface Clause {
	kind: "clause";
	probes: ProbeDescription[];
	predicate: Expr | null;
	statements: Statement[];
	pos: Position;
}

export type StorageClass = "global" | "self" | "this";

/** One declarator of a declaration: `x`, `*p`, `a[5]`, `a[int, string]`. */
export interface Declarator {
	name: string;
	pointers: number;
	/** `[5]`: a scalar array of that many elements. */
	dimension: bigint | null;
	/** `[int, string]`: an associative array with these key types. */
	keys: TypeName[] | null;
	pos: Position;
}

/** `int x;`, `self string s;`, `this int i;`, `int a[int, string];`, `uint64_t y, z;`. */
export interface VarDecl {
	kind: "decl";
	storage: StorageClass;
	type: TypeName;
	declarators: Declarator[];
	pos: Position;
}

/** `inline TYPE NAME = EXPR;` */
export interface InlineDecl {
	kind: "inline";
	type: TypeName;
	name: string;
	pointers: number;
	value: Expr;
	pos: Position;
}

export type Declaration = VarDecl | InlineDecl;

/** A control line: `#pragma D option NAME[=VALUE]`, `#pragma D depends_on ...`,
 * `#pragma D attributes ...`, `#pragma D binding ...`, `#pragma ident`, `#error ...`.
 * `words` are the tokens after the pragma's name. */
export interface Pragma {
	kind: "pragma";
	name: "option" | "depends_on" | "attributes" | "binding" | "ident";
	words: string[];
	pos: Position;
}

/**
 * A whole D program. DTrace processes declarations and pragmas while it parses, before
 * it checks any clause, so the three lists are kept apart; each item's pos.offset gives
 * the source order when it matters.
 */
export interface Program {
	kind: "program";
	pragmas: Pragma[];
	declarations: Declaration[];
	clauses: Clause[];
	pos: Position;
}

export type Node = Program | Clause | Statement | Expr | ProbeDescription | TypeName | Declaration | Pragma;

/** DTrace's default action (print the probe's CPU ID FUNCTION:NAME line) is taken by a
 * clause with no statements. */
export function isDefaultAction(c: Clause): boolean {
	return c.statements.length === 0;
}

// ---------------------------------------------------------------------------
// Equality

const IGNORED = new Set(["pos", "fnPos", "opPos"]);

/** Structural equality of two nodes (or lists/values of them), ignoring positions and a
 * probe description's `text`. */
export function equalIgnoringPositions(a: unknown, b: unknown): boolean {
	if (a === b) return true;
	if (typeof a !== typeof b) return false;
	if (typeof a !== "object" || a === null || b === null) return false;
	if (Array.isArray(a)) {
		if (!Array.isArray(b) || a.length !== b.length) return false;
		for (let i = 0; i < a.length; i++) if (!equalIgnoringPositions(a[i], b[i])) return false;
		return true;
	}
	if (Array.isArray(b)) return false;
	const ra = a as Record<string, unknown>;
	const rb = b as Record<string, unknown>;
	const keys = (r: Record<string, unknown>) =>
		Object.keys(r).filter((k) => !IGNORED.has(k) && !(k === "text" && r.kind === "probe"));
	const ka = keys(ra);
	const kb = keys(rb);
	if (ka.length !== kb.length) return false;
	for (const k of ka) {
		if (!Object.hasOwn(rb, k)) return false;
		if (!equalIgnoringPositions(ra[k], rb[k])) return false;
	}
	return true;
}

export { NO_POS };
