// The D lexer. Like DTrace's it has two modes: at the outer level of a program it
// reads probe descriptions (which may contain `-`, `.`, `*`, `?`, `[...]`, `$` and
// `:`), inside predicates and bodies it reads C-like tokens. The parser says which
// mode it wants; the lexer keeps no mode of its own. Control lines (`#pragma ...`,
// `#error ...`) are handed to a callback as soon as they are read, wherever they are,
// as DTrace's lexer does.

import { DSyntaxError, escapeControls, type Position } from "./errors.ts";
import { TAG } from "./errtags.ts";
import { charConstant, number, stringLiteral } from "./literals.ts";

export type TokenKind = "ident" | "agg" | "int" | "string" | "punct" | "macro" | "pspec" | "eof";

export interface Token {
	kind: TokenKind;
	/** The source text of the token (for `agg`, including the `@`). */
	text: string;
	/** Decoded value: bigint for `int`, string for `string`, the name (no `@`) for `agg`. */
	value?: bigint | string;
	/** For `int`: 8 or 16 when written in octal or hex; the suffix (u, l, ul, ull, ...). */
	radix?: 8 | 16;
	suffix?: string;
	pos: Position;
	/** Offset just past the token. */
	end: number;
}

export interface LexState {
	offset: number;
	line: number;
	column: number;
}

/** A control line: `#` followed by words (strings keep their quotes). */
export interface ControlLine {
	words: string[];
	pos: Position;
}

export interface LexOptions {
	/** Today's subset: unknown escapes are errors, control lines are unsupported. */
	core?: boolean;
	/** Called for every control line; without it a control line is an error. */
	onControl?: (line: ControlLine) => void;
}

const PUNCTUATORS = [
	"<<=",
	">>=",
	"...",
	"->",
	"++",
	"--",
	"+=",
	"-=",
	"*=",
	"/=",
	"%=",
	"&=",
	"^=",
	"|=",
	"<<",
	">>",
	"<=",
	">=",
	"==",
	"!=",
	"&&",
	"||",
	"^^",
	"(",
	")",
	"[",
	"]",
	"{",
	"}",
	",",
	";",
	"=",
	"<",
	">",
	"+",
	"-",
	"*",
	"/",
	"%",
	"&",
	"|",
	"^",
	"!",
	"~",
	"?",
	":",
	".",
];

const isIdentStart = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
const isDigit = (c: string) => c >= "0" && c <= "9";
const isIdentChar = (c: string) => isIdentStart(c) || isDigit(c);
const isSpace = (c: string) => c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";
const isBlank = (c: string) => c === " " || c === "\t" || c === "\f" || c === "\v" || c === "\r";
/** Characters of a probe description (DTrace's RGX_PSPEC, digits allowed first too so
 * that the parser can say that probe ids are not supported). */
export const isProbeChar = (c: string) => isIdentChar(c) || "-$:.?*\\[]!`".includes(c);

/** Quote a piece of source for an error message: `"x"`, shortened when long, with
 * control characters escaped so they never reach the terminal raw. */
export function near(text: string): string {
	const t = text.length > 24 ? `${text.slice(0, 21)}...` : text;
	return `"${escapeControls(t)}"`;
}

export class Lexer {
	readonly text: string;
	private offset = 0;
	private line = 1;
	private column = 1;
	private readonly options: LexOptions;

	constructor(text: string, options: LexOptions = {}) {
		this.text = text;
		this.options = options;
	}

	save(): LexState {
		return { offset: this.offset, line: this.line, column: this.column };
	}

	restore(s: LexState): void {
		this.offset = s.offset;
		this.line = s.line;
		this.column = s.column;
	}

	/** A line marker (`#line N`, cpp's `# N "file"`) was read: the line after it is line N. */
	setNextLine(n: number): void {
		this.line = n - 1;
	}

	position(): Position {
		return { line: this.line, column: this.column, offset: this.offset };
	}

	private peekChar(k = 0): string {
		return this.text[this.offset + k] ?? "";
	}

	private advance(n: number): void {
		for (let i = 0; i < n; i++) {
			if (this.text[this.offset] === "\n") {
				this.line++;
				this.column = 1;
			} else this.column++;
			this.offset++;
		}
	}

	private atLineStart(): boolean {
		for (let i = this.offset - 1; i >= 0; i--) {
			const c = this.text[i]!;
			if (c === "\n") return true;
			if (!isBlank(c)) return false;
		}
		return true;
	}

	/** Skip whitespace, comments, `#!` interpreter lines and control lines. */
	skipTrivia(): void {
		for (;;) {
			const c = this.peekChar();
			if (c === "") return;
			if (isSpace(c)) {
				this.advance(1);
			} else if (c === "\\" && this.peekChar(1) === "\n") {
				this.advance(2);
			} else if (c === "/" && this.peekChar(1) === "*") {
				const start = this.position();
				const close = this.text.indexOf("*/", this.offset + 2);
				if (close < 0) {
					if (this.options.core) throw new DSyntaxError(start, "end-of-file encountered before matching */");
					// DTrace reports where the input ended; say where the comment began too.
					this.advance(this.text.length - this.offset);
					throw new DSyntaxError(
						this.position(),
						`end-of-file encountered before matching */ (the comment starts at line ${start.line}, column ${start.column})`,
					);
				}
				const nested = this.text.indexOf("/*", this.offset + 2);
				if (nested >= 0 && nested < close) {
					this.advance(nested - this.offset);
					throw new DSyntaxError(this.position(), "/* encountered inside a comment");
				}
				this.advance(close + 2 - this.offset);
			} else if (c === "/" && this.peekChar(1) === "/") {
				while (this.peekChar() !== "" && this.peekChar() !== "\n") this.advance(1);
			} else if (c === "#" && this.atLineStart()) {
				if (this.peekChar(1) === "!") {
					while (this.peekChar() !== "" && this.peekChar() !== "\n") this.advance(1);
				} else this.controlLine();
			} else return;
		}
	}

	private literal(t: Token): Token {
		this.advance(t.end - this.offset);
		return t;
	}

	private eof(): Token {
		return { kind: "eof", text: "", pos: this.position(), end: this.offset };
	}

	/** `#pragma ...`, `#error ...`, `#line ...`: read the words up to the end of the line. */
	private controlLine(): void {
		const pos = this.position();
		if (!this.options.onControl) {
			let end = this.offset + 1;
			while (end < this.text.length && isIdentChar(this.text[end]!)) end++;
			const word = this.text.slice(this.offset, end);
			if (word === "#") throw new DSyntaxError(pos, `syntax error near "#"`);
			throw new DSyntaxError(pos, `'${word}' is not supported`);
		}
		this.advance(1);
		const words: string[] = [];
		for (;;) {
			const c = this.peekChar();
			if (c === "") throw new DSyntaxError(this.position(), "end-of-file encountered before end of control line");
			if (c === "\n") break;
			if (isBlank(c)) {
				this.advance(1);
				continue;
			}
			let end = this.offset;
			if (c === '"') {
				end++;
				while (end < this.text.length && this.text[end] !== '"' && this.text[end] !== "\n") {
					end += this.text[end] === "\\" ? 2 : 1;
				}
				if (this.text[end] !== '"') throw new DSyntaxError(this.position(), "newline encountered in string literal");
				end++;
			} else {
				while (end < this.text.length && !isSpace(this.text[end]!) && this.text[end] !== '"') end++;
			}
			words.push(this.text.slice(this.offset, end));
			this.advance(end - this.offset);
		}
		this.options.onControl({ words, pos });
	}

	/** The next token at the outer level of a program: a probe description (or a word
	 * starting a declaration), `,`, `/`, `{`. */
	nextProbe(): Token {
		this.skipTrivia();
		const c = this.peekChar();
		if (c === "") return this.eof();
		const pos = this.position();
		if (c === "," || c === "/" || c === "{") {
			this.advance(1);
			return { kind: "punct", text: c, pos, end: this.offset };
		}
		if (isProbeChar(c)) {
			let end = this.offset;
			while (end < this.text.length && isProbeChar(this.text[end]!)) end++;
			const text = this.text.slice(this.offset, end);
			this.advance(end - this.offset);
			return { kind: "pspec", text, pos, end };
		}
		if (c === '"')
			throw new DSyntaxError(pos, "syntax error near '\"': expected a probe description", ...TAG.syntax(near(c)));
		throw new DSyntaxError(pos, `syntax error near ${near(c)}: expected a probe description`, ...TAG.syntax(near(c)));
	}

	/** The next token inside a predicate, a clause body or a declaration. */
	next(): Token {
		this.skipTrivia();
		const c = this.peekChar();
		if (c === "") return this.eof();
		const pos = this.position();
		const start = this.offset;
		if (isIdentStart(c) || c === "`") {
			let end = start + 1;
			while (end < this.text.length && (isIdentChar(this.text[end]!) || this.text[end] === "`")) end++;
			const text = this.text.slice(start, end);
			this.advance(end - start);
			return { kind: "ident", text, pos, end };
		}
		if (isDigit(c) || (c === "." && isDigit(this.peekChar(1))))
			return this.literal(number(this.text, this.options.core === true, this.offset, pos));
		if (c === '"') return this.literal(stringLiteral(this.text, this.options.core === true, this.offset, pos));
		if (c === "'") return this.literal(charConstant(this.text, this.options.core === true, this.offset, pos));
		if (c === "@") {
			let end = start + 1;
			if (end < this.text.length && isIdentStart(this.text[end]!)) {
				while (end < this.text.length && isIdentChar(this.text[end]!)) end++;
			}
			const text = this.text.slice(start, end);
			this.advance(end - start);
			return { kind: "agg", text, value: text.slice(1), pos, end };
		}
		if (c === "$") {
			let end = start + 1;
			if (this.text[end] === "$") end++;
			if (isDigit(this.text[end] ?? "")) {
				while (end < this.text.length && isDigit(this.text[end]!)) end++;
			} else if (isIdentStart(this.text[end] ?? "")) {
				while (end < this.text.length && isIdentChar(this.text[end]!)) end++;
			} else throw new DSyntaxError(pos, `syntax error near "$"`);
			const text = this.text.slice(start, end);
			this.advance(end - start);
			return { kind: "macro", text, pos, end };
		}
		if (c === "#") throw new DSyntaxError(pos, `syntax error near "#"`);
		for (const p of PUNCTUATORS) {
			if (this.text.startsWith(p, start)) {
				this.advance(p.length);
				return { kind: "punct", text: p, pos, end: this.offset };
			}
		}
		throw new DSyntaxError(pos, `syntax error near ${near(c)}`);
	}
}
