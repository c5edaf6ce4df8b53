// The parser of the full language: program structure (#!, pragmas, declarations,
// inlines, clauses), statements (DTrace 2.x's if/else too), every expression form with
// C's precedence, D's lexical rules, and errors with DTrace's tags and lines (the
// behaviour of DTrace's grammar/, lexer/, decls/, pragma/ and clauses/ unit tests).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DError, DSyntaxError, MAX_PROGRAM_BYTES, parseExpression, parseProgram } from "../../../source/d/index.ts";
import type { Expr, Program, Statement } from "../../../source/d/syntax.ts";
import { isDefaultAction } from "../../../source/d/syntax.ts";
import { show } from "./helpers.ts";

const full = { language: "full" } as const;
const parse = (text: string): Program => parseProgram(text, full);
const expr = (text: string): Expr => parseExpression(text, full);
const body = (text: string): Statement[] => parse(`BEGIN { ${text} }`).clauses[0]!.statements;

/** The shape of an expression in a compact notation: (op a b), name, 42, "s". */
function shape(e: Expr): string {
	switch (e.kind) {
		case "int":
			return `${e.value}${e.radix ? `r${e.radix}` : ""}${e.suffix ?? ""}`;
		case "string":
			return JSON.stringify(e.value);
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
		case "unary":
			return `(${e.op} ${shape(e.operand)})`;
		case "incdec":
			return `(${e.prefix ? "pre" : "post"}${e.op} ${shape(e.operand)})`;
		case "binary":
			return `(${e.op} ${shape(e.left)} ${shape(e.right)})`;
		case "ternary":
			return `(? ${shape(e.cond)} ${shape(e.whenTrue)} ${shape(e.whenFalse)})`;
		case "assignexpr":
			return `(${e.op} ${shape(e.target)} ${shape(e.value)})`;
		case "call":
			return `${e.fn}(${e.args.map(shape).join(" ")})`;
		case "index":
			return `${shape(e.base)}[${e.keys.map(shape).join(" ")}]`;
		case "member":
			return `(${e.op} ${shape(e.base)} ${e.member})`;
		case "cast":
			return `(cast ${e.type.words.join(" ")}${"*".repeat(e.type.pointers)} ${shape(e.operand)})`;
		case "sizeof":
			return e.type ? `(sizeof ${e.type.words.join(" ")})` : `(sizeof ${shape(e.operand!)})`;
		case "stringof":
			return `(stringof ${shape(e.operand)})`;
		case "offsetof":
			return `(offsetof ${e.type.words.join(" ")} ${e.member})`;
		case "xlate":
			return `(xlate ${e.type.words.join(" ")}${"*".repeat(e.type.pointers)} ${shape(e.operand)})`;
		case "field":
		case "kmem":
			return e.text;
	}
}

function rejects(text: string, code: string, line: number, message?: RegExp): void {
	let err: unknown;
	try {
		parse(text);
	} catch (e) {
		err = e;
	}
	assert.ok(err instanceof DError, `expected a D error for ${JSON.stringify(text)}, got ${String(err)}`);
	assert.equal(err.code, code, err.message);
	assert.equal(err.line, line, err.message);
	if (message) assert.match(err.message, message);
}

describe("program structure", () => {
	test("a #! first line, pragmas, declarations, inlines and clauses", () => {
		const p = parse(`#!/usr/sbin/dtrace -qs
#pragma D option quiet
#pragma D option bufsize=4m
int x;
self string s;
this int i;
int a[int, string];
uint64_t y, *p, z[4];
inline int N = 4 * 2;
BEGIN { x = N; }
`);
		assert.deepEqual(
			p.pragmas.map((x) => [x.name, ...x.words]),
			[
				["option", "quiet"],
				["option", "bufsize=4m"],
			],
		);
		assert.deepEqual(
			p.declarations.map((d) =>
				d.kind === "inline"
					? `inline ${d.name}`
					: `${d.storage} ${d.type.words.join(" ")} ${d.declarators.map((x) => `${"*".repeat(x.pointers)}${x.name}${x.dimension !== null ? `[${x.dimension}]` : ""}${x.keys ? `[${x.keys.map((k) => k.words.join(" ")).join(",")}]` : ""}`).join(",")}`,
			),
			[
				"global int x",
				"self string s",
				"this int i",
				"global int a[int,string]",
				"global uint64_t y,*p,z[4]",
				"inline N",
			],
		);
		assert.equal(p.clauses.length, 1);
	});

	test("a storage class without a type declares an int (`self x;`)", () => {
		const d = parse("self x, y;\nBEGIN {}").declarations[0]!;
		assert.ok(d.kind === "decl" && d.storage === "self" && d.type.words.length === 0);
		assert.deepEqual(
			d.declarators.map((x) => x.name),
			["x", "y"],
		);
	});

	test("BEGIN, END, ERROR and dtrace:::BEGIN are probe descriptions; several per clause", () => {
		const p = parse("BEGIN, END, ERROR, dtrace:::BEGIN, profile-97, tick-1s, pid$target:libc.so.6:malloc:entry {}");
		assert.deepEqual(
			p.clauses[0]!.probes.map((d) => [d.provider, d.module, d.function, d.name]),
			[
				["", "", "", "BEGIN"],
				["", "", "", "END"],
				["", "", "", "ERROR"],
				["dtrace", "", "", "BEGIN"],
				["", "", "", "profile-97"],
				["", "", "", "tick-1s"],
				["pid$target", "libc.so.6", "malloc", "entry"],
			],
		);
	});

	test("a clause with no body or an empty body takes the default action", () => {
		const p = parse("BEGIN\nsyscall::read:entry {}\nEND { ; ; }\ntick-1s { exit(0); }");
		assert.deepEqual(p.clauses.map(isDefaultAction), [true, true, true, false]);
	});

	test("in a script file a description needs a predicate or a body (DTrace's err.pspec-on)", () => {
		assert.throws(
			() => parseProgram("BEGIN\n", { language: "full", file: true }),
			/line 1, column 1: expected predicate and\/or actions following probe description/,
		);
		assert.equal(parseProgram("BEGIN", full).clauses.length, 1);
	});

	test("control lines may stand anywhere, even inside a body", () => {
		const p = parse("BEGIN\n{\n#pragma D option quiet\n\texit(0);\n}");
		assert.equal(p.pragmas.length, 1);
		assert.equal(p.clauses[0]!.statements.length, 1);
	});

	test("#pragma D option pspec makes every outer word a probe description", () => {
		assert.throws(
			() => parseProgram("#pragma D option pspec\nint*x\n", { language: "full", file: true }),
			/line 2, column 1: expected predicate and\/or actions following probe description/,
		);
		assert.equal(parse("#pragma D option pspec\nint {}").clauses[0]!.probes[0]!.name, "int");
	});
});

describe("statements", () => {
	test("assignments of every operator, to globals, self->, this->, elements", () => {
		const ops = ["=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>="];
		for (const op of ops) {
			const [s] = body(`x ${op} 1;`);
			assert.ok(s?.kind === "assign" && s.op === op, op);
		}
		const targets = body('x = 1; self->x = 1; this->x = 1; a[1, "s"] = 1; self->a[k] = 1;').map((s) =>
			s.kind === "assign" ? shape(s.target) : s.kind,
		);
		assert.deepEqual(targets, ["x", "self->x", "this->x", 'a[1 "s"]', "self->a[k]"]);
	});

	test("aggregations, actions, ++/--, empty statements", () => {
		const s = body('@a[pid, execname] = count(); @ = sum(arg0); printf("%d", 1); x++; --y;;; trace(1)');
		assert.deepEqual(
			s.map((x) =>
				x.kind === "aggregate" ? `@${x.name}=${x.fn}/${x.keys.length}` : x.kind === "expr" ? shape(x.expr) : x.kind,
			),
			["@a=count/2", "@=sum/0", 'printf("%d" 1)', "(post++ x)", "(pre-- y)", "trace(1)"],
		);
	});

	test("if / else if / else, with blocks or single statements, nested", () => {
		const [s] = body("if (x) { a = 1; b = 2; } else if (y) c = 3; else { if (z) d = 4; }");
		assert.ok(s?.kind === "if");
		assert.equal(s.body.length, 2);
		const elseIf = s.otherwise![0]!;
		assert.ok(elseIf.kind === "if" && elseIf.body.length === 1);
		assert.ok(elseIf.otherwise![0]!.kind === "if");
		assert.equal(body("if (x) {} trace(1);").length, 2);
	});

	test("a predicate may assign, as in DTrace's grammar/tst.stmts", () => {
		const p = parse("tick-1 /i = 20/ { exit(0); }");
		assert.equal(shape(p.clauses[0]!.predicate!), "(= i 20)");
	});
});

describe("expressions", () => {
	const cases: [string, string][] = [
		["a ? b : c ? d : e", "(? a b (? c d e))"],
		["a || b ^^ c && d", "(|| a (^^ b (&& c d)))"],
		["a | b ^ c & d", "(| a (^ b (& c d)))"],
		["a == b < c << d + e * f", "(== a (< b (<< c (+ d (* e f)))))"],
		["a - b - c", "(- (- a b) c)"],
		["a = b = c", "(= a (= b c))"],
		["a += b ? c : d", "(+= a (? b c d))"],
		["x = 1, y = 2", "(, (= x 1) (= y 2))"],
		["-~!+a", "(- (~ (! (+ a))))"],
		["*&x", "(* (& x))"],
		["++x--", "(pre++ (post-- x))"],
		["(int)x + 1", "(+ (cast int x) 1)"],
		["(unsigned long long)-1", "(cast unsigned long long (- 1))"],
		["(char *)arg0", "(cast char* arg0)"],
		["(struct task_struct *)curthread", "(cast struct task_struct* curthread)"],
		["sizeof (int) + sizeof x", "(+ (sizeof int) (sizeof x))"],
		["sizeof(uint64_t)", "(sizeof uint64_t)"],
		["stringof(arg0)", "(stringof arg0)"],
		["stringof arg0", "(stringof arg0)"],
		["offsetof(struct foo, bar)", "(offsetof struct foo bar)"],
		["xlate <psinfo_t *> (curthread)", "(xlate psinfo_t* curthread)"],
		["args[0]->pr_fname", "(-> args[0] pr_fname)"],
		["curthread->real_parent->pid", "(-> (-> curthread real_parent) pid)"],
		["a.b.c", "(. (. a b) c)"],
		["uregs[R_PC]", "uregs[R_PC]"],
		["a[1][2]", "a[1][2]"],
		['self->a[k, "s"]', 'self->a[k "s"]'],
		["this->x", "this->x"],
		["@a", "@a"],
		["strjoin(a, substr(b, 1, 2))", "strjoin(a substr(b 1 2))"],
		["$1 + $$2 + $target + $pid", "(+ (+ (+ $1 $$2) $target) $pid)"],
		["`max_pfn", "`max_pfn"],
		["vmlinux`max_pfn", "vmlinux`max_pfn"],
		["0x10 + 010 + 10u + 10UL + 0xffULL + 'a'", "(+ (+ (+ (+ (+ 16r16 8r8) 10u) 10UL) 255r16ULL) 97)"],
	];
	for (const [text, expected] of cases) {
		test(text, () => assert.equal(shape(expr(text)), expected, show(expr(text))));
	}

	test("builtins are builtin nodes, other names are identifiers the checker resolves", () => {
		assert.deepEqual(
			["pid", "walltimestamp", "errno", "uregs", "curthread", "x", "R_PC", "NULL"].map((n) => expr(n).kind),
			["builtin", "builtin", "builtin", "builtin", "builtin", "ident", "ident", "ident"],
		);
	});

	test("member names may be keywords (DTrace's lexer/tst.keyword-member)", () => {
		assert.equal(shape(expr("a.self->this")), "(-> (. a self) this)");
	});
});

describe("lexical rules", () => {
	test("strings are bytes: escapes and UTF-8 text", () => {
		const s = (t: string) => (expr(t) as { value: string }).value;
		assert.equal(s('"a\\tb\\n\\\\\\"\\101\\x41\\0"'), 'a\tb\n\\"AA\0');
		assert.equal(s('"\\xfa\\377"'), "\xfa\xff");
		assert.equal(s('"é"'), "\xc3\xa9");
		// DTrace keeps the backslash of an escape it does not know.
		assert.equal(s('"\\q\\?"'), "\\q\\?");
	});

	test("character constants: escapes, several bytes, at most eight", () => {
		assert.equal(shape(expr("'\\n'")), "10");
		assert.equal(shape(expr("'ab'")), String(0x6162));
		rejects("BEGIN { x = 'abcdefghi'; }", "D_CHR_OFLOW", 1);
		rejects("BEGIN { x = ''; }", "D_CHR_NULL", 1);
	});

	test("integer constants: radix, suffix, overflow, invalid digits", () => {
		assert.equal(shape(expr("0xffffffffffffffff")), "18446744073709551615r16");
		rejects("BEGIN { x = 0x12345678123456781; }", "D_INT_OFLOW", 1);
		rejects("BEGIN { x = 0128; }", "D_INT_DIGIT", 1, /constant 0128 contains invalid digit 8/);
		// As DTrace's lexer: 12ab is the constant 12 and then the name ab.
		rejects("BEGIN { x = 12ab; }", "D_SYNTAX", 1);
		rejects("BEGIN { x = 1.5; }", "D_SYNTAX", 1, /floating-point constants are not permitted/);
	});

	test("a literal cut by a newline is reported on the next line, as DTrace does", () => {
		rejects('BEGIN\n{\n\tx = "ab\ncd";\n}', "D_STR_NL", 4, /it starts at line 3, column 6/);
		rejects("BEGIN\n{\n\tx = 'a\n';\n}", "D_CHR_NL", 4);
	});

	test("an unterminated comment is reported where the input ends", () => {
		rejects(
			"BEGIN {}\n/* no end\nat all",
			"D_SYNTAX",
			3,
			/before matching \*\/ \(the comment starts at line 2, column 1\)/,
		);
		rejects("BEGIN { /* a /* b */ }", "D_SYNTAX", 1, /\/\* encountered inside a comment/);
	});

	test("error text never carries raw control characters from the input", () => {
		for (const [text, shown] of [
			["BEGIN { \x1b[2J }", "\\e"],
			["BEGIN { x = \x00; }", "\\0"],
			["BEGIN { x = \x7f; }", "\\x7f"],
			["\x9bBEGIN {}", "\\u009b"],
			["BEGIN { x = \u202e; }", "\\u202e"],
		] as const) {
			let err: unknown;
			try {
				parse(text);
			} catch (e) {
				err = e;
			}
			assert.ok(err instanceof DSyntaxError, text);
			assert.doesNotMatch(err.message, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/);
			assert.ok(err.message.includes(shown), `${err.message} shows ${shown}`);
		}
	});
});

describe("syntax errors carry DTrace's tags and lines", () => {
	const cases: [string, string, number][] = [
		["", "D_EMPTY", 1],
		["/* nothing */\n\n", "D_EMPTY", 3],
		["BEGIN\n{\n\ttrace(1);\n}}", "D_SYNTAX", 4],
		["BEGIN\n{\n\ttrace(1);\n", "D_SYNTAX", 4],
		["BEGIN\n/x == 1/\n", "D_SYNTAX", 3],
		["BEGIN\n{\n\t@a[] = count();\n}", "D_SYNTAX", 3],
		["BEGIN\n{\n\ti = 123$pid;\n}", "D_SYNTAX", 3],
		['BEGIN\n{\n\tprint("x", $-1);\n}', "D_SYNTAX", 3],
		["BEGIN\n/(x/\n{\n}", "D_SYNTAX", 2],
		["BEGIN { @ = tick-1(); }", "D_FUNC_IDENT", 1],
		["BEGIN { i = 1 +; }", "D_SYNTAX", 1],
		["int 0abc;", "D_SYNTAX", 1],
		["static int x;", "D_DECL_BADCLASS", 1],
		["self this int x;", "D_DECL_CLASS", 1],
		["this int a[int];", "D_DECL_LOCASSC", 1],
		["int a[];", "D_DECL_ARRNULL", 1],
		["int a[x];", "D_DECL_ARRSUB", 1],
		["int;", "D_DECL_USELESS", 1],
		["int `x;", "D_DECL_SCOPE", 1],
		["#pragma D option nosuch\n", "D_PRAGMA_OPTSET", 1],
		["#pragma D option bufsize=lots\n", "D_PRAGMA_OPTSET", 1],
		["#pragma D option\n", "D_PRAGMA_MALFORM", 1],
		["#pragma D option quiet extra\n", "D_PRAGMA_MALFORM", 1],
		["#pragma D nosuch\n", "D_PRAGMA_INVAL", 1],
		["#pragma nosuch\n", "D_PRAGMA_INVAL", 1],
		['#pragma D error "no"\n', "D_PRAGERR", 1],
		["#error no\n", "D_PRAGERR", 1],
		["#define X 1\n", "D_PRAGCTL_INVAL", 1],
		["#pragma D depends_on library net.d\n", "D_PRAGMA_DEPEND", 1],
		["#pragma D attributes bad/attr x\n", "D_PRAGMA_INVAL", 1],
		["BEGIN {}\n#pragma D option quiet", "D_SYNTAX", 2],
	];
	for (const [text, code, line] of cases) {
		test(`${JSON.stringify(text)}: ${code} on line ${line}`, () => rejects(text, code, line));
	}
});

describe("what dtop does not support is named", () => {
	const cases: [string, RegExp][] = [
		["translator foo_t < int x > { a = x; };", /'translator' declarations are not supported/],
		["extern int x;", /'extern' declarations are not supported/],
		["inline int f[int x] = x;", /inlines with arguments are not supported/],
		["int f(int);", /function declarations are not supported/],
		["123 {}", /probe ids are not supported/],
	];
	for (const [text, message] of cases) {
		test(text, () => assert.throws(() => parse(text), message));
	}
});

describe("input limits", () => {
	test("a program over 1 MiB is refused in one sentence, at once", () => {
		const huge = `BEGIN { x = 1; }\n${"/* padding */".repeat(MAX_PROGRAM_BYTES / 10)}`;
		const started = process.hrtime.bigint();
		assert.throws(
			() => parse(huge),
			(e: Error) =>
				/^the program is \d+ bytes, more than the 1048576 bytes \(1 MiB\) dtop reads; split it or shorten it$/.test(
					e.message,
				),
		);
		assert.ok(process.hrtime.bigint() - started < 1_000_000_000n);
		assert.ok(parse(`BEGIN { x = 1; }\n${" ".repeat(MAX_PROGRAM_BYTES - 100)}`));
	});

	test("deep nesting is an error, never a stack overflow", () => {
		for (const text of [
			`${"(".repeat(10_000)}1${")".repeat(10_000)}`,
			`${"-".repeat(10_000)}1`,
			Array(10_000).fill("1").join(" + "),
			`${"a[".repeat(5_000)}1${"]".repeat(5_000)}`,
			`${"f(".repeat(5_000)}1${")".repeat(5_000)}`,
			`${"x = ".repeat(5_000)}1`,
			`${"c ? ".repeat(5_000)}1${" : 2".repeat(5_000)}`,
		]) {
			assert.throws(() => expr(text), /nested too deeply/, text.slice(0, 20));
		}
		assert.throws(() => body(`${"if (x) { ".repeat(5_000)}${"}".repeat(5_000)}`), /nested too deeply/);
		assert.equal(expr(`${"(".repeat(100)}1${")".repeat(100)}`).kind, "int");
	});
});
