// The integer constant expressions of #if and #elif (C99 6.10.1), evaluated as
// GCC's preprocessor does: intmax_t / uintmax_t arithmetic (64 bits), an
// unsigned operand makes the operation unsigned, identifiers left after macro
// expansion are 0. Errors are GCC's sentences.
import { CppDiagnostic, type PpToken } from "./cpp-lex.ts";

interface Value {
	v: bigint;
	u: boolean;
}

const norm = (v: bigint, u: boolean): Value => ({ v: u ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v), u });

/** The value of a character constant ('a', '\n', '\x41', '\101'). */
function charValue(text: string, line: number): bigint {
	const body = text.slice(1, -1);
	if (body.length === 0) throw new CppDiagnostic(line, "empty character constant");
	let m: RegExpExecArray | null;
	if (body[0] !== "\\") return BigInt((body.charCodeAt(0) << 24) >> 24);
	const simple: Record<string, number> = {
		n: 10,
		t: 9,
		r: 13,
		a: 7,
		b: 8,
		f: 12,
		v: 11,
		"\\": 92,
		"'": 39,
		'"': 34,
		"?": 63,
		e: 27,
	};
	if (body.length === 2 && simple[body[1]!] !== undefined) return BigInt(simple[body[1]!]!);
	if ((m = /^\\x([0-9a-fA-F]+)$/.exec(body))) return BigInt(((Number.parseInt(m[1]!, 16) & 0xff) << 24) >> 24);
	if ((m = /^\\([0-7]{1,3})$/.exec(body))) return BigInt(((Number.parseInt(m[1]!, 8) & 0xff) << 24) >> 24);
	return BigInt(body.charCodeAt(1));
}

function numberValue(text: string, line: number): Value {
	const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text);
	if (!m) {
		if (/^[0-9]*\.|^[0-9]+[eE]|^\./.test(text))
			throw new CppDiagnostic(line, "floating constant in preprocessor expression");
		const d = /^(0[xX][0-9a-fA-F]*|[0-9]+)(.*)$/.exec(text);
		if (d && /^[0-7]*[89]/.test(text.slice(1)) && text[0] === "0")
			throw new CppDiagnostic(line, `invalid digit "${/[89]/.exec(text)![0]}" in octal constant`);
		throw new CppDiagnostic(line, `invalid suffix "${d?.[2] ?? text}" on integer constant`);
	}
	const digits = m[1]!;
	if (!/^(|[uU]|[lL]|[lL][lL]|[uU][lL]|[uU][lL][lL]|[lL][uU]|[lL][lL][uU])$/.test(m[2]!) || /lL|Ll/.test(m[2]!))
		throw new CppDiagnostic(line, `invalid suffix "${m[2]}" on integer constant`);
	let v: bigint;
	if (/^0[bB]/.test(digits)) v = BigInt(digits);
	else if (/^0[0-7]+$/.test(digits)) v = BigInt(`0o${digits.slice(1)}`);
	else v = BigInt(digits);
	if (v > 0xffffffffffffffffn) throw new CppDiagnostic(line, "integer constant is too large for its type");
	const u = /[uU]/.test(m[2]!) || v > 0x7fffffffffffffffn;
	return norm(v, u);
}

const BINARY: Record<string, number> = {
	"*": 10,
	"/": 10,
	"%": 10,
	"+": 9,
	"-": 9,
	"<<": 8,
	">>": 8,
	"<": 7,
	">": 7,
	"<=": 7,
	">=": 7,
	"==": 6,
	"!=": 6,
	"&": 5,
	"^": 4,
	"|": 3,
	"&&": 2,
	"||": 1,
};

/** Evaluate the tokens of an #if (`defined` already replaced, macros expanded). */
export function evaluate(tokens: readonly PpToken[], line: number, directive: string): boolean {
	if (tokens.length === 0) throw new CppDiagnostic(line, `#${directive} with no expression`);
	let i = 0;
	const peek = () => tokens[i];
	const fail = (said: string): never => {
		throw new CppDiagnostic(line, said);
	};
	const primary = (): Value => {
		const t = tokens[i++];
		if (!t) return fail("#" + directive + " with no expression");
		if (t.kind === "number") return numberValue(t.v, line);
		if (t.kind === "char") return { v: charValue(t.v, line), u: false };
		if (t.kind === "ident") return { v: 0n, u: false };
		if (t.v === "(") {
			if (peek()?.v === ")") fail("missing expression between '(' and ')'");
			const v = ternary();
			if (peek()?.v !== ")") fail("missing ')' in expression");
			i++;
			return v;
		}
		if (t.v === "!" || t.v === "~" || t.v === "-" || t.v === "+") {
			if (!peek()) fail(`operator '${t.v}' has no right operand`);
			const x = primary();
			if (t.v === "!") return { v: x.v === 0n ? 1n : 0n, u: false };
			if (t.v === "~") return norm(~x.v, x.u);
			if (t.v === "-") return norm(-x.v, x.u);
			return x;
		}
		if (t.kind === "string") return fail(`token "${t.v}" is not valid in preprocessor expressions`);
		if (t.v === ")") return fail("missing expression between '(' and ')'");
		if (BINARY[t.v] !== undefined) return fail(`operator '${t.v}' has no left operand`);
		return fail(`token "${t.v}" is not valid in preprocessor expressions`);
	};
	const binary = (minPrec: number): Value => {
		let left = primary();
		for (;;) {
			const op = peek();
			const prec = op ? BINARY[op.v] : undefined;
			if (!op || prec === undefined || prec < minPrec) return left;
			i++;
			if (!peek()) fail(`operator '${op.v}' has no right operand`);
			const right = binary(prec + 1);
			left = apply(op.v, left, right, line);
		}
	};
	const ternary = (): Value => {
		const cond = binary(1);
		if (peek()?.v !== "?") return cond;
		i++;
		const a = ternary();
		if (peek()?.v !== ":") fail("'?' without following ':'");
		i++;
		const b = ternary();
		const u = a.u || b.u;
		return norm(cond.v !== 0n ? a.v : b.v, u);
	};
	const v = ternary();
	const extra = peek();
	if (extra) {
		if (extra.v === ")") fail("missing '(' in expression");
		if (extra.v === ":") fail("':' without preceding '?'");
		fail(`missing binary operator before token "${extra.v}"`);
	}
	return v.v !== 0n;
}

function apply(op: string, a: Value, b: Value, line: number): Value {
	const u = a.u || b.u;
	const x = u ? BigInt.asUintN(64, a.v) : a.v;
	const y = u ? BigInt.asUintN(64, b.v) : b.v;
	switch (op) {
		case "*":
			return norm(x * y, u);
		case "/":
		case "%":
			if (y === 0n) throw new CppDiagnostic(line, "division by zero in #if");
			return norm(op === "/" ? x / y : x % y, u);
		case "+":
			return norm(x + y, u);
		case "-":
			return norm(x - y, u);
		case "<<":
		case ">>": {
			// The left operand's own type; a negative count shifts the other way.
			const n = b.u ? BigInt.asUintN(64, b.v) : b.v;
			const left = (op === "<<") === n >= 0n;
			const k = n < 0n ? -n : n;
			if (left) return norm(k >= 64n ? 0n : a.v << k, a.u);
			return norm(k >= 64n ? (a.v < 0n ? -1n : 0n) : a.v >> k, a.u);
		}
		case "<":
			return { v: x < y ? 1n : 0n, u: false };
		case ">":
			return { v: x > y ? 1n : 0n, u: false };
		case "<=":
			return { v: x <= y ? 1n : 0n, u: false };
		case ">=":
			return { v: x >= y ? 1n : 0n, u: false };
		case "==":
			return { v: x === y ? 1n : 0n, u: false };
		case "!=":
			return { v: x !== y ? 1n : 0n, u: false };
		case "&":
			return norm(x & y, u);
		case "^":
			return norm(x ^ y, u);
		case "|":
			return norm(x | y, u);
		case "&&":
			return { v: a.v !== 0n && b.v !== 0n ? 1n : 0n, u: false };
		default:
			return { v: a.v !== 0n || b.v !== 0n ? 1n : 0n, u: false };
	}
}
