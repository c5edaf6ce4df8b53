// Macros of the C preprocessor (-C): #define's forms, and expansion by C99
// 6.10.3's rules: object-like and function-like macros, # and ##, __VA_ARGS__,
// a macro never expanding inside its own expansion (each token carries the set of
// macros it came out of), arguments fully expanded before substitution unless next
// to # or ##. Invocations may run on over the following lines.
import { CppDiagnostic, type PpToken, tokenize } from "./cpp-lex.ts";

export interface Macro {
	name: string;
	/** Parameter names of a function-like macro (`__VA_ARGS__` last when variadic). */
	params?: string[];
	variadic?: boolean;
	body: PpToken[];
	/** __LINE__ and __FILE__ are computed where they are used. */
	builtin?: "line" | "file";
}

/** The lines after the one being expanded, for an invocation that continues there. */
export interface MoreLines {
	/** The next line's tokens, if it is not a directive. */
	peek(): PpToken[] | undefined;
	/** Move past the line peek() returned. */
	take(): void;
}

const id = (t: PpToken | undefined) => (t?.kind === "ident" ? t.v : undefined);

/** Parse the text after `#define` into a macro; errors in GCC's words. */
export function parseDefine(text: string, line: number): Macro {
	const toks = tokenize(text);
	const name = toks[0];
	if (!name) throw new CppDiagnostic(line, "no macro name given in #define directive");
	if (name.kind !== "ident") throw new CppDiagnostic(line, "macro names must be identifiers");
	if (name.v === "defined") throw new CppDiagnostic(line, '"defined" cannot be used as a macro name');
	let i = 1;
	const m: Macro = { name: name.v, body: [] };
	if (toks[1]?.v === "(" && !toks[1].ws) {
		m.params = [];
		i = 2;
		for (;;) {
			const t = toks[i++];
			if (t?.v === ")" && m.params.length === 0) break;
			if (t?.v === "...") {
				m.params.push("__VA_ARGS__");
				m.variadic = true;
				if (toks[i++]?.v !== ")") throw new CppDiagnostic(line, "missing ')' in macro parameter list");
				break;
			}
			const p = id(t);
			if (p === undefined)
				throw new CppDiagnostic(
					line,
					t ? `expected parameter name, found "${t.v}"` : "missing ')' in macro parameter list",
				);
			if (m.params.includes(p)) throw new CppDiagnostic(line, `duplicate macro parameter "${p}"`);
			m.params.push(p);
			const sep = toks[i++];
			if (sep?.v === ")") break;
			if (sep?.v === "...") {
				m.variadic = true;
				if (toks[i++]?.v !== ")") throw new CppDiagnostic(line, "missing ')' in macro parameter list");
				break;
			}
			if (sep?.v !== ",")
				throw new CppDiagnostic(
					line,
					sep ? `expected ',' or ')', found "${sep.v}"` : "missing ')' in macro parameter list",
				);
		}
	}
	m.body = toks.slice(i);
	if (m.body[0]) m.body[0] = { ...m.body[0], ws: false };
	if (m.body[0]?.v === "##" || m.body[m.body.length - 1]?.v === "##")
		throw new CppDiagnostic(line, "'##' cannot appear at either end of a macro expansion");
	if (m.params) {
		for (let k = 0; k < m.body.length; k++) {
			if (m.body[k]!.v === "#" && !m.params.includes(id(m.body[k + 1]) ?? ""))
				throw new CppDiagnostic(line, "'#' is not followed by a macro parameter");
		}
	}
	return m;
}

/** Two definitions are the same (a redefinition that is not an error). */
export function sameMacro(a: Macro, b: Macro): boolean {
	const sp = (m: Macro) => m.body.map((t, k) => `${k > 0 && t.ws ? " " : ""}${t.v}`).join("");
	return (a.params ?? []).join(",") === (b.params ?? []).join(",") && !!a.params === !!b.params && sp(a) === sp(b);
}

function stringify(arg: readonly PpToken[]): PpToken {
	let s = "";
	for (const [k, t] of arg.entries()) {
		if (k > 0 && t.ws) s += " ";
		s += t.kind === "string" || t.kind === "char" ? t.v.replace(/[\\"]/g, (c) => `\\${c}`) : t.v;
	}
	return { kind: "string", v: `"${s}"`, ws: false };
}

const PLACEMARKER = "";

/** `a ## b`: the tokens spelled together, lexed again. */
function paste(a: PpToken, b: PpToken, line: number): PpToken[] {
	if (a.v === PLACEMARKER) return [b];
	if (b.v === PLACEMARKER) return [a];
	const joined = tokenize(a.v + b.v);
	if (joined.length !== 1)
		throw new CppDiagnostic(line, `pasting "${a.v}" and "${b.v}" does not give a valid preprocessing token`);
	return [{ ...joined[0]!, ws: a.ws }];
}

export class Expander {
	constructor(
		readonly macros: Map<string, Macro>,
		private readonly where: () => { line: number; file: string },
	) {}

	/** Expand every macro in `input`. */
	expand(input: readonly PpToken[], more?: MoreLines): PpToken[] {
		const out: PpToken[] = [];
		const q = input.slice();
		while (q.length > 0) {
			const t = q.shift()!;
			const m = t.kind === "ident" ? this.macros.get(t.v) : undefined;
			if (!m || t.hide?.has(t.v)) {
				out.push(t);
				continue;
			}
			if (m.builtin) {
				const w = this.where();
				const v = m.builtin === "line" ? String(w.line) : JSON.stringify(w.file);
				out.push({ kind: m.builtin === "line" ? "number" : "string", v, ws: t.ws });
				continue;
			}
			if (!m.params) {
				q.unshift(...this.substitute(m, [], t));
				continue;
			}
			if (q.length === 0 && more && more.peek()?.[0]?.v === "(") this.pull(q, more);
			if (q[0]?.v !== "(") {
				out.push(t);
				continue;
			}
			const args = this.collect(m, q, more);
			q.unshift(...this.substitute(m, args, t));
		}
		return out;
	}

	private pull(q: PpToken[], more: MoreLines): boolean {
		const next = more.peek();
		if (!next) return false;
		more.take();
		if (next[0]) next[0] = { ...next[0], ws: true };
		q.push(...next);
		return true;
	}

	/** The arguments of an invocation: q starts at its '('; takes through the ')'. */
	private collect(m: Macro, q: PpToken[], more?: MoreLines): PpToken[][] {
		const line = this.where().line;
		const params = m.params!;
		q.shift();
		const args: PpToken[][] = [[]];
		let depth = 0;
		for (;;) {
			if (q.length === 0 && !(more && this.pull(q, more)))
				throw new CppDiagnostic(line, `unterminated argument list invoking macro "${m.name}"`);
			const t = q.shift()!;
			if (t.v === "(") depth++;
			else if (t.v === ")") {
				if (depth === 0) break;
				depth--;
			} else if (t.v === "," && depth === 0 && !(m.variadic && args.length === params.length)) {
				args.push([]);
				continue;
			}
			const cur = args[args.length - 1]!;
			cur.push(cur.length === 0 ? { ...t, ws: false } : t);
		}
		if (params.length === 0 && args.length === 1 && args[0]!.length === 0) return [];
		if (m.variadic && args.length === params.length - 1) args.push([]);
		if (args.length > params.length)
			throw new CppDiagnostic(
				line,
				`macro "${m.name}" passed ${args.length} arguments, but takes just ${params.length}`,
			);
		if (args.length < params.length)
			throw new CppDiagnostic(
				line,
				`macro "${m.name}" requires ${params.length} arguments, but only ${args.length} given`,
			);
		return args;
	}

	/** The body with the arguments put in, # and ## done, marked as coming out of m. */
	private substitute(m: Macro, args: PpToken[][], inv: PpToken): PpToken[] {
		const line = this.where().line;
		const params = m.params ?? [];
		const expanded = new Map<number, PpToken[]>();
		const out: PpToken[] = [];
		let pasting = false;
		const put = (piece: PpToken[], ws: boolean) => {
			const items = piece.length > 0 ? piece.slice() : [{ kind: "other" as const, v: PLACEMARKER, ws }];
			items[0] = { ...items[0]!, ws };
			if (pasting && out.length > 0) {
				const left = out.pop()!;
				out.push(...paste(left, items.shift()!, line));
			}
			out.push(...items);
			pasting = false;
		};
		for (let k = 0; k < m.body.length; k++) {
			const t = m.body[k]!;
			const pi = t.kind === "ident" ? params.indexOf(t.v) : -1;
			if (m.params && t.v === "#" && k + 1 < m.body.length) {
				const arg = args[params.indexOf(m.body[k + 1]!.v)] ?? [];
				put([stringify(arg)], t.ws);
				k++;
				continue;
			}
			if (t.v === "##") {
				pasting = true;
				continue;
			}
			if (pi >= 0) {
				const raw = args[pi] ?? [];
				const nextPaste = m.body[k + 1]?.v === "##";
				if (pasting || nextPaste) put(raw, t.ws);
				else {
					if (!expanded.has(pi)) expanded.set(pi, this.expand(raw));
					const e = expanded.get(pi)!;
					if (e.length > 0) put(e, t.ws);
				}
				continue;
			}
			put([t], t.ws);
		}
		const hide = new Set(inv.hide ?? []);
		hide.add(m.name);
		const result = out.filter((t) => !(t.kind === "other" && t.v === PLACEMARKER));
		return result.map((t, k) => ({ ...t, ws: k === 0 ? inv.ws : t.ws, hide: union(t.hide, hide) }));
	}
}

function union(a: ReadonlySet<string> | undefined, b: ReadonlySet<string>): ReadonlySet<string> {
	if (!a || a.size === 0) return b;
	const s = new Set(a);
	for (const x of b) s.add(x);
	return s;
}
