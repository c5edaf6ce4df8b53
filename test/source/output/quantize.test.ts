// quantize(), lquantize() and llquantize(): buckets as DTrace's code
// generator computes them and rows as dt_consume.c prints them. Expected
// rows are those of DTrace's tests in test/unittest/aggs (named per test).
import assert from "node:assert/strict";
import { test } from "node:test";
import { llquantizeBins } from "../../../source/output/aggvalue.ts";
import { QUANTIZE_NBUCKETS, QUANTIZE_ZEROBUCKET } from "../../../source/output/model.ts";
import {
	DIST_HEADER,
	formatLLQuantize,
	formatLQuantize,
	formatQuantize,
	llquantizeBucket,
	lquantizeBucket,
	quantizeBucket,
	quantizeBucketValue,
} from "../../../source/output/quantize.ts";

function quantize(values: [bigint | number, bigint | number][]): bigint[] {
	const b = new Array<bigint>(QUANTIZE_NBUCKETS).fill(0n);
	for (const [v, n] of values) b[quantizeBucket(BigInt(v))] += BigInt(n);
	return b;
}

const HEADER = "           value  ------------- Distribution ------------- count    \n";

test("the header: value right-aligned in 16, the Distribution title, count padded to 9", () => {
	assert.equal(DIST_HEADER, `\n${HEADER}`);
});

test("quantize buckets: 0, then powers of two to ±2^62; nothing below -2^62 or above 2^62", () => {
	assert.equal(quantizeBucket(0n), QUANTIZE_ZEROBUCKET);
	assert.equal(quantizeBucketValue(quantizeBucket(1n)), 1n);
	assert.equal(quantizeBucketValue(quantizeBucket(3n)), 2n);
	assert.equal(quantizeBucketValue(quantizeBucket(1023n)), 512n);
	assert.equal(quantizeBucketValue(quantizeBucket(-5n)), -4n);
	assert.equal(quantizeBucket(2n ** 63n - 1n), QUANTIZE_NBUCKETS - 1);
	assert.equal(quantizeBucket(-(2n ** 63n)), 0);
	assert.equal(quantizeBucketValue(0), -(2n ** 62n));
	assert.equal(quantizeBucketValue(QUANTIZE_NBUCKETS - 1), 2n ** 62n);
});

test("rows: one empty bucket either side of the recorded ones, bars of 40, the count padded (aggs/tst.quantround)", () => {
	const out = formatQuantize(
		quantize([
			[0, 2],
			[1, 6],
			[2, 19],
		]),
	);
	assert.equal(
		out,
		`\n${HEADER}` +
			"              -1 |                                         0        \n" +
			"               0 |@@@                                      2        \n" +
			"               1 |@@@@@@@@@                                6        \n" +
			"               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@             19       \n" +
			"               4 |                                         0        \n",
	);
});

test("the lowest and highest buckets are DTrace's, never -9223372036854775808 (aggs/tst.quantlast, tst.allquant)", () => {
	const top = formatQuantize(quantize([[0x4000000000000000n, 1234]])).split("\n");
	assert.deepEqual(top.slice(2, 4), [
		"2305843009213693952 |                                         0        ",
		"4611686018427387904 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1234     ",
	]);
	const bottom = formatQuantize(quantize([[-(2n ** 63n), 5]]));
	assert.ok(bottom.includes("\n-4611686018427387904 |@@@@"));
	assert.ok(!bottom.includes("-9223372036854775808"));
	// Nothing recorded (a clear(), or negative weights summing to zero): the buckets around zero.
	assert.equal(
		formatQuantize(quantize([])),
		`\n${HEADER}              -1 |                                         0        \n               0 |                                         0        \n               1 |                                         0        \n`,
	);
});

test("negative counts draw bars to the left; mixed signs draw half bars around a centre line (aggs/tst.negquant)", () => {
	const neg = formatQuantize(quantize([[1, -123]])).split("\n");
	assert.equal(neg[3], "               1 @@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@| -123     ");
	assert.equal(neg[2], "               0                                         | 0        ");
	const mixed = formatQuantize(
		quantize([
			[0, -123],
			[-1, -123],
			[1, 246],
		]),
	).split("\n");
	assert.deepEqual(mixed.slice(2, 7), [
		"              -2                     |                     0        ",
		"              -1                @@@@@|                     -123     ",
		"               0                @@@@@|                     -123     ",
		"               1                     |@@@@@@@@@@           246      ",
		"               2                     |                     0        ",
	]);
});

test("counts past 2^53 print exactly; bars are exact proportions (aggs/tst.negquant, s-castro)", () => {
	const v = 2n ** 63n - 4n;
	const out = formatQuantize(
		quantize([
			[1, v],
			[2, v >> 1n],
			[4, v >> 2n],
			[8, v >> 3n],
		]),
	).split("\n");
	assert.equal(out[3], "               1 |@@@@@@@@@@@@@@@@@@@@@                    9223372036854775804");
	assert.equal(out[4], "               2 |@@@@@@@@@@@                              4611686018427387902");
});

test("normalize() divides the count column, not the bars (aggs/tst.lquantnormal)", () => {
	const b = new Array<bigint>(12).fill(0n);
	for (let i = 1; i <= 10; i++) b[lquantizeBucket(BigInt(i), { base: 0, step: 1, levels: 10 })] += 5n;
	const out = formatLQuantize({ base: 0, step: 1, levels: 10 }, b, { normal: 5n }).split("\n");
	assert.equal(out[2], "               0 |                                         0        ");
	assert.equal(out[3], "               1 |@@@@                                     1        ");
	assert.equal(out[12], "           >= 10 |@@@@                                     1        ");
});

test("lquantize: < base and >= top rows, the nothing-recorded rows (aggs/tst.lquantrange, multiaggs/tst.zero)", () => {
	const p = { base: -10, step: 1, levels: 20 };
	const b = new Array<bigint>(22).fill(0n);
	b[lquantizeBucket(-20n, p)] += 25n;
	assert.deepEqual(formatLQuantize(p, b).split("\n").slice(2, 4), [
		"           < -10 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 25       ",
		"             -10 |                                         0        ",
	]);
	const none = formatLQuantize(p, new Array<bigint>(22).fill(0n)).split("\n");
	assert.deepEqual(
		none.slice(2, 5).map((l) => l.slice(0, 17)),
		["           < -10 ", "             -10 ", "              -9 "],
	);
	assert.equal(lquantizeBucket(10n, p), 21);
	assert.equal(lquantizeBucket(9n, p), 20);
	assert.equal(lquantizeBucket(-11n, p), 0);
	// levels = (limit - base) / step: lquantize(x, 0, 10, 3) has 3 levels, top ">= 9".
	const q = { base: 0, step: 3, levels: 3 };
	const c = new Array<bigint>(5).fill(0n);
	c[lquantizeBucket(100n, q)] = 1n;
	assert.ok(formatLQuantize(q, c).includes("            >= 9 |@@@@"));
});

test("llquantize: log-linear buckets, DTrace's labels, rows without a label skipped (aggs/tst.llquantround, tst.llquantstep)", () => {
	const p = { factor: 10, lmag: 0, hmag: 2, steps: 20 };
	const b = new Array<bigint>(llquantizeBins(p)).fill(0n);
	for (const [v, n] of [
		[0, 2],
		[1, 6],
		[2, 19],
	])
		b[llquantizeBucket(BigInt(v), p)] += BigInt(n);
	assert.equal(
		formatLLQuantize(p, b),
		`\n${HEADER}` +
			"              -1 |                                         0        \n" +
			"               0 |@@@                                      2        \n" +
			"               1 |@@@@@@@@@                                6        \n" +
			"               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@             19       \n" +
			"               3 |                                         0        \n",
	);
	const s = { factor: 3, lmag: 3, hmag: 5, steps: 27 };
	const c = new Array<bigint>(llquantizeBins(s)).fill(0n);
	for (let i = 0; i < 1500; i++) c[llquantizeBucket(BigInt(i), s)]++;
	const rows = formatLLQuantize(s, c).split("\n");
	assert.equal(rows[2], "             -27 |                                         0        ");
	assert.equal(rows[3], "      abs() < 27 |@                                        27       ");
	assert.equal(rows.at(-2), "          >= 729 |@@@@@@@@@@@@@@@@@@@@@                    771      ");
});
