// llquantize() and the weight arguments of quantize/lquantize/llquantize on
// the real kernel: the buckets the BPF program fills must be those of the
// reference (source/output/quantize.ts, DTrace's dt_cg_agg_llquantize_bin), for
// values across every magnitude, both signs, the edges and INT64's extremes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { llquantizeBins } from "../../source/output/aggvalue.ts";
import type { LLQuantizeParams } from "../../source/output/model.ts";
import { formatLLQuantize, llquantizeBucket } from "../../source/output/quantize.ts";
import { runDtop } from "../helpers/cli.ts";

async function run(d: string): Promise<string> {
	const r = await runDtop(["-q", "-n", d]);
	assert.equal(r.code, 0, r.stderr);
	return r.stdout;
}

function expected(p: LLQuantizeParams, values: [bigint, bigint][]): string {
	const buckets = new Array<bigint>(llquantizeBins(p)).fill(0n);
	for (const [v, w] of values) buckets[llquantizeBucket(v, p)]! += w;
	return formatLLQuantize(p, buckets);
}

const cases: { p: LLQuantizeParams; values: bigint[] }[] = [
	{
		p: { factor: 10, lmag: 0, hmag: 6, steps: 20 },
		values: [
			0n,
			1n,
			9n,
			10n,
			11n,
			99n,
			100n,
			155n,
			999n,
			1000n,
			123456n,
			9999999n,
			10000000n,
			1n << 62n,
			-1n,
			-7n,
			-10n,
			-55n,
			-1000n,
			-(1n << 63n),
		],
	},
	{
		p: { factor: 4, lmag: 0, hmag: 1, steps: 2 },
		values: [-20n, -16n, -12n, -8n, -5n, -4n, -2n, -1n, 0n, 1n, 2n, 3n, 4n, 6n, 8n, 12n, 16n, 20n],
	},
	{
		p: { factor: 2, lmag: 3, hmag: 8, steps: 8 },
		values: [0n, 7n, 8n, 9n, 15n, 16n, 100n, 511n, 512n, 1000n, -9n, -300n],
	},
	{
		p: { factor: 10, lmag: 2, hmag: 4, steps: 10 },
		values: [5n, 99n, 100n, 101n, 250n, 9999n, 10000n, 99999n, 100000n, -150n],
	},
];

test("llquantize fills DTrace's log-linear buckets for values of every magnitude and sign", async () => {
	for (const { p, values } of cases) {
		const weighted = values.map((v, i) => [v, BigInt(i + 1)] as [bigint, bigint]);
		const body = weighted
			.map(([v, w]) => `@ = llquantize(${v < 0n ? `(${v})` : v}, ${p.factor}, ${p.lmag}, ${p.hmag}, ${p.steps}, ${w});`)
			.join(" ");
		const out = await run(`BEGIN { ${body} exit(0); }`);
		assert.equal(
			out.trim(),
			expected(p, weighted).trim(),
			`llquantize(x, ${p.factor}, ${p.lmag}, ${p.hmag}, ${p.steps})`,
		);
	}
});

test("llquantize rows as DTrace prints them: edges '<= -16' and '>= 16' for factor 4, magnitudes 0 to 1, 2 steps", async () => {
	const out = await run(
		"BEGIN { @ = llquantize(-30, 4, 0, 1, 2); @ = llquantize(0, 4, 0, 1, 2); @ = llquantize(3, 4, 0, 1, 2); @ = llquantize(40, 4, 0, 1, 2, 2); exit(0); }",
	);
	const rows = out
		.split("\n")
		.map((l) => /^\s*(\S.*?) \|[@ ]+ (-?\d+)\s*$/.exec(l))
		.filter((m) => m)
		.map((m) => `${m![1]!.trim()}=${m![2]}`);
	assert.deepEqual(rows, ["<= -16=1", "-8=0", "-4=0", "-2=0", "-1=0", "0=1", "1=0", "2=1", "4=0", "8=0", ">= 16=2"]);
});

test("quantize and lquantize take a weight; llquantize's bad parameters are refused with their place", async () => {
	const q = await run("BEGIN { @q = quantize(5, 3); @q = quantize(100, 2); @l = lquantize(3, 0, 10, 1, 7); exit(0); }");
	assert.match(q, /^\s+4 \|@+\s+3\s*$/m);
	assert.match(q, /^\s+64 \|@+\s+2\s*$/m);
	assert.match(q, /^\s+3 \|@{40} 7\s*$/m);
	const r = await runDtop(["-n", "BEGIN { @ = llquantize(1, 10, 0, 30, 20); }"]);
	assert.notEqual(r.code, 0);
	assert.match(r.stderr, /: line 1: .*(63|64) bits/);
	const s = await runDtop(["-n", 'BEGIN { @ = max("x"); }']);
	assert.notEqual(s.code, 0);
	assert.match(s.stderr, /: line 1: .*string/);
});
