// illumos DTrace's agghist, aggpack and aggzoom layouts (DTrace for Linux
// lacks these options; the expected rows follow illumos libdtrace's
// dt_print_quanthdr, dt_print_quantline and dt_print_packed).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ndigits } from "../../../source/output/aggpack.ts";
import { formatAggregations, formatPrinta } from "../../../source/output/aggregate.ts";
import type { AggregationSnapshot, KeyValue } from "../../../source/output/model.ts";
import { QUANTIZE_NBUCKETS } from "../../../source/output/model.ts";
import { quantizeBucket } from "../../../source/output/quantize.ts";

const s = (v: string): KeyValue => ({ kind: "string", value: v });

test("agghist: one bar per key of a count() under a key header", () => {
	const a: AggregationSnapshot = {
		id: 1,
		name: "",
		fn: "count",
		normal: 1n,
		rows: [
			{ key: [s("bash")], data: { fn: "count", value: 3n } },
			{ key: [s("sshd")], data: { fn: "count", value: 1n } },
		],
	};
	const out = formatPrinta([a], undefined, { agghist: true }).split("\n");
	assert.deepEqual(out, [
		"",
		"",
		"              key  ------------- Distribution ------------- count    ",
		"             sshd |@@@@@@@@@@                               1        ",
		"             bash |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@           3        ",
		"",
	]);
	// aggzoom: the bar total is the largest value / 0.95 (truncated), so it fills 95 % (38 of 40).
	const big: AggregationSnapshot = {
		...a,
		printed: false,
		rows: [
			{ key: [s("bash")], data: { fn: "count", value: 3000n } },
			{ key: [s("sshd")], data: { fn: "count", value: 1000n } },
		],
	};
	const zoomed = formatAggregations([big], { agghist: true, aggzoom: true }).split("\n");
	assert.equal(zoomed[3], `             bash |${"@".repeat(38)}   3000     `);
	assert.equal(zoomed[2], `             sshd |${"@".repeat(13)}${" ".repeat(27)} 1000     `);
});

test("aggpack: each key's quantize() on one line between the lowest and highest bucket any key uses", () => {
	const buckets = (vals: number[]) => {
		const b = new Array<bigint>(QUANTIZE_NBUCKETS).fill(0n);
		for (const v of vals) b[quantizeBucket(BigInt(v))]++;
		return b;
	};
	const a: AggregationSnapshot = {
		id: 1,
		name: "",
		fn: "quantize",
		normal: 1n,
		rows: [
			{ key: [s("a")], data: { fn: "quantize", buckets: buckets([1, 2, 2, 3]) } },
			{ key: [s("b")], data: { fn: "quantize", buckets: buckets([4, 4, 4, 4]) } },
		],
	};
	const out = formatPrinta([a], undefined, { aggpack: true, encoding: "ascii" }).split("\n");
	assert.equal(out[2], "              key  min .-----. max  | count");
	// Buckets 0..8 (one empty either side); a's counts 1 and 3 of 4 are levels round(7/4) and round(21/4).
	assert.equal(out[3], "                a    0 : xx  : 8    | 4");
	assert.equal(out[4], "                b    0 :   X : 8    | 4");
	const utf8 = formatPrinta([a], undefined, { aggpack: true }).split("\n");
	assert.equal(utf8[3], "                a    0 : \u2583\u2586  : 8    | 4");
	assert.equal(ndigits(10n), 4);
	assert.equal(ndigits(-123456n), 7);
});
