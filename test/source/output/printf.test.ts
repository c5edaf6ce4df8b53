// printf()'s output for typed D values, as DTrace prints it. Each expected
// string is DTrace's output for the same format and values, from its tests
// in test/unittest/printf (named per test) or from libdtrace's dt_printf.c.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { DValue, IntSize, IntValue, Resolved, StackValue, SymValue } from "../../../source/output/model.ts";
import { formatPrintaRow, formatPrintf, PrintfRuntimeError } from "../../../source/output/printf.ts";

const int = (v: bigint | number, size: IntSize = 4, signed = true): IntValue => ({
	kind: "int",
	value: BigInt(v),
	size,
	signed,
});
const str = (value: string, trusted = false): DValue => ({ kind: "string", value, trusted });

test("integers print at their own size and signedness (printf/tst.ints)", () => {
	const x = 0x1234567890abcdefn;
	// DTrace for Linux's casts to char and short come out unsigned under %d.
	assert.equal(
		formatPrintf("%d %d %d %d", [int(x, 1, false), int(x, 2, false), int(x, 4), int(x, 8)]),
		"239 52719 -1867788817 1311768467294899695",
	);
	assert.equal(formatPrintf("%d", [int(x, 4, false)]), "2427178479", "%d of an unsigned type prints unsigned");
	assert.equal(formatPrintf("%u %u", [int(-1, 1), int(x, 4)]), "255 2427178479");
	assert.equal(
		formatPrintf("%x %x %x %x", [int(x, 1), int(x, 2), int(x, 4), int(x, 8)]),
		"ef cdef 90abcdef 1234567890abcdef",
	);
	assert.equal(formatPrintf("%o %o", [int(x, 1), int(x, 8)]), "357 110642547422052746757");
	assert.equal(formatPrintf("%p %p", [int(0x12345678, 8, false), int(0x90abcdef, 8, false)]), "12345678 90abcdef");
	assert.equal(formatPrintf("%d", [int(-1, 1)]), "-1", "a signed char prints signed");
	assert.equal(formatPrintf("%u", [int(53114233149441n, 8, false)]), "53114233149441", "printf/tst.printcont");
	assert.equal(formatPrintf("%u", [int(2n ** 64n - 1n, 8, false)]), "18446744073709551615", "uint64 exact");
});

test("every conversion of printf/tst.basics", () => {
	const i = int(97);
	const at: Resolved = { module: "vmlinux", symbol: "max_pfn", offset: 0n };
	const sym: SymValue = { kind: "sym", fn: "sym", addr: 0xffffffff8289a000n, at };
	const lines = [
		formatPrintf("%%a = %a", [sym]),
		formatPrintf("%%c = %c", [i]),
		formatPrintf("%%d = %d", [i]),
		formatPrintf("%%hd = %hd", [int(97, 2)]),
		formatPrintf("%%ho = %ho", [int(97, 2, false)]),
		formatPrintf("%%hx = %hx", [int(97, 2, false)]),
		formatPrintf("%%lc = %lc", [i]),
		formatPrintf("%%lX = %lX", [int(97, 8, false)]),
		formatPrintf("%%o = %o", [int(97, 4, false)]),
		formatPrintf("%%p = %p", [int(97, 8, false)]),
		formatPrintf("%%s = %s", [str("hello", true)]),
		formatPrintf("%%X = %X", [int(97, 4, false)]),
	];
	assert.deepEqual(lines, [
		"%a = vmlinux`max_pfn",
		"%c = a",
		"%d = 97",
		"%hd = 97",
		"%ho = 141",
		"%hx = 61",
		"%lc = a",
		"%lX = 61",
		"%o = 141",
		"%p = 61",
		"%s = hello",
		"%X = 61",
	]);
});

test("flags, widths and precisions (printf/tst.flags, tst.widths, tst.widths1, tst.precs, tst.wp)", () => {
	assert.equal(
		formatPrintf("# %#8x|0 %08x|- %-8x|+ %+8d|  % 8d", [int(0x123), int(0x123), int(0x123), int(123), int(123)]),
		"#    0x123|0 00000123|- 123     |+     +123|       123",
	);
	assert.equal(formatPrintf("%0d|%1d|%2d|%5d", [int(1), int(1), int(1), int(1)]), "1|1| 1|    1");
	assert.equal(formatPrintf("%?d|%?d", [int(0), int(5)]), `${"0".padStart(16)}|${"5".padStart(16)}`);
	// A precision of 0 is not passed to C: "%.0s" prints the whole string (DTrace's "if (prec > 0)").
	assert.equal(formatPrintf("%.0s|%.1s|%.3s|%.5s", Array(4).fill(str("hello", true))), "hello|h|hel|hello");
	assert.equal(formatPrintf("%.*s|%.*s", [int(0), str("hello", true), int(2), str("hello", true)]), "hello|he");
	assert.equal(formatPrintf("%*d|%*d", [int(0), int(1), int(3), int(1)]), "1|  1");
	assert.equal(
		formatPrintf("%6.6s|%9.9s|%*.*s", [str("hello", true), str("hello", true), int(7), int(7), str("hello", true)]),
		" hello|    hello|  hello",
	);
	assert.equal(formatPrintf("%*d|", [int(-4), int(7)]), "7   |", "a negative * width left-justifies");
	assert.equal(formatPrintf("%'d", [int(1234567)]), "1234567", "the ' flag has no effect in the C locale");
});

test("literal text, %% and formats without conversions (printf/tst.hello, tst.rawfmt)", () => {
	assert.equal(formatPrintf("hello world from BEGIN", []), "hello world from BEGIN");
	assert.equal(formatPrintf("100%% of %d%%", [int(3)]), "100% of 3%");
});

test("a 10,000,000-column field prints in full (printf/tst.wide, tst.wide-bug30404549)", () => {
	const out = formatPrintf("%10000000d\n%.10000000d\n%10000000.10000000d\n", [int(1), int(1), int(1)]);
	assert.deepEqual(
		out.split("\n").map((l) => l.length),
		[10_000_000, 10_000_000, 10_000_000, 0],
	);
	assert.ok(out.startsWith(" ".repeat(9_999_999)));
});

test("floats through %e %f %g", () => {
	const f = (x: number): DValue => ({ kind: "float", value: x, size: 8 });
	assert.equal(
		formatPrintf("%e %f %g %G %.3f", [f(2.5), f(0.125), f(1e-5), f(123456789), f(2.0625)]),
		"2.500000e+00 0.125000 1e-05 1.23457E+08 2.062",
		"the tie rounds to even, as glibc",
	);
	// prec 0 is not given to C, so %.0f prints six decimals as DTrace does.
	assert.equal(formatPrintf("%.0f", [f(2.5)]), "2.500000");
});

test("%a and %A print symbol+offset, module`address, or the address (dtrace_addr2str)", () => {
	const symbolize = (addr: bigint, pid: number | undefined): Resolved | undefined => {
		if (pid === undefined && addr >= 0xffffffff81000000n)
			return { module: "vmlinux", symbol: "schedule", offset: addr - 0xffffffff81000000n };
		if (pid === 42 && addr >= 0x400000n && addr < 0x401000n)
			return { module: "/usr/bin/app", symbol: "main", offset: addr - 0x400000n };
		if (pid === 42) return { module: "/usr/lib/libc.so.6" };
		return undefined;
	};
	const ctx = { symbolize, target: 42 };
	assert.equal(formatPrintf("%a", [int(0xffffffff81000010n, 8, false)], ctx), "vmlinux`schedule+0x10");
	assert.equal(formatPrintf("%a", [int(0xffffffff81000000n, 8, false)], ctx), "vmlinux`schedule");
	assert.equal(formatPrintf("%a", [int(0x1234, 8, false)], ctx), "0x1234");
	assert.equal(
		formatPrintf("%A", [int(0x400020, 8, false)], ctx),
		"app`main+0x20",
		"the object's file name, as DTrace's dt_basename",
	);
	assert.equal(formatPrintf("%A", [int(0x7f0000001000n, 8, false)], ctx), "libc.so.6`0x7f0000001000");
	assert.equal(
		formatPrintf("%-30a|", [int(0xffffffff81000010n, 8, false)], ctx),
		`${"vmlinux`schedule+0x10".padEnd(30)}|`,
	);
});

test("%a of a sym() value prints its symbol (its address is the symbol's start); of uaddr() with the offset", () => {
	const at: Resolved = { module: "/usr/bin/app", symbol: "main", offset: 0x20n };
	const v = (fn: SymValue["fn"]): SymValue => ({ kind: "sym", fn, addr: 0x400020n, pid: 42, at });
	assert.equal(formatPrintf("%A", [v("usym")]), "app`main");
	assert.equal(formatPrintf("%A", [v("uaddr")]), "app`main+0x20");
	assert.equal(formatPrintf("%A", [v("umod")]), "app");
});

test("%Y and %T print a walltimestamp in local time (printa/tst.walltimestamp, TZ=US/Pacific)", () => {
	const ns = int(1075064400n * 1_000_000_000n, 8);
	const ctx = { timeZone: "US/Pacific" };
	assert.equal(formatPrintf("%Y", [ns], ctx), "2004 Jan 25 13:00:00");
	assert.equal(formatPrintf("%T", [ns], ctx), "Sun, 25 Jan 2004 13:00:00 PST");
	// ctime's day of month is space-padded.
	assert.equal(
		formatPrintf("%Y", [int(123_456_000n * 1_000_000_000n, 8)], { timeZone: "UTC" }),
		"1973 Nov 29 21:20:00",
	);
});

test("%S and %C escape as DTrace's strchr2esc: C escapes, octal for the rest", () => {
	assert.equal(formatPrintf("%S", [str('a"b\\c\n\t\x1b[2J é')]), 'a\\"b\\\\c\\n\\t\\033[2J \\303\\251');
	assert.equal(formatPrintf("%C%C", [int(10), int(0x41)]), "\\nA");
	assert.equal(formatPrintf("%-6S|", [str("\x07")]), "\\a    |");
});

test("strings from traced processes are escaped on terminals and raw on pipes; the program's own are not touched", () => {
	const hostile = str("x\x1b[2J\x1b[H\u202eevil\x9b31m\n");
	assert.equal(formatPrintf("%s", [hostile]), "x\\e[2J\\e[H\\u202eevil\\x9b31m\\n");
	assert.equal(
		formatPrintf("%s", [hostile], { strings: "raw" }),
		"x\x1b[2J\x1b[H\u202eevil\x9b31m\n",
		"as DTrace writes it",
	);
	assert.equal(formatPrintf("%c", [int(27)]), "\\e");
	assert.equal(formatPrintf("%c", [int(27)], { strings: "raw" }), "\x1b");
	// The format text and string literals are the program author's.
	assert.equal(formatPrintf("\x1b[1m%s\x1b[0m\n", [str("bold\n", true)]), "\x1b[1mbold\n\x1b[0m\n");
	// Widths count the escaped text, so columns still line up.
	assert.equal(formatPrintf("%-8s|", [str("a\x07")]), "a\\x07   |");
});

test("%k prints a stack key in printa, a left-justified width indenting its frames (printa/tst.stack)", () => {
	const stack: StackValue = {
		kind: "stack",
		user: false,
		frames: [
			{ pc: 0xffffffff81000010n, at: { module: "vmlinux", symbol: "a", offset: 0x10n } },
			{ pc: 0xffffffff81000100n, at: { module: "vmlinux", symbol: "b" } },
		],
	};
	const agg = [{ data: { fn: "count" as const, value: 3n }, normal: 1n }];
	assert.equal(formatPrintaRow("%k %@d\n", [stack], agg), "\nvmlinux`a+0x10\nvmlinux`b\n 3\n");
	assert.equal(formatPrintaRow("%-4k|", [stack], agg), "\n    vmlinux`a+0x10\n    vmlinux`b\n|");
	assert.equal(
		formatPrintaRow("%16k|", [stack], agg),
		`\n${"vmlinux`a+0x10".padStart(16)}\n${"vmlinux`b".padStart(16)}\n|`,
	);
	assert.equal(formatPrintaRow("%k|", [{ kind: "stack", user: false, frames: [] }], agg), "\n|");
});

test("printa formats: keys feed plain conversions, %@ the aggregations in turn, the last repeated (printa/tst.tuple, tst.manyval, multiaggs/tst.same)", () => {
	const keys = [1, 2, 3, 4, 5].map((v) => int(v));
	const one = [{ data: { fn: "count" as const, value: 1n }, normal: 1n }];
	assert.equal(formatPrintaRow("%@u: %d %d\n", keys, one), "1: 1 2\n");
	assert.equal(formatPrintaRow("%@u %@u %@u\n", [], one), "1 1 1\n");
	const two = [
		{ data: { fn: "sum" as const, value: 5n }, normal: 1n },
		{ data: { fn: "sum" as const, value: -7n }, normal: 1n },
	];
	assert.equal(formatPrintaRow("%@d %@d %@d\n", [], two), "5 -7 -7\n");
	// printa/tst.dynwidth: a '*' takes its width from a key.
	assert.equal(formatPrintaRow("-->%-*d<--", [int(10), int(100)], one), "-->100       <--");
	assert.equal(formatPrintaRow("-->%*d<--", [int(-10), int(200)], one), "-->200       <--");
	// count is unsigned: %@d prints it unsigned (DTrace's aggregation type uint64_t).
	assert.equal(
		formatPrintaRow("%@d", [], [{ data: { fn: "count", value: 2n ** 64n - 1n }, normal: 1n }]),
		"18446744073709551615",
	);
});

test("a format needing more values than given is an error, not a guess", () => {
	assert.throws(() => formatPrintf("%d %d", [int(1)]), PrintfRuntimeError);
	assert.throws(() => formatPrintf("%@d", [int(1)]), PrintfRuntimeError);
});
