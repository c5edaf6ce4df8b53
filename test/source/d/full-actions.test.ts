// Actions, subroutines and aggregations in the full checker: prototypes, printf()
// and printa() formats, the aggregation actions, stack() constants, the parameters of
// lquantize()/llquantize(), weights, speculations' ordering rules, and what the checker
// reports per clause (the behaviour of DTrace's printf/, printa/, trace/, aggs/,
// speculation/, stack/, tracemem/ and funcs/ unit tests).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { check, DError, parseProgram } from "../../../source/d/index.ts";
import type { FullCheckedProgram } from "../../../source/d/scope.ts";
import { typeName } from "../../../source/d/types.ts";

function checked(text: string): FullCheckedProgram {
	return check(parseProgram(text, { language: "full" }), { language: "full" });
}

function rejects(text: string, code: string, message?: RegExp): void {
	let err: unknown;
	try {
		checked(text);
	} catch (e) {
		err = e;
	}
	assert.ok(err instanceof DError, `expected ${code} for ${text}, got ${String(err)}`);
	assert.equal(err.code, code, err.message);
	if (message) assert.match(err.message, message);
	assert.ok(err.line > 0, "the error has a line");
}

const ok = (text: string) => assert.ok(checked(text), text);

describe("printf()", () => {
	test("conversions accept the types DTrace's do", () => {
		ok(
			'BEGIN { printf("%d %i %u %x %X %o %c %s %p %a %A %Y %T %S %%", 1, 2u, 3, timestamp, 5, 6, 7, execname, arg0, caller, ucaller, walltimestamp, walltimestamp, "x"); }',
		);
		ok(
			'BEGIN { printf("%5d|%-5s|%05x|%+d|% d|%#x|%.3s|%*d|%.*s|%ld|%lu|%llx|%hd", 1, "a", 2, 3, 4, 5, "abc", 6, 7, 8, "abcd", 9l, 10ul, 11ull, (short)12); }',
		);
		ok('BEGIN { printf("%k", stack()); printf("literal only\\n"); }');
	});

	const errors: [string, string, RegExp?][] = [
		[
			'BEGIN { printf("%d"); }',
			"D_PRINTF_ARG_PROTO",
			/printf\( \) prototype mismatch: conversion #1 \(%d\) is missing a corresponding value argument/,
		],
		['BEGIN { printf("%d %d", 1, 2, 3); }', "D_PRINTF_ARG_EXTRA", /only 2 arguments required by this format string/],
		[
			'BEGIN { printf("%s", 1); }',
			"D_PRINTF_ARG_TYPE",
			/printf\( \) argument #2 is incompatible with conversion #1 prototype: conversion: %s/,
		],
		['BEGIN { printf("%d", "a"); }', "D_PRINTF_ARG_TYPE", /argument #2 is incompatible with conversion #1/],
		['BEGIN { printf("%d", printf("")); }', "D_PRINTF_ARG_TYPE", /argument: void/],
		['BEGIN { printf("%*d", "w", 1); }', "D_PRINTF_DYN_TYPE", /conversion: % \* d/],
		['BEGIN { printf("%.*d", "w", 1); }', "D_PRINTF_DYN_TYPE", /conversion: % \.\* d/],
		[
			'BEGIN { printf("%d %*d", 1); }',
			"D_PRINTF_DYN_PROTO",
			/conversion #2 \(%d\) is missing a corresponding "\*" argument/,
		],
		[
			'BEGIN { printf("%@d", 1); }',
			"D_PRINTF_AGG_CONV",
			/%@ conversion requires an aggregation and is not for use with printf\( \)/,
		],
		['BEGIN { printf("%1$d", 1); }', "D_SYNTAX", /format conversion #1 uses unsupported positional format \(%n\$\)/],
		['BEGIN { printf("%"); }', "D_SYNTAX", /format conversion #1 name expected before end of format string/],
		['BEGIN { printf("%Z", 1); }', "D_SYNTAX", /format conversion #1 is undefined: %Z/],
		['BEGIN { printf(""); }', "D_PRINTF_FMT_EMPTY", /printf\( \) format string is empty/],
		["BEGIN { printf(); }", "D_PROTO_LEN", /printf\( \) prototype mismatch: 0 args passed, at least 1 expected/],
		[
			"BEGIN { printf(1); }",
			"D_PROTO_ARG",
			/printf\( \) argument #1 is incompatible with prototype: prototype: string/,
		],
		['BEGIN { f = "%d"; printf(f, 1); }', "D_PRINTF_ARG_FMT", /prototype: string constant/],
		['BEGIN { printf("%f", 1); }', "D_PRINTF_ARG_TYPE"],
	];
	for (const [text, code, message] of errors) test(text, () => rejects(text, code, message));
});

describe("printa(), trace(), tracemem(), exit() and the aggregation actions", () => {
	test("printa with and without a format; the format reads the keys then %@", () => {
		ok(
			'BEGIN { @a[execname, pid] = count(); @b[execname, pid] = sum(1); printa(@a); printa("%s %d %@d\\n", @a); printa("%s %d %@d %@d\\n", @a, @b); }',
		);
	});

	const errors: [string, string, RegExp?][] = [
		["BEGIN { printa(@a); }", "D_PRINTA_AGGBAD", /undefined aggregation: @a/],
		[
			'BEGIN { @a = count(); printa("%d"); }',
			"D_PRINTA_PROTO",
			/printa\( \) prototype mismatch: 1 args passed, 2 expected/,
		],
		[
			'BEGIN { @a = count(); printa("%d", 1); }',
			"D_PRINTA_AGGARG",
			/argument #2 is incompatible with prototype: prototype: aggregation/,
		],
		["BEGIN { @a = count(); printa(1); }", "D_PRINTA_AGGARG", /argument #1/],
		[
			'BEGIN { @a[1] = count(); @b[1, 2] = count(); printa("%d", @a, @b); }',
			"D_PRINTA_AGGKEY",
			/@a and @b do not have matching key signatures/,
		],
		['BEGIN { @a[1] = count(); @b["s"] = count(); printa("%d", @a, @b); }', "D_PRINTA_AGGPROTO"],
		[
			'BEGIN { @a[stack()] = count(); printa("%p %@d", @a); }',
			"D_PRINTF_ARG_TYPE",
			/printa\( \) argument #2 is incompatible with conversion #1 prototype: conversion: %p/,
		],
		["BEGIN { trace(); }", "D_PROTO_LEN", /trace\( \) prototype mismatch: 0 args passed, 1 expected/],
		['BEGIN { trace(printf("x")); }', "D_TRACE_VOID", /trace\( \) may not be applied to a void expression/],
		["BEGIN { @a = count(); trace(@a); }", "D_TRACE_DYN"],
		['BEGIN { tracemem(123, "x"); }', "D_PROTO_ARG"],
		["BEGIN { tracemem(arg0, arg1); }", "D_TRACEMEM_SIZE"],
		['BEGIN { tracemem("x", 8); }', "D_TRACEMEM_ADDR"],
		[
			'BEGIN { exit("x"); }',
			"D_PROTO_ARG",
			/exit\( \) argument #1 is incompatible with prototype: prototype: int; argument: string/,
		],
		["BEGIN { clear(@a); }", "D_CLEAR_AGGBAD", /undefined aggregation: @a/],
		["BEGIN { clear(count()); }", "D_CLEAR_AGGARG"],
		["BEGIN { trunc(1); }", "D_TRUNC_AGGARG"],
		["BEGIN { @a = count(); trunc(@a, @a); }", "D_PROTO_ARG"],
		["BEGIN { @a = count(); normalize(@a); }", "D_PROTO_LEN"],
		['BEGIN { @a = count(); normalize(@a, "a"); }', "D_PROTO_ARG"],
		["BEGIN { normalize(1, 2); }", "D_NORMALIZE_AGGARG"],
		["BEGIN { denormalize(@x); }", "D_NORMALIZE_AGGBAD"],
		['BEGIN { stack("x"); }', "D_PROTO_ARG"],
		["BEGIN { stack(0); }", "D_STACK_SIZE", /stack\( \) argument #1 must be a non-zero positive integer constant/],
		["BEGIN { ustack(arg0); }", "D_USTACK_FRAMES"],
		["BEGIN { ustack(5, -1); }", "D_USTACK_STRSIZE"],
		['BEGIN { x = printf("a"); }', "D_CG_EXPR", /action printf\( \) may not be called from a D expression/],
		["BEGIN { avg(1); }", "D_CG_EXPR", /aggregating function avg\( \) may not be called from a D expression/],
	];
	for (const [text, code, message] of errors) test(text, () => rejects(text, code, message));

	test("actions that give values: stacks and symbols are aggregation keys and printf arguments", () => {
		ok(
			'profile-97 /arg1/ { @[execname, ufunc(arg1)] = count(); @s[ustack(), stack(3)] = count(); printf("%A %a %k\\n", uaddr(arg1), sym(arg0), ustack()); }',
		);
		ok("BEGIN { @[umod(arg1), mod(arg0), func(arg0), usym(arg1), kstack()] = count(); }");
	});
});

describe("subroutines", () => {
	const fine = [
		'BEGIN { trace(strlen("a") + index("ab", "b", 1) + rindex("ab", "a")); }',
		'BEGIN { trace(substr("abc", 1)); trace(substr("abc", 1, 1)); trace(strstr("a", "b")); trace(strchr("ab", \'b\')); }',
		'BEGIN { trace(strrchr("ab", 98)); trace(strtok("a,b", ",")); trace(strtok(NULL, ",")); trace(strlen(NULL)); }',
		'BEGIN { trace(basename("/a/b")); trace(dirname("/a/b")); trace(cleanpath("/a/../b")); trace(lltostr(-1)); }',
		'BEGIN { trace(toupper("a")); trace(tolower("A")); trace(strjoin(execname, "x")); }',
		"BEGIN { trace(copyinstr(arg0)); trace(copyinstr(arg0, 32)); trace(htons(1) + htonl(2) + htonll(3) + ntohs(4) + ntohl(5) + ntohll(6)); }",
		"BEGIN { trace(inet_ntop(AF_INET, (void *)arg0)); trace(inet_ntoa6((struct in6_addr *)arg0)); trace(rand()); trace(progenyof(1)); }",
		"BEGIN { copyinto(arg0, 8, (void *)arg1); trace(getmajor(1) + getminor(2)); }",
	];
	for (const t of fine) test(t, () => ok(t));

	const errors: [string, string, RegExp?][] = [
		[
			"BEGIN { trace(strlen(1)); }",
			"D_PROTO_ARG",
			/strlen\( \) argument #1 is incompatible with prototype: prototype: char \*; argument: int/,
		],
		['BEGIN { trace(strlen("a", "b")); }', "D_PROTO_LEN", /strlen\( \) prototype mismatch: 2 args passed, 1 expected/],
		['BEGIN { trace(substr("a")); }', "D_PROTO_LEN", /at least 2 expected/],
		['BEGIN { trace(substr("a", 1, 2, 3)); }', "D_PROTO_LEN", /at most 3 expected/],
		['BEGIN { trace(index("a")); }', "D_PROTO_LEN"],
		['BEGIN { trace(progenyof("a")); }', "D_PROTO_ARG"],
		["BEGIN { trace(progenyof(trace(1))); }", "D_PROTO_ARG"],
		["BEGIN { trace(inet_ntoa(arg0)); }", "D_PROTO_ARG", /prototype: ipaddr_t \*/],
		["BEGIN { copyinto(arg0, 8, 1); }", "D_PROTO_ARG"],
		["BEGIN { trace(nosuch(1)); }", "D_FUNC_UNDEF", /undefined function name: nosuch/],
		['BEGIN { trace(strln("a")); }', "D_FUNC_UNDEF", /did you mean strlen\(\)\?/],
		["BEGIN { trace(pid(1)); }", "D_SYNTAX"],
	];
	for (const [text, code, message] of errors) test(text, () => rejects(text, code, message));
});

describe("aggregations", () => {
	test("functions, keys and what the checker records", () => {
		const c = checked(
			"BEGIN { @c[execname] = count(); @s = sum(arg0); @a = avg(1); @mn = min(1); @mx = max(1); @sd = stddev(1); @q = quantize(arg0); @qw = quantize(arg0, 3); @l = lquantize(arg0, -10, 10, 2); @lw = lquantize(arg0, 0, 10, 1, arg1); @ll = llquantize(arg0, 10, 0, 6, 20); @llw = llquantize(arg0, 10, 0, 6, 20, 2); }",
		);
		const a = (n: string) => c.aggregations.get(n)!;
		assert.deepEqual(a("c").keys.map(typeName), ["string"]);
		assert.equal(a("c").valueType, null);
		assert.equal(typeName(a("s").valueType!), "int64_t");
		assert.deepEqual(
			[a("q").weighted, a("qw").weighted, a("lw").weighted, a("llw").weighted],
			[false, true, true, true],
		);
		assert.deepEqual(a("l").params, { kind: "lquantize", base: -10, limit: 10, step: 2, levels: 10 });
		assert.deepEqual(a("ll").params, { kind: "llquantize", factor: 10, low: 0, high: 6, steps: 20 });
	});

	const errors: [string, string, RegExp?][] = [
		["BEGIN { @a = count(1); }", "D_PROTO_LEN", /count\( \) prototype mismatch: 1 arg passed, 0 expected/],
		["BEGIN { @a = sum(); }", "D_PROTO_LEN"],
		["BEGIN { @a = quantize(1, 2, 3); }", "D_PROTO_LEN", /at most 2 expected/],
		['BEGIN { @a = min("a"); }', "D_AGG_SCALAR", /min\( \) argument #1 must be of scalar type, not string/],
		["BEGIN { @a = avg(execname); }", "D_AGG_SCALAR"],
		['BEGIN { @a = quantize(1, "w"); }', "D_PROTO_ARG", /increment value \(argument #1\) must be of scalar type/],
		[
			"BEGIN { @a = count(); @a = sum(1); }",
			"D_AGG_REDEF",
			/aggregation redefined: @a; current: @a = sum\( \); previous: @a = count\( \) : line 1/,
		],
		[
			"BEGIN { @a[1] = count(); @a = count(); }",
			"D_PROTO_LEN",
			/@a\[ \] prototype mismatch: 0 keys passed, 1 expected/,
		],
		[
			'BEGIN { @a[1] = count(); @a["s"] = count(); }',
			"D_PROTO_ARG",
			/@a\[ \] key #1 is incompatible with prototype: prototype: int; key: string/,
		],
		[
			"BEGIN { @a = count(); @[@a] = count(); }",
			"D_KEY_TYPE",
			/<DYN> expression may not be used as aggregation index: key #1/,
		],
		["BEGIN { @[trace(1)] = count(); }", "D_KEY_TYPE", /void expression/],
		["BEGIN { @a = 1; }", "D_AGG_FUNC", /@a must be assigned the result of an aggregating function/],
		['BEGIN { @a = strlen("x"); }', "D_AGG_FUNC"],
		["BEGIN { @ = f(); }", "D_FUNC_UNDEF", /undefined function name: f/],
		["BEGIN { @a; }", "D_IDENT_UNDEF", /failed to resolve @a/],
		["BEGIN { @a = count(); @a; }", "D_AGG_NULL"],
		["BEGIN { @a[1]; }", "D_AGG_NULL"],
		["BEGIN { @[0][1] = count(); }", "D_AGG_MDIM", /improper attempt to reference @ as a multi-dimensional array/],
		["BEGIN { @a = count(); trace(@a + 3); }", "D_OP_INCOMPAT", /"<DYN>" \+ "int"/],
		["BEGIN { @ = lquantize(1, x, 10); }", "D_IDENT_UNDEF"],
		[
			"BEGIN { x = 1; @ = lquantize(1, x, 10); }",
			"D_LQUANT_BASETYPE",
			/lquantize\( \) argument #1 must be an integer constant/,
		],
		["BEGIN { @ = lquantize(1, 0x80000000, 10); }", "D_LQUANT_BASEVAL", /argument #1 must be a 32-bit quantity/],
		["BEGIN { @ = lquantize(1, 0, arg0); }", "D_LQUANT_LIMTYPE"],
		["BEGIN { @ = lquantize(1, 0, 0x80000000); }", "D_LQUANT_LIMVAL"],
		[
			"BEGIN { @ = lquantize(1, 10, 10); }",
			"D_LQUANT_MISMATCH",
			/base \(argument #1\) must be less than limit \(argument #2\)/,
		],
		["BEGIN { @ = lquantize(1, 0, 10, 0); }", "D_LQUANT_STEPTYPE"],
		["BEGIN { @ = lquantize(1, 0, 100000, 65536); }", "D_LQUANT_STEPVAL"],
		["BEGIN { @ = lquantize(1, 0, 10, 20); }", "D_LQUANT_STEPLARGE"],
		["BEGIN { @ = lquantize(1, -1000000, 1000000); }", "D_LQUANT_STEPSMALL"],
		["BEGIN { @ = lquantize(1, 0, 10); @ = lquantize(1, 1, 10); }", "D_LQUANT_MATCHBASE", /expected 0, found 1/],
		["BEGIN { @ = lquantize(1, 0, 10); @ = lquantize(1, 0, 20); }", "D_LQUANT_MATCHLIM"],
		["BEGIN { @ = lquantize(1, 0, 10, 1); @ = lquantize(1, 0, 10, 2); }", "D_LQUANT_MATCHSTEP"],
		["BEGIN { @ = llquantize(1, arg0, 0, 6, 20); }", "D_LLQUANT_FACTORTYPE"],
		["BEGIN { @ = llquantize(1, 1, 0, 6, 20); }", "D_LLQUANT_FACTORVAL"],
		["BEGIN { @ = llquantize(1, 10, -1, 6, 20); }", "D_LLQUANT_LMAGVAL"],
		["BEGIN { @ = llquantize(1, 10, 0, arg0, 20); }", "D_LLQUANT_HMAGTYPE"],
		["BEGIN { @ = llquantize(1, 10, 6, 2, 20); }", "D_LLQUANT_HMAGVAL", /must be at least argument #2/],
		["BEGIN { @ = llquantize(1, 10, 0, 20, 20); }", "D_LLQUANT_HMAGVAL", /overflow of 64 bits/],
		["BEGIN { @ = llquantize(1, 10, 0, 6, 0); }", "D_LLQUANT_STEPTYPE"],
		["BEGIN { @ = llquantize(1, 10, 0, 6, 3); }", "D_LLQUANT_STEPVAL", /must evenly divide argument #1/],
		["BEGIN { @ = llquantize(1, 10, 0, 6, 25); }", "D_LLQUANT_STEPVAL", /must be a multiple of argument #1/],
		["BEGIN { @ = llquantize(1, 10, 0, 6, 20); @ = llquantize(1, 10, 1, 6, 20); }", "D_LLQUANT_MATCHLMAG"],
		["BEGIN { @ = llquantize(1, 10, 0, 6, 20, 1, 2); }", "D_PROTO_LEN", /at most 6 expected/],
	];
	for (const [text, code, message] of errors) test(text, () => rejects(text, code, message));
});

describe("speculations", () => {
	test("speculation(), speculate(), commit(), discard() in their places", () => {
		ok(
			'BEGIN { self->spec = speculation(); } tick-1 { speculate(self->spec); printf("%d", 1); } tick-2 { commit(self->spec); } tick-3 { discard(self->spec); }',
		);
		const c = checked("BEGIN { speculate(1); trace(1); }");
		assert.equal(c.clauses[0]!.speculative, true);
	});

	const errors: [string, string, RegExp?][] = [
		["BEGIN { speculate(); }", "D_PROTO_LEN", /speculate\( \) prototype mismatch: 0 args passed, 1 expected/],
		["BEGIN { trace(1); speculate(1); }", "D_SPEC_DREC", /speculate\( \) may not follow data-recording action\(s\)/],
		["BEGIN { speculate(1); speculate(1); }", "D_SPEC_SPEC"],
		["BEGIN { commit(1); speculate(1); }", "D_SPEC_COMM"],
		['BEGIN { printf("x"); commit(1); }', "D_COMM_DREC"],
		["BEGIN { @a = count(); commit(1); }", "D_COMM_DREC"],
		["BEGIN { commit(1); trace(1); }", "D_DREC_COMM", /data-recording actions may not follow commit\( \)/],
		["BEGIN { commit(1); exit(0); }", "D_DREC_COMM"],
		["BEGIN { commit(1); @a = count(); }", "D_AGG_COMM"],
		["BEGIN { speculate(1); @a = count(); }", "D_AGG_SPEC"],
		["BEGIN { speculate(1); exit(0); }", "D_EXIT_SPEC", /exit\( \) may not follow speculate\( \)/],
		["BEGIN { speculate(1); raise(9); }", "D_ACT_SPEC", /destructive actions may not follow speculate\( \)/],
		["BEGIN { speculate(1); stop(); }", "D_ACT_SPEC"],
	];
	for (const [text, code, message] of errors) test(text, () => rejects(text, code, message));
});

describe("what each clause does", () => {
	test("default action, data, destructive actions, names read and written", () => {
		const c = checked(
			'int a[int]; BEGIN {} syscall::read:entry /pid == 1/ { self->ts = timestamp; g = a[1]; } syscall::read:return /self->ts/ { printf("%d", timestamp - self->ts); a[1] = 2; } END { raise(9); }',
		);
		assert.deepEqual(
			c.clauses.map((f) => [f.defaultAction, f.records, f.destructive]),
			[
				[true, false, false],
				[false, false, false],
				[false, true, false],
				[false, true, true],
			],
		);
		const f = c.clauses[1]!;
		assert.deepEqual([...f.builtins].sort(), ["pid", "timestamp"]);
		assert.deepEqual([...f.writes.self], ["ts"]);
		assert.deepEqual([...f.writes.global], ["g"]);
		assert.deepEqual([...f.reads.global], ["a"]);
		assert.deepEqual([...c.clauses[2]!.functions], ["printf"]);
	});
});
