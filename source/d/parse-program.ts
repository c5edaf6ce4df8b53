// The program half of the parser: clauses (probe descriptions, predicate, body),
// statements (including DTrace 2.x's if/else), declarations, inlines and control lines.
// subset.ts narrows this parser to today's back end.

import { cDeclaration, startsCDeclaration, typedefDeclaration } from "./ctypes/decl.ts";
import { DSyntaxError, type Position, UNSUPPORTED } from "./errors.ts";
import type { ControlLine, Token } from "./lexer.ts";
import { near } from "./lexer.ts";
import { validatePragmaOption } from "./options.ts";
import { ExprParser, type ParseOptions, syntax } from "./parse-expr.ts";
import { probeFromText } from "./probe.ts";
import type {
	Clause,
	Declaration,
	Declarator,
	Expr,
	InlineDecl,
	Pragma,
	ProbeDescription,
	Program,
	Statement,
	StorageClass,
	VarDecl,
} from "./syntax.ts";
import { TYPE_WORDS } from "./types.ts";

/** Words that start a declaration at the outer level of a program. */
const DECL_WORDS: ReadonlySet<string> = new Set([
	...TYPE_WORDS,
	"self",
	"this",
	"inline",
	"typedef",
	"extern",
	"static",
	"register",
	"auto",
	"translator",
	"provider",
	"import",
	"counter",
]);

/** Is this outer-level word the start of a declaration rather than a probe description?
 * (DTrace's rule: a word without `:-.?!` that names a type, up to any `*`.) */
export function startsDeclaration(text: string, declared?: { isTypedef(word: string): boolean }): boolean {
	if (/[:\-.?!`]/.test(text) || text === "BEGIN" || text === "END" || text === "ERROR") return false;
	const word = text.split("*")[0]!;
	return DECL_WORDS.has(word) || declared?.isTypedef(word) === true;
}

export class ProgramParser extends ExprParser {
	protected readonly pragmas: Pragma[] = [];
	private readonly file: boolean;

	constructor(text: string, options: ParseOptions) {
		// The lexer calls back for control lines only while parsing, after construction.
		const holder: { parser?: ProgramParser } = {};
		super(text, options, { onControl: (line) => holder.parser!.control(line) });
		holder.parser = this;
		this.file = options.file === true;
	}

	// -- program and clauses -------------------------------------------------

	program(): Program {
		const clauses: Clause[] = [];
		const declarations: Declaration[] = [];
		const start = this.lx.position();
		for (;;) {
			const t = this.probeToken();
			if (t.kind === "eof") {
				if (clauses.length === 0 && declarations.length === 0) this.empty(t);
				break;
			}
			if (t.kind === "pspec" && !this.pspecOnly() && startsDeclaration(t.text, this.ctypes)) {
				this.declarationStart(t);
				this.unreadProbe(t);
				const d = this.declaration();
				if (d) declarations.push(d);
				continue;
			}
			clauses.push(this.clause(t));
		}
		const first = [...clauses, ...declarations].sort((a, b) => a.pos.offset - b.pos.offset)[0];
		return { kind: "program", pragmas: this.pragmas, declarations, clauses, pos: first?.pos ?? start };
	}

	protected empty(t: Token): never {
		throw new DSyntaxError(t.pos, "empty D program translation unit", "D_EMPTY");
	}

	/** Hook: the subset refuses declarations. */
	protected declarationStart(_t: Token): void {}

	/** Read a token at the outer level, discarding any expression-mode lookahead. */
	protected probeToken(): Token {
		this.rewind();
		return this.lx.nextProbe();
	}

	protected unreadProbe(t: Token): void {
		this.lx.restore({ offset: t.pos.offset, line: t.pos.line, column: t.pos.column });
	}

	protected probeDescription(t: Token): ProbeDescription {
		if (t.kind !== "pspec") throw syntax(t, "a probe description");
		if (/^[0-9]+$/.test(t.text)) {
			throw new DSyntaxError(
				t.pos,
				`probe ids are not supported; name the probe as provider:module:function:name instead of ${t.text}`,
				UNSUPPORTED,
			);
		}
		return probeFromText(t.text, t.pos);
	}

	private clause(first: Token): Clause {
		const probes = [this.probeDescription(first)];
		let t = this.probeToken();
		while (this.is(t, ",")) {
			probes.push(this.probeDescription(this.probeToken()));
			t = this.probeToken();
		}
		let predicate: Expr | null = null;
		if (this.is(t, "/")) {
			predicate = this.predicate();
			t = this.take();
			if (!this.is(t, "{")) {
				if (t.kind === "eof") {
					throw new DSyntaxError(t.pos, "expected actions { } following probe description and predicate");
				}
				throw syntax(t, "'{' to start the clause body");
			}
		}
		let statements: Statement[] = [];
		if (this.is(t, "{")) statements = this.body();
		else {
			if (this.file) {
				throw new DSyntaxError(probes[0]!.pos, "expected predicate and/or actions following probe description");
			}
			this.unreadProbe(t); // a clause without a body
		}
		return { kind: "clause", probes, predicate, statements, pos: probes[0]!.pos };
	}

	private predicate(): Expr {
		this.inPredicate = true;
		this.parens = 0;
		const t = this.peek();
		if (this.is(t, "/"))
			throw new DSyntaxError(t.pos, "the predicate is empty; write an expression between the slashes");
		const e = this.predicateExpression();
		const end = this.take();
		if (!this.is(end, "/")) throw syntax(end, "'/' to end the predicate");
		this.inPredicate = false;
		return e;
	}

	/** Hook: the subset restricts what it parses. */
	protected predicateExpression(): Expr {
		return this.expression();
	}

	/** Statements up to and including the closing `}`. */
	protected body(): Statement[] {
		const statements: Statement[] = [];
		for (;;) {
			const t = this.peek();
			if (this.is(t, "}")) {
				this.take();
				return statements;
			}
			if (this.is(t, ";")) {
				this.take();
				continue;
			}
			if (t.kind === "eof") throw syntax(t, "'}' to end the clause body");
			const s = this.statement();
			statements.push(s);
			if (s.kind === "if") continue; // its branches consumed their own terminators
			const after = this.peek();
			if (this.is(after, ";")) this.take();
			else if (!this.is(after, "}")) throw syntax(after, "';' or '}'");
		}
	}

	// -- statements ----------------------------------------------------------

	protected statement(): Statement {
		const t = this.peek();
		if (this.isWord(t, "if")) return this.ifStatement(t);
		const e = this.expression();
		return this.classify(e, t.pos);
	}

	/** Turn a statement-level expression into the statement it is. */
	protected classify(e: Expr, start: Position): Statement {
		if (e.kind !== "assignexpr") return { kind: "expr", expr: e, pos: start };
		const target = e.target;
		const agg =
			target.kind === "aggvar"
				? { name: target.name, keys: [] as Expr[], pos: target.pos }
				: target.kind === "index" && target.base.kind === "aggvar"
					? { name: target.base.name, keys: target.keys, pos: target.base.pos }
					: undefined;
		if (agg && e.op === "=" && e.value.kind === "call") {
			const fn = e.value;
			return {
				kind: "aggregate",
				name: agg.name,
				keys: agg.keys,
				fn: fn.fn,
				args: fn.args,
				pos: agg.pos,
				fnPos: fn.pos,
			};
		}
		return { kind: "assign", op: e.op, target, value: e.value, pos: start, opPos: e.pos };
	}

	private ifStatement(t: Token): Statement {
		this.take();
		this.enter(t);
		this.expect("(", "'(' after 'if'");
		const cond = this.expression();
		this.expect(")", "')' after the condition of 'if'");
		const body = this.branch();
		let otherwise: Statement[] | null = null;
		if (this.isWord(this.peek(), "else")) {
			this.take();
			const n = this.peek();
			otherwise = this.isWord(n, "if") ? [this.ifStatement(n)] : this.branch();
		}
		this.leave();
		return { kind: "if", cond, body, otherwise, pos: t.pos };
	}

	/** The body of an if or else: a `{ block }` or one statement. */
	private branch(): Statement[] {
		if (this.is(this.peek(), "{")) {
			this.take();
			return this.body();
		}
		if (this.is(this.peek(), ";")) {
			this.take();
			return [];
		}
		const s = this.statement();
		if (s.kind === "if") return [s];
		const after = this.peek();
		if (this.is(after, ";")) this.take();
		else if (!this.is(after, "}")) throw syntax(after, "';' or '}'");
		return [s];
	}

	// -- declarations --------------------------------------------------------

	private declaration(): Declaration | null {
		const first = this.peek();
		let storage: StorageClass = "global";
		for (;;) {
			const t = this.peek();
			if (this.isWord(t, "self") || this.isWord(t, "this")) {
				if (storage !== "global") throw new DSyntaxError(t.pos, "only one storage class may be given", "D_DECL_CLASS");
				storage = t.text as StorageClass;
				this.take();
				continue;
			}
			if (["static", "register", "auto"].includes(t.text) && t.kind === "ident") {
				throw new DSyntaxError(t.pos, "specified storage class not appropriate in D", "D_DECL_BADCLASS");
			}
			if (this.isWord(t, "typedef") && storage === "global") return typedefDeclaration(this, this.ctypes);
			if (t.kind === "ident" && ["extern", "typedef", "translator", "provider", "import", "counter"].includes(t.text)) {
				throw new DSyntaxError(
					t.pos,
					`'${t.text}' declarations are not supported: they need the kernel's C types or a provider definition`,
					UNSUPPORTED,
				);
			}
			break;
		}
		if (this.isWord(this.peek(), "inline")) {
			if (storage !== "global")
				throw new DSyntaxError(
					first.pos,
					"specified storage class not appropriate for inline declaration",
					"D_DECL_BADCLASS",
				);
			return this.inline();
		}
		if (startsCDeclaration(this, this.ctypes)) return cDeclaration(this, this.ctypes, storage, first);
		const next = this.peek();
		// `self x;` and `this x;`: a storage class without a type declares an int, as in C.
		const implicit = storage !== "global" && next.kind === "ident" && !TYPE_WORDS.has(next.text);
		const type = implicit ? { kind: "typename" as const, words: [], pointers: 0, pos: next.pos } : this.typeName(false);
		if (this.is(this.peek(), ";")) {
			throw new DSyntaxError(this.peek().pos, "useless declaration", "D_DECL_USELESS");
		}
		const declarators: Declarator[] = [];
		for (;;) {
			declarators.push(this.declarator(storage));
			const t = this.take();
			if (this.is(t, ";")) break;
			if (!this.is(t, ",")) throw syntax(t, "',' or ';'");
		}
		const decl: VarDecl = { kind: "decl", storage, type, declarators, pos: first.pos };
		this.ctypes.noteDeclaration(decl);
		return decl;
	}

	private declarator(storage: StorageClass): Declarator {
		let pointers = 0;
		while (this.is(this.peek(), "*")) {
			this.take();
			pointers++;
		}
		const name = this.take();
		if (name.kind !== "ident") throw syntax(name, "a variable name");
		if (name.text.includes("`")) {
			throw new DSyntaxError(
				name.pos,
				`D scoping operator may not be used in a declaration name (${name.text})`,
				"D_DECL_SCOPE",
			);
		}
		const d: Declarator = { name: name.text, pointers, dimension: null, keys: null, pos: name.pos };
		const open = this.peek();
		if (this.is(open, "(")) {
			throw new DSyntaxError(
				open.pos,
				"function declarations are not supported: D programs cannot define functions",
				UNSUPPORTED,
			);
		}
		if (!this.is(open, "[")) return d;
		this.take();
		if (this.is(this.peek(), "]")) {
			throw new DSyntaxError(
				this.peek().pos,
				`array declaration requires array dimension or tuple signature: ${name.text}`,
				"D_DECL_ARRNULL",
			);
		}
		if (this.startsType(this.peek())) {
			const keys = [this.typeName()];
			while (this.is(this.peek(), ",")) {
				this.take();
				keys.push(this.typeName());
			}
			this.expect("]");
			if (storage === "this") {
				throw new DSyntaxError(
					name.pos,
					`associative arrays may not be declared as local variables: ${name.text}`,
					"D_DECL_LOCASSC",
				);
			}
			d.keys = keys;
		} else {
			const t = this.take();
			if (t.kind !== "int" || !this.is(this.peek(), "]") || t.value === 0n) {
				throw new DSyntaxError(
					t.pos,
					"positive integral constant expression or tuple signature expected as array declaration subscript",
					"D_DECL_ARRSUB",
				);
			}
			this.take();
			d.dimension = t.value as bigint;
		}
		return d;
	}

	private inline(): InlineDecl {
		const kw = this.take();
		const type = this.typeName(false);
		let pointers = 0;
		while (this.is(this.peek(), "*")) {
			this.take();
			pointers++;
		}
		const name = this.take();
		if (name.kind !== "ident") {
			if (this.is(name, "=")) throw new DSyntaxError(name.pos, "inline declaration requires a name", "D_DECL_USELESS");
			throw syntax(name, "the name of the inline");
		}
		if (this.is(this.peek(), "[")) {
			throw new DSyntaxError(this.peek().pos, "inlines with arguments are not supported", UNSUPPORTED);
		}
		this.expect("=", "'=' after the name of the inline");
		const value = this.assignment();
		this.expect(";");
		return { kind: "inline", type, name: name.text, pointers, value, pos: kw.pos };
	}

	// -- control lines -------------------------------------------------------

	/** A control line (DTrace's dt_pragma): `#pragma D name ...`, `#pragma name`, `#name`. */
	private control(line: ControlLine): void {
		const at = line.pos;
		let w = line.words;
		if (w.length === 0) return; // a lone '#' is a null directive (K&R A12.9)
		// 0: `#name`, 1: `#pragma name`, 2: `#pragma D name` (DTrace's own pragmas need all of it).
		let level = 0;
		if (w[0] === "pragma") {
			level = 1;
			w = w.slice(1);
			if (w[0] === "D") {
				level = 2;
				w = w.slice(1);
			}
		}
		const name = w[0] ?? "";
		const args = w.slice(1);
		if (/^[0-9]+$/.test(name) || name === "line") {
			// dt_pragma_line: `#line N ["file" [state ...]]`, and the preprocessor's `# N "file" 1`.
			const [n, file, ...states] = name === "line" ? args : w;
			const ok =
				n !== undefined &&
				/^[0-9]+$/.test(n) &&
				(file === undefined || /^".*"$/.test(file)) &&
				states.every((x) => /^[0-9]+$/.test(x));
			if (!ok) throw new DSyntaxError(at, `malformed #line <line> [ ["file"] state ]`, "D_PRAGMA_MALFORM");
			this.lx.setNextLine(Number(n));
			return;
		}
		if (name === "error") throw new DSyntaxError(at, `#error: ${args.map(unquote).join(" ")}`, "D_PRAGERR");
		if (name === "ident") return;
		const own = ["option", "depends_on", "attributes", "binding"].includes(name);
		if (level < 2 || !own) {
			if (level === 0)
				throw new DSyntaxError(
					at,
					`invalid control directive: #${name}; C preprocessor directives need -C`,
					"D_PRAGCTL_INVAL",
				);
			if (level === 1 && !own) {
				throw new DSyntaxError(
					at,
					`unknown #pragma ${near(name)}; D's pragmas are written #pragma D ...`,
					"D_PRAGMA_INVAL",
				);
			}
			if (level === 1) throw new DSyntaxError(at, `#pragma ${name} is written #pragma D ${name}`, "D_PRAGMA_INVAL");
			throw new DSyntaxError(at, `invalid D pragma: ${name || "(none)"}`, "D_PRAGMA_INVAL");
		}
		switch (name) {
			case "option":
				if (args.length === 0)
					throw new DSyntaxError(at, "malformed #pragma option <option>=<val>", "D_PRAGMA_MALFORM");
				if (args.length > 1) {
					throw new DSyntaxError(at, "superfluous arguments specified for #pragma option", "D_PRAGMA_MALFORM");
				}
				validatePragmaOption(args[0]!, at);
				break;
			case "depends_on":
				if (args.length !== 2) {
					throw new DSyntaxError(at, "malformed #pragma depends_on <class> <name>", "D_PRAGMA_MALFORM");
				}
				if (args[0] === "library") {
					throw new DSyntaxError(at, "main program may not explicitly depend on a library", "D_PRAGMA_DEPEND");
				}
				if (!["provider", "module"].includes(args[0]!)) {
					throw new DSyntaxError(at, `invalid class ${args[0]} specified by #pragma depends_on`, "D_PRAGMA_INVAL");
				}
				break;
			case "attributes":
				if (args.length !== 2) {
					throw new DSyntaxError(at, "malformed #pragma attributes <attributes> <ident>", "D_PRAGMA_MALFORM");
				}
				if (!validAttributes(unquote(args[0]!))) {
					throw new DSyntaxError(at, "invalid attributes specified by #pragma attributes", "D_PRAGMA_INVAL");
				}
				break;
			case "binding":
				if (args.length !== 2) {
					throw new DSyntaxError(at, "malformed #pragma binding <version> <ident>", "D_PRAGMA_MALFORM");
				}
				if (!/^[0-9]+(\.[0-9]+){0,2}$/.test(unquote(args[0]!))) {
					throw new DSyntaxError(at, `invalid version string specified by #pragma binding`, "D_PRAGMA_INVAL");
				}
				break;
		}
		this.pragmas.push({ kind: "pragma", name: name as Pragma["name"], words: args, pos: at });
	}

	/** `#pragma D option pspec`: every outer word is a probe description. */
	protected pspecOnly(): boolean {
		return this.pragmas.some((p) => p.name === "option" && /^pspec(=|$)/.test(p.words[0] ?? ""));
	}
}

function unquote(s: string): string {
	return s.length > 1 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

const STABILITY = ["Internal", "Private", "Obsolete", "External", "Unstable", "Evolving", "Stable", "Standard"];
const CLASSES = ["Unknown", "CPU", "Platform", "Group", "ISA", "Common"];

/** DTrace's name/data/class attribute triple, such as Stable/Stable/Common. */
function validAttributes(s: string): boolean {
	const [name, data, klass, ...rest] = s.split("/");
	if (rest.length > 0 || name === undefined) return false;
	const stab = (x: string | undefined) => x === undefined || STABILITY.some((t) => t.toLowerCase() === x.toLowerCase());
	const cls = (x: string | undefined) => x === undefined || CLASSES.some((t) => t.toLowerCase() === x.toLowerCase());
	return stab(name) && stab(data) && cls(klass);
}
