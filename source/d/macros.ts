// Macro expansion, in one place: `$0`..`$N` (the script and the arguments after it),
// `$$N` (the same as strings), and the macro variables `$pid`, `$ppid`, `$uid`,
// `$gid`, `$euid`, `$egid`, `$sid`, `$pgid` (of the dtop process, as DTrace's are of
// dtrace(1)) and `$target` (the -c/-p process). DTrace's lexer (dt_lex.l) decides what
// an argument becomes: an integer if it reads as one, an identifier if it is one,
// otherwise a string (its surrounding quotes removed). In probe descriptions each
// field may hold one macro, replaced by its text (dt_subr.c's dtrace_xstr2desc).

import { DSyntaxError, NO_POS, type Position } from "./errors.ts";
import { isProbeChar } from "./lexer.ts";
import { isBuiltinVariable, MACRO_VARIABLES, type MacroVariable } from "./library.ts";
import { probeFromText, probeText } from "./probe.ts";
import type { Clause, Expr, Program, Statement } from "./syntax.ts";

export interface MacroValues {
	/** The value of `$target` (a process id); without one `$target` is an error. */
	target?: number | bigint | string;
	/** The values of `$1`, `$2`, ... (`args[0]` is `$1`). */
	args?: readonly string[];
	/** `$0`: the script's name (default "dtop"). */
	script?: string;
	/** Values of `$pid`, `$uid`, ... (default: this process's). */
	variables?: Partial<Record<Exclude<MacroVariable, "target">, number>>;
	/** DTrace's -x defaultargs: arguments not given are 0 (`$N`) or "" (`$$N`). */
	defaultArgs?: boolean;
	/** DTrace's -x argref: the last argument need not be referenced. */
	argRef?: boolean;
}

function processValue(name: Exclude<MacroVariable, "target">): number {
	switch (name) {
		case "pid":
			return process.pid;
		case "ppid":
			return process.ppid;
		case "uid":
			return process.getuid?.() ?? 0;
		case "gid":
			return process.getgid?.() ?? 0;
		case "euid":
			return process.geteuid?.() ?? 0;
		case "egid":
			return process.getegid?.() ?? 0;
		// Node has no getsid/getpgid; the session and group of a CLI are its own pid's
		// unless its parent put it in another, which the caller can pass in `variables`.
		case "sid":
		case "pgid":
			return process.pid;
	}
}

/** The nodes macro expansion made (the checker gives them the scope "macro"). */
export const FROM_MACRO = new WeakSet<object>();

/** What an expanded macro stands for. */
export type MacroValue =
	| { kind: "int"; value: bigint; negative: boolean; radix?: 8 | 16; suffix?: string }
	| { kind: "ident"; name: string }
	| { kind: "string"; value: string };

/** DTrace's stresc2chr: decode C escapes in an argument given as a string. */
function decodeEscapes(s: string): string {
	return s.replace(/\\([0-7]{1,3}|x[0-9a-fA-F]*|.)/gs, (m, e: string) => {
		const simple: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
		if (e in simple) return simple[e]!;
		if (e === '"' || e === "\\") return e;
		if (/^[0-7]/.test(e)) return String.fromCharCode(Number.parseInt(e, 8) & 0xff);
		if (e[0] === "x") return String.fromCharCode(e.length > 1 ? Number.parseInt(e.slice(-2), 16) : 0);
		return m;
	});
}

/** Read a macro argument's text as DTrace's lexer does (dt_lex.l, strbadidnum). */
export function classifyArgument(text: string, name: string, pos: Position): MacroValue {
	const number = /^[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(text);
	if (text === "" || !(number || /^[A-Za-z0-9_`]+$/.test(text))) {
		const quoted = text.length > 1 && text.startsWith('"') && text.endsWith('"');
		return { kind: "string", value: decodeEscapes(quoted ? text.slice(1, -1) : text) };
	}
	if (!/^[0-9+-]/.test(text)) return { kind: "ident", name: text };
	const negative = text[0] === "-";
	const rest = /^[+-]/.test(text) ? text.slice(1) : text;
	const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)?(.*)$/s.exec(rest)!;
	const digits = m[1] ?? "0";
	const value = /^0[0-7]+$/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
	if (value >= 1n << 64n) {
		throw new DSyntaxError(pos, `macro argument ${name} constant ${rest} results in integer overflow`, "D_MACRO_OFLOW");
	}
	const out: MacroValue = { kind: "int", value, negative };
	if (/^0[xX]/.test(digits)) out.radix = 16;
	else if (/^0[0-7]+$/.test(digits)) out.radix = 8;
	const suffix = m[2]!.replace(/[^uUlL]/g, "");
	if (suffix) out.suffix = suffix;
	return out;
}

/** Tracks which macro arguments a program used (for DTrace's D_MACRO_UNUSED check). */
class Expander {
	private readonly referenced = new Set<number>();
	private readonly argv: string[];

	constructor(private readonly values: MacroValues) {
		this.argv = [values.script ?? "dtop", ...(values.args ?? [])];
	}

	/** The text of `$name` (`stringify` for `$$name`), or an error naming it. */
	text(name: string, stringify: boolean, pos: Position): { text: string; argument: boolean } {
		const shown = `$${stringify ? "$" : ""}${name}`;
		if (/^[0-9]+$/.test(name)) {
			const i = Number(name);
			if (i >= this.argv.length) {
				if (this.values.defaultArgs) return { text: stringify ? "" : "0", argument: true };
				throw new DSyntaxError(pos, `macro argument ${shown} is not defined`, "D_MACRO_UNDEF");
			}
			this.referenced.add(i);
			return { text: this.argv[i]!, argument: true };
		}
		if (name === "target") {
			if (this.values.target === undefined) {
				throw new DSyntaxError(pos, `macro variable ${shown} is not defined; give a target process`, "D_MACRO_UNDEF");
			}
			return { text: String(this.values.target), argument: false };
		}
		if ((MACRO_VARIABLES as readonly string[]).includes(name)) {
			const v = name as Exclude<MacroVariable, "target">;
			return { text: String(this.values.variables?.[v] ?? processValue(v)), argument: false };
		}
		throw new DSyntaxError(pos, `macro variable ${shown} is not defined`, "D_MACRO_UNDEF");
	}

	/** The expression a `$...` in a predicate or body stands for. */
	expr(name: string, stringify: boolean, pos: Position): Expr {
		const e = this.make(name, stringify, pos);
		FROM_MACRO.add(e);
		if (e.kind === "unary") FROM_MACRO.add(e.operand);
		return e;
	}

	private make(name: string, stringify: boolean, pos: Position): Expr {
		const { text, argument } = this.text(name, stringify, pos);
		if (stringify) return { kind: "string", value: argument ? decodeEscapes(text) : text, pos };
		const v = classifyArgument(text, `$${name}`, pos);
		switch (v.kind) {
			case "string":
				return { kind: "string", value: v.value, pos };
			case "ident":
				return isBuiltinVariable(v.name)
					? { kind: "builtin", name: v.name, pos }
					: { kind: "ident", name: v.name, pos };
			case "int": {
				const lit: Expr = { kind: "int", value: v.value, pos };
				if (v.radix) lit.radix = v.radix;
				if (v.suffix) lit.suffix = v.suffix;
				return v.negative ? { kind: "unary", op: "-", operand: lit, pos } : lit;
			}
		}
	}

	/** A probe description field with its macro (at most one) replaced. */
	field(f: string, pos: Position): string {
		const at = f.indexOf("$");
		if (at < 0) return f;
		const m = /^\$(\$?)([0-9]+|[A-Za-z_][A-Za-z0-9_]*)(.*)$/s.exec(f.slice(at));
		if (!m || (!/^[0-9]/.test(m[2]!) && m[3] !== "")) {
			throw new DSyntaxError(
				pos,
				`invalid probe description field "${f}": a macro such as $target or $1 was expected`,
				"D_PDESC_INVAL",
			);
		}
		return f.slice(0, at) + this.text(m[2]!, false, pos).text + m[3];
	}

	/** DTrace insists that the last argument is used (unless -x argref). */
	checkUnused(): void {
		const last = this.argv.length - 1;
		if (last >= 1 && !this.values.argRef && !this.referenced.has(last)) {
			throw new DSyntaxError(
				NO_POS,
				`extraneous argument '${this.argv[last]}' ($${last} is not referenced)`,
				"D_MACRO_UNUSED",
			);
		}
	}
}

function mapExpr(e: Expr, x: Expander): Expr {
	const m = (c: Expr) => mapExpr(c, x);
	switch (e.kind) {
		case "macro":
			return x.expr(e.name, e.stringify, e.pos);
		case "unary":
		case "incdec":
		case "stringof":
		case "cast":
		case "xlate":
			return { ...e, operand: m(e.operand) };
		case "sizeof":
			return e.operand ? { ...e, operand: m(e.operand) } : e;
		case "binary":
			return { ...e, left: m(e.left), right: m(e.right) };
		case "ternary":
			return { ...e, cond: m(e.cond), whenTrue: m(e.whenTrue), whenFalse: m(e.whenFalse) };
		case "assignexpr":
			return { ...e, target: m(e.target), value: m(e.value) };
		case "call":
			return { ...e, args: e.args.map(m) };
		case "index":
			return { ...e, base: m(e.base), keys: e.keys.map(m) };
		case "member":
			return { ...e, base: m(e.base) };
		default:
			return e;
	}
}

function mapStatement(s: Statement, x: Expander): Statement {
	const m = (c: Expr) => mapExpr(c, x);
	switch (s.kind) {
		case "aggregate":
			return { ...s, keys: s.keys.map(m), args: s.args.map(m) };
		case "assign":
			return { ...s, target: m(s.target), value: m(s.value) };
		case "expr":
			return { ...s, expr: m(s.expr) };
		case "if":
			return {
				...s,
				cond: m(s.cond),
				body: s.body.map((t) => mapStatement(t, x)),
				otherwise: s.otherwise?.map((t) => mapStatement(t, x)) ?? null,
			};
	}
}

function mapClause(c: Clause, x: Expander): Clause {
	const probes = c.probes.map((d) => {
		const fields = [d.provider, d.module, d.function, d.name].map((f) => x.field(f, d.pos));
		if (fields.every((f, i) => f === [d.provider, d.module, d.function, d.name][i])) return d;
		const [provider, module, func, name] = fields as [string, string, string, string];
		const text = probeText({ provider, module, function: func, name });
		return { ...probeFromText(text, d.pos), provider, module, function: func, name };
	});
	return {
		...c,
		probes,
		predicate: c.predicate ? mapExpr(c.predicate, x) : null,
		statements: c.statements.map((s) => mapStatement(s, x)),
	};
}

/**
 * Replace every macro of a parsed program: `$N`, `$$N`, `$target`, `$pid`, ... in
 * expressions and in probe descriptions. Errors name the macro, at its position: an
 * argument not given (D_MACRO_UNDEF), an integer too large (D_MACRO_OFLOW), and an
 * argument given but never used (D_MACRO_UNUSED, as DTrace: the last one must be).
 */
export function expandProgramMacros(program: Program, values: MacroValues = {}): Program {
	const x = new Expander(values);
	const declarations = program.declarations.map((d) =>
		d.kind === "inline" ? { ...d, value: mapExpr(d.value, x) } : d,
	);
	const clauses = program.clauses.map((c) => mapClause(c, x));
	x.checkUnused();
	return { ...program, declarations, clauses };
}

function quote(s: string): string {
	let out = '"';
	for (const ch of s) {
		const code = ch.charCodeAt(0);
		if (ch === '"' || ch === "\\") out += `\\${ch}`;
		else if (ch === "\n") out += "\\n";
		else if (ch === "\t") out += "\\t";
		else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(8).padStart(3, "0")}`;
		else out += ch;
	}
	return `${out}"`;
}

/**
 * Expand macros in program text (for today's subset, whose parser takes no macros):
 * the same rules as expandProgramMacros, written back as D tokens. String literals
 * and comments are left alone. Positions in errors from parsing the result refer to the
 * expanded text. An unused argument is not an error here (the subset's callers pass
 * only $target).
 */
export function expandMacros(text: string, values: MacroValues = {}, checkUnused = false): string {
	const x = new Expander(values);
	let out = "";
	let line = 1;
	let column = 1;
	let depth = 0;
	let i = 0;
	const copy = (n: number) => {
		for (let k = 0; k < n; k++) {
			if (text[i] === "\n") {
				line++;
				column = 1;
			} else column++;
			out += text[i];
			i++;
		}
	};
	while (i < text.length) {
		const c = text[i]!;
		if (c === "/" && text[i + 1] === "*") {
			const close = text.indexOf("*/", i + 2);
			copy((close < 0 ? text.length : close + 2) - i);
		} else if (c === "/" && text[i + 1] === "/") {
			const nl = text.indexOf("\n", i);
			copy((nl < 0 ? text.length : nl) - i);
		} else if (c === '"' || c === "'") {
			let j = i + 1;
			while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
			copy(Math.min(j + 1, text.length) - i);
		} else if (c === "{") {
			depth++;
			copy(1);
		} else if (c === "}") {
			depth = Math.max(0, depth - 1);
			copy(1);
		} else if (c === "$") {
			const m = /^\$(\$?)([0-9]+|[A-Za-z_][A-Za-z0-9_]*)?/.exec(text.slice(i))!;
			const whole = m[0];
			const pos = { line, column, offset: i };
			const stringify = m[1] === "$";
			const name = m[2];
			if (name === undefined)
				throw new DSyntaxError(pos, `syntax error near "${whole}": expected a macro such as $target or $1`);
			let prev = out.length - 1;
			while (prev >= 0 && /\s/.test(out[prev]!)) prev--;
			const adjacent = i > 0 && isProbeChar(text[i - 1]!);
			const inProbe = depth === 0 && (adjacent || prev < 0 || out[prev] === "}" || out[prev] === ",");
			let value: string;
			if (inProbe) value = x.text(name, false, pos).text;
			else {
				const e = x.expr(name, stringify, pos);
				// An integer keeps the argument's spelling (its radix and suffix type it).
				value = e.kind === "string" ? quote(e.value) : x.text(name, false, pos).text;
			}
			out += value;
			column += whole.length;
			i += whole.length;
		} else copy(1);
	}
	if (checkUnused) x.checkUnused();
	return out;
}
