// dtop's preprocessor against GCC's (the cpp dtrace -C runs): the same macro
// expansions, token for token, and the same #if verdicts for thousands of random
// integer expressions. GCC is on the test machine (scripts/setup installs it for
// the fixtures); dtop's users need none.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import { test } from "node:test";
import { CppError, preprocess } from "../../../source/d/cpp.ts";
import { tokenize } from "../../../source/d/cpp-lex.ts";

/** GCC's cpp with no predefined macros (dtop's differ on purpose: DTrace's), C99 as dtrace runs it. */
function gcc(text: string): string {
	return execFileSync("cpp", ["-P", "-std=c99", "-undef", "-w"], { input: text, encoding: "latin1" });
}

/** Only the tokens: spacing and blank lines are free to differ. */
const tokens = (text: string) =>
	text
		.split("\n")
		.flatMap((l) => tokenize(l).map((t) => t.v))
		.join(" ");

/** dtop's output with its predefined macros removed, so both start from nothing. */
function ours(text: string): string {
	const undef = ["__linux", "__unix", "__SVR4", "__SUNW_D", "__SUNW_D_64", "__Linux", "__SUNW_D_VERSION"]
		.concat(["__linux__", "__gnu_linux__", "__unix__", "__ELF__", "__LP64__", "_LP64", "__CHAR_BIT__"])
		.concat(["__x86_64__", "__x86_64", "__amd64__", "__amd64", "__aarch64__", "__STDC__", "__STDC_VERSION__"])
		.concat(["__STDC_HOSTED__"]);
	try {
		return preprocess(text, { dir: tmpdir(), args: undef.map((value) => ({ op: "U" as const, value })) }).text;
	} catch (e) {
		if (e instanceof CppError) return e.diagnostics.join("\n");
		throw e;
	}
}

const CASES = [
	"#define A 1 + 2\n#define B (A) * A\nx = B;",
	"#define F(a, b) a + b\nF(1, 2) F((1, 2), 3) F(, ) F(F(1, 2), F(3, 4))",
	'#define S(x) #x\n#define XS(x) S(x)\n#define V 42\nS(V) XS(V) S( a  b ) S("q\\"" \'c\') S()',
	"#define C(a, b) a ## b\n#define XC(a, b) C(a, b)\n#define P pre\nC(P, fix) XC(P, fix) C(, x) C(x, ) C(1, 2.5) C(+, =)",
	"#define f(x) x * g\n#define g f\nf(2)(9)",
	"#define y 5\n#define k(a) k(y * (a))\n#undef y\n#define y 4\n#define j k\n#define q q[1]\n#define r j(~\n#define n(a) a(v)\n#define v 2,3\n#define u(a) a\nk(q+2) - k(k(q)) ^ u(u(j)(1) - u)(2);\nj(y+(5,6)-v) & r 8) | n\n(k)+n(n);",
	"#define str(s) # s\n#define xstr(s) str(s)\n#define NAMED(n) file ## n\nxstr(NAMED(7).d) str(: @\\n)",
	"#define HH # ## #\n#define STR(a) # a\n#define MID(a) STR(a)\n#define J(c, d) MID(c HH d)\nJ(p, q)",
	"#define OBJ (1)\n#define FN() (2)\nOBJ FN() FN ( ) FN",
	"#define E\n#define F(x) [x]\nF(E) F( E ) E F(E E)",
	'#define V(fmt, ...) printf(fmt, __VA_ARGS__)\nV("%d", 1) V("%d %d", 1, (2, 3))',
	"#define R R + 1\n#define Q(x) x Q\nR Q(Q(1))",
	"#define NEG -1\n#define PLUS +\n- NEG PLUS+ a PLUS PLUS b",
	'#define TEST(s) printf("%60s %d\\n", (s), strlen(s))\nTEST("1"); TEST("12");',
	"#define SYS syscall\n#define FN read\nSYS::FN:entry /pid == $target/ { @[probefunc] = count(); }",
	"#define MUL(a, b) ((a) * (b))\nMUL(\n  1 + 2,\n  3\n) MUL(MUL(1, 2), MUL(3,\n4))",
	"#if defined(X) || 1\nyes\n#endif\n#ifdef Y\nno\n#elif 2 > 1\nelif\n#endif",
	"#define ONE 1\n#if ONE + 1 == 2 && !defined ONE2\nok\n#else\nbad\n#endif",
];

test("macro expansion matches GCC's, token for token", () => {
	for (const src of CASES) assert.equal(tokens(ours(src)), tokens(gcc(src)), src);
});

/** A random #if expression over small and large integers, with every operator cpp has. */
function randomExpr(rand: () => number, depth: number): string {
	const r = rand();
	if (depth <= 0 || r < 0.25) {
		const pick = rand();
		if (pick < 0.5) return String(Math.floor(rand() * 20) - 5).replace(/^-/, "- ");
		if (pick < 0.65) return `${Math.floor(rand() * 9)}u`;
		if (pick < 0.75) return "0xffffffffffffffff";
		if (pick < 0.85) return "0x7fffffffffffffff";
		if (pick < 0.9) return "'a'";
		return ["NOPE", "defined(D1)", "defined D2", "D1", "D2"][Math.floor(rand() * 5)]!;
	}
	if (r < 0.35) return `${["!", "~", "-", "+"][Math.floor(rand() * 4)]}(${randomExpr(rand, depth - 1)})`;
	if (r < 0.42)
		return `(${randomExpr(rand, depth - 1)} ? ${randomExpr(rand, depth - 1)} : ${randomExpr(rand, depth - 1)})`;
	const ops = ["*", "+", "-", "<<", ">>", "<", ">", "<=", ">=", "==", "!=", "&", "^", "|", "&&", "||", "/", "%"];
	const op = ops[Math.floor(rand() * ops.length)]!;
	const right = op === "<<" || op === ">>" ? String(Math.floor(rand() * 70)) : randomExpr(rand, depth - 1);
	// Division by zero is an error in both; keep the divisor away from it.
	const safe = op === "/" || op === "%" ? `((${right}) | 1)` : `(${right})`;
	return `(${randomExpr(rand, depth - 1)}) ${op} ${safe}`;
}

test("#if evaluates 2,000 random integer expressions as GCC does", () => {
	let seed = 20261207;
	const rand = () => {
		seed = (seed * 1103515245 + 12345) & 0x7fffffff;
		return seed / 0x80000000;
	};
	const exprs = Array.from({ length: 2000 }, () => randomExpr(rand, 4));
	const src = `#define D1 7\n${exprs.map((e, i) => `#if ${e}\nT${i}\n#else\nF${i}\n#endif`).join("\n")}\n`;
	const want = tokens(gcc(src)).split(" ");
	const got = tokens(ours(src)).split(" ");
	assert.equal(got.length, exprs.length);
	for (let i = 0; i < exprs.length; i++) assert.equal(got[i], want[i], `#if ${exprs[i]}`);
});
