// D's literal constants as DTrace's lexer reads them: integers (with their radix,
// suffix and overflow rules), string literals and character constants with C's
// escapes. Each reads from \`start\` in the program text and returns the token, whose
// \`end\` is the offset just after it.

import { DSyntaxError, type Position } from "./errors.ts";
import type { Token } from "./lexer.ts";

const MAX_U64 = (1n << 64n) - 1n;
const isDigit = (c: string) => c >= "0" && c <= "9";
const isIdentChar = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || isDigit(c);
const isHexDigit = (c: string) => isDigit(c) || (c >= "a" && c <= "f") || (c >= "A" && c <= "F");
const isOctal = (c: string) => c >= "0" && c <= "7";

export function number(text: string, core: boolean, start: number, pos: Position): Token {
	if (!core) {
		// DTrace's RGX_INT: digits (or 0x and hex digits) and a u/l suffix; what follows
		// is the next token (so 12ab is 12 then ab, a syntax error in the parser).
		const m = /^(0[xX][0-9A-Fa-f]+|[0-9]+)([uU]?[lL]?[lL]?)/.exec(text.slice(start, start + 80));
		if (!m) return floating(pos);
		const rest = text[start + m[0].length] ?? "";
		if (rest === "." || ((rest === "e" || rest === "E") && !/^0[xX]/.test(m[1]!))) return floating(pos);
	}
	let end = start;
	while (end < text.length && (isIdentChar(text[end]!) || text[end] === ".")) {
		// A sign right after an exponent belongs to a floating-point constant.
		end++;
		if ((text[end - 1] === "e" || text[end - 1] === "E") && "+-".includes(text[end] ?? "x")) {
			if (!/^0[xX]/.test(text.slice(start, end))) end++;
		}
	}
	let lexeme = text.slice(start, end);
	if (!core) {
		lexeme = /^(0[xX][0-9A-Fa-f]+|[0-9]+)([uU]?[lL]?[lL]?)/.exec(lexeme)![0];
		end = start + lexeme.length;
	}
	const isHex = /^0[xX]/.test(lexeme);
	if (!isHex && /^[0-9]*\.[0-9]*([eE][+-]?[0-9]+)?[fFlL]?$|^[0-9]+[eE][+-]?[0-9]+[fFlL]?$/.test(lexeme)) {
		throw new DSyntaxError(
			pos,
			core ? "floating-point constants are not supported" : "floating-point constants are not permitted",
		);
	}
	const m = /^(0[xX][0-9A-Fa-f]+|[0-9]+)([uU]?[lL]?[lL]?)$/.exec(lexeme);
	if (!m) {
		// Find the first character that cannot be part of this constant.
		const digits = isHex ? lexeme.slice(2) : lexeme;
		const valid = isHex ? isHexDigit : isDigit;
		let bad = [...digits].find((ch) => !valid(ch)) ?? "";
		if (isHex && digits === "") bad = lexeme[2] ?? "";
		if (bad === "") throw new DSyntaxError(pos, `constant ${lexeme} has no digits after 0x`, "D_INT_DIGIT");
		throw new DSyntaxError(pos, `constant ${lexeme} contains invalid digit ${bad}`, "D_INT_DIGIT");
	}
	const digits = m[1]!;
	let value: bigint;
	let radix: 8 | 16 | undefined;
	if (isHex) {
		value = BigInt(digits);
		radix = 16;
	} else if (digits.length > 1 && digits[0] === "0") {
		const bad = [...digits].find((ch) => ch === "8" || ch === "9");
		if (bad) throw new DSyntaxError(pos, `constant ${lexeme} contains invalid digit ${bad}`, "D_INT_DIGIT");
		value = BigInt(`0o${digits.slice(1)}`);
		radix = 8;
	} else value = BigInt(digits);
	if (value > MAX_U64) throw new DSyntaxError(pos, `constant ${lexeme} results in integer overflow`, "D_INT_OFLOW");
	const token: Token = { kind: "int", text: lexeme, value, pos, end };
	if (radix !== undefined) token.radix = radix;
	if (m[2]) token.suffix = m[2];
	return token;
}

function floating(pos: Position): never {
	throw new DSyntaxError(pos, "floating-point constants are not permitted");
}

/** Decode the escape at `i` (just after the backslash); returns the characters and the next index. */
function escapeAt(text: string, core: boolean, i: number, pos: Position, what: string): [string, number] {
	const c = text[i] ?? "";
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
	if (core && (c === "?" || c === "'")) return [c, i + 1];
	let code: number;
	let j = i;
	if (isOctal(c)) {
		while (j < i + 3 && isOctal(text[j] ?? "")) j++;
		code = Number.parseInt(text.slice(i, j), 8) & 0xff;
	} else if (c === "x") {
		j = i + 1;
		while (isHexDigit(text[j] ?? "")) j++;
		if (j === i + 1) {
			if (core) throw new DSyntaxError(pos, `\\x used with no following hex digits in ${what}`);
			code = 0;
		} else code = Number.parseInt(text.slice(Math.max(i + 1, j - 2), j), 16);
	} else if (core) {
		throw new DSyntaxError(pos, `unknown escape sequence '\\${c}' in ${what}`);
	} else {
		// DTrace keeps the backslash of an escape it does not know (\' \? \q).
		return [`\\${c}`, i + 1];
	}
	if (code > 0x7f && core) {
		throw new DSyntaxError(
			pos,
			`escape '\\${text.slice(i, j)}' in ${what} is not an ASCII character; write the character itself`,
		);
	}
	return [String.fromCharCode(code), j];
}

/**
 * The source character at `i` inside a literal. The full language's strings are bytes
 * (one character U+0000..U+00FF per byte, as D's strings are char arrays), so text
 * beyond ASCII becomes its UTF-8 bytes; today's subset keeps the character.
 */
function raw(text: string, core: boolean, i: number): [string, number] {
	const cp = text.codePointAt(i)!;
	const width = cp > 0xffff ? 2 : 1;
	const ch = text.slice(i, i + width);
	if (cp < 0x80 || core) return [ch, i + width];
	return [Buffer.from(ch, "utf8").toString("latin1"), i + width];
}

/** A literal cut by a newline at index `nl`: DTrace reports the line after it. */
function newlineIn(text: string, core: boolean, what: string, pos: Position, nl: number, code: string): DSyntaxError {
	if (core) return new DSyntaxError(pos, `newline encountered in ${what}`, code);
	let line = pos.line;
	for (let k = pos.offset; k <= nl; k++) if (text[k] === "\n") line++;
	return new DSyntaxError(
		{ line, column: 1, offset: nl + 1 },
		`newline encountered in ${what} (it starts at line ${pos.line}, column ${pos.column})`,
		code,
	);
}

export function stringLiteral(text: string, core: boolean, start: number, pos: Position): Token {
	let i = start + 1;
	let value = "";
	for (;;) {
		const c = text[i];
		if (c === undefined) throw new DSyntaxError(pos, 'end-of-file encountered before matching "');
		if (c === "\n") throw newlineIn(text, core, "string literal", pos, i, "D_STR_NL");
		if (c === '"') break;
		if (c === "\\") {
			if (text[i + 1] === "\n") throw newlineIn(text, core, "string literal", pos, i + 1, "D_STR_NL");
			const [ch, next] = escapeAt(text, core, i + 1, pos, "string literal");
			value += ch;
			i = next;
		} else {
			const [chars, next] = raw(text, core, i);
			value += chars;
			i = next;
		}
	}
	const end = i + 1;
	return { kind: "string", text: text.slice(start, end), value, pos, end };
}

export function charConstant(text: string, core: boolean, start: number, pos: Position): Token {
	let i = start + 1;
	const bytes: number[] = [];
	for (;;) {
		const c = text[i];
		if (c === undefined) throw new DSyntaxError(pos, "end-of-file encountered before matching '");
		if (c === "\n") throw newlineIn(text, core, "character constant", pos, i, "D_CHR_NL");
		if (c === "'") break;
		let chars: string;
		if (c === "\\") {
			if (text[i + 1] === "\n") throw newlineIn(text, core, "character constant", pos, i + 1, "D_CHR_NL");
			if (text[i + 1] === "'") {
				chars = core ? "'" : "\\'";
				i += 2;
			} else [chars, i] = escapeAt(text, core, i + 1, pos, "character constant");
		} else [chars, i] = raw(text, core, i);
		for (const ch of chars) {
			const code = ch.charCodeAt(0);
			if (code > 0xff || (code > 0x7f && core)) throw new DSyntaxError(pos, "character constants must be ASCII");
			bytes.push(code);
		}
	}
	if (bytes.length === 0) throw new DSyntaxError(pos, "empty character constant", "D_CHR_NULL");
	if (bytes.length > 8) throw new DSyntaxError(pos, "character constant is too long", "D_CHR_OFLOW");
	const end = i + 1;
	let value = 0n;
	for (const b of bytes) value = (value << 8n) | BigInt(b);
	return { kind: "int", text: text.slice(start, end), value, pos, end };
}
