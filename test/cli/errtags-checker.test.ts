// The checker's errors as dtrace(1) prints them with -x errtags: the tag, the line
// of the script, DTrace's words, exit status 1. One case per error site: prototypes of
// actions and subroutines, stack( )/ustack( ) arguments, associative arrays' keys,
// printf( )/printa( ) arguments and key signatures, lquantize( )/llquantize( )
// parameters, compound assignments. Nothing here is loaded into the kernel.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "dtop-errtags-checker-"));
let count = 0;

/** Runs `body` as a script (one clause per string, `BEGIN` when none is named) and checks dtop's one error line. */
async function refuses(text: string, tag: string, line: number, words: string): Promise<void> {
	const path = join(dir, `c${count++}.d`);
	writeFileSync(path, text);
	const r = await runDtop(["-xerrtags", "-s", path]);
	assert.equal(r.stderr, `dtop: failed to compile script ${path}: [${tag}] line ${line}: ${words}\n`, text);
	assert.equal(r.code, 1, text);
	assert.equal(r.stdout, "", text);
}

const proto = (fn: string, i: number, p: string, a: string) =>
	`${fn}( ) argument #${i} is incompatible with prototype:\n\tprototype: ${p}\n\t argument: ${a}`;

test("D_PROTO_ARG: an action's void result, a string where an integer goes, DTrace's type names", async () => {
	await refuses("BEGIN\n{\n\texit(exit(1));\n}\n", "D_PROTO_ARG", 3, proto("exit", 1, "int", "void"));
	await refuses("BEGIN\n{\n\tsetopt(7);\n}\n", "D_PROTO_ARG", 3, proto("setopt", 1, "char *", "int"));
	await refuses('BEGIN\n{\n\tx = strtok("a b", 32);\n}\n', "D_PROTO_ARG", 3, proto("strtok", 2, "char *", "int"));
	await refuses("BEGIN\n{\n\ty = substr(42, 1);\n}\n", "D_PROTO_ARG", 3, proto("substr", 1, "char *", "int"));
	await refuses('\nBEGIN\n{\n\tstack("deep");\n}\n', "D_PROTO_ARG", 4, proto("stack", 1, "uint32_t", "string"));
	await refuses('BEGIN\n{\n\tustack(3, "x");\n}\n', "D_PROTO_ARG", 3, proto("ustack", 2, "uint32_t", "string"));
	await refuses(
		"BEGIN\n{\n\tmutex_owned(trace(1));\n}\n",
		"D_PROTO_ARG",
		3,
		proto("mutex_owned", 1, "struct mutex *", "void"),
	);
});

test("D_PROTO_ARG: uregs[ ] takes an integer constant; an unknown name is D_IDENT_UNDEF", async () => {
	await refuses(
		"BEGIN\n{\n\tr = R_PC;\n\ttrace(uregs[r]);\n}\n",
		"D_PROTO_ARG",
		4,
		"uregs[ ] argument #1 is incompatible with prototype:\n\tprototype: integer constant\n\t argument: int",
	);
	await refuses(
		"BEGIN\n{\n\ttrace(uregs[NOT_A_REG]);\n}\n",
		"D_IDENT_UNDEF",
		3,
		"failed to resolve NOT_A_REG: Unknown variable name",
	);
});

test("D_PROTO_LEN: actions with too many arguments", async () => {
	await refuses(
		"BEGIN\n{\n\tstack(1, 2);\n}\n",
		"D_PROTO_LEN",
		3,
		"stack( ) prototype mismatch: 2 args passed, at most 1 expected",
	);
	await refuses(
		'BEGIN\n{\n\tustack(1, 2, "three");\n}\n',
		"D_PROTO_LEN",
		3,
		"ustack( ) prototype mismatch: 3 args passed, at most 2 expected",
	);
	await refuses(
		"BEGIN\n{\n\ttrace(1, 2);\n}\n",
		"D_PROTO_LEN",
		3,
		"trace( ) prototype mismatch: 2 args passed, 1 expected",
	);
});

test("stack( ) and ustack( ) sizes: D_STACK_SIZE, D_USTACK_FRAMES, D_USTACK_STRSIZE", async () => {
	const positive = (fn: string) => `${fn}( ) argument #1 must be a non-zero positive integer constant`;
	await refuses("BEGIN\n{\n\tstack(0);\n}\n", "D_STACK_SIZE", 3, positive("stack"));
	await refuses("BEGIN\n{\n\tstack(-4);\n}\n", "D_STACK_SIZE", 3, positive("stack"));
	await refuses("BEGIN\n{\n\tustack(0, 100);\n}\n", "D_USTACK_FRAMES", 3, positive("ustack"));
	await refuses(
		"BEGIN\n{\n\tustack(2, -8);\n}\n",
		"D_USTACK_STRSIZE",
		3,
		"ustack( ) argument #2 must be a positive integer constant",
	);
	await refuses("BEGIN\n{\n\t@[stack(0)] = count();\n}\n", "D_STACK_SIZE", 3, positive("stack"));
});

test("an associative array keeps its keys' number and types (D_PROTO_LEN, D_PROTO_ARG)", async () => {
	await refuses(
		"BEGIN\n{\n\tv[1, 2] = 3;\n}\n\nEND\n{\n\tv[1] = 4;\n}\n",
		"D_PROTO_LEN",
		8,
		"v[ ] prototype mismatch: 1 key passed, 2 expected",
	);
	await refuses(
		"BEGIN\n{\n\tv[1] = 3;\n}\nEND\n{\n\tv[1, 2, 3] = 4;\n}\n",
		"D_PROTO_LEN",
		7,
		"v[ ] prototype mismatch: 3 keys passed, 1 expected",
	);
	await refuses(
		'BEGIN\n{\n\tw[9, "k"] = 1;\n}\nEND\n{\n\tw[9, 10] = 2;\n}\n',
		"D_PROTO_ARG",
		7,
		"w[ ] key #2 is incompatible with prototype:\n\tprototype: string\n\t      key: int",
	);
});

test("compound assignment and reassignment of another type: D_OP_INCOMPAT with both types", async () => {
	await refuses(
		'BEGIN\n{\n\ta = 1;\n\ta += "s";\n}\n',
		"D_OP_INCOMPAT",
		4,
		'operands have incompatible types: "int" += "string"',
	);
	await refuses(
		'BEGIN\n{\n\tb = "s";\n\tb -= 2;\n}\n',
		"D_OP_INCOMPAT",
		4,
		'operands have incompatible types: "string" -= "int"',
	);
	await refuses(
		'BEGIN\n{\n\tc = 1;\n}\nEND\n{\n\tc = "s";\n}\n',
		"D_OP_INCOMPAT",
		7,
		'operands have incompatible types: "int" = "string"',
	);
});

test("trace( ) of an aggregation or a void value; printf( ) of one (D_TRACE_DYN, D_TRACE_VOID, D_PRINTF_ARG_TYPE)", async () => {
	await refuses(
		"BEGIN\n{\n\t@n = count();\n\ttrace(@n);\n}\n",
		"D_TRACE_DYN",
		4,
		"trace( ) may not be applied to a dynamic expression",
	);
	await refuses(
		"BEGIN\n{\n\ttrace(exit(0));\n}\n",
		"D_TRACE_VOID",
		3,
		"trace( ) may not be applied to a void expression",
	);
	await refuses(
		'BEGIN\n{\n\t@n = count();\n\tprintf("%d %d", 1, @n);\n}\n',
		"D_PRINTF_ARG_TYPE",
		4,
		"printf( ) argument #3 is incompatible with conversion #2 prototype:\n\tconversion: %d\n\t prototype: char, short, int, long, or long long\n\t  argument: aggregation",
	);
	await refuses(
		'BEGIN\n{\n\tprintf("%s", trace(1));\n}\n',
		"D_PRINTF_ARG_TYPE",
		3,
		"printf( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: %s\n\t prototype: char [] or string (or use stringof)\n\t  argument: void",
	);
});

test("printa( ): key signatures of several aggregations, a stack key, a format without keys", async () => {
	await refuses(
		"BEGIN\n{\n\t@a = count();\n\t@b[1] = count();\n\tprinta(@a, @b);\n}\n",
		"D_PRINTA_AGGKEY",
		5,
		"printa( ): @a and @b do not have matching key signatures: @a has 0 keys, @b has 1 key",
	);
	await refuses(
		'BEGIN\n{\n\t@first[1] = sum(1);\n\t@second["k"] = sum(2);\n\tprinta("%d %@d %@d\\n", @first, @second);\n}\n',
		"D_PRINTA_AGGPROTO",
		5,
		"printa( ): @second[ ] key #1 is incompatible with @first:\n    first key #1: int\n   second key #1: string",
	);
	await refuses(
		'BEGIN\n{\n\t@[ustack()] = count();\n\tprinta("%p\\n", @);\n}\n',
		"D_PRINTF_ARG_TYPE",
		4,
		"printa( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: %p\n\t prototype: pointer or integer\n\t  argument: stack",
	);
	await refuses(
		'BEGIN\n{\n\t@ = count();\n\tprinta("%d\\n", @);\n}\n',
		"D_PRINTF_ARG_PROTO",
		4,
		"printa( ) prototype mismatch: conversion #1 (%d) is missing a corresponding value argument",
	);
	await refuses(
		'BEGIN\n{\n\tprinta("%d");\n}\n',
		"D_PRINTA_PROTO",
		3,
		"printa( ) prototype mismatch: 1 args passed, 2 expected",
	);
});

test("lquantize( ) and llquantize( ): one aggregation's parameters agree; llquantize( )'s rules", async () => {
	const two = (a: string, b: string) => `BEGIN\n{\n\t@ = ${a};\n\t@ = ${b};\n}\n`;
	await refuses(
		two("lquantize(0, 10, 20, 1)", "lquantize(0, 5, 20, 1)"),
		"D_LQUANT_MATCHBASE",
		4,
		"lquantize( ) base (argument #1) doesn't match previous declaration: expected 10, found 5",
	);
	await refuses(
		two("lquantize(0, 10, 20, 1)", "lquantize(0, 10, 30, 1)"),
		"D_LQUANT_MATCHLIM",
		4,
		"lquantize( ) limit (argument #2) doesn't match previous declaration: expected 20, found 30",
	);
	await refuses(
		two("lquantize(0, 10, 20, 1)", "lquantize(0, 10, 20, 5)"),
		"D_LQUANT_MATCHSTEP",
		4,
		"lquantize( ) step (argument #3) doesn't match previous declaration: expected 1, found 5",
	);
	await refuses(
		two("llquantize(0, 10, 0, 6, 20)", "llquantize(0, 100, 0, 6, 20)"),
		"D_LLQUANT_MATCHFACTOR",
		4,
		"llquantize() factor (argument #1) doesn't match previous declaration: expected 10, found 100",
	);
	await refuses(
		two("llquantize(0, 10, 0, 6, 20)", "llquantize(0, 10, 1, 6, 20)"),
		"D_LLQUANT_MATCHLMAG",
		4,
		"llquantize() lmag (argument #2) doesn't match previous declaration: expected 0, found 1",
	);
	await refuses(
		two("llquantize(0, 10, 0, 6, 20)", "llquantize(0, 10, 0, 4, 20)"),
		"D_LLQUANT_MATCHHMAG",
		4,
		"llquantize() hmag (argument #3) doesn't match previous declaration: expected 6, found 4",
	);
	const one = (a: string) => `BEGIN\n{\n\t@ = ${a};\n}\n`;
	await refuses(
		one("llquantize(1, 10, 0, 6, 4)"),
		"D_LLQUANT_STEPVAL",
		3,
		"llquantize() argument #4 (steps) must evenly divide argument #1 (factor) when steps<factor",
	);
	await refuses(
		one("llquantize(1, 10, 0, 6, 35)"),
		"D_LLQUANT_STEPVAL",
		3,
		"llquantize() argument #4 (steps) must be a multiple of argument #1 (factor) when steps>factor",
	);
	await refuses(
		one("llquantize(1, 10, 0, 6, 30)"),
		"D_LLQUANT_STEPVAL",
		3,
		"llquantize() argument #4 (steps) must evenly divide the square of argument #1 (factor) when steps>factor and lmag==0",
	);
	await refuses(
		one("llquantize(1, 10, 1, 6, 300)"),
		"D_LLQUANT_STEPVAL",
		3,
		"llquantize() argument #4 (steps) must evenly divide pow(argument #1 (factor), lmag (argument #2) + 1) when steps>factor and lmag>0",
	);
	await refuses(
		"BEGIN\n{\n\tf = 10;\n\t@ = llquantize(1, f, 0, 6, 20);\n}\n",
		"D_LLQUANT_FACTORTYPE",
		4,
		"llquantize( ) argument #1 must be an integer constant",
	);
	await refuses(
		one("llquantize(1, 10, 0, 40, 20)"),
		"D_LLQUANT_HMAGVAL",
		3,
		"llquantize( ) argument #3 (high magnitude) will cause overflow of 64 bits",
	);
	await refuses(
		one('quantize(1, "w")'),
		"D_PROTO_ARG",
		3,
		"quantize( ) increment value (argument #1) must be of scalar type",
	);
});

test("D_ACT_SPEC: a destructive action after speculate( ), before dtop says it does not support it", async () => {
	for (const action of ["chill(10)", "raise(9)", "stop()", "breakpoint()", "panic()"])
		await refuses(
			`BEGIN\n{\n\ts = speculation();\n\tspeculate(s);\n\tprintf("x");\n\t${action};\n}\n`,
			"D_ACT_SPEC",
			6,
			"destructive actions may not follow speculate( )",
		);
});

test("aggregations: a key that is no value, two lists of keys, a bare use, an action's argument", async () => {
	await refuses(
		"BEGIN\n{\n\t@a = count();\n\t@[@a] = count();\n}\n",
		"D_KEY_TYPE",
		4,
		"<DYN> expression may not be used as aggregation index: key #1",
	);
	await refuses(
		"BEGIN\n{\n\t@[1, trace(0)] = count();\n}\n",
		"D_KEY_TYPE",
		3,
		"void expression may not be used as aggregation index: key #2",
	);
	await refuses(
		"BEGIN\n{\n\t@[0][1] = count();\n}\n",
		"D_AGG_MDIM",
		3,
		"improper attempt to reference @ as a multi-dimensional array",
	);
	for (const [action, tag] of [
		["clear(count())", "D_CLEAR_AGGARG"],
		["trunc(x)", "D_TRUNC_AGGARG"],
		["normalize(count(), 4)", "D_NORMALIZE_AGGARG"],
		["denormalize(sum(1))", "D_NORMALIZE_AGGARG"],
	]) {
		const path = join(dir, `c${count++}.d`);
		writeFileSync(path, `BEGIN\n{\n\tx = 1;\n\t${action};\n}\n`);
		const r = await runDtop(["-xerrtags", "-s", path]);
		assert.match(r.stderr, new RegExp(`^dtop: failed to compile script ${path}: \\[${tag}\\] line 4: `), action);
		assert.equal(r.code, 1);
	}
	await refuses(
		"BEGIN\n{\n\tclear(3);\n}\n",
		"D_CLEAR_AGGARG",
		3,
		"clear( ) argument #1 is incompatible with prototype:\n\tprototype: aggregation\n\t argument: int",
	);
	const path = join(dir, `c${count++}.d`);
	writeFileSync(path, "BEGIN\n{\n\t@a = count();\n\t@a;\n}\n");
	const r = await runDtop(["-xerrtags", "-s", path]);
	assert.equal(
		r.stderr,
		`dtop: failed to compile script ${path}: [D_AGG_NULL] line 4: expression has null effect: @a\n`,
	);
	assert.equal(r.code, 1);
});

test("actions where a value is needed: ?:, unary minus", async () => {
	await refuses(
		"BEGIN\n{\n\ti = 1;\n\tx = i == 0 ? trace(0) : trace(1);\n}\n",
		"D_OP_ACT",
		4,
		"action cannot be used in a conditional context",
	);
	await refuses(
		'BEGIN\n{\n\ta = "s";\n\tc = a == "s" ? printf("e") : trace();\n}\n',
		"D_PROTO_LEN",
		4,
		"trace( ) prototype mismatch: 0 args passed, 1 expected",
	);
	await refuses(
		"BEGIN\n{\n\tp = 123 + -trace(0);\n}\n",
		"D_OP_ARITH",
		3,
		"operator - requires an operand of arithmetic type",
	);
});
