// D's format strings as DTrace parses and checks them (libdtrace's
// dt_printf_create and dt_printf_validate). Expected messages are those of
// DTrace's own tests in test/unittest/printf and printa (err.*.r).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	type ArgType,
	acceptsArg,
	CONVERSIONS,
	checkPrintfArgs,
	PrintfArgError,
	PrintfFormatError,
	parseFormat,
} from "../../../source/output/printf-format.ts";

const int: ArgType = { kind: "int", size: 4, signed: true };
const str: ArgType = { kind: "string" };

function formatError(fmt: string): string {
	try {
		parseFormat(fmt);
	} catch (e) {
		assert.ok(e instanceof PrintfFormatError);
		assert.equal(e.code, "D_SYNTAX");
		return e.message;
	}
	return "";
}

function argError(fmt: string, args: ArgType[], o: Parameters<typeof checkPrintfArgs>[2] = { func: "printf" }) {
	try {
		checkPrintfArgs(parseFormat(fmt), args, o);
	} catch (e) {
		assert.ok(e instanceof PrintfArgError);
		return `[${e.code}] ${e.message}`;
	}
	return "";
}

test("a format splits into literal prefixes, conversions with their flags, and a suffix", () => {
	const p = parseFormat("pid %-8d %s: %05.2x%%tail");
	assert.deepEqual(
		p.conversions.map((c) => [c.index, c.prefix, c.name, c.left, c.zero, c.width, c.precision]),
		[
			[1, "pid ", "d", true, false, 8, 0],
			[2, " ", "s", false, false, 0, 0],
			[3, ": ", "x", false, true, 5, 2],
			[4, "", "%", false, false, 0, 0],
		],
	);
	assert.equal(p.suffix, "tail");
	// In DTrace's parser a '0' flag after '-' clears the '-' (C's printf would left-justify).
	assert.equal(parseFormat("%-05d").conversions[0].zero, true);
	assert.equal(parseFormat("%-05d").conversions[0].left, false);
	assert.equal(parseFormat("%0-5d").conversions[0].left, true);
	assert.equal(parseFormat("%?d").conversions[0].width, 16);
	assert.equal(parseFormat("%*.*s").conversions[0].dynWidth, true);
	assert.equal(parseFormat("%@d").conversions[0].agg, true);
	assert.equal(parseFormat("%'d").conversions[0].group, true);
});

test("size prefixes name DTrace's conversions: %hd %ld %lld exist, %hhd does not", () => {
	for (const n of [
		"hd",
		"hi",
		"ho",
		"hu",
		"hx",
		"hX",
		"ld",
		"li",
		"lo",
		"lu",
		"lx",
		"lX",
		"lld",
		"llu",
		"llx",
		"lc",
		"ls",
		"Le",
	])
		assert.equal(parseFormat(`%${n}`).conversions[0].name, n);
	// DTrace has no %hhd (its dictionary has no "hh" entries).
	assert.equal(formatError("%hhd"), "format conversion #1 is undefined: %hhd");
	assert.equal(formatError("%1$d"), "format conversion #1 uses unsupported positional format (%n$)");
});

test("format syntax errors are DTrace's (printf/err.D_SYNTAX.*)", () => {
	assert.equal(formatError("%3$d"), "format conversion #1 uses unsupported positional format (%n$)");
	assert.equal(formatError("%3"), "format conversion #1 name expected before end of format string");
	assert.equal(formatError("%Z"), "format conversion #1 is undefined: %Z");
	assert.equal(formatError("%d %5%"), "format conversion #2 cannot be combined with other format flags: %%");
	assert.equal(formatError("%1.2.3d"), "format conversion #1 has more than one '.' specified");
	assert.equal(formatError("%**d"), "format conversion #1 has more than one '*' specified for the output width");
});

test("every conversion of DTrace's table is there, with the argument class it takes", () => {
	const names = Object.keys(CONVERSIONS).sort();
	assert.equal(names.length, 49);
	assert.equal(CONVERSIONS.a.cls, "kaddr");
	assert.equal(CONVERSIONS.A.cls, "uaddr");
	assert.equal(CONVERSIONS.k.cls, "stack");
	assert.equal(CONVERSIONS.Y.cls, "time");
	assert.equal(CONVERSIONS.S.cls, "escaped");
	assert.equal(CONVERSIONS.p.ofmt, "x");
});

test("argument checks give DTrace's D_PRINTF_* errors (printf/err.*, printa/err.*)", () => {
	assert.equal(
		argError("hello %@d", [int]),
		"[D_PRINTF_AGG_CONV] %@ conversion requires an aggregation and is not for use with printf( )",
	);
	assert.equal(
		argError("x = %d y = %d\n", [int, int, int]),
		"[D_PRINTF_ARG_EXTRA] printf( ) prototype mismatch: only 2 arguments required by this format string",
	);
	assert.equal(
		argError("%?d\n", [int, int]),
		"[D_PRINTF_ARG_EXTRA] printf( ) prototype mismatch: only 1 arguments required by this format string",
	);
	assert.equal(
		argError("%s", []),
		"[D_PRINTF_ARG_PROTO] printf( ) prototype mismatch: conversion #1 (%s) is missing a corresponding value argument",
	);
	assert.equal(
		argError("hello %d %d", [int, { kind: "aggregation" }]),
		"[D_PRINTF_ARG_TYPE] printf( ) argument #3 is incompatible with conversion #2 prototype:\n\tconversion: %d\n\t prototype: char, short, int, long, or long long\n\t  argument: aggregation",
	);
	assert.equal(
		argError("%s\n", [{ kind: "void" }]),
		"[D_PRINTF_ARG_TYPE] printf( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: %s\n\t prototype: char [] or string (or use stringof)\n\t  argument: void",
	);
	assert.equal(
		argError("%s %.*d\n", [str]),
		'[D_PRINTF_DYN_PROTO] printf( ) prototype mismatch: conversion #2 (%d) is missing a corresponding ".*" argument',
	);
	assert.equal(
		argError("%s %*d\n", [str]),
		'[D_PRINTF_DYN_PROTO] printf( ) prototype mismatch: conversion #2 (%d) is missing a corresponding "*" argument',
	);
	assert.equal(
		argError("%*d\n", [str, int]),
		"[D_PRINTF_DYN_TYPE] printf( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: % * d\n\t prototype: int\n\t  argument: string",
	);
	assert.equal(
		argError("%p\n", [{ kind: "stack" }], { func: "printa", aggregation: { fn: "count" } }),
		"[D_PRINTF_ARG_TYPE] printa( ) argument #2 is incompatible with conversion #1 prototype:\n\tconversion: %p\n\t prototype: pointer or integer\n\t  argument: stack",
	);
	assert.equal(argError("", [], { func: "printf" }), "[D_PRINTF_FMT_EMPTY] printf( ) format string is empty");
});

test("printa: keys are the arguments, fewer conversions than keys is fine, %@ takes the value's type", () => {
	const agg = { func: "printa", aggregation: { fn: "sum" } };
	assert.equal(argError("%@u: %d\n", [int, int, int], agg), "");
	assert.equal(
		argError("%@s\n", [], agg),
		"[D_PRINTF_ARG_TYPE] printa( ) aggregating action is incompatible with conversion #1 prototype:\n\tconversion: %s\n\t prototype: char [] or string (or use stringof)\n\t  argument: int64_t",
	);
	assert.equal(argError("%@d %@d %@d\n", [], agg), "");
	assert.equal(argError("%k %@d\n", [{ kind: "stack" }], agg), "");
});

test("which arguments each check accepts (DTrace's pfcheck_* functions)", () => {
	const ushort: ArgType = { kind: "int", size: 2, signed: false };
	const u64: ArgType = { kind: "int", size: 8, signed: false, base: "unsigned long", typedefs: ["uint64_t"] };
	assert.ok(acceptsArg({ type: "unsigned short" }, ushort));
	assert.ok(!acceptsArg({ type: "short" }, ushort));
	assert.ok(acceptsArg("xshort", ushort));
	assert.ok(acceptsArg("xlonglong", u64), "%llx takes a uint64_t");
	assert.ok(!acceptsArg("xlong", int));
	assert.ok(acceptsArg("csi", int));
	assert.ok(!acceptsArg("csi", u64), "%c takes char, short or int only");
	assert.ok(acceptsArg("time", u64));
	assert.ok(!acceptsArg("time", int));
	assert.ok(acceptsArg("kaddr", { kind: "symaddr", user: false }));
	assert.ok(!acceptsArg("uaddr", int), "%A of an integer needs -p or -c");
	assert.ok(acceptsArg("uaddr", int, true));
	assert.ok(acceptsArg("uaddr", { kind: "symaddr", user: true }));
	assert.ok(acceptsArg("str", { kind: "chararray" }));
	assert.ok(!acceptsArg("str", int));
	assert.ok(acceptsArg("fp", { kind: "float", size: 8 }));
	assert.ok(acceptsArg({ type: "long double" }, { kind: "float", size: 16 }));
});
