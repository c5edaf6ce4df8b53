// dtrace's -C, -D, -U, -I, -H, -X and -e on the real command line, with the
// programs loaded into the kernel and run (BEGIN's printf output is the proof):
// the preprocessor's macros and conditionals decide what runs, its errors read as
// dtrace prints cpp's, and D's errors keep the script's own line numbers.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

function script(name: string, text: string, dir = mkdtempSync(join(tmpdir(), "dtop-cpp-"))): string {
	const p = join(dir, name);
	writeFileSync(p, text);
	return p;
}

test("-C: #define, function-like macros and #if decide what the program prints", async () => {
	const p = script(
		"macros.d",
		[
			"#pragma D option quiet",
			"#define SCALE 10 * 15",
			'#define SHOW(s) printf("%-6s %d\\n", (s), strlen(s))',
			"#if !defined(FLAG) && SCALE > 100",
			'#define WHICH "first"',
			"#else",
			'#define WHICH "second"',
			"#endif",
			"BEGIN",
			"/SCALE == 150/",
			"{",
			"\tSHOW(WHICH);",
			'\tSHOW("ab");',
			"\texit(0);",
			"}",
			"",
		].join("\n"),
	);
	const r = await runDtop(["-C", "-s", p]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "first  5\nab     2\n\n");
	assert.equal(r.stderr, "");
	// Without -C the same script is refused where the first directive is.
	const plain = await runDtop(["-s", p]);
	assert.equal(plain.code, 1);
	assert.match(plain.stderr, /line 2: invalid control directive: #define/);
});

test("-D, -U and -x define/undef, in command-line order; -D implies nothing without -C", async () => {
	const p = script(
		"defs.d",
		'BEGIN { printf("%d %d %s\\n", VALUE, LINUX, WORD); exit(0); }\n'.replace(
			"BEGIN",
			"#ifndef VALUE\n#define VALUE 1\n#endif\n#ifdef __linux\n#define LINUX 1\n#else\n#define LINUX 0\n#endif\nBEGIN",
		),
	);
	const a = await runDtop(["-q", "-C", "-s", p, "-DVALUE=7", "-D", 'WORD="w"']);
	assert.equal(a.code, 0, a.stderr);
	assert.equal(a.stdout, "7 1 w\n\n");
	const b = await runDtop(["-q", "-C", "-s", p, '-xdefine=WORD="x"', "-U__linux", "-DVALUE=3", "-UVALUE"]);
	assert.equal(b.code, 0, b.stderr);
	assert.equal(b.stdout, "1 0 x\n\n");
	const c = await runDtop(["-q", "-xcpp", "-xundef=__linux", "-s", p, '-DWORD="y"']);
	assert.equal(c.code, 0, c.stderr);
	assert.equal(c.stdout, "1 0 y\n\n");
});

test("#include \"file\" from the script's directory and -I; -H names what was included; errors after it keep the script's lines", async () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-cpp-"));
	mkdirSync(join(dir, "lib"));
	writeFileSync(join(dir, "near.d"), "#define NEAR 40\n\n\n");
	writeFileSync(join(dir, "lib", "far.h"), "#define FAR 404\n");
	const p = script(
		"main.d",
		'#pragma D option quiet\n#include "near.d"\n#include <far.h>\nBEGIN { printf("%d %d\\n", NEAR, FAR); exit(0); }\n',
		dir,
	);
	const r = await runDtop(["-C", "-H", "-I", join(dir, "lib"), "-s", p]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "40 404\n\n");
	assert.equal(r.stderr, `. ${join(dir, "near.d")}\n. ${join(dir, "lib", "far.h")}\n`);
	const bad = script("bad.d", '#include "near.d"\n\nBEGIN { x = ; }\n', dir);
	const e = await runDtop(["-C", "-s", bad]);
	assert.equal(e.code, 1);
	assert.match(e.stderr, new RegExp(`^dtop: failed to compile script ${bad}: line 3: syntax error near "[^"]*"$`, "m"));
});

test("the preprocessor's errors as dtrace prints cpp's, exit status 1, nothing loaded", async () => {
	const p = script("open.d", '\n\n#if !defined (FLAG)\n#define V 5\n#else\nBEGIN { printf("no\\n"); }\n');
	const r = await runDtop(["-C", "-s", p]);
	assert.equal(r.code, 1);
	assert.equal(r.stdout, "");
	assert.equal(
		r.stderr,
		`/dev/stdin:3: error: unterminated #else\ndtop: failed to compile script ${p}: Preprocessor failed to process input program\n`,
	);
	const n = await runDtop(["-C", "-n", "#define\nBEGIN { exit(0); }"]);
	assert.equal(n.code, 1);
	assert.equal(
		n.stderr,
		"/dev/stdin:1: error: no macro name given in #define directive\ndtop: invalid probe specifier #define\nBEGIN { exit(0); }: Preprocessor failed to process input program\n",
	);
});

test("-X s is K&R C (no __STDC__); -X and -x stdc refuse other modes as dtrace does", async () => {
	const p = script(
		"stdc.d",
		'BEGIN {\n#ifdef __STDC__\nprintf("iso\\n");\n#else\nprintf("kr\\n");\n#endif\nexit(0); }\n',
	);
	const iso = await runDtop(["-q", "-C", "-s", p]);
	assert.equal(iso.stdout, "iso\n\n", iso.stderr);
	const kr = await runDtop(["-q", "-C", "-X", "s", "-s", p]);
	assert.equal(kr.stdout, "kr\n\n", kr.stderr);
	const x = await runDtop(["-q", "-C", "-xstdc=X", "-s", p]);
	assert.equal(x.code, 1);
	assert.equal(x.stderr, "dtop: failed to set -x stdc: Invalid value for specified option\n");
});

test("-e compiles and matches the program, then exits without running it", async () => {
	const r = await runDtop(["-e", "-n", 'BEGIN { printf("ran\\n"); exit(0); }']);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "");
	assert.equal(r.stderr, "");
	const bad = await runDtop(["-e", "-n", "BEGIN { x = strlen(1); }"]);
	assert.equal(bad.code, 1);
	assert.match(
		bad.stderr,
		/^dtop: invalid probe specifier BEGIN \{ x = strlen\(1\); \}: line 1: strlen\( \) argument #1 is incompatible with prototype:/m,
	);
	const none = await runDtop(["-e", "-n", "nosuchprovider:::x { }"]);
	// As without -e: a description that matches nothing is refused, as DTrace's D_PDESC_ZERO.
	assert.equal(none.code, 1);
	assert.match(none.stderr, /line 1: probe description nosuchprovider:::x does not match any probes/);
});

test("options that cannot be set exit 1 with dtrace's words; the preprocessor's options are command-line only", async () => {
	const cases: [string[], string][] = [
		[["-xstrsize=1"], "dtop: failed to set -x strsize: Invalid value for specified option\n"],
		[["-xbufsize=-1"], "dtop: failed to set -x bufsize: Invalid value for specified option\n"],
		[["-xversion=99.1"], "dtop: failed to set -x version: Requested version is not supported by compiler\n"],
		[["-xversion=2.x"], "dtop: failed to set -x version: Version is not properly formatted or is too large\n"],
	];
	for (const [args, err] of cases) {
		const r = await runDtop([...args, "-n", "BEGIN { exit(0); }"]);
		assert.equal(r.code, 1, args.join(" "));
		assert.equal(r.stderr, err);
	}
	const ok = await runDtop(["-q", "-xversion=2.0", "-n", 'BEGIN { printf("v\\n"); exit(0); }']);
	assert.equal(ok.stdout, "v\n\n", ok.stderr);
	const p = script("pragma.d", "#pragma D option define=X=1\nBEGIN { exit(0); }\n");
	const r = await runDtop(["-s", p]);
	assert.equal(r.code, 1);
	assert.equal(
		r.stderr,
		`dtop: failed to compile script ${p}: line 1: failed to set option 'define' to 'X=1': Option cannot be used from within a D program\n`,
	);
});

test("#line sets the line D's errors name, with or without -C", async () => {
	const p = script("line.d", 'BEGIN { exit(0); }\n#line 100 "other.d"\nBEGIN { y = ; }\n');
	const r = await runDtop(["-s", p]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /: line 100: syntax error near/);
});
