// Recursive-descent parser for the D subset. It follows DTrace's grammar (dt_grammar.y)
// for what it accepts, and names every unsupported-but-plausible construct instead of
// reporting a bare syntax error.

import {
	AGG_FUNCTIONS,
	type AggFunction,
	type AggregateStmt,
	type AssignStmt,
	BINARY_OPS,
	type BinaryOp,
	BUILTIN_VARIABLES,
	type BuiltinName,
	type Clause,
	type Expr,
	FUNCTIONS,
	type FunctionName,
	PRECEDENCE,
	type ProbeDescription,
	type Program,
	type SelfVar,
	type Statement,
	type UnaryOp,
} from "./ast.ts";
import { DSyntaxError } from "./errors.ts";
import { Lexer, near, type Token } from "./lexer.ts";
import { probeFromText } from "./probe.ts";

/** DTrace actions, subroutines, variables and aggregating functions dtop does not
 * support: using one is reported as `'name' is not supported`. */
const UNSUPPORTED_NAMES = new Set([
	// actions
	"printf",
	"printa",
	"printm",
	"print",
	"trace",
	"tracemem",
	"exit",
	"stop",
	"raise",
	"system",
	"breakpoint",
	"panic",
	"chill",
	"copyout",
	"copyoutstr",
	"speculate",
	"speculation",
	"commit",
	"discard",
	"clear",
	"trunc",
	"normalize",
	"denormalize",
	"setopt",
	"freopen",
	"ftruncate",
	"stack",
	"jstack",
	"func",
	"ufunc",
	"sym",
	"usym",
	"mod",
	"umod",
	"uaddr",
	// subroutines
	"copyin",
	"copyinto",
	"strjoin",
	"substr",
	"strstr",
	"strchr",
	"strrchr",
	"strtok",
	"index",
	"rindex",
	"basename",
	"dirname",
	"cleanpath",
	"lltostr",
	"toupper",
	"tolower",
	"strtoll",
	"inet_ntoa",
	"inet_ntoa6",
	"inet_ntop",
	"htons",
	"htonl",
	"htonll",
	"ntohs",
	"ntohl",
	"ntohll",
	"rand",
	"alloca",
	"bcopy",
	"memref",
	"progenyof",
	"getmajor",
	"getminor",
	"ddi_pathname",
	"mutex_owned",
	"mutex_owner",
	"mutex_type_adaptive",
	"mutex_type_spin",
	"rw_read_held",
	"rw_write_held",
	"rw_iswriter",
	"msgsize",
	"msgdsize",
	"d_path",
	"link_ntop",
	"getf",
	"json",
	// aggregating functions
	"llquantize",
	// variables
	"curthread",
	"curpsinfo",
	"curlwpsinfo",
	"curcpu",
	"caller",
	"ucaller",
	"epid",
	"id",
	"errno",
	"ipl",
	"stackdepth",
	"ustackdepth",
	"cwd",
	"root",
	"zonename",
	"uregs",
	"execargs",
	"projid",
	"taskid",
]);

/** D keywords (statements, operators and declarations), none of which dtop supports. */
const KEYWORDS = new Set([
	"if",
	"else",
	"for",
	"while",
	"do",
	"switch",
	"case",
	"default",
	"break",
	"continue",
	"return",
	"goto",
	"sizeof",
	"offsetof",
	"stringof",
	"xlate",
	"inline",
	"typedef",
	"translator",
	"provider",
	"probe",
	"counter",
	"import",
]);

/** Type names and qualifiers: they start declarations at the outer level and casts in expressions. */
const TYPE_KEYWORDS = new Set([
	"int",
	"char",
	"short",
	"long",
	"signed",
	"unsigned",
	"float",
	"double",
	"void",
	"string",
	"struct",
	"union",
	"enum",
	"const",
	"volatile",
	"static",
	"extern",
	"register",
	"auto",
	"restrict",
	"int8_t",
	"int16_t",
	"int32_t",
	"int64_t",
	"uint8_t",
	"uint16_t",
	"uint32_t",
	"uint64_t",
	"intptr_t",
	"uintptr_t",
	"size_t",
	"ssize_t",
	"pid_t",
	"uid_t",
	"gid_t",
]);

const ASSIGN_OPS = new Set(["+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>="]);
const BUILTINS: ReadonlySet<string> = new Set(BUILTIN_VARIABLES);
const FUNCTION_NAMES: ReadonlySet<string> = new Set(FUNCTIONS);
const AGG_NAMES: ReadonlySet<string> = new Set(AGG_FUNCTIONS);
const BINARY: ReadonlySet<string> = new Set(BINARY_OPS);

/** Deepest nesting of expressions accepted (keeps every recursive pass off the stack limit). */
const MAX_DEPTH = 300;

function describe(t: Token): string {
	return t.kind === "eof" ? "end of input" : near(t.text);
}

function syntax(t: Token, expected: string): DSyntaxError {
	return new DSyntaxError(t.pos, `syntax error near ${describe(t)}: expected ${expected}`);
}

/** Edit distance between two short words (insertions, deletions, substitutions, swaps). */
function distance(a: string, b: string): number {
	const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
	for (let j = 1; j <= b.length; j++) d[0]![j] = j;
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
			d[i]![j] = v;
		}
	}
	return d[a.length]![b.length]!;
}

/** The known name closest to a misspelt one, if it is close enough to be a likely typo. */
function suggest(name: string, known: readonly string[]): string | undefined {
	let best: string | undefined;
	let bestDistance = Math.min(2, Math.floor(name.length / 3));
	for (const k of known) {
		const dist = k === name.toLowerCase() ? 0 : distance(name, k);
		if (dist <= bestDistance) {
			best = k;
			bestDistance = dist;
		}
	}
	return best;
}

function aggLabel(name: string): string {
	return `@${name}`;
}

class Parser {
	private readonly lx: Lexer;
	/** Lookahead tokens read in expression mode. */
	private buf: Token[] = [];
	private inPredicate = false;
	private nesting = 0;
	private readonly depths = new WeakMap<Expr, number>();

	constructor(text: string) {
		this.lx = new Lexer(text);
	}

	// -- token plumbing ------------------------------------------------------

	private peek(k = 0): Token {
		while (this.buf.length <= k) this.buf.push(this.lx.next());
		return this.buf[k]!;
	}

	private take(): Token {
		const t = this.peek();
		this.buf.shift();
		return t;
	}

	private is(t: Token, text: string): boolean {
		return t.kind === "punct" && t.text === text;
	}

	/** Read a token at the outer level, discarding any expression-mode lookahead. */
	private probeToken(): Token {
		if (this.buf.length > 0) {
			const first = this.buf[0]!;
			this.lx.restore({ offset: first.pos.offset, line: first.pos.line, column: first.pos.column });
			this.buf = [];
		}
		return this.lx.nextProbe();
	}

	private unreadProbe(t: Token): void {
		this.lx.restore({ offset: t.pos.offset, line: t.pos.line, column: t.pos.column });
	}

	private expect(text: string, expected = `'${text}'`): Token {
		const t = this.take();
		if (!this.is(t, text)) throw syntax(t, expected);
		return t;
	}

	private node<T extends Expr>(e: T, ...children: Expr[]): T {
		let d = 1;
		for (const c of children) d = Math.max(d, (this.depths.get(c) ?? 1) + 1);
		if (d > MAX_DEPTH) throw new DSyntaxError(e.pos, "expression is nested too deeply");
		this.depths.set(e, d);
		return e;
	}

	private enter(t: Token): void {
		if (++this.nesting > MAX_DEPTH) throw new DSyntaxError(t.pos, "expression is nested too deeply");
	}

	// -- program and clauses -------------------------------------------------

	program(): Program {
		const clauses: Clause[] = [];
		const start = this.lx.position();
		for (;;) {
			const t = this.probeToken();
			if (t.kind === "eof") {
				if (clauses.length === 0) {
					throw new DSyntaxError(
						t.pos,
						"the program is empty; write a clause such as syscall::read:entry { @[execname] = count(); }",
					);
				}
				break;
			}
			clauses.push(this.clause(t));
		}
		return { kind: "program", clauses, pos: clauses[0]?.pos ?? start };
	}

	private probeDescription(t: Token): ProbeDescription {
		if (t.kind !== "pspec") throw syntax(t, "a probe description");
		if (/^[0-9]+$/.test(t.text)) {
			throw new DSyntaxError(
				t.pos,
				`probe ids are not supported; name the probe as provider:module:function:name instead of ${t.text}`,
			);
		}
		if (TYPE_KEYWORDS.has(t.text) || KEYWORDS.has(t.text) || t.text === "self" || t.text === "this") {
			throw new DSyntaxError(t.pos, `'${t.text}' is not supported: dtop has no declarations`);
		}
		return probeFromText(t.text, t.pos);
	}

	private clause(first: Token): Clause {
		const probes = [this.probeDescription(first)];
		let t = this.probeToken();
		while (this.is(t, ",")) {
			probes.push(this.probeDescription(this.probeToken()));
			t = this.probeToken();
		}
		let predicate: Expr | null = null;
		if (this.is(t, "/")) {
			predicate = this.predicate();
			t = this.take();
			if (!this.is(t, "{")) {
				if (t.kind === "eof") {
					throw new DSyntaxError(t.pos, "expected actions { } following probe description and predicate");
				}
				throw syntax(t, "'{' to start the clause body");
			}
		}
		let statements: Statement[] = [];
		if (this.is(t, "{")) statements = this.body();
		else this.unreadProbe(t); // a clause without a body
		return { kind: "clause", probes, predicate, statements, pos: probes[0]!.pos };
	}

	private predicate(): Expr {
		this.inPredicate = true;
		const t = this.peek();
		if (this.is(t, "/"))
			throw new DSyntaxError(t.pos, "the predicate is empty; write an expression between the slashes");
		const e = this.expression();
		const end = this.take();
		if (!this.is(end, "/")) throw syntax(end, "'/' to end the predicate");
		this.inPredicate = false;
		return e;
	}

	private body(): Statement[] {
		const statements: Statement[] = [];
		for (;;) {
			const t = this.peek();
			if (this.is(t, "}")) {
				this.take();
				return statements;
			}
			if (this.is(t, ";")) {
				this.take();
				continue;
			}
			if (t.kind === "eof") throw syntax(t, "'}' to end the clause body");
			statements.push(this.statement());
			const after = this.peek();
			if (this.is(after, ";")) this.take();
			else if (!this.is(after, "}")) throw syntax(after, "';' or '}'");
		}
	}

	// -- statements ----------------------------------------------------------

	private statement(): Statement {
		const t = this.peek();
		if (t.kind === "agg") return this.aggregate();
		if (t.kind === "ident" && t.text === "self") return this.assignment();
		if (t.kind === "ident") {
			const next = this.peek(1);
			const known = BUILTINS.has(t.text) || FUNCTION_NAMES.has(t.text) || AGG_NAMES.has(t.text);
			const reserved = UNSUPPORTED_NAMES.has(t.text) || KEYWORDS.has(t.text) || TYPE_KEYWORDS.has(t.text);
			if (BUILTINS.has(t.text) && (this.is(next, "=") || ASSIGN_OPS.has(next.text))) {
				throw new DSyntaxError(t.pos, `built-in variable '${t.text}' cannot be assigned`);
			}
			if (!known && !reserved && t.text !== "this") {
				if (this.is(next, "=") || ASSIGN_OPS.has(next.text) || this.is(next, "++") || this.is(next, "--")) {
					throw new DSyntaxError(
						t.pos,
						`global variables are not supported; use a thread-local variable such as self->${t.text}`,
					);
				}
			}
		}
		const e = this.expression();
		if (e.kind === "call" && (e.fn === "ustack" || e.fn === "kstack")) {
			throw new DSyntaxError(
				e.pos,
				`${e.fn}() as a statement is not supported; use it as an aggregation key, as in @[${e.fn}()] = count()`,
			);
		}
		throw new DSyntaxError(
			t.pos,
			"a statement must update an aggregation (@name[key] = count()) or a thread-local variable (self->name = value)",
		);
	}

	private assignment(): AssignStmt {
		const target = this.selfVar(this.take());
		const op = this.peek();
		if (ASSIGN_OPS.has(op.text) || this.is(op, "++") || this.is(op, "--")) {
			throw new DSyntaxError(op.pos, `'${op.text}' is not supported; write self->${target.name} = ...`);
		}
		if (!this.is(op, "=")) throw syntax(op, `'=' after self->${target.name}`);
		this.take();
		const value = this.expression();
		return { kind: "assign", target, value, pos: target.pos };
	}

	private aggregate(): AggregateStmt {
		const at = this.take();
		const name = at.value as string;
		const keys: Expr[] = [];
		if (this.is(this.peek(), "[")) {
			this.take();
			if (this.is(this.peek(), "]")) throw syntax(this.peek(), "a key expression");
			keys.push(...this.list("]"));
		}
		const op = this.peek();
		if (ASSIGN_OPS.has(op.text) || this.is(op, "++") || this.is(op, "--")) {
			throw new DSyntaxError(op.pos, `'${op.text}' is not supported; write ${aggLabel(name)} = count() or similar`);
		}
		const mustAssign = () =>
			new DSyntaxError(
				at.pos,
				`${aggLabel(name)} must be assigned the result of an aggregating function, such as ${aggLabel(name)} = count()`,
			);
		if (this.is(op, ";") || this.is(op, "}") || op.kind === "eof") throw mustAssign();
		if (!this.is(op, "=")) throw syntax(op, "'=' or '['");
		this.take();
		const fn = this.peek();
		if (fn.kind === "ident" && fn.text === "llquantize")
			throw new DSyntaxError(fn.pos, "'llquantize' is not supported");
		if (fn.kind !== "ident" || !AGG_NAMES.has(fn.text) || !this.is(this.peek(1), "(")) {
			if (fn.kind === "ident" && UNSUPPORTED_NAMES.has(fn.text)) {
				throw new DSyntaxError(fn.pos, `'${fn.text}' is not supported`);
			}
			throw new DSyntaxError(
				fn.pos,
				`${aggLabel(name)} must be assigned the result of an aggregating function (count, sum, avg, min, max, stddev, quantize, lquantize)`,
			);
		}
		this.take();
		this.take();
		const args = this.optionalList(")");
		return { kind: "aggregate", name, keys, fn: fn.text as AggFunction, args, pos: at.pos, fnPos: fn.pos };
	}

	/** Like list(), but `close` may come at once (no items). */
	private optionalList(close: string): Expr[] {
		if (this.is(this.peek(), close)) {
			this.take();
			return [];
		}
		return this.list(close);
	}

	/** Comma-separated expressions up to and including `close`. */
	private list(close: string): Expr[] {
		const items: Expr[] = [];
		for (;;) {
			items.push(this.expression());
			const t = this.take();
			if (this.is(t, close)) return items;
			if (!this.is(t, ",")) throw syntax(t, `',' or '${close}'`);
		}
	}

	// -- expressions ---------------------------------------------------------

	expression(): Expr {
		const e = this.binary(1);
		const t = this.peek();
		if (this.is(t, "?")) throw new DSyntaxError(t.pos, "'?:' is not supported");
		if (this.is(t, "=")) {
			throw new DSyntaxError(
				t.pos,
				"syntax error near \"=\": assignment is only allowed as a statement (self->name = value); use '==' to compare",
			);
		}
		if (ASSIGN_OPS.has(t.text) && t.kind === "punct") throw new DSyntaxError(t.pos, `'${t.text}' is not supported`);
		return e;
	}

	private binary(minPrec: number): Expr {
		let left = this.unary();
		for (;;) {
			const t = this.peek();
			if (t.kind !== "punct") break;
			if (t.text === "^^") throw new DSyntaxError(t.pos, "'^^' is not supported");
			if (!BINARY.has(t.text)) break;
			const op = t.text as BinaryOp;
			const prec = PRECEDENCE[op];
			if (prec < minPrec) break;
			if (op === "/" && this.inPredicate) {
				// DTrace's rule: a '/' followed by end of input, ';', '{' or '/' closes the predicate.
				const n = this.peek(1);
				if (n.kind === "eof" || this.is(n, ";") || this.is(n, "{") || this.is(n, "/")) break;
			}
			this.take();
			const right = this.binary(prec + 1);
			left = this.node({ kind: "binary", op, left, right, pos: t.pos }, left, right);
		}
		return left;
	}

	private unary(): Expr {
		const t = this.peek();
		if (t.kind === "punct") {
			if (t.text === "!" || t.text === "-" || t.text === "~") {
				this.take();
				this.enter(t);
				const operand = this.unary();
				this.nesting--;
				return this.node({ kind: "unary", op: t.text as UnaryOp, operand, pos: t.pos }, operand);
			}
			if (t.text === "+") throw new DSyntaxError(t.pos, "unary '+' is not supported");
			if (t.text === "*") throw new DSyntaxError(t.pos, "pointer dereference ('*') is not supported");
			if (t.text === "&") throw new DSyntaxError(t.pos, "taking an address ('&') is not supported");
			if (t.text === "++" || t.text === "--") throw new DSyntaxError(t.pos, `'${t.text}' is not supported`);
		}
		return this.postfix();
	}

	private postfix(): Expr {
		const e = this.primary();
		const t = this.peek();
		if (t.kind === "punct") {
			if (t.text === "[") throw new DSyntaxError(t.pos, "array subscripts ('[') are not supported");
			if (t.text === "->") throw new DSyntaxError(t.pos, "'->' is not supported");
			if (t.text === ".") throw new DSyntaxError(t.pos, "member access ('.') is not supported");
			if (t.text === "++" || t.text === "--") throw new DSyntaxError(t.pos, `'${t.text}' is not supported`);
			if (t.text === "(" && e.kind === "builtin") {
				throw new DSyntaxError(t.pos, `'${e.name}' is a variable, not a function; remove the parentheses`);
			}
			if (t.text === "(") throw syntax(t, "an operator");
		}
		return e;
	}

	private selfVar(self: Token): SelfVar {
		const arrow = this.take();
		if (!this.is(arrow, "->")) throw syntax(arrow, "'->' after 'self'");
		const name = this.take();
		if (name.kind !== "ident") throw syntax(name, "a variable name after 'self->'");
		return { kind: "self", name: name.text, pos: self.pos };
	}

	private primary(): Expr {
		const t = this.take();
		switch (t.kind) {
			case "int":
				return this.node({ kind: "int", value: t.value as bigint, pos: t.pos });
			case "string":
				return this.node({ kind: "string", value: t.value as string, pos: t.pos });
			case "agg":
				throw new DSyntaxError(
					t.pos,
					`aggregation ${aggLabel(t.value as string)} cannot be used in an expression; aggregations can only be assigned`,
				);
			case "macro":
				throw new DSyntaxError(
					t.pos,
					/^\$\$?[0-9]/.test(t.text)
						? `macro argument ${t.text} is not defined`
						: `macro variable ${t.text} is not defined`,
				);
			case "eof":
				throw syntax(t, "an expression");
			case "punct":
				if (t.text === "(") {
					const next = this.peek();
					if (next.kind === "ident" && TYPE_KEYWORDS.has(next.text)) {
						throw new DSyntaxError(t.pos, "casts are not supported");
					}
					this.enter(t);
					const e = this.expression();
					this.nesting--;
					this.expect(")");
					return e;
				}
				throw syntax(t, "an expression");
			case "ident":
				return this.identifier(t);
			default:
				throw syntax(t, "an expression");
		}
	}

	private identifier(t: Token): Expr {
		const name = t.text;
		if (name === "self") return this.node(this.selfVar(t));
		if (name === "this") throw new DSyntaxError(t.pos, "'this->' is not supported; use self->name");
		if (BUILTINS.has(name)) return this.node({ kind: "builtin", name: name as BuiltinName, pos: t.pos });
		if (FUNCTION_NAMES.has(name)) {
			const open = this.take();
			if (!this.is(open, "(")) throw syntax(open, `'(' after ${name}`);
			this.enter(t);
			const args = this.optionalList(")");
			this.nesting--;
			return this.node({ kind: "call", fn: name as FunctionName, args, pos: t.pos }, ...args);
		}
		if (AGG_NAMES.has(name)) {
			throw new DSyntaxError(
				t.pos,
				`aggregating function ${name}() can only be assigned to an aggregation, as in @name[key] = ${name}(...)`,
			);
		}
		if (name === "args") throw new DSyntaxError(t.pos, "'args[]' is not supported; use arg0 to arg9");
		if (UNSUPPORTED_NAMES.has(name) || KEYWORDS.has(name) || TYPE_KEYWORDS.has(name)) {
			throw new DSyntaxError(t.pos, `'${name}' is not supported`);
		}
		const next = this.peek();
		if (this.is(next, "[")) {
			throw new DSyntaxError(
				t.pos,
				`associative arrays are not supported; use an aggregation such as @${name}[key] = count()`,
			);
		}
		if (this.is(next, "(")) {
			const guess = suggest(name, [...FUNCTIONS, ...AGG_FUNCTIONS]);
			throw new DSyntaxError(t.pos, `unknown function '${name}'${guess ? `; did you mean '${guess}'?` : ""}`);
		}
		if (/^arg[0-9]+$/.test(name)) {
			throw new DSyntaxError(t.pos, `'${name}' is not available; the probe arguments are arg0 to arg9`);
		}
		const guess = suggest(name, BUILTIN_VARIABLES);
		throw new DSyntaxError(
			t.pos,
			guess
				? `unknown variable '${name}'; did you mean '${guess}'?`
				: `unknown variable '${name}'; use a built-in variable such as pid or execname, or self->${name}`,
		);
	}

	/** Parse a whole text as one expression. */
	standaloneExpression(): Expr {
		const e = this.expression();
		const t = this.peek();
		if (t.kind !== "eof") throw syntax(t, "an operator or the end of the expression");
		return e;
	}
}

/** Parse a D program: one or more clauses. Throws DSyntaxError. */
export function parseProgram(text: string): Program {
	return new Parser(text).program();
}

/** Parse a single D expression (a predicate without its slashes, a key, ...). Throws DSyntaxError. */
export function parseExpression(text: string): Expr {
	return new Parser(text).standaloneExpression();
}
