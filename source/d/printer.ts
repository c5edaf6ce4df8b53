// Turns any node back into D text that reads like hand-written D and parses back to
// an equal tree (of the full language; a node of today's subset prints as it always
// did): `syscall::read:entry /pid == 42/ { @[execname] = count(); }`.

import { DError, NO_POS } from "./errors.ts";
import { probeFromText, probeText } from "./probe.ts";
import type {
	Clause,
	Declaration,
	Declarator,
	Expr,
	IntLiteral,
	Node,
	Pragma,
	ProbeDescription,
	Program,
	Statement,
	TypeName,
} from "./syntax.ts";
import { PRECEDENCE } from "./syntax.ts";

/**
 * Escape a string as a D string literal. In the full language a string's characters are
 * bytes (see lexer.ts): `bytes` prints them so, valid UTF-8 as its text and any other
 * byte above 0x7f as an octal escape.
 */
export function quoteString(value: string, bytes = false): string {
	if (bytes && /[\x80-\xff]/.test(value)) value = asText(value);
	let out = '"';
	for (const ch of value) {
		const code = ch.codePointAt(0)!;
		switch (ch) {
			case '"':
				out += '\\"';
				break;
			case "\\":
				out += "\\\\";
				break;
			case "\n":
				out += "\\n";
				break;
			case "\t":
				out += "\\t";
				break;
			case "\r":
				out += "\\r";
				break;
			default:
				if (code >= 0xdc80 && code <= 0xdcff) out += `\\${(code - 0xdc00).toString(8)}`;
				else out += code < 0x20 || code === 0x7f ? `\\${code.toString(8).padStart(3, "0")}` : ch;
		}
	}
	return `${out}"`;
}

/** Byte string → text: valid UTF-8 decoded, other high bytes kept as U+DC80.. markers. */
function asText(bytes: string): string {
	const buf = Buffer.from(bytes, "latin1");
	let out = "";
	let i = 0;
	while (i < buf.length) {
		const b = buf[i]!;
		const len = b < 0x80 ? 1 : b >= 0xf0 && b < 0xf5 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 0;
		const chunk = len > 0 ? buf.subarray(i, i + len) : undefined;
		const text = chunk && chunk.length === len ? new TextDecoder("utf-8", { fatal: false }).decode(chunk) : undefined;
		if (text !== undefined && !text.includes("\ufffd") && Buffer.from(text, "utf8").equals(chunk!)) {
			out += text;
			i += len;
		} else {
			out += String.fromCharCode(0xdc00 + b);
			i++;
		}
	}
	return out;
}

function printProbe(d: ProbeDescription): string {
	// Keep the text as written when it still says the same thing as the fields.
	if (d.text !== "") {
		try {
			const p = probeFromText(d.text, NO_POS);
			if (p.provider === d.provider && p.module === d.module && p.function === d.function && p.name === d.name) {
				return d.text;
			}
		} catch (e) {
			if (!(e instanceof DError)) throw e;
		}
	}
	return probeText(d);
}

// Binding strength of each form, loosest first.
const COMMA = 0;
const ASSIGN = 1;
const TERNARY = 2;
const UNARY = 14;
const POSTFIX = 15;
const PRIMARY = 16;

const binaryLevel = (op: keyof typeof PRECEDENCE) => 2 + PRECEDENCE[op];

function level(e: Expr): number {
	switch (e.kind) {
		case "binary":
			return e.op === "," ? COMMA : binaryLevel(e.op);
		case "assignexpr":
			return ASSIGN;
		case "ternary":
			return TERNARY;
		case "unary":
		case "cast":
		case "sizeof":
		case "stringof":
			return UNARY;
		case "incdec":
			return e.prefix ? UNARY : POSTFIX;
		case "call":
		case "index":
		case "member":
		case "offsetof":
		case "xlate":
			return POSTFIX;
		default:
			return PRIMARY;
	}
}

/** Print `e`, in parentheses if it binds looser than `min`. */
function at(e: Expr, min: number): string {
	const s = printExpr(e);
	return level(e) < min ? `(${s})` : s;
}

export function printType(t: TypeName): string {
	return t.words.join(" ") + (t.pointers > 0 ? ` ${"*".repeat(t.pointers)}` : "");
}

function printInt(e: IntLiteral): string {
	const digits =
		e.radix === 16 ? `0x${e.value.toString(16)}` : e.radix === 8 ? `0${e.value.toString(8)}` : `${e.value}`;
	return digits + (e.suffix ?? "");
}

function printUnaryOperand(op: string, operand: Expr): string {
	let inner = at(operand, UNARY);
	// `- -x`, `+ +x` and `& &x` must not become the `--`, `++` and `&&` tokens.
	if ((op === "-" || op === "+" || op === "&") && (inner.startsWith(op) || inner.startsWith(op === "&" ? "&" : op)))
		inner = `(${inner})`;
	if ((op === "++" || op === "--") && /^[+-]/.test(inner)) inner = `(${inner})`;
	return inner;
}

export function printExpr(e: Expr): string {
	switch (e.kind) {
		case "int":
			return printInt(e);
		case "string":
			return quoteString(e.value, byteStrings);
		case "builtin":
		case "ident":
			return e.name;
		case "self":
		case "this":
			return `${e.kind}->${e.name}`;
		case "aggvar":
			return `@${e.name}`;
		case "macro":
			return `$${e.stringify ? "$" : ""}${e.name}`;
		case "call":
			return `${e.fn}(${e.args.map((a) => at(a, ASSIGN)).join(", ")})`;
		case "unary":
			return `${e.op}${printUnaryOperand(e.op, e.operand)}`;
		case "incdec":
			return e.prefix ? `${e.op}${printUnaryOperand(e.op, e.operand)}` : `${at(e.operand, POSTFIX)}${e.op}`;
		case "binary": {
			const p = level(e);
			const op = e.op === "," ? ", " : ` ${e.op} `;
			return `${at(e.left, p)}${op}${at(e.right, p + 1)}`;
		}
		case "ternary":
			return `${at(e.cond, TERNARY + 1)} ? ${printExpr(e.whenTrue)} : ${at(e.whenFalse, TERNARY)}`;
		case "assignexpr":
			return `${at(e.target, UNARY)} ${e.op} ${at(e.value, ASSIGN)}`;
		case "index":
			return `${at(e.base, POSTFIX)}[${e.keys.map((k) => at(k, ASSIGN)).join(", ")}]`;
		case "member":
			return `${at(e.base, POSTFIX)}${e.op}${e.member}`;
		case "cast":
			return `(${printType(e.type)})${at(e.operand, UNARY)}`;
		case "sizeof":
			return e.type ? `sizeof (${printType(e.type)})` : `sizeof (${printExpr(e.operand!)})`;
		case "stringof":
			return `stringof(${printExpr(e.operand)})`;
		case "offsetof":
			return `offsetof(${printType(e.type)}, ${e.member})`;
		case "xlate":
			return `xlate <${printType(e.type)}> (${printExpr(e.operand)})`;
		case "field":
		case "kmem":
			return e.text;
	}
}

function printBlock(statements: Statement[]): string {
	if (statements.length === 0) return "{}";
	return `{ ${statements.map(printTerminated).join(" ")} }`;
}

function printTerminated(s: Statement): string {
	return s.kind === "if" ? printStatement(s) : `${printStatement(s)};`;
}

function printStatement(s: Statement): string {
	switch (s.kind) {
		case "aggregate": {
			const keys = s.keys.length > 0 ? `[${s.keys.map((k) => at(k, ASSIGN)).join(", ")}]` : "";
			return `@${s.name}${keys} = ${s.fn}(${s.args.map((a) => at(a, ASSIGN)).join(", ")})`;
		}
		case "assign":
			return `${at(s.target, UNARY)} ${s.op} ${at(s.value, ASSIGN)}`;
		case "expr":
			return printExpr(s.expr);
		case "if": {
			let out = `if (${printExpr(s.cond)}) ${printBlock(s.body)}`;
			if (s.otherwise) {
				const only = s.otherwise.length === 1 ? s.otherwise[0]! : undefined;
				out += only?.kind === "if" ? ` else ${printStatement(only)}` : ` else ${printBlock(s.otherwise)}`;
			}
			return out;
		}
	}
}

function printClause(c: Clause): string {
	let out = c.probes.map(printProbe).join(", ");
	if (c.predicate) out += ` /${printExpr(c.predicate)}/`;
	return `${out} ${printBlock(c.statements)}`;
}

function printDeclarator(d: Declarator): string {
	let out = "*".repeat(d.pointers) + d.name;
	if (d.dimension !== null) out += `[${d.dimension}]`;
	if (d.keys) out += `[${d.keys.map(printType).join(", ")}]`;
	return out;
}

function printDeclaration(d: Declaration): string {
	if (d.kind === "inline") {
		return `inline ${printType(d.type)} ${"*".repeat(d.pointers)}${d.name} = ${at(d.value, ASSIGN)};`;
	}
	const storage = d.storage === "global" ? "" : `${d.storage} `;
	const type = printType(d.type);
	return `${storage}${type ? `${type} ` : ""}${d.declarators.map(printDeclarator).join(", ")};`;
}

function printPragma(p: Pragma): string {
	return `#pragma D ${p.name} ${p.words.join(" ")}`;
}

function printProgram(p: Program): string {
	const lines = [...p.pragmas.map(printPragma), ...p.declarations.map(printDeclaration), ...p.clauses.map(printClause)];
	return lines.join("\n");
}

/** Set while printing a tree of the full language, whose strings are bytes. */
let byteStrings = false;

/** D text for a program (one clause per line), a clause, a statement, an expression, a
 * probe description, a declaration or a type name. Pass { language: "full" } for a tree
 * parsed as the full language (its strings are bytes). */
export function print(node: Node, options: { language?: "core" | "full" } = {}): string {
	const saved = byteStrings;
	byteStrings = options.language === "full";
	try {
		return printNode(node);
	} finally {
		byteStrings = saved;
	}
}

function printNode(node: Node): string {
	switch (node.kind) {
		case "program":
			return printProgram(node);
		case "clause":
			return printClause(node);
		case "aggregate":
		case "assign":
		case "expr":
		case "if":
			return printStatement(node);
		case "probe":
			return printProbe(node);
		case "typename":
			return printType(node);
		case "decl":
		case "inline":
			return printDeclaration(node);
		case "pragma":
			return printPragma(node);
		default:
			return printExpr(node);
	}
}
