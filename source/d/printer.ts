// Turns any AST node back into D text that reads like hand-written D and parses back
// to an equal tree: `syscall::read:entry /pid == 42/ { @[execname] = count(); }`.

import { type Clause, type Expr, type Node, PRECEDENCE, type ProbeDescription, type Statement } from "./ast.ts";
import { DError, NO_POS } from "./errors.ts";
import { probeFromText, probeText } from "./probe.ts";

/** Escape a string as a D string literal. */
export function quoteString(value: string): string {
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
				out += code < 0x20 || code === 0x7f ? `\\${code.toString(8).padStart(3, "0")}` : ch;
		}
	}
	return `${out}"`;
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

const PRIMARY = 100;
const UNARY = 50;

function precedenceOf(e: Expr): number {
	if (e.kind === "binary") return PRECEDENCE[e.op];
	if (e.kind === "unary") return UNARY;
	return PRIMARY;
}

function printExpr(e: Expr): string {
	switch (e.kind) {
		case "int":
			return e.value.toString();
		case "string":
			return quoteString(e.value);
		case "builtin":
			return e.name;
		case "self":
			return `self->${e.name}`;
		case "call":
			return `${e.fn}(${e.args.map(printExpr).join(", ")})`;
		case "unary": {
			let inner = printExpr(e.operand);
			// `- -x` must not become the `--` token.
			if (precedenceOf(e.operand) < UNARY || (e.op === "-" && inner.startsWith("-"))) inner = `(${inner})`;
			return `${e.op}${inner}`;
		}
		case "binary": {
			const p = PRECEDENCE[e.op];
			let l = printExpr(e.left);
			let r = printExpr(e.right);
			if (precedenceOf(e.left) < p) l = `(${l})`;
			if (precedenceOf(e.right) <= p) r = `(${r})`;
			return `${l} ${e.op} ${r}`;
		}
	}
}

function printStatement(s: Statement): string {
	if (s.kind === "assign") return `self->${s.target.name} = ${printExpr(s.value)}`;
	const keys = s.keys.length > 0 ? `[${s.keys.map(printExpr).join(", ")}]` : "";
	return `@${s.name}${keys} = ${s.fn}(${s.args.map(printExpr).join(", ")})`;
}

function printClause(c: Clause): string {
	let out = c.probes.map(printProbe).join(", ");
	if (c.predicate) out += ` /${printExpr(c.predicate)}/`;
	if (c.statements.length === 0) return `${out} {}`;
	return `${out} { ${c.statements.map((s) => `${printStatement(s)};`).join(" ")} }`;
}

/** D text for a program (one clause per line), a clause, a statement, an expression or a probe description. */
export function print(node: Node): string {
	switch (node.kind) {
		case "program":
			return node.clauses.map(printClause).join("\n");
		case "clause":
			return printClause(node);
		case "aggregate":
		case "assign":
			return printStatement(node);
		case "probe":
			return printProbe(node);
		default:
			return printExpr(node);
	}
}
