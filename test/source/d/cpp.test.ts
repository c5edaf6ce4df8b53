// dtop's C preprocessor (-C): directives, macro expansion, #if arithmetic, line
// numbers kept, and GCC's diagnostics for what is wrong, as dtrace -C prints cpp's.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type CppArg, CppError, preprocess } from "../../../source/d/cpp.ts";
import { DError, parseProgram } from "../../../source/d/index.ts";

const cpp = (text: string, args: CppArg[] = [], stdc?: string) => preprocess(text, { dir: tmpdir(), args, stdc }).text;
/** The output's non-empty lines, whitespace squeezed. */
const lines = (text: string) =>
	text
		.split("\n")
		.map((l) => l.replace(/\s+/g, " ").trim())
		.filter(Boolean);
function diagnostics(text: string, args: CppArg[] = []): string[] {
	try {
		preprocess(text, { dir: tmpdir(), args });
	} catch (e) {
		if (e instanceof CppError) return e.diagnostics;
		throw e;
	}
	assert.fail("expected the preprocessor to fail");
}

test("object-like macros expand everywhere outside strings and comments; line numbers are kept", () => {
	const out = cpp('#define N 10 * 15\n\nBEGIN\n/N > 5/\n{ printf("N=%d\\n", N); /* N */ }\n');
	assert.deepEqual(out.split("\n"), ["", "", "BEGIN", "/10 * 15 > 5/", '{ printf("N=%d\\n", 10 * 15); }', ""]);
});

test("function-like macros: arguments expanded first, # and ##, nested parentheses, multi-line calls", () => {
	const src = [
		"#define SQ(x) ((x) * (x))",
		"#define STR(x) #x",
		"#define CAT(a, b) a ## b",
		"#define TWICE(f, v) f(f(v))",
		"a = SQ(SQ(2));",
		'b = STR(hello  "w" x);',
		"c = CAT(my, var) + CAT(1, 2);",
		"d = TWICE(SQ, (1 + 2));",
		"e = SQ(",
		"  3);",
		"f = SQ;",
	].join("\n");
	const out = cpp(src).split("\n");
	assert.equal(out[4], "a = ((((2) * (2))) * (((2) * (2))));");
	assert.equal(out[5], 'b = "hello \\"w\\" x";');
	assert.equal(out[6], "c = myvar + 12;");
	assert.equal(out[7], "d = (((((1 + 2)) * ((1 + 2)))) * ((((1 + 2)) * ((1 + 2)))));");
	// The call ran over two lines: its expansion is on the first, the line count stays.
	assert.equal(out[8], "e = ((3) * (3));");
	assert.equal(out[9], "");
	assert.equal(out[10], "f = SQ;");
});

test("a macro is not expanded inside its own expansion; __VA_ARGS__; __LINE__", () => {
	const src = '#define foo foo + 1\n#define P(fmt, ...) printf(fmt, __VA_ARGS__)\nfoo;\nP("%d %d", 1, 2);\n__LINE__';
	assert.deepEqual(lines(cpp(src)), ["foo + 1;", 'printf("%d %d", 1, 2);', "5"]);
});

test("D's own tokens pass unchanged: probe descriptions, $1, pid$target, tick-10ms, @aggs, backquotes", () => {
	const src =
		"#define ms 1\n#define target 9\nsyscall::read:entry, tick-10ms\n/pid == $target/ { @a[vmlinux`max_pfn] = count(); }\npid$target:::entry {}";
	assert.deepEqual(lines(cpp(src)), [
		"syscall::read:entry, tick-10ms",
		"/pid == $target/ { @a[vmlinux`max_pfn] = count(); }",
		"pid$target:::entry {}",
	]);
});

test("expansion never glues tokens that were apart: -NEG stays - -1", () => {
	assert.deepEqual(lines(cpp("#define NEG -1\n#define E\nx = -NEG; y = a E b;")), ["x = - -1; y = a b;"]);
});

test("#if arithmetic: defined, && || !, ?:, shifts, unsigned comparison, char constants, undefined names are 0", () => {
	const t = (cond: string) => cpp(`#define TWO 2\n#if ${cond}\nyes\n#else\nno\n#endif\n`).includes("yes");
	assert.equal(t("defined(TWO) && !defined NONE"), true);
	assert.equal(t("TWO * 3 == 6 && (1 << 4) == 16 && 17 % 5 == 2"), true);
	assert.equal(t("-1 < 0"), true);
	assert.equal(t("-1 < 0u"), false, "an unsigned operand makes the comparison unsigned");
	assert.equal(t("NONE == 0 && 'A' == 65 && 0x10 == 020"), true);
	assert.equal(t("TWO > 1 ? 0 : 1"), false);
	assert.equal(t("(TWO || 0) + 1 == 2"), true);
});

test("#ifdef #ifndef #elif #else #endif nest; skipped groups' directives are ignored", () => {
	const src = [
		"#ifndef GUARD",
		"#define GUARD",
		"#endif",
		"#if 0",
		"#bogus directive",
		"#define X 1",
		"#elif defined(GUARD)",
		"#  if 0",
		"#  else",
		"#define X 2",
		"#  endif",
		"#else",
		"#define X 3",
		"#endif",
		"X",
	].join("\n");
	assert.deepEqual(lines(cpp(src)), ["2"]);
});

test("predefined macros as DTrace gives cpp; -D, -U in order; -X s (K&R) has no __STDC__", () => {
	const probe = "__linux __unix __SVR4 __SUNW_D __SUNW_D_VERSION __STDC__ FOO BAR";
	assert.deepEqual(lines(cpp(probe)), ["1 1 1 1 0x02000001 1 FOO BAR"]);
	assert.deepEqual(
		lines(
			cpp(probe, [
				{ op: "D", value: "FOO" },
				{ op: "D", value: "BAR=a+b" },
				{ op: "U", value: "__linux" },
			]),
		),
		["__linux 1 1 1 0x02000001 1 1 a+b"],
	);
	assert.deepEqual(lines(cpp("#ifdef __STDC__\nansi\n#else\nkr\n#endif", [], "s")), ["kr"]);
	assert.deepEqual(lines(cpp("#define F(x) [x]\nF(1)", [{ op: "D", value: "F(x)=<x>" }])), ["[1]"]);
	assert.deepEqual(lines(cpp("G(2)", [{ op: "D", value: "G(x)=<x>" }])), ["<2>"]);
});

test("#pragma, #line and #ident go on to the D compiler; #! on the first line is not a directive", () => {
	const out = cpp("#!/usr/sbin/dtrace -s\n#pragma D option quiet\n#line 40\n#ident x\nBEGIN");
	assert.deepEqual(out.split("\n"), ["", "#pragma D option quiet", "#line 40", "#ident x", "BEGIN", ""]);
});

test('#include "file" from the script\'s directory, then -I; line markers frame it; -H names it', () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-cpp-"));
	mkdirSync(join(dir, "inc"));
	writeFileSync(join(dir, "local.d"), "#define LOCAL 1\nlocal_line\n");
	writeFileSync(join(dir, "inc", "far.h"), "#define FAR 2\n");
	const seen: string[] = [];
	const r = preprocess('#include "local.d"\n#include <far.h>\nLOCAL FAR\n', {
		dir,
		args: [{ op: "I", value: join(dir, "inc") }],
		onInclude: (p, depth) => seen.push(`${depth} ${p}`),
	});
	assert.deepEqual(r.text.split("\n"), [
		`# 1 "${join(dir, "local.d")}"`,
		"",
		"local_line",
		'# 2 "/dev/stdin"',
		`# 1 "${join(dir, "inc", "far.h")}"`,
		"",
		'# 3 "/dev/stdin"',
		"1 2",
		"",
	]);
	assert.deepEqual(seen, [`1 ${join(dir, "local.d")}`, `1 ${join(dir, "inc", "far.h")}`]);
});

test("GCC's diagnostics: unterminated conditionals, #else twice, a #define without a name, #error", () => {
	assert.deepEqual(diagnostics("\n#if !defined (F)\n#define V 5\n"), ["/dev/stdin:2: error: unterminated #if"]);
	assert.deepEqual(diagnostics("#ifdef F\n#else\n"), ["/dev/stdin:1: error: unterminated #else"]);
	assert.deepEqual(diagnostics("#if !defined\n"), [
		'/dev/stdin:1: error: operator "defined" requires an identifier',
		"/dev/stdin:1: error: unterminated #if",
	]);
	assert.deepEqual(diagnostics("#if 1\n#else\n#else\n#endif\n"), [
		"/dev/stdin:3: error: #else after #else",
		"/dev/stdin:1: error: the conditional began here",
	]);
	assert.deepEqual(diagnostics("x\n#else\n"), ["/dev/stdin:2: error: #else without #if"]);
	assert.deepEqual(diagnostics("#endif\n"), ["/dev/stdin:1: error: #endif without #if"]);
	assert.deepEqual(diagnostics("\n\n#define\n"), ["/dev/stdin:3: error: no macro name given in #define directive"]);
	assert.deepEqual(diagnostics("#define 3 x\n"), ["/dev/stdin:1: error: macro names must be identifiers"]);
	assert.deepEqual(diagnostics("#error stop here\n"), ["/dev/stdin:1: error: #error stop here"]);
	assert.deepEqual(diagnostics("#frob\n"), ["/dev/stdin:1: error: invalid preprocessing directive #frob"]);
	assert.deepEqual(diagnostics("#if 1 / 0\n#endif\n"), ["/dev/stdin:1: error: division by zero in #if"]);
	assert.deepEqual(diagnostics("#if 1 +\n#endif\n"), ["/dev/stdin:1: error: operator '+' has no right operand"]);
	assert.deepEqual(diagnostics("#if (1\n#endif\n"), ["/dev/stdin:1: error: missing ')' in expression"]);
	assert.deepEqual(diagnostics("#define F(a) a\nF(1, 2)\n"), [
		'/dev/stdin:2: error: macro "F" passed 2 arguments, but takes just 1',
	]);
	assert.deepEqual(diagnostics("#define F(a) a\nF(1\n"), [
		'/dev/stdin:2: error: unterminated argument list invoking macro "F"',
	]);
	assert.deepEqual(diagnostics("/* open\n\n"), ["/dev/stdin:1: error: unterminated comment"]);
	assert.deepEqual(diagnostics('#include "no-such-file.d"\n'), [
		"/dev/stdin:1: fatal error: no-such-file.d: No such file or directory",
		"compilation terminated.",
	]);
});

test('the D parser follows line markers (#line N, the preprocessor\'s # N "file"); a malformed one is an error', () => {
	const lineOf = (text: string) => {
		try {
			parseProgram(text);
		} catch (e) {
			if (e instanceof DError) return [e.line, e.code];
			throw e;
		}
		return undefined;
	};
	assert.deepEqual(lineOf('BEGIN {}\n# 40 "x.d"\nBEGIN { y = ; }'), [40, "D_SYNTAX"]);
	assert.deepEqual(lineOf("BEGIN {}\n#line 7\n\nBEGIN { y = ; }"), [8, "D_SYNTAX"]);
	assert.deepEqual(lineOf("#line x\nBEGIN {}"), [1, "D_PRAGMA_MALFORM"]);
});
