// Aggregations as DTrace prints them: printa()'s default layout, several
// aggregations joined, formats, the printing at exit, and the sort options.
// Expected bytes are those of DTrace's tests in test/unittest/aggs, printa
// and multiaggs (named per test) for the same data.
import assert from "node:assert/strict";
import { test } from "node:test";
import { formatAggregations, formatKey, formatPrinta, joinRows } from "../../../source/output/aggregate.ts";
import { avgValue, stddevValue } from "../../../source/output/aggvalue.ts";
import type { AggData, AggRow, AggregationSnapshot, IntSize, KeyValue } from "../../../source/output/model.ts";

const int = (v: bigint | number, size: IntSize = 4, signed = true): KeyValue => ({
	kind: "int",
	value: BigInt(v),
	size,
	signed,
});
const str = (value: string): KeyValue => ({ kind: "string", value });
const sum = (value: bigint | number): AggData => ({ fn: "sum", value: BigInt(value) });

function agg(
	id: number,
	name: string,
	fn: AggregationSnapshot["fn"],
	rows: [KeyValue[], AggData][],
): AggregationSnapshot {
	return { id, name, fn, normal: 1n, rows: rows.map(([key, data]): AggRow => ({ key, data })) };
}

test("avg and stddev as DTrace computes them, in 64- and 128-bit integers (aggs/tst.avg, tst.stddev, printa/tst.basics)", () => {
	assert.equal(avgValue(10n, 4500n), 450n);
	assert.equal(avgValue(2n, -900n), -450n, "aggs/tst.avg_neg");
	assert.equal(avgValue(0n, 0n), 0n);
	assert.equal(stddevValue(2n, 30n, 500n), 5n, "stddev(10), stddev(20)");
	// aggs/tst.stddev: ten values 5000000000 + 100k: 287 (sum of squares beyond 2^64).
	let s = 0n;
	let q = 0n;
	for (let k = 0n; k < 10n; k++) {
		s += 5000000000n + k * 100n;
		q += (5000000000n + k * 100n) ** 2n;
	}
	assert.equal(stddevValue(10n, s, q), 287n);
	assert.equal(stddevValue(10n, -s, q), 287n);
});

test("the default layout: keys in their columns, the value right-aligned in 17 (aggs/tst.signedkeys, tst.count2)", () => {
	// 8- and 4-byte keys signed, 2- and 1-byte keys unsigned, as DTrace reads them.
	assert.equal(formatKey(int(-2, 8)), `${" ".repeat(15)}-2`);
	assert.equal(formatKey(int(-2, 4)), "       -2");
	assert.equal(formatKey(int(-2, 2)), " 65534");
	assert.equal(formatKey(int(-2, 1)), " 254");
	assert.equal(formatKey(str("tick-count")), `  ${"tick-count".padEnd(50)}`);
	const a = agg(1, "counts", "count", [[[str("tick-count")], { fn: "count", value: 10n }]]);
	assert.equal(formatPrinta([a], undefined), `\n  ${"tick-count".padEnd(50)}${"10".padStart(17)}\n`);
	const bare = agg(1, "a", "count", [[[], { fn: "count", value: 1n }]]);
	assert.equal(formatPrinta([bare], undefined), "\n                1\n", "printa/tst.def");
});

test("sums beyond 2^53 print exactly", () => {
	const a = agg(1, "", "sum", [[[], sum(2n ** 62n + 1n)]]);
	assert.equal(formatPrinta([a], undefined), `\n ${(2n ** 62n + 1n).toString().padStart(16)}\n`);
});

test("rows sort by value then key; ties by key bytes; integers as unsigned (aggs/tst.order, tst.signedkeys)", () => {
	const a = agg(
		1,
		"",
		"sum",
		[8, 6, 7, 5, 3, 0, 9].map((k): [KeyValue[], AggData] => [[int(k)], sum(1)]),
	);
	assert.equal(formatPrinta([a], "%d\n"), "0\n3\n5\n6\n7\n8\n9\n");
	const names = ["Ghent", "Berlin", "London", "Zurich", "Calgary"];
	const t = agg(
		2,
		"tour",
		"sum",
		names.map((n): [KeyValue[], AggData] => [[str(n)], sum(1)]),
	);
	assert.equal(formatPrinta([t], "%s\n"), "Berlin\nCalgary\nGhent\nLondon\nZurich\n");
	const k = agg(
		3,
		"i32",
		"sum",
		[-2, -1, 0, 1, 2].map((v): [KeyValue[], AggData] => [[int(v)], sum(v)]),
	);
	assert.equal(formatPrinta([k], "%d ", { aggsortkey: true }), "0 1 2 -2 -1 ");
	assert.equal(formatPrinta([k], "%d "), "-2 -1 0 1 2 ", "by value");
});

test("aggsortkey, aggsortkeypos and aggsortrev (aggs/tst.keysort, tst.valsortkeypos)", () => {
	const a = agg(1, "", "sum", [
		[[int(1), int(3)], sum(0)],
		[[int(2), int(2)], sum(0)],
		[[int(3), int(1)], sum(0)],
	]);
	assert.equal(formatPrinta([a], "%d%d "), "13 22 31 ");
	assert.equal(formatPrinta([a], "%d%d ", { aggsortkeypos: 1 }), "31 22 13 ", "equal values: keys from position 1");
	assert.equal(formatPrinta([a], "%d%d ", { aggsortkeypos: 1, aggsortrev: true }), "13 22 31 ");
	assert.equal(formatPrinta([a], "%d%d ", { aggsortkeypos: 5 }), "13 22 31 ", "a position past the keys is 0");
});

test("histograms in the default layout: key line, histogram, blank line (aggs/tst.lquantize, tst.clearlquantize)", () => {
	const b = new Array<bigint>(14).fill(0n);
	b[2] = 1n;
	const a = agg(1, "a", "lquantize", [
		[[int(0)], { fn: "lquantize", params: { base: -100, step: 100, levels: 12 }, buckets: b }],
	]);
	assert.equal(
		formatPrinta([a], undefined),
		"\n        0\n           value  ------------- Distribution ------------- count    \n" +
			"            -100 |                                         0        \n" +
			"               0 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1        \n" +
			"             100 |                                         0        \n\n",
	);
});

test("printa of several aggregations joins rows on keys, zeros where one lacks a key (multiaggs/tst.zero)", () => {
	const foo = agg(1, "foo", "sum", [
		[[int(123)], sum(123)],
		[[int(789)], sum(789)],
	]);
	const bar = agg(2, "bar", "sum", [
		[[int(456)], sum(456)],
		[[int(789)], sum(789)],
	]);
	assert.equal(
		formatPrinta([foo, bar], "%10d %@10d %@10d\n"),
		"       456          0        456\n       123        123          0\n       789        789        789\n",
	);
	const bop = agg(3, "bop", "quantize", []);
	const out = formatPrinta([foo, bar, bop], "%10d %@10d %@10d %@10d\n").split("\n");
	assert.equal(out[0], "       456          0        456 ");
	assert.equal(out[2], "              -1 |                                         0        ");
	assert.equal(
		formatPrinta([foo, bar], undefined).split("\n")[1],
		`${"456".padStart(9)}${"0".padStart(17)}${"456".padStart(17)}`,
	);
});

test("aggsortpos sorts joined rows by another aggregation (multiaggs/tst.sortpos)", () => {
	const rows = (f: (i: number) => number) =>
		agg(
			0,
			"",
			"sum",
			[1, 2, 3, 4].map((i): [KeyValue[], AggData] => [[int(i, 8)], sum(f(i))]),
		);
	const a = { ...rows((i) => i), id: 1 };
	const b = { ...rows((i) => (2 + i) % 4), id: 2 };
	assert.deepEqual(
		joinRows([a, b], { aggsortpos: 1 }).map((r) => Number((r.key[0] as { value: bigint }).value)),
		[2, 3, 4, 1],
	);
	assert.equal(joinRows([a, b], { aggsortpos: 9 })[0].key[0].kind, "int", "a position past the aggregations is 0");
});

test("at exit: each aggregation printa() has not printed, in declaration order, no blank line between (aggs/tst.multiaggs2, tst.clear)", () => {
	const a = agg(1, "a", "avg", [[[], { fn: "avg", count: 10n, sum: 4500n }]]);
	const b = agg(2, "b", "sum", [[[], sum(4500)]]);
	const c = agg(3, "c", "min", [[[], { fn: "min", value: 0n }]]);
	assert.equal(formatAggregations([c, b, a]), "              450\n             4500\n                0\n");
	b.printed = true;
	assert.equal(formatAggregations([c, b, a]), "              450\n                0\n");
	assert.equal(formatAggregations([agg(4, "d", "max", [])]), "", "an aggregation without rows prints nothing");
	assert.equal(
		formatAggregations([a, c], { aggsortrev: true }),
		"                0\n              450\n",
		"aggsortrev reverses the aggregations too",
	);
});

test("printa marks what it printed; an empty aggregation prints the newline only (multiaggs/tst.zero3)", () => {
	const a = agg(1, "a", "sum", [[[], sum(1)]]);
	formatPrinta([a], "%@d");
	assert.equal(a.printed, true);
	const empty = agg(2, "e", "quantize", []);
	assert.equal(formatPrinta([empty], undefined), "\n");
	assert.equal(formatPrinta([empty, agg(3, "f", "lquantize", [])], "%@10d %@10d\n"), "");
	assert.equal(empty.printed, undefined);
});
