// The expression half of the recursive-descent parser: D's expression grammar with
// C's precedence and associativity (DTrace's dt_grammar.y), type names for casts and
// sizeof, and the token plumbing the program parser (parser.ts) builds on.

import { CTypes } from "./ctypes/registry.ts";
import { DSyntaxError, type Position } from "./errors.ts";
import { TAG } from "./errtags.ts";
import { Lexer, type LexOptions, near, type Token } from "./lexer.ts";
import { isBuiltinVariable } from "./library.ts";
import {
	ASSIGN_OPS,
	type AssignOp,
	BINARY_OPS,
	type BinaryOp,
	type Expr,
	PRECEDENCE,
	type TypeName,
	type UnaryOp,
} from "./syntax.ts";
import { QUALIFIERS, TYPE_WORDS } from "./types.ts";

/** Deepest nesting of expressions and statements accepted (keeps every recursive pass
 * of the front end and of its users far from the JavaScript stack limit). */
export const MAX_DEPTH = 300;

const ASSIGN: ReadonlySet<string> = new Set(ASSIGN_OPS);
const BINARY: ReadonlySet<string> = new Set(BINARY_OPS);

/** D keywords that cannot start an expression. */
export const KEYWORDS: ReadonlySet<string> = new Set([
	"auto",
	"break",
	"case",
	"continue",
	"counter",
	"default",
	"do",
	"else",
	"extern",
	"for",
	"goto",
	"if",
	"import",
	"inline",
	"probe",
	"provider",
	"register",
	"return",
	"static",
	"switch",
	"translator",
	"typedef",
	"while",
]);

export function describe(t: Token): string {
	return t.kind === "eof" ? "end of input" : near(t.text);
}

export function syntax(t: Token, expected: string): DSyntaxError {
	return new DSyntaxError(t.pos, `syntax error near ${describe(t)}: expected ${expected}`, ...TAG.syntax(describe(t)));
}

export interface ParseOptions {
	/** "core" (the default): today's subset, with today's messages; "full": all of D. */
	language?: "core" | "full";
	/** The text is a script file (-s): a probe description needs a predicate or a body. */
	file?: boolean;
}

export class ExprParser {
	protected readonly lx: Lexer;
	/** Lookahead tokens read in expression mode. */
	protected buf: Token[] = [];
	protected inPredicate = false;
	/** Open parentheses and brackets inside the current predicate. */
	protected parens = 0;
	protected nesting = 0;
	protected readonly core: boolean;
	/** The program's declared C types (ctypes/): typedef names start type names too. */
	readonly ctypes = new CTypes();
	private readonly depths = new WeakMap<object, number>();

	constructor(text: string, options: ParseOptions, lex: LexOptions) {
		this.core = options.language !== "full";
		this.lx = new Lexer(text, { ...lex, core: this.core });
	}

	// -- token plumbing ------------------------------------------------------

	peek(k = 0): Token {
		while (this.buf.length <= k) this.buf.push(this.lx.next());
		return this.buf[k]!;
	}

	take(): Token {
		const t = this.peek();
		this.buf.shift();
		return t;
	}

	is(t: Token, text: string): boolean {
		return t.kind === "punct" && t.text === text;
	}

	isWord(t: Token, text: string): boolean {
		return t.kind === "ident" && t.text === text;
	}

	/** Forget the expression-mode lookahead and put the lexer back at its first token. */
	protected rewind(): void {
		if (this.buf.length > 0) {
			const first = this.buf[0]!;
			this.lx.restore({ offset: first.pos.offset, line: first.pos.line, column: first.pos.column });
			this.buf = [];
		}
	}

	expect(text: string, expected = `'${text}'`): Token {
		const t = this.take();
		if (!this.is(t, text)) {
			if (this.inPredicate && this.is(t, "/") && (text === ")" || text === "]")) throw this.unclosed(t, text, expected);
			throw syntax(t, expected);
		}
		return t;
	}

	/** A predicate's `/` with a `(` or `[` still open: DTrace's words (the subset keeps its own message for -v). */
	private unclosed(t: Token, close: string, expected: string): DSyntaxError {
		const words = `closing ${close} expected in predicate before /`;
		if (!this.core) return new DSyntaxError(t.pos, words);
		return new DSyntaxError(t.pos, syntax(t, expected).reason, "D_SYNTAX", { dtrace: words });
	}

	/** Record a node's depth; nodes deeper than MAX_DEPTH are an error. */
	protected node<T extends object>(e: T & { pos: Position }, ...children: object[]): T {
		let d = 1;
		for (const c of children) d = Math.max(d, (this.depths.get(c) ?? 1) + 1);
		if (d > MAX_DEPTH) throw new DSyntaxError(e.pos, "expression is nested too deeply");
		this.depths.set(e, d);
		return e;
	}

	protected enter(t: Token): void {
		if (++this.nesting > MAX_DEPTH) throw new DSyntaxError(t.pos, "expression is nested too deeply");
	}

	protected leave(): void {
		this.nesting--;
	}

	// -- expressions ---------------------------------------------------------

	/** `expression`: assignments joined by the comma operator. */
	expression(): Expr {
		let e = this.assignment();
		while (this.is(this.peek(), ",") && !this.core) {
			const t = this.take();
			const right = this.assignment();
			e = this.node({ kind: "binary", op: ",", left: e, right, pos: t.pos }, e, right);
		}
		return e;
	}

	/** The subset parser sets this while it parses a statement whose top may be an assignment. */
	protected statementLevel = false;

	/** Hook for the subset parser: called on an expression before an error about what follows it. */
	protected restrictBefore(_e: Expr): void {}

	/** `assignment_expression`. */
	assignment(): Expr {
		// Only the statement's own top level may assign (in the subset).
		const top = this.statementLevel;
		this.statementLevel = false;
		const left = this.conditional();
		const t = this.peek();
		if (t.kind !== "punct" || !ASSIGN.has(t.text)) return left;
		if (this.core && !top) {
			this.restrictBefore(left);
			if (t.text === "=") {
				throw new DSyntaxError(
					t.pos,
					"syntax error near \"=\": assignment is only allowed as a statement (self->name = value); use '==' to compare",
				);
			}
			throw new DSyntaxError(t.pos, `'${t.text}' is not supported`);
		}
		if (left.kind === "binary" || left.kind === "ternary" || left.kind === "assignexpr" || left.kind === "cast") {
			throw new DSyntaxError(t.pos, `syntax error near ${near(t.text)}`);
		}
		this.take();
		this.enter(t);
		// x = y = 0: an assignment's value may assign in turn (as at the statement's top).
		this.statementLevel = top;
		const value = this.assignment();
		this.leave();
		return this.node({ kind: "assignexpr", op: t.text as AssignOp, target: left, value, pos: t.pos }, left, value);
	}

	private conditional(): Expr {
		const cond = this.binary(1);
		const q = this.peek();
		if (!this.is(q, "?")) return cond;
		this.take();
		this.enter(q);
		const whenTrue = this.expression();
		this.expect(":", "':' of the ?: operator");
		const whenFalse = this.conditional();
		this.leave();
		return this.node({ kind: "ternary", cond, whenTrue, whenFalse, pos: q.pos }, cond, whenTrue, whenFalse);
	}

	private binary(minPrec: number): Expr {
		let left = this.cast();
		for (;;) {
			const t = this.peek();
			if (t.kind !== "punct" || !BINARY.has(t.text) || t.text === ",") break;
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

	/** Does the token after `(` start a type name? */
	protected startsType(t: Token): boolean {
		return t.kind === "ident" && (TYPE_WORDS.has(t.text) || this.ctypes.isTypedef(t.text));
	}

	private cast(): Expr {
		const t = this.peek();
		if (this.is(t, "(") && this.startsType(this.peek(1))) {
			this.take();
			const type = this.typeName();
			this.expect(")", "')' after the type of a cast");
			this.enter(t);
			const operand = this.cast();
			this.leave();
			return this.node({ kind: "cast", type, operand, pos: t.pos }, operand);
		}
		return this.unary();
	}

	private unary(): Expr {
		const t = this.peek();
		if (t.kind === "punct") {
			if ("!-~+*&".includes(t.text) && t.text.length === 1) {
				this.take();
				this.enter(t);
				const operand = this.cast();
				this.leave();
				return this.node({ kind: "unary", op: t.text as UnaryOp, operand, pos: t.pos }, operand);
			}
			if (t.text === "++" || t.text === "--") {
				this.take();
				this.enter(t);
				const operand = this.unary();
				this.leave();
				return this.node({ kind: "incdec", op: t.text, prefix: true, operand, pos: t.pos }, operand);
			}
		}
		if (this.isWord(t, "sizeof")) {
			this.take();
			this.enter(t);
			let e: Expr;
			if (this.is(this.peek(), "(") && this.startsType(this.peek(1))) {
				this.take();
				const type = this.typeName();
				this.expect(")");
				e = this.node({ kind: "sizeof", type, operand: null, pos: t.pos });
			} else {
				const operand = this.unary();
				e = this.node({ kind: "sizeof", type: null, operand, pos: t.pos }, operand);
			}
			this.leave();
			return e;
		}
		if (this.isWord(t, "stringof")) {
			this.take();
			this.enter(t);
			const operand = this.unary();
			this.leave();
			return this.node({ kind: "stringof", operand, pos: t.pos }, operand);
		}
		return this.postfix();
	}

	private postfix(): Expr {
		let e = this.primary();
		for (;;) {
			const t = this.peek();
			if (t.kind !== "punct") break;
			if (t.text === "[") {
				this.take();
				this.enter(t);
				if (this.inPredicate) this.parens++;
				if (this.is(this.peek(), "]")) throw syntax(this.peek(), "a key expression");
				const keys = this.list("]");
				if (this.inPredicate) this.parens--;
				this.leave();
				e = this.node({ kind: "index", base: e, keys, pos: t.pos }, e, ...keys);
			} else if (t.text === "->" || t.text === ".") {
				this.take();
				const m = this.take();
				if (m.kind !== "ident") throw syntax(m, `a member name after '${t.text}'`);
				e = this.node({ kind: "member", op: t.text, base: e, member: m.text, pos: t.pos }, e);
			} else if (t.text === "++" || t.text === "--") {
				this.take();
				e = this.node({ kind: "incdec", op: t.text, prefix: false, operand: e, pos: t.pos }, e);
			} else if (t.text === "(") {
				if (e.kind === "builtin" && this.core) {
					throw new DSyntaxError(t.pos, `'${e.name}' is a variable, not a function; remove the parentheses`);
				}
				if (!this.core && e.kind !== "builtin") {
					throw new DSyntaxError(t.pos, "function designator is not of function type", "D_FUNC_IDENT");
				}
				throw syntax(t, "an operator");
			} else break;
		}
		return e;
	}

	/** Comma-separated assignment expressions up to and including `close`. */
	protected list(close: string): Expr[] {
		const items: Expr[] = [];
		for (;;) {
			items.push(this.assignment());
			const t = this.take();
			if (this.is(t, close)) return items;
			if (!this.is(t, ",")) {
				if (this.inPredicate && this.is(t, "/")) throw this.unclosed(t, close, `',' or '${close}'`);
				throw syntax(t, `',' or '${close}'`);
			}
		}
	}

	/** Like list(), but `close` may come at once (no items). */
	protected optionalList(close: string): Expr[] {
		if (this.is(this.peek(), close)) {
			this.take();
			return [];
		}
		return this.list(close);
	}

	private primary(): Expr {
		const t = this.take();
		switch (t.kind) {
			case "int": {
				const e: Expr = { kind: "int", value: t.value as bigint, pos: t.pos };
				if (t.radix !== undefined) e.radix = t.radix;
				if (t.suffix !== undefined) e.suffix = t.suffix;
				return this.node(e);
			}
			case "string":
				return this.node({ kind: "string", value: t.value as string, pos: t.pos });
			case "agg":
				return this.node({ kind: "aggvar", name: t.value as string, pos: t.pos });
			case "macro": {
				const stringify = t.text.startsWith("$$");
				return this.node({ kind: "macro", name: t.text.slice(stringify ? 2 : 1), stringify, pos: t.pos });
			}
			case "punct":
				if (t.text === "(") {
					this.enter(t);
					if (this.inPredicate) this.parens++;
					const e = this.expression();
					this.expect(")");
					if (this.inPredicate) this.parens--;
					this.leave();
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
		if (name === "self" || name === "this") {
			const arrow = this.take();
			if (!this.is(arrow, "->")) throw syntax(arrow, `'->' after '${name}'`);
			const v = this.take();
			if (v.kind !== "ident") throw syntax(v, `a variable name after '${name}->'`);
			return this.node({ kind: name, name: v.text, pos: t.pos });
		}
		if (name === "offsetof") {
			this.expect("(");
			const type = this.typeName();
			this.expect(",");
			const m = this.take();
			if (m.kind !== "ident") throw syntax(m, "a member name");
			this.expect(")");
			return this.node({ kind: "offsetof", type, member: m.text, pos: t.pos });
		}
		if (name === "xlate") {
			this.expect("<");
			const type = this.typeName();
			this.expect(">");
			this.expect("(");
			const operand = this.expression();
			this.expect(")");
			return this.node({ kind: "xlate", type, operand, pos: t.pos }, operand);
		}
		if (!this.core && (KEYWORDS.has(name) || TYPE_WORDS.has(name))) {
			throw new DSyntaxError(t.pos, `syntax error near ${near(name)}`);
		}
		if (this.is(this.peek(), "(") && !isBuiltinVariable(name)) {
			const open = this.take();
			this.enter(open);
			const args = this.optionalList(")");
			this.leave();
			return this.node({ kind: "call", fn: name, args, pos: t.pos }, ...args);
		}
		if (isBuiltinVariable(name)) return this.node({ kind: "builtin", name, pos: t.pos });
		return this.node({ kind: "ident", name, pos: t.pos });
	}

	/** `type_name`: specifier/qualifier words, then (unless in a declaration) `*`s. */
	typeName(pointersToo = true): TypeName {
		const first = this.peek();
		const words: string[] = [];
		for (;;) {
			const t = this.peek();
			if (t.kind !== "ident") break;
			if (t.text === "struct" || t.text === "union" || t.text === "enum") {
				this.take();
				const tag = this.take();
				if (tag.kind !== "ident") throw syntax(tag, `a ${t.text} name`);
				if (this.is(this.peek(), "{")) {
					throw new DSyntaxError(t.pos, `${t.text} definitions are not supported: they need the kernel's C types`);
				}
				words.push(t.text, tag.text);
				continue;
			}
			if (!TYPE_WORDS.has(t.text) && !QUALIFIERS.has(t.text)) {
				// A typedef name this front end does not know: one word after nothing else.
				if (words.length === 0) {
					this.take();
					words.push(t.text);
				}
				break;
			}
			this.take();
			words.push(t.text);
		}
		if (words.length === 0) throw syntax(first, "a type name");
		let pointers = 0;
		while (pointersToo) {
			const t = this.peek();
			if (this.is(t, "*")) {
				this.take();
				pointers++;
			} else if (t.kind === "ident" && QUALIFIERS.has(t.text) && pointers > 0) {
				this.take();
			} else break;
		}
		return { kind: "typename", words, pointers, pos: first.pos };
	}
}
