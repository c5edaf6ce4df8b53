// Syntax errors in DTrace's words (D_SYNTAX), from scripts: a closer nothing opened,
// an unclosed one in a predicate, a declaration inside a clause, a probe description
// with neither predicate nor body in a script file, a number run into a macro.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "dtop-errtags-syntax-"));
let count = 0;

async function refuses(text: string, line: number, words: string, tag = "D_SYNTAX"): Promise<void> {
	const path = join(dir, `s${count++}.d`);
	writeFileSync(path, text);
	const r = await runDtop(["-xerrtags", "-s", path]);
	assert.equal(r.stderr, `dtop: failed to compile script ${path}: [${tag}] line ${line}: ${words}\n`, text);
	assert.equal(r.code, 1, text);
}

test("a ) or ] that nothing opened is extra in the input stream", async () => {
	await refuses("BEGIN\n{\n\ttrace(arg0));\n}\n", 3, "extra ) in input stream");
	await refuses("BEGIN\n{\n\tx[1] = 2;\n\ttrace(x[1]]);\n}\n", 4, "extra ] in input stream");
	await refuses('BEGIN\n{\n\tprintf(")");\n\ty = 1);\n}\n', 4, "extra ) in input stream");
	// One that something opened is the grammar's error.
	await refuses("BEGIN\n{\n\ttrace(1 + );\n}\n", 3, 'syntax error near ")"');
});

test("a predicate that ends with a ( or [ open", async () => {
	await refuses("BEGIN\n/timestamp > (1/\n{\n\texit(0);\n}\n", 2, "closing ) expected in predicate before /");
	await refuses("BEGIN\n/x[1/\n{\n\texit(0);\n}\n", 2, "closing ] expected in predicate before /");
});

test("a declaration inside a clause's body", async () => {
	await refuses("BEGIN\n{\n\tint i = 0;\n}\n", 3, 'syntax error near "int"');
	await refuses("BEGIN\n{\n\ttypedef int myint;\n}\n", 3, 'syntax error near "typedef"');
	await refuses('BEGIN\n{\n\tx = 1;\n\tstring s = "a";\n}\n', 4, 'syntax error near "string"');
});

test("in a script, a probe description needs a predicate or actions", async () => {
	const words = "expected predicate and/or actions following probe description";
	await refuses("#pragma D option quiet\n\nprofile-97\nint i;\n{\n\texit(0);\n}\n", 3, words);
	await refuses("BEGIN\n\texit(0);\n}\n", 1, words);
	await refuses("\nsomething VALUE 5\n\nBEGIN\n{\n\texit(0);\n}\n", 2, words);
	// With -n a bare description is a clause (DTrace's default action).
	const r = await runDtop(["-q", "-n", "BEGIN", "-n", "BEGIN { exit(0); }"]);
	assert.equal(r.code, 0, r.stderr);
});

test("a number run into a macro variable is two tokens", async () => {
	await refuses("BEGIN\n{\n\ti = 123$pid;\n\texit(0);\n}\n", 3, 'syntax error near "$pid"');
	await refuses("BEGIN\n/i == 7$ppid/\n{\n\texit(0);\n}\n", 2, 'syntax error near "$ppid"');
});

test("a variable declared again with another type is D_DECL_IDRED; the same declaration twice is fine", async () => {
	await refuses("int x;\nchar x;\nBEGIN\n{\n\tx = 1;\n}\n", 2, "identifier redeclared: x", "D_DECL_IDRED");
	await refuses(
		"self int y;\n\nself string y;\nBEGIN\n{\n\tself->y = 1;\n}\n",
		3,
		"identifier redeclared: y",
		"D_DECL_IDRED",
	);
	const path = join(dir, "twice.d");
	writeFileSync(path, 'int z;\nint z;\nBEGIN\n{\n\tz = 2;\n\tprintf("%d\\n", z);\n\texit(0);\n}\n');
	const r = await runDtop(["-q", "-s", path]);
	assert.match(r.stdout, /^2\n/, r.stderr);
	assert.equal(r.code, 0);
});

test("inlines: redefined, defined by themselves, given a constant of another type", async () => {
	await refuses(
		"inline int one = 1;\n\ninline int one = 2;\nBEGIN\n{\n\texit(0);\n}\n",
		3,
		"identifier redefined: one\n\t current: inline definition\n\tprevious: scalar inline",
		"D_DECL_IDRED",
	);
	await refuses(
		"inline int strlen = 7;\n",
		1,
		"identifier redefined: strlen\n\t current: inline definition\n\tprevious: function ",
		"D_DECL_IDRED",
	);
	await refuses("\ninline int me = me * 2;\n", 2, "failed to resolve me: Unknown variable name", "D_IDENT_UNDEF");
	await refuses(
		'inline int n = "text";\n',
		1,
		'inline n definition uses incompatible types: "int" = "string"',
		"D_OP_INCOMPAT",
	);
});

test("assigning a built-in variable or a value (D_OP_WRITE, D_OP_LVAL)", async () => {
	await refuses("BEGIN\n{\n\tpid = 1;\n}\n", 3, "operator = can only be applied to a writable variable", "D_OP_WRITE");
	await refuses(
		"BEGIN\n{\n\ttimestamp += 1;\n}\n",
		3,
		"operator += can only be applied to a writable variable",
		"D_OP_WRITE",
	);
	await refuses("BEGIN\n{\n\t$pid++;\n}\n", 3, "operator ++ requires modifiable lvalue as an operand", "D_OP_LVAL");
});
