// Today's batch output of a SessionView, now in DTrace's layouts: the value
// column 17 wide (" %16lld"), string keys padded to 50, histogram rows with
// their trailing pad and no bucket below DTrace's lowest (issue 11's list).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	formatAggregation,
	formatAll,
	formatDistribution,
	formatFolded,
	formatJson,
	snapshotOf,
} from "../../../source/output/printa.ts";
import type { AggRow, AggregationView, HistogramBucket, KeyPart, SessionView } from "../../../source/session/view.ts";
import { enabling, sessionView } from "../ui/helpers.tsx";

function row(key: KeyPart[], value: number, histogram?: HistogramBucket[]): AggRow {
	return { key, value, histogram, rate: 0, last10s: 0, last60s: 0, total: value, history: [] };
}
function view(aggs: AggregationView[]): SessionView {
	return sessionView({ enablings: [enabling(1, { aggregations: aggs })] });
}
const agg = (fn: AggregationView["fn"], rows: AggRow[], name = ""): AggregationView => ({
	name,
	fn,
	keys: ["execname"],
	rows,
	evictions: 0,
});
const s = (value: string): KeyPart => ({ kind: "string", value });

/** Today's quantize layout: 128 buckets, zero at 64 (kernel/codegen/layout.ts). */
function todayQuantize(counts: Record<number, number>): HistogramBucket[] {
	return Array.from({ length: 128 }, (_, i) => {
		const lo = i === 64 ? 0n : i > 64 ? 1n << BigInt(i - 65) : -(1n << BigInt(63 - i));
		return { lo, count: counts[i] ?? 0 };
	});
}

test("count by string key: padded to 50, value in 17 columns, sorted by value", () => {
	const v = view([agg("count", [row([s("sshd")], 12), row([s("bash")], 3)])]);
	assert.equal(
		formatAll(v),
		`\n  ${"bash".padEnd(50)}${"3".padStart(17)}\n  ${"sshd".padEnd(50)}${"12".padStart(17)}\n`,
	);
	assert.equal(formatAll(view([agg("count", [row([], 250)])])), "\n              250\n");
	assert.equal(formatAll(view([agg("count", [])])), "", "nothing to print, no stray newline");
});

test("a keyless quantize prints DTrace's rows: trailing pad, no -9223372036854775808 (issue 11 item 6)", () => {
	const out = formatAll(view([agg("quantize", [row([], 16, todayQuantize({ 65: 1, 68: 8 }))])]));
	const lines = out.split("\n");
	assert.equal(lines[2], "           value  ------------- Distribution ------------- count    ");
	assert.equal(lines[3], "               0 |                                         0        ");
	assert.equal(lines[4], "               1 |@@@@                                     1        ");
	const empty = formatDistribution(todayQuantize({}));
	assert.deepEqual(
		empty.slice(1).map((l) => l.slice(0, 17)),
		["              -1 ", "               0 ", "               1 "],
	);
	assert.ok(!formatDistribution(todayQuantize({ 1: 2 })).some((l) => l.includes("-9223372036854775808")));
});

test("lquantize buckets keep their edges", () => {
	const h: HistogramBucket[] = [
		{ lo: 0n, count: 0, edge: "under" },
		{ lo: 0n, count: 2 },
		{ lo: 10n, count: 0 },
		{ lo: 20n, count: 1, edge: "over" },
	];
	const snap = snapshotOf(agg("lquantize", [row([], 3, h)]));
	assert.deepEqual(snap.lquantize, { base: 0, step: 10, levels: 2 });
	assert.ok(formatAggregation(agg("lquantize", [row([], 3, h)])).includes("           >= 20 |@@@@@@@@@@@@@"));
});

test("stack keys: frames indented 14 under the key line, then the value", () => {
	const v = view([
		agg("count", [row([{ kind: "stack", user: true, frames: ["libc.so.6`read+0x10", "a.out`main+0x20"] }], 5)]),
	]);
	assert.equal(
		formatAll(v),
		"\n\n              libc.so.6`read+0x10\n              a.out`main+0x20\n                5\n",
	);
});

test("--json: one line per aggregation, values exact, histograms as non-empty buckets", () => {
	const v = view([
		agg("count", [row([s("a")], 50)], "w"),
		agg("quantize", [row([], 2, todayQuantize({ 66: 2 }))], "q"),
	]);
	const lines = formatJson(v, new Date(0))
		.trim()
		.split("\n")
		.map((l) => JSON.parse(l));
	assert.equal(lines[0].aggregation, "@w");
	assert.deepEqual(lines[0].rows, [{ key: ["a"], value: 50 }]);
	assert.deepEqual(lines[1].rows[0].histogram, [{ value: "2", count: 2 }]);
});

test("--folded: outermost frame first, keys first, ';' in a name made ':'", () => {
	const v = view([agg("count", [row([s("sh;x"), { kind: "stack", user: true, frames: ["inner", "outer"] }], 7)])]);
	assert.equal(formatFolded(v), "sh:x;outer;inner 7\n");
});
