// The C preprocessor of dtrace -C, in TypeScript: DTrace runs cpp(1) over the
// program, and the traced machine need not have a compiler. Directives: #define
// (object-like and function-like), #undef, #if/#ifdef/#ifndef/#elif/#else/#endif
// with integer expressions and defined(), #include "file" and <file>, #error, and
// #pragma/#line/#ident passed on to the D compiler. Predefined macros as DTrace
// for Linux gives cpp (dt_open.c: __linux, __unix, __SVR4, __SUNW_D, ...) and -D,
// -U, -I as dtrace(1) passes them. The output keeps the program's line numbers:
// a directive leaves an empty line, an included file is framed by line markers
// (`# 1 "file"`), which the D lexer follows. Errors are collected and reported in
// GCC's form, `/dev/stdin:17: error: unterminated #if`, as dtrace prints cpp's.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { evaluate } from "./cpp-expr.ts";
import { CppDiagnostic, type LogicalLine, logicalLines, type PpToken, spell, tokenize } from "./cpp-lex.ts";
import { Expander, type Macro, type MoreLines, parseDefine, sameMacro } from "./cpp-macros.ts";

/** A -D, -U or -I as given on the command line (or -x define/undef/incdir), in order. */
export interface CppArg {
	op: "D" | "U" | "I";
	value: string;
}

export interface CppOptions {
	/** The name errors give the program (dtrace hands it to cpp as /dev/stdin). */
	name?: string;
	/** Where `#include "file"` looks first: the script's directory. */
	dir: string;
	args?: readonly CppArg[];
	/** -xstdc: a, c, t (ISO C, __STDC__ defined) or s (K&R, traditional cpp). */
	stdc?: string;
	/** -H: told of each file included, with its depth (1: included by the program). */
	onInclude?: (path: string, depth: number) => void;
}

/** The preprocessor failed: its diagnostics, one line each, as GCC prints them. */
export class CppError extends Error {
	override readonly name = "CppError";
	constructor(readonly diagnostics: string[]) {
		super("Preprocessor failed to process input program");
	}
}

/** DTrace's D version for __SUNW_D_VERSION: 2.0.1 as DT_VERSION_NUMBER (major << 24 | minor << 12 | micro). */
const D_VERSION = "0x02000001";

function predefined(stdc: string | undefined): string[] {
	const arch = process.arch === "arm64" ? ["__aarch64__"] : ["__x86_64__", "__x86_64", "__amd64__", "__amd64"];
	const out = ["__linux", "__unix", "__SVR4", "__SUNW_D=1", "__SUNW_D_64", "__Linux", `__SUNW_D_VERSION=${D_VERSION}`];
	out.push("__linux__", "__gnu_linux__", "__unix__", "__ELF__", "__LP64__", "_LP64", "__CHAR_BIT__=8", ...arch);
	if (stdc === "s") out.push("linux=1", "unix=1");
	else out.push("__STDC__=1", "__STDC_VERSION__=199901L", "__STDC_HOSTED__=1");
	return out;
}

interface Cond {
	/** The line of the #if, #ifdef or #ifndef. */
	line: number;
	/** The last directive of the conditional so far (for "unterminated #else"). */
	last: string;
	/** This group's lines are output. */
	active: boolean;
	/** A group of this conditional was taken already. */
	taken: boolean;
	/** The lines around the conditional are output. */
	outer: boolean;
	sawElse: boolean;
}

const MAX_DEPTH = 200;

class Preprocessor {
	readonly macros = new Map<string, Macro>();
	readonly errors: string[] = [];
	private file = "";
	private line = 0;
	private readonly exp = new Expander(this.macros, () => ({ line: this.line, file: this.file }));
	private readonly includeDirs: string[] = [];

	constructor(private readonly o: CppOptions) {
		this.macros.set("__LINE__", { name: "__LINE__", body: [], builtin: "line" });
		this.macros.set("__FILE__", { name: "__FILE__", body: [], builtin: "file" });
		for (const d of predefined(o.stdc)) this.commandLine({ op: "D", value: d });
		for (const a of o.args ?? []) this.commandLine(a);
	}

	private commandLine(a: CppArg): void {
		if (a.op === "I") this.includeDirs.push(a.value);
		else if (a.op === "U") this.macros.delete(a.value);
		else {
			const eq = a.value.indexOf("=");
			const text = eq < 0 ? `${a.value} 1` : `${a.value.slice(0, eq)} ${a.value.slice(eq + 1)}`;
			try {
				const m = parseDefine(text, 0);
				this.macros.set(m.name, m);
			} catch (e) {
				if (!(e instanceof CppDiagnostic)) throw e;
				this.errors.push(`<command-line>: error: ${e.said}`);
			}
		}
	}

	private report(line: number, said: string, kind = "error"): void {
		this.errors.push(`${this.file}:${line}: ${kind}: ${said}`);
	}

	/** The text of one file, its directives done and its macros expanded. */
	run(text: string, file: string, dir: string, depth: number): string {
		const saved = this.file;
		this.file = file;
		let lines: LogicalLine[];
		try {
			lines = logicalLines(text);
		} catch (e) {
			if (!(e instanceof CppDiagnostic)) throw e;
			this.report(e.line, e.said);
			this.file = saved;
			return "";
		}
		const out: string[] = [];
		const conds: Cond[] = [];
		const active = () => conds.length === 0 || conds[conds.length - 1]!.active;
		let k = 0;
		let pending = 0;
		const more: MoreLines = {
			peek: () => {
				const next = lines[k + 1];
				if (!next || /^\s*#/.test(next.text)) return undefined;
				return tokenize(next.text);
			},
			take: () => {
				k++;
				pending += lines[k]!.span;
			},
		};
		for (; k < lines.length; k++) {
			const l = lines[k]!;
			this.line = l.line;
			pending = l.span;
			const m = /^\s*#\s*/.exec(l.text);
			if (!m) {
				if (active()) {
					try {
						out.push(spell(this.exp.expand(tokenize(l.text), more)));
					} catch (e) {
						if (!(e instanceof CppDiagnostic)) throw e;
						this.report(e.line, e.said);
						out.push("");
					}
				} else out.push("");
				out.push("\n".repeat(pending - 1));
				out.push("\n");
				continue;
			}
			const rest = l.text.slice(m[0].length);
			const name = /^[A-Za-z_]\w*|^[0-9]+/.exec(rest)?.[0] ?? "";
			const args = rest.slice(name.length);
			let emit = "";
			try {
				emit = this.directive(name, args, rest, l, conds, active(), dir, depth);
			} catch (e) {
				if (!(e instanceof CppDiagnostic)) throw e;
				this.report(e.line, e.said);
			}
			out.push(emit, "\n".repeat(l.span));
		}
		for (const c of conds) this.report(c.line, `unterminated #${c.last}`);
		this.file = saved;
		return out.join("");
	}

	private directive(
		name: string,
		args: string,
		rest: string,
		l: LogicalLine,
		conds: Cond[],
		on: boolean,
		dir: string,
		depth: number,
	): string {
		const line = l.line;
		const top = conds[conds.length - 1];
		switch (name) {
			case "if":
			case "ifdef":
			case "ifndef": {
				const c: Cond = { line, last: name, active: false, taken: false, outer: on, sawElse: false };
				conds.push(c);
				if (!on) return "";
				c.active =
					name === "if" ? this.condition(args, line, "if") : this.defined(args, line, name) === (name === "ifdef");
				c.taken = c.active;
				return "";
			}
			case "elif":
				if (!top) throw new CppDiagnostic(line, "#elif without #if");
				if (top.sawElse) {
					this.report(line, "#elif after #else");
					throw new CppDiagnostic(top.line, "the conditional began here");
				}
				top.last = "elif";
				if (!top.outer || top.taken) {
					top.active = false;
					return "";
				}
				top.active = this.condition(args, line, "elif");
				top.taken = top.active;
				return "";
			case "else":
				if (!top) throw new CppDiagnostic(line, "#else without #if");
				if (top.sawElse) {
					this.report(line, "#else after #else");
					throw new CppDiagnostic(top.line, "the conditional began here");
				}
				top.sawElse = true;
				top.last = "else";
				top.active = top.outer && !top.taken;
				top.taken = true;
				return "";
			case "endif":
				if (!top) throw new CppDiagnostic(line, "#endif without #if");
				conds.pop();
				return "";
		}
		if (!on) return "";
		switch (name) {
			case "":
				if (rest.trim() === "") return "";
				break;
			case "define": {
				const m = parseDefine(args, line);
				if (m.name === "__LINE__" || m.name === "__FILE__") this.report(line, `"${m.name}" redefined`, "warning");
				const old = this.macros.get(m.name);
				if (old && !old.builtin && !sameMacro(old, m)) this.report(line, `"${m.name}" redefined`, "warning");
				this.macros.set(m.name, m);
				return "";
			}
			case "undef": {
				const t = tokenize(args);
				if (!t[0]) throw new CppDiagnostic(line, "no macro name given in #undef directive");
				if (t[0].kind !== "ident") throw new CppDiagnostic(line, "macro names must be identifiers");
				this.macros.delete(t[0].v);
				return "";
			}
			case "include":
				return this.include(args, line, dir, depth);
			case "error":
				throw new CppDiagnostic(line, `#error${args.replace(/\s+$/, "")}`);
			case "warning":
				this.report(line, `#warning${args.replace(/\s+$/, "")}`, "warning");
				return "";
			case "pragma":
			case "ident":
			case "line":
				return `#${rest}`;
		}
		if (/^[0-9]+$/.test(name)) return `#${rest}`;
		throw new CppDiagnostic(line, `invalid preprocessing directive #${name || rest.trim().split(/\s/)[0]}`);
	}

	/** #ifdef NAME / #ifndef NAME: whether NAME is a macro. */
	private defined(args: string, line: number, directive: string): boolean {
		const t = tokenize(args);
		if (!t[0]) throw new CppDiagnostic(line, `no macro name given in #${directive} directive`);
		if (t[0].kind !== "ident") throw new CppDiagnostic(line, "macro names must be identifiers");
		return this.macros.has(t[0].v);
	}

	/** #if / #elif: `defined` first, then macros, then the expression. */
	private condition(args: string, line: number, directive: string): boolean {
		const raw = this.replaceDefined(tokenize(args), line);
		const expanded = this.replaceDefined(this.exp.expand(raw), line);
		return evaluate(expanded, line, directive);
	}

	private replaceDefined(toks: PpToken[], line: number): PpToken[] {
		const out: PpToken[] = [];
		for (let i = 0; i < toks.length; i++) {
			const t = toks[i]!;
			if (t.kind !== "ident" || t.v !== "defined") {
				out.push(t);
				continue;
			}
			let n = toks[i + 1];
			const paren = n?.v === "(";
			if (paren) n = toks[i + 2];
			if (n?.kind !== "ident") throw new CppDiagnostic(line, 'operator "defined" requires an identifier');
			if (paren && toks[i + 3]?.v !== ")") throw new CppDiagnostic(line, "missing ')' after \"defined\"");
			out.push({ kind: "number", v: this.macros.has(n.v) ? "1" : "0", ws: t.ws });
			i += paren ? 3 : 1;
		}
		return out;
	}

	private include(args: string, line: number, dir: string, depth: number): string {
		let spec = args.trim();
		if (!/^("[^"]*"|<[^>]*>)/.test(spec)) spec = spell(this.exp.expand(tokenize(args))).trim();
		const m = /^(?:"([^"]*)"|<([^>]*)>)\s*$/.exec(spec);
		if (!m || (m[1] ?? m[2]) === "") throw new CppDiagnostic(line, '#include expects "FILENAME" or <FILENAME>');
		const want = (m[1] ?? m[2])!;
		if (depth >= MAX_DEPTH)
			throw new CppDiagnostic(line, `#include nested depth ${depth} exceeds maximum of ${MAX_DEPTH}`);
		const dirs = m[1] !== undefined ? [dir, ...this.includeDirs] : [...this.includeDirs, "/usr/include"];
		const found = isAbsolute(want) ? (isFile(want) ? want : undefined) : dirs.map((d) => join(d, want)).find(isFile);
		if (!found) {
			this.errors.push(
				`${this.file}:${line}: fatal error: ${want}: No such file or directory`,
				"compilation terminated.",
			);
			throw new Fatal();
		}
		let text: string;
		try {
			text = readFileSync(found, "latin1");
		} catch (e) {
			this.errors.push(`${this.file}:${line}: fatal error: ${want}: ${(e as NodeJS.ErrnoException).code ?? e}`);
			throw new Fatal();
		}
		this.o.onInclude?.(found, depth + 1);
		const body = this.run(text, found, dirname(found), depth + 1);
		// Line markers: the included lines are the file's, then the program's again.
		return `# 1 "${found}"\n${body}# ${line + 1} "${this.file}"`;
	}
}

/** A fatal error (an #include not found): nothing after it is read. */
class Fatal extends Error {}

function isFile(p: string): boolean {
	try {
		return existsSync(p) && statSync(p).isFile();
	} catch {
		return false;
	}
}

/** Preprocess a D program: its text, and GCC's warnings if any; throws CppError with every diagnostic when one is an error. */
export function preprocess(text: string, o: CppOptions): { text: string; warnings: string[] } {
	const p = new Preprocessor(o);
	// dtrace starts cpp after a #! line (keeping its newline): it is not a directive.
	const body = text.startsWith("#!") ? text.replace(/^#![^\n]*/, "") : text;
	let out = "";
	let fatal = false;
	try {
		out = p.run(body, o.name ?? "/dev/stdin", o.dir, 0);
	} catch (e) {
		if (!(e instanceof Fatal)) throw e;
		fatal = true;
	}
	if (fatal || p.errors.some((l) => !/: warning: /.test(l))) throw new CppError(p.errors);
	return { text: out, warnings: p.errors };
}
