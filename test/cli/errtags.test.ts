// Compile errors as dtrace(1) prints them, the way DTrace's err.D_TAG.*.d tests read
// them: `failed to compile script FILE: [D_TAG] line N: message` for -s,
// `invalid probe specifier CLAUSE: [D_TAG] line N: message` for -n, the [D_TAG] only
// with -x errtags (or #pragma D option errtags), the line within that script or -n
// argument, DTrace's words, and exit status 1. Every program here fails to compile, so
// nothing is loaded into the kernel.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "dtop-errtags-"));
function script(name: string, text: string): string {
	const path = join(dir, name);
	writeFileSync(path, text);
	return path;
}

async function fails(args: string[], stderr: string): Promise<void> {
	const r = await runDtop(args);
	assert.equal(r.stderr, stderr);
	assert.equal(r.code, 1, `exit status of dtop ${args.join(" ")}`);
	assert.equal(r.stdout, "");
}

test("-s with -xerrtags: the script's name, [D_SYNTAX], the line within the script, DTrace's words", async () => {
	const p = script("syntax.d", "/* a comment */\n\nBEGIN\n{\n\tx = 1 + ;\n}\n");
	await fails(
		["-xerrtags", "-s", p],
		`dtop: failed to compile script ${p}: [D_SYNTAX] line 5: syntax error near ";"\n`,
	);
	await fails(
		["-x", "errtags", "-s", p],
		`dtop: failed to compile script ${p}: [D_SYNTAX] line 5: syntax error near ";"\n`,
	);
});

test("without errtags the tag is left out", async () => {
	const p = script("untagged.d", 'BEGIN\n{\n\ty = 2 ^ "s";\n}\n');
	await fails(
		["-s", p],
		`dtop: failed to compile script ${p}: line 3: operator ^ requires operands of integral type\n`,
	);
});

test("#pragma D option errtags in the script turns the tags on, even when the script does not parse", async () => {
	const p = script("pragma.d", "#pragma D option errtags\nBEGIN\n{\n\tz = ;\n}\n");
	await fails(["-s", p], `dtop: failed to compile script ${p}: [D_SYNTAX] line 4: syntax error near ";"\n`);
	const q = script("pragma2.d", '#pragma D option errtags\nBEGIN { k = ~"x"; }\n');
	await fails(
		["-s", q],
		`dtop: failed to compile script ${q}: [D_OP_INT] line 2: operator ~ requires an operand of integral type\n`,
	);
});

test("-n: 'invalid probe specifier', the clause as given, line 1 of that clause", async () => {
	await fails(
		["-xerrtags", "-n", 'BEGIN { v = 7 << "q"; }'],
		'dtop: invalid probe specifier BEGIN { v = 7 << "q"; }: [D_OP_INT] line 1: operator << requires operands of integral type\n',
	);
	// The second -n is the one at fault; its lines count from 1.
	await fails(
		["-xerrtags", "-n", "BEGIN { a = 1; }", "-n", "END\n{\n\tb = a + nosuch;\n}"],
		"dtop: invalid probe specifier END\n{\n\tb = a + nosuch;\n}: [D_IDENT_UNDEF] line 3: failed to resolve nosuch: Unknown variable name\n",
	);
});

test("-s and -n together: an error in the -n clause names the clause, not the script", async () => {
	const p = script("fine.d", "BEGIN\n{\n\tc = 1;\n}\n");
	await fails(
		["-xerrtags", "-s", p, "-n", "END { d = c ? 1 : ; }"],
		'dtop: invalid probe specifier END { d = c ? 1 : ; }: [D_SYNTAX] line 1: syntax error near ";"\n',
	);
});

test("prototype mismatches are laid out on lines as DTrace does", async () => {
	await fails(
		["-xerrtags", "-n", 'BEGIN { exit("bye"); }'],
		'dtop: invalid probe specifier BEGIN { exit("bye"); }: [D_PROTO_ARG] line 1: exit( ) argument #1 is incompatible with prototype:\n\tprototype: int\n\t argument: string\n',
	);
	await fails(
		["-xerrtags", "-n", 'BEGIN { printf("%*d\\n", "w", 3); }'],
		'dtop: invalid probe specifier BEGIN { printf("%*d\\n", "w", 3); }: [D_PRINTF_DYN_TYPE] line 1: printf( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: % * d\n\t prototype: int\n\t  argument: string\n',
	);
});

test("each error site carries DTrace's tag", async () => {
	const cases: [string, string, string][] = [
		[
			"BEGIN { @a; }",
			"D_IDENT_UNDEF",
			"@a must be assigned the result of an aggregating function, such as @a = count()",
		],
		["BEGIN { @a[1]; }", "D_AGG_NULL", "expression has null effect: @a"],
		["BEGIN { @n = sum(); }", "D_PROTO_LEN", "sum( ) prototype mismatch: 0 args passed, 1 expected"],
		['BEGIN { @n = max("m"); }', "D_AGG_SCALAR", "max() argument #1 must be an integer, not a string"],
		["BEGIN { @n = nofunc(1); }", "D_FUNC_UNDEF", ""],
		["BEGIN { @n = count(); trace(@n + 1); }", "D_OP_INCOMPAT", ""],
		['BEGIN { e = "s" ? 1 : 2; }', "D_OP_SCALAR", "operator ?: expression must be of scalar type"],
		["BEGIN { f = 5 / 0; }", "D_DIV_ZERO", "expression contains division by zero"],
		['BEGIN { g = "s" * 2; }', "D_OP_ARITH", "operator * requires operands of arithmetic type"],
		['BEGIN { h = "s" && 1; }', "D_OP_SCALAR", "operator && requires operands of scalar type"],
		['BEGIN { printf("%d %d\\n", 1); }', "D_PRINTF_ARG_PROTO", ""],
		["BEGIN { i = count(); }", "D_AGG_FUNC", ""],
		["BEGIN { @t = trace(1); }", "D_AGG_FUNC", ""],
		["BEGIN { @r = count(); } END { @r = max(1); }", "D_AGG_REDEF", ""],
		[
			"BEGIN { printf(12); }",
			"D_PROTO_ARG",
			"printf( ) argument #1 is incompatible with prototype:\n\tprototype: string\n\t argument: int",
		],
		[
			"BEGIN { printf(probefunc); }",
			"D_PRINTF_ARG_FMT",
			"printf( ) argument #1 is incompatible with prototype:\n\tprototype: string constant\n\t argument: string",
		],
		["BEGIN { printf(); }", "D_PROTO_LEN", "printf( ) prototype mismatch: 0 args passed, at least 1 expected"],
		["BEGIN { s = substr(); }", "D_PROTO_LEN", "substr( ) prototype mismatch: 0 args passed, at least 2 expected"],
		[
			'BEGIN { s = substr("abc", 1, 2, 3); }',
			"D_PROTO_LEN",
			"substr( ) prototype mismatch: 4 args passed, at most 3 expected",
		],
		[
			'BEGIN { s = substr(probename, "b"); }',
			"D_PROTO_ARG",
			"substr( ) argument #2 is incompatible with prototype:\n\tprototype: int\n\t argument: string",
		],
		[
			'BEGIN { @c = count(); printa("%@d", 5); }',
			"D_PRINTA_AGGARG",
			"printa( ) argument #2 is incompatible with prototype:\n\tprototype: aggregation\n\t argument: int",
		],
		[
			"BEGIN { @c = count(); trunc(); }",
			"D_PROTO_LEN",
			"trunc( ) prototype mismatch: 0 args passed, at least 1 expected",
		],
		["BEGIN { @l = lquantize(1, 10, 5); }", "D_LQUANT_MISMATCH", ""],
		["BEGIN { @l = lquantize(1, 0, 10, -2); }", "D_LQUANT_STEPTYPE", ""],
		["BEGIN { @l = lquantize(1, 0, 5000000000); }", "D_LQUANT_LIMVAL", ""],
	];
	for (const [clause, tag, words] of cases) {
		const r = await runDtop(["-xerrtags", "-n", clause]);
		assert.equal(r.code, 1, clause);
		const head = `dtop: invalid probe specifier ${clause}: [${tag}] line 1: `;
		assert.ok(r.stderr.startsWith(head), `${clause}: ${r.stderr}`);
		if (words) assert.equal(r.stderr, `${head}${words}\n`);
	}
});

test("a call is checked against its prototype before dtop says it does not support the function", async () => {
	await fails(
		["-xerrtags", "-n", 'BEGIN { setopt("one", "two", "three"); }'],
		'dtop: invalid probe specifier BEGIN { setopt("one", "two", "three"); }: [D_PROTO_LEN] line 1: setopt( ) prototype mismatch: 3 args passed, at most 2 expected\n',
	);
	await fails(
		["-xerrtags", "-n", "BEGIN { chill(); }"],
		"dtop: invalid probe specifier BEGIN { chill(); }: [D_PROTO_LEN] line 1: chill( ) prototype mismatch: 0 args passed, 1 expected\n",
	);
	await fails(
		["-xerrtags", "-n", "BEGIN\n{\n\tcopyinstr();\n}"],
		"dtop: invalid probe specifier BEGIN\n{\n\tcopyinstr();\n}: [D_PROTO_LEN] line 3: copyinstr( ) prototype mismatch: 0 args passed, at least 1 expected\n",
	);
	await fails(
		["-xerrtags", "-n", 'BEGIN { p = copyin("here", 4); }'],
		'dtop: invalid probe specifier BEGIN { p = copyin("here", 4); }: [D_PROTO_ARG] line 1: copyin( ) argument #1 is incompatible with prototype:\n\tprototype: uintptr_t\n\t argument: string\n',
	);
	// An action's result is void, which no prototype but trace's `@` takes; a pointer is not an integer.
	await fails(
		["-xerrtags", "-n", "BEGIN { print(1); }"],
		"dtop: invalid probe specifier BEGIN { print(1); }: [D_PROTO_ARG] line 1: print( ) argument #1 is incompatible with prototype:\n\tprototype: void *\n\t argument: int\n",
	);
	await fails(
		["-xerrtags", "-n", "BEGIN { n = progenyof(trace(2)); }"],
		"dtop: invalid probe specifier BEGIN { n = progenyof(trace(2)); }: [D_PROTO_ARG] line 1: progenyof( ) argument #1 is incompatible with prototype:\n\tprototype: pid_t\n\t argument: void\n",
	);
	// Well-formed, but not compiled by dtop: its own tag, never a DTrace one.
	await fails(
		["-xerrtags", "-n", "BEGIN { chill(10); }"],
		"dtop: invalid probe specifier BEGIN { chill(10); }: [DTOP_UNSUPPORTED] line 1: 'chill' is not supported\n",
	);
});

test("an empty program is D_EMPTY; a bad -x errtags value is refused", async () => {
	const p = script("empty.d", "/* nothing here */\n");
	const r = await runDtop(["-xerrtags", "-s", p]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, new RegExp(`^dtop: failed to compile script ${p}: \\[D_EMPTY\\] line \\d+: `));
	const bad = await runDtop(["-xerrtags=yes", "-n", "BEGIN { exit(0); }"]);
	assert.notEqual(bad.code, 0);
	assert.match(bad.stderr, /errtags/);
});
