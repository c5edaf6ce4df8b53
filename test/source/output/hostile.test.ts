// Hostile bytes through every output path of this folder (issue 10 item 7):
// a binary named "x\e[2J\e[H…", strings with U+009B (CSI), U+202E (bidi
// override), DEL and NUL must not reach a terminal raw in the table, printa,
// trace, printf (on a terminal), stack frames, --folded, --json, the default
// action's probe names, or the drop and error lines.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { formatAggregations, formatPrinta } from "../../../source/output/aggregate.ts";
import { errorLine } from "../../../source/output/diagnostics.ts";
import { EventFormatter } from "../../../source/output/events.ts";
import { aggregationJson, foldedLines } from "../../../source/output/export.ts";
import type { AggregationSnapshot, DValue, StackValue, SymValue } from "../../../source/output/model.ts";
import { formatPrintf } from "../../../source/output/printf.ts";
import { formatTrace } from "../../../source/output/trace.ts";

const EVIL = "x\x1b[2J\x1b[H\x9b31m\u202eevil\x7f\0\x07\r\n";
/** What a terminal would act on. */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
/** The same, with newline (a line's own end) excluded only where the layout puts it. */
function assertSafe(text: string, what: string) {
	assert.doesNotMatch(text, CONTROL, `${what}: ${JSON.stringify(text)}`);
	for (const line of text.split("\n")) assert.ok(!line.includes("\t"), what);
}

const stack: StackValue = {
	kind: "stack",
	user: true,
	pid: 7,
	frames: [
		{ pc: 0x401000n, at: { module: `/tmp/${EVIL}`, symbol: EVIL, offset: 4n } },
		{ pc: 0x402000n, at: { module: "/bin/sh", symbol: "main", offset: 0n } },
	],
};
const sym: SymValue = { kind: "sym", fn: "usym", addr: 0x401000n, pid: 7, at: { module: EVIL, symbol: EVIL } };
const snap: AggregationSnapshot = {
	id: 1,
	name: "x",
	fn: "count",
	normal: 1n,
	rows: [
		{ key: [{ kind: "string", value: EVIL }, sym], data: { fn: "count", value: 3n } },
		{ key: [stack], data: { fn: "count", value: 2n } },
	],
};

test("printa's default layout and the exit printing escape keys, symbols and frames", () => {
	assertSafe(formatPrinta([{ ...snap }], undefined), "printa");
	assertSafe(formatAggregations([{ ...snap }]), "exit");
	assert.ok(formatAggregations([{ ...snap }]).includes("x\\e[2J\\e[H\\x9b31m\\u202eevil\\x7f\\0\\x07\\r\\n"));
});

test("printa formats, printf and trace escape traced strings on a terminal", () => {
	const s: DValue = { kind: "string", value: EVIL };
	assertSafe(formatPrinta([{ ...snap, rows: [snap.rows[0]] }], "%s %A %@d\n"), "printa format");
	assertSafe(formatPrintf("%s|%-20s|%c|%S", [s, s, { kind: "int", value: 0x9bn, size: 4, signed: true }, s]), "printf");
	assertSafe(formatTrace(s, false), "trace");
	assertSafe(formatTrace(s, true), "trace, quiet");
	assertSafe(formatTrace(stack, false), "stack action");
	assertSafe(formatTrace(sym, false), "sym action");
});

test("the default action's line escapes a probe named by a hostile binary", () => {
	const f = new EventFormatter();
	const text = f.format({
		cpu: 0,
		epid: 1,
		timestamp: 0n,
		probe: { id: 9, provider: `p${EVIL}`, module: EVIL, function: EVIL, name: EVIL },
		actions: [{ kind: "stack", value: stack }],
	}).text;
	assertSafe(text, "default action");
});

test("--folded and --json carry no raw control character; JSON gives the string back exactly", () => {
	for (const l of foldedLines(snap)) assertSafe(l, "folded");
	const json = aggregationJson(snap, { d: `syscall::read:entry /execname == "${EVIL}"/ {}` });
	assert.doesNotMatch(json, CONTROL);
	assert.doesNotMatch(json, /\n/);
	const back = JSON.parse(json);
	assert.equal(back.rows.find((r: { key: unknown[] }) => typeof r.key[0] === "string").key[0], EVIL);
	assert.ok(back.d.includes(EVIL));
});

test("error lines escape probe names", () => {
	const line = errorLine({
		epid: 1,
		probe: { id: 1, provider: EVIL, module: EVIL, function: EVIL, name: EVIL },
		fault: 1,
		addr: 0n,
		action: 1,
	});
	assertSafe(line.slice(0, -1), "error line");
});

test("property: whatever a traced process names things, no formatter of a key or frame emits a control character", () => {
	const text = fc.string({ unit: "binary", maxLength: 40 });
	fc.assert(
		fc.property(text, text, text, (a, b, c) => {
			const s: AggregationSnapshot = {
				id: 1,
				name: "p",
				fn: "sum",
				normal: 1n,
				rows: [
					{
						key: [
							{ kind: "string", value: a },
							{ kind: "sym", fn: "uaddr", addr: 1n, pid: 1, at: { module: b, symbol: c, offset: 1n } },
							{ kind: "stack", user: false, frames: [{ pc: 2n, at: { module: c, symbol: a } }] },
						],
						data: { fn: "sum", value: 1n },
					},
				],
			};
			assertSafe(formatAggregations([s]), "exit");
			assertSafe(
				formatPrintf("%s %S", [
					{ kind: "string", value: a },
					{ kind: "string", value: b },
				]),
				"printf",
			);
			for (const l of foldedLines(s)) assertSafe(l, "folded");
			assert.doesNotMatch(aggregationJson(s), CONTROL);
		}),
		{ numRuns: 300 },
	);
});
