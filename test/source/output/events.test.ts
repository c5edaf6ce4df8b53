// Per-event output as dtrace(1) prints it: the default action's heading and
// lines (cmd/dtrace.c's chew/chewrec), trace() of each type
// (dt_consume.c's dt_print_trace), stack()/ustack() and the sym() family as
// actions, exit(), and the aggregations printed at the end. Expected bytes
// are DTrace's, from its tests (named per test) or from those sources.
import assert from "node:assert/strict";
import { test } from "node:test";
import { EventFormatter } from "../../../source/output/events.ts";
import type {
	Action,
	AggregationSnapshot,
	DValue,
	EventRecord,
	IntSize,
	StackValue,
} from "../../../source/output/model.ts";
import { defaultHeader, formatTrace, probeLinePrefix, rawBytes } from "../../../source/output/trace.ts";

const int = (v: bigint | number, size: IntSize = 8, signed = true): DValue => ({
	kind: "int",
	value: BigInt(v),
	size,
	signed,
});
const lit = (value: string): DValue => ({ kind: "string", value, trusted: true });

function rec(actions: Action[], probe: Partial<EventRecord["probe"]> = {}, cpu = 0): EventRecord {
	return {
		cpu,
		epid: 1,
		timestamp: 0n,
		probe: { id: 1, provider: "dtrace", module: "", function: "", name: "BEGIN", ...probe },
		actions,
	};
}

test("the default action: heading, then CPU, probe id and function:name per firing (issue 11's example)", () => {
	assert.equal(defaultHeader(), "CPU     ID                    FUNCTION:NAME\n");
	const f = new EventFormatter();
	const saw = { id: 1899, provider: "simple4242", module: "simple", function: "main", name: "saw-line" };
	assert.equal(
		f.format(rec([], saw)).text,
		"CPU     ID                    FUNCTION:NAME\n  0   1899                    main:saw-line \n",
	);
	assert.equal(f.format(rec([], saw, 1)).text, "  1   1899                    main:saw-line \n", "the heading once");
	// BEGIN, END and profile probes have no function.
	assert.equal(
		probeLinePrefix(0, { id: 1, provider: "dtrace", module: "", function: "", name: "END" }),
		"  0      1                             :END ",
	);
});

test("quiet: no heading and no line; testing mode: no CPU and ID columns (aggs/tst.count_notquiet)", () => {
	const q = new EventFormatter({ quiet: true });
	assert.equal(q.format(rec([{ kind: "printf", format: "hi %d\n", args: [int(3)] }])).text, "hi 3\n");
	const t = new EventFormatter({ testing: true });
	assert.equal(t.format(rec([])).text, "                   FUNCTION:NAME\n                          :BEGIN \n");
	assert.equal(
		t.format(rec([{ kind: "trace", value: lit("hello world") }])).text,
		`                          :BEGIN   ${"hello world".padEnd(33)}\n`,
	);
});

test("trace() of each type: padded columns, or bare when quiet (dt_print_trace; trace/tst.string, codegen/tst.post_inc_gvar_val)", () => {
	assert.equal(formatTrace(int(0), false), ` ${"0".padStart(19)}`);
	assert.equal(formatTrace(int(-1, 4), false), ` ${"-1".padStart(10)}`);
	assert.equal(formatTrace(int(7, 2), false), "     7");
	assert.equal(formatTrace(int(-2, 1), false), "  -2");
	assert.equal(formatTrace(int(2n ** 64n - 1n, 8, false), false), " 18446744073709551615");
	assert.equal(formatTrace(int(5, 4, false), false), ` ${"5".padStart(10)}`);
	assert.equal(formatTrace(int(-2, 1), true), "-2");
	assert.equal(formatTrace(lit("this"), false), `  ${"this".padEnd(33)}`);
	assert.equal(formatTrace(lit("this"), true), "this");
	// trace/tst.string: a newline inside the padded field wraps the padding onto the next line.
	const t = new EventFormatter({ testing: true });
	const out = t.format(
		rec([
			{ kind: "trace", value: lit("this") },
			{ kind: "trace", value: lit(" %should work.\n") },
		]),
	).text;
	assert.equal(
		out.split("\n")[1],
		"                          :BEGIN   this                                %should work.",
	);
});

test("raw bytes as DTrace's hex dump (dt_print_rawbytes)", () => {
	const out = rawBytes(new TextEncoder().encode("hello, world\n\0\x01\x7fABC"));
	assert.equal(
		out,
		"\n             0  1  2  3  4  5  6  7  8  9  a  b  c  d  e  f  0123456789abcdef\n" +
			"         0: 68 65 6c 6c 6f 2c 20 77 6f 72 6c 64 0a 00 01 7f  hello, world....\n" +
			`        10: 41 42 43${" ".repeat(39)}  ABC\n`,
	);
});

test("stack() and ustack() actions: a newline, frames indented 14, then the line's newline (stack/tst.stack_fbt, ustack/tst.ustack25_pid)", () => {
	const stack: StackValue = {
		kind: "stack",
		user: false,
		frames: [
			{ pc: 0xffffffff81200010n, at: { module: "vmlinux", symbol: "__vfs_write", offset: 0x10n } },
			{ pc: 0xffffffff81200100n, at: { module: "vmlinux", symbol: "ksys_write", offset: 0x4an } },
			{ pc: 0n },
		],
	};
	const f = new EventFormatter({ testing: true });
	assert.equal(
		f.format(rec([{ kind: "stack", value: stack }], { function: "__vfs_write", name: "entry" })).text,
		"                   FUNCTION:NAME\n               __vfs_write:entry \n              vmlinux`__vfs_write+0x10\n              vmlinux`ksys_write+0x4a\n\n",
	);
	const ustack: StackValue = {
		kind: "stack",
		user: true,
		pid: 4242,
		frames: [
			{ pc: 0x401136n, at: { module: "/tmp/ustack-tst-basic", symbol: "myfunc_z", offset: 0n } },
			{ pc: 0x7f0000001000n },
		],
	};
	const q = new EventFormatter({ quiet: true });
	assert.equal(
		q.format(rec([{ kind: "stack", value: ustack }])).text,
		"\n              ustack-tst-basic`myfunc_z\n              0x7f0000001000\n",
	);
});

test("sym() family actions print in 50 columns (ustack/tst.usym, tst.umod, tst.uaddr)", () => {
	const at = { module: "/tmp/ustack-tst-basic", symbol: "myfunc_y", offset: 0x8n };
	const q = new EventFormatter({ quiet: true });
	const line = (fn: "usym" | "umod" | "uaddr") =>
		q.format(rec([{ kind: "sym", value: { kind: "sym", fn, addr: 0x401234n, pid: 1, at } }])).text;
	assert.equal(line("uaddr"), `  ${"ustack-tst-basic`myfunc_y+0x8".padEnd(50)}`);
	assert.equal(line("usym"), `  ${"ustack-tst-basic`myfunc_y".padEnd(50)}`);
	assert.equal(line("umod"), `  ${"ustack-tst-basic".padEnd(50)}`);
});

test("exit() prints nothing itself and gives the status; the end prints a newline, then what printa() did not print", () => {
	const f = new EventFormatter({ quiet: true });
	const a: AggregationSnapshot = {
		id: 1,
		name: "a",
		fn: "count",
		normal: 1n,
		rows: [{ key: [], data: { fn: "count", value: 2n } }],
	};
	const b: AggregationSnapshot = {
		id: 2,
		name: "b",
		fn: "sum",
		normal: 1n,
		rows: [{ key: [], data: { fn: "sum", value: 7n } }],
	};
	f.update([a, b]);
	const r = f.format(
		rec([
			{ kind: "printa", format: "%@d\n", aggregations: [2] },
			{ kind: "exit", status: 3 },
		]),
	);
	assert.equal(r.text, "7\n");
	assert.equal(r.exit, 3);
	assert.equal(f.exitStatus, 3);
	// aggs/tst.count: the run's final newline, then @a (not @b: printa printed it).
	assert.equal(f.end(), "\n                2\n");
	assert.equal(new EventFormatter({ quiet: true }).end(), "\n", "printf/tst.hello: the newline even with nothing else");
	assert.equal(new EventFormatter().interruptText(), "\n");
});

test("clear(), trunc() and normalize() act on what later printa() calls show, and tell the consumer (aggs/tst.clear-one, tst.trunc-one, tst.multinormalize)", () => {
	const f = new EventFormatter({ quiet: true });
	const k = (v: number) => ({ kind: "int" as const, value: BigInt(v), size: 4 as const, signed: true });
	const sums = (): AggregationSnapshot => ({
		id: 1,
		name: "b",
		fn: "sum",
		normal: 1n,
		rows: [4, 5, 6].map((v) => ({ key: [k(v)], data: { fn: "sum" as const, value: BigInt(v * 100) } })),
	});
	f.update([sums()]);
	const c = f.format(
		rec([
			{ kind: "clear", aggregation: 1 },
			{ kind: "printa", aggregations: [1] },
		]),
	);
	assert.equal(c.text, "\n        4                0\n        5                0\n        6                0\n");
	assert.deepEqual(c.effects, [{ kind: "clear", aggregation: 1 }]);
	// Snapshots are the kernel's totals: what a key holds after clear() is what came since (6 got 600 more).
	f.update([{ ...sums(), rows: [...sums().rows.slice(0, 2), { key: [k(6)], data: { fn: "sum", value: 1200n } }] }]);
	const t = f.format(
		rec([
			{ kind: "trunc", aggregation: 1, keep: 1n },
			{ kind: "normalize", aggregation: 1, normal: 100n },
			{ kind: "printa", format: "%d %@d\n", aggregations: [1] },
		]),
	);
	assert.equal(t.text, "6 6\n");
	assert.equal(t.effects[0].kind === "trunc" && t.effects[0].removed.length, 2);
	// The normalization outlives the snapshot.
	f.update([{ id: 1, name: "b", fn: "sum", normal: 1n, rows: [{ key: [k(6)], data: { fn: "sum", value: 1800n } }] }]);
	assert.equal(f.format(rec([{ kind: "printa", format: "%@d\n", aggregations: [1] }])).text, "12\n");
});
