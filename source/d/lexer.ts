// The D lexer. Like DTrace's it has two modes: at the outer level of a program it
// reads probe descriptions (which may contain `-`, `.`, `*`, `?`, `[...]`, `$` and
// `:`), inside predicates and bodies it reads C-like tokens. The parser says which
// mode it wants; the lexer keeps no mode of its own. Control lines (`#pragma ...`,
// `#error ...`) are handed to a callback as soon as they are read, wherever they are,
// as DTrace's lexer does.

import { DSyntaxError, escapeControls, type Position } from "./errors.ts";

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

const MAX_U64 = (1n << 64n) - 1n;

const isIdentStart = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
const isDigit = (c: string) => c >= "0" && c <= "9";
const isIdentChar = (c: string) => isIdentStart(c) || isDigit(c);
const isHexDigit = (c: string) => isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F");
const isOctal = (c: string) => c >= "0" && c <= "7";
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
		if (c === '"') throw new DSyntaxError(pos, "syntax error near '\"': expected a probe description");
		throw new DSyntaxError(pos, `syntax error near ${near(c)}: expected a probe description`);
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
		if (isDigit(c) || (c === "." && isDigit(this.peekChar(1)))) return this.number(pos);
		if (c === '"') return this.string(pos);
		if (c === "'") return this.charConstant(pos);
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

	private number(pos: Position): Token {
		const start = this.offset;
		if (!this.options.core) {
			// DTrace's RGX_INT: digits (or 0x and hex digits) and a u/l suffix; what follows
			// is the next token (so 12ab is 12 then ab, a syntax error in the parser).
			const m = /^(0[xX][0-9A-Fa-f]+|[0-9]+)([uU]?[lL]?[lL]?)/.exec(this.text.slice(start, start + 80));
			if (!m) return this.floating(pos);
			const rest = this.text[start + m[0].length] ?? "";
			if (rest === "." || ((rest === "e" || rest === "E") && !/^0[xX]/.test(m[1]!))) return this.floating(pos);
		}
		let end = start;
		while (end < this.text.length && (isIdentChar(this.text[end]!) || this.text[end] === ".")) {
			// A sign right after an exponent belongs to a floating-point constant.
			end++;
			if ((this.text[end - 1] === "e" || this.text[end - 1] === "E") && "+-".includes(this.text[end] ?? "x")) {
				if (!/^0[xX]/.test(this.text.slice(start, end))) end++;
			}
		}
		let text = this.text.slice(start, end);
		if (!this.options.core) {
			text = /^(0[xX][0-9A-Fa-f]+|[0-9]+)([uU]?[lL]?[lL]?)/.exec(text)![0];
			end = start + text.length;
		}
		const isHex = /^0[xX]/.test(text);
		if (!isHex && /^[0-9]*\.[0-9]*([eE][+-]?[0-9]+)?[fFlL]?$|^[0-9]+[eE][+-]?[0-9]+[fFlL]?$/.test(text)) {
			throw new DSyntaxError(
				pos,
				this.options.core ? "floating-point constants are not supported" : "floating-point constants are not permitted",
			);
		}
		const m = /^(0[xX][0-9A-Fa-f]+|[0-9]+)([uU]?[lL]?[lL]?)$/.exec(text);
		if (!m) {
			// Find the first character that cannot be part of this constant.
			const digits = isHex ? text.slice(2) : text;
			const valid = isHex ? isHexDigit : isDigit;
			let bad = [...digits].find((ch) => !valid(ch)) ?? "";
			if (isHex && digits === "") bad = text[2] ?? "";
			if (bad === "") throw new DSyntaxError(pos, `constant ${text} has no digits after 0x`, "D_INT_DIGIT");
			throw new DSyntaxError(pos, `constant ${text} contains invalid digit ${bad}`, "D_INT_DIGIT");
		}
		const digits = m[1]!;
		let value: bigint;
		let radix: 8 | 16 | undefined;
		if (isHex) {
			value = BigInt(digits);
			radix = 16;
		} else if (digits.length > 1 && digits[0] === "0") {
			const bad = [...digits].find((ch) => ch === "8" || ch === "9");
			if (bad) throw new DSyntaxError(pos, `constant ${text} contains invalid digit ${bad}`, "D_INT_DIGIT");
			value = BigInt(`0o${digits.slice(1)}`);
			radix = 8;
		} else value = BigInt(digits);
		if (value > MAX_U64) throw new DSyntaxError(pos, `constant ${text} results in integer overflow`, "D_INT_OFLOW");
		this.advance(end - start);
		const token: Token = { kind: "int", text, value, pos, end };
		if (radix !== undefined) token.radix = radix;
		if (m[2]) token.suffix = m[2];
		return token;
	}

	private floating(pos: Position): never {
		throw new DSyntaxError(pos, "floating-point constants are not permitted");
	}

	/** Decode the escape at `i` (just after the backslash); returns the characters and the next index. */
	private escape(i: number, pos: Position, what: string): [string, number] {
		const c = this.text[i] ?? "";
		const simple: Record<string, string> = {
			n: "\n",
			t: "\t",
			v: "\v",
			b: "\b",
			r: "\r",
			f: "\f",
			a: "\x07",
			"\\": "\\",
			'"': '"',
		};
		if (c in simple) return [simple[c]!, i + 1];
		// Today's subset decoded these as C does; DTrace keeps their backslash (below).
		if (this.options.core && (c === "?" || c === "'")) return [c, i + 1];
		let code: number;
		let j = i;
		if (isOctal(c)) {
			while (j < i + 3 && isOctal(this.text[j] ?? "")) j++;
			code = Number.parseInt(this.text.slice(i, j), 8) & 0xff;
		} else if (c === "x") {
			j = i + 1;
			while (isHexDigit(this.text[j] ?? "")) j++;
			if (j === i + 1) {
				if (this.options.core) throw new DSyntaxError(pos, `\\x used with no following hex digits in ${what}`);
				code = 0;
			} else code = Number.parseInt(this.text.slice(Math.max(i + 1, j - 2), j), 16);
		} else if (this.options.core) {
			throw new DSyntaxError(pos, `unknown escape sequence '\\${c}' in ${what}`);
		} else {
			// DTrace keeps the backslash of an escape it does not know (\' \? \q).
			return [`\\${c}`, i + 1];
		}
		if (code > 0x7f && this.options.core) {
			throw new DSyntaxError(
				pos,
				`escape '\\${this.text.slice(i, j)}' in ${what} is not an ASCII character; write the character itself`,
			);
		}
		return [String.fromCharCode(code), j];
	}

	/**
	 * The source character at `i` inside a literal. The full language's strings are bytes
	 * (one character U+0000..U+00FF per byte, as D's strings are char arrays), so text
	 * beyond ASCII becomes its UTF-8 bytes; today's subset keeps the character.
	 */
	private raw(i: number): [string, number] {
		const cp = this.text.codePointAt(i)!;
		const width = cp > 0xffff ? 2 : 1;
		const ch = this.text.slice(i, i + width);
		if (cp < 0x80 || this.options.core) return [ch, i + width];
		return [Buffer.from(ch, "utf8").toString("latin1"), i + width];
	}

	/** A literal cut by a newline at index `nl`: DTrace reports the line after it. */
	private newlineIn(what: string, pos: Position, nl: number, code: string): DSyntaxError {
		if (this.options.core) return new DSyntaxError(pos, `newline encountered in ${what}`, code);
		let line = pos.line;
		for (let k = pos.offset; k <= nl; k++) if (this.text[k] === "\n") line++;
		return new DSyntaxError(
			{ line, column: 1, offset: nl + 1 },
			`newline encountered in ${what} (it starts at line ${pos.line}, column ${pos.column})`,
			code,
		);
	}

	private string(pos: Position): Token {
		const start = this.offset;
		let i = start + 1;
		let value = "";
		for (;;) {
			const c = this.text[i];
			if (c === undefined) throw new DSyntaxError(pos, 'end-of-file encountered before matching "');
			if (c === "\n") throw this.newlineIn("string literal", pos, i, "D_STR_NL");
			if (c === '"') break;
			if (c === "\\") {
				if (this.text[i + 1] === "\n") throw this.newlineIn("string literal", pos, i + 1, "D_STR_NL");
				const [ch, next] = this.escape(i + 1, pos, "string literal");
				value += ch;
				i = next;
			} else {
				const [chars, next] = this.raw(i);
				value += chars;
				i = next;
			}
		}
		const end = i + 1;
		const text = this.text.slice(start, end);
		this.advance(end - start);
		return { kind: "string", text, value, pos, end };
	}

	private charConstant(pos: Position): Token {
		const start = this.offset;
		let i = start + 1;
		const bytes: number[] = [];
		for (;;) {
			const c = this.text[i];
			if (c === undefined) throw new DSyntaxError(pos, "end-of-file encountered before matching '");
			if (c === "\n") throw this.newlineIn("character constant", pos, i, "D_CHR_NL");
			if (c === "'") break;
			let chars: string;
			if (c === "\\") {
				if (this.text[i + 1] === "\n") throw this.newlineIn("character constant", pos, i + 1, "D_CHR_NL");
				if (this.text[i + 1] === "'") {
					chars = this.options.core ? "'" : "\\'";
					i += 2;
				} else [chars, i] = this.escape(i + 1, pos, "character constant");
			} else [chars, i] = this.raw(i);
			for (const ch of chars) {
				const code = ch.charCodeAt(0);
				if (code > 0xff || (code > 0x7f && this.options.core))
					throw new DSyntaxError(pos, "character constants must be ASCII");
				bytes.push(code);
			}
		}
		if (bytes.length === 0) throw new DSyntaxError(pos, "empty character constant", "D_CHR_NULL");
		if (bytes.length > 8) throw new DSyntaxError(pos, "character constant is too long", "D_CHR_OFLOW");
		const end = i + 1;
		let value = 0n;
		for (const b of bytes) value = (value << 8n) | BigInt(b);
		const text = this.text.slice(start, end);
		this.advance(end - start);
		return { kind: "int", text, value, pos, end };
	}
}
