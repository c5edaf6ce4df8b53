// clear(), trunc(), normalize() and denormalize() as what DTrace then
// prints (aggs/tst.clear*, tst.trunc*, tst.normalize*, tst.denormalize*).
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	clearAggregation,
	denormalizeAggregation,
	normalizeAggregation,
	truncAggregation,
} from "../../../source/output/aggops.ts";
import { formatPrinta } from "../../../source/output/aggregate.ts";
import type { AggData, AggregationSnapshot, KeyValue } from "../../../source/output/model.ts";

const k = (v: number): KeyValue => ({ kind: "int", value: BigInt(v), size: 4, signed: true });
function sums(values: [number, number][]): AggregationSnapshot {
	return {
		id: 1,
		name: "func",
		fn: "sum",
		normal: 1n,
		rows: values.map(([key, v]) => ({ key: [k(key)], data: { fn: "sum", value: BigInt(v) } as AggData })),
	};
}

test("clear() keeps every key with a zero value (aggs/tst.clear, tst.clear-one)", () => {
	const a = clearAggregation(
		sums([
			[0, 500],
			[1, 700],
		]),
	);
	assert.equal(formatPrinta([a], undefined), "\n        0                0\n        1                0\n");
	const min: AggregationSnapshot = {
		id: 2,
		name: "m",
		fn: "min",
		normal: 1n,
		rows: [{ key: [], data: { fn: "min", value: 3n } }],
	};
	assert.equal(formatPrinta([clearAggregation(min)], "%@d"), "9223372036854775807", "DTrace resets min() to INT64_MAX");
	const avg: AggregationSnapshot = {
		id: 3,
		name: "t",
		fn: "avg",
		normal: 1n,
		rows: [{ key: [], data: { fn: "avg", count: 5n, sum: 9n } }],
	};
	assert.equal(formatPrinta([clearAggregation(avg)], " %@d\n"), " 0\n", "aggs/tst.clearavg2");
});

test("trunc(@, n) keeps the n highest, trunc(@, -n) the n lowest, trunc(@) none (aggs/tst.trunc, tst.negtrunc, tst.trunc0)", () => {
	const a = sums(Array.from({ length: 100 }, (_, i): [number, number] => [i, i]));
	const top = truncAggregation(a, 10n);
	assert.equal(top.kept.rows.length, 10);
	assert.equal(top.removed.length, 90);
	assert.equal(formatPrinta([top.kept], "%d "), "90 91 92 93 94 95 96 97 98 99 ");
	assert.equal(formatPrinta([truncAggregation(a, -10n).kept], "%d "), "0 1 2 3 4 5 6 7 8 9 ");
	assert.equal(truncAggregation(a).kept.rows.length, 0);
	assert.equal(truncAggregation(a, 1000n).kept.rows.length, 100);
});

test("normalize(@, n) divides what prints; denormalize(@) undoes it (aggs/tst.normalize, tst.fmtnormalize, tst.clearnormalize)", () => {
	const a = sums([
		[0, 3000],
		[1, 3400],
	]);
	const n = normalizeAggregation(a, 5n);
	assert.equal(formatPrinta([n], "%u %@u\n"), "0 600\n1 680\n");
	assert.equal(formatPrinta([n], undefined), "\n        0              600\n        1              680\n");
	assert.equal(formatPrinta([denormalizeAggregation(n)], "%@u "), "3000 3400 ");
	// Normalized values still sort by the unnormalized ones.
	assert.equal(
		formatPrinta(
			[
				normalizeAggregation(
					sums([
						[0, 9],
						[1, 6],
					]),
					5n,
				),
			],
			"%d:%@d ",
		),
		"1:1 0:1 ",
	);
});
