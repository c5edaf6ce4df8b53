// Per-CPU record streams in output order: each CPU's order kept, CPUs merged
// by timestamp at each drain (or one after another, as DTrace for Linux's
// dtrace_consume() prints them), BEGIN first and END last, drops counted.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { EventMerger, type Timed } from "../../../source/output/merge.ts";

interface R extends Timed {
	id: string;
}
const r = (id: string, cpu: number, ts: number, phase?: "begin" | "end"): R => ({
	id,
	cpu,
	timestamp: BigInt(ts),
	phase,
});

test("records of several CPUs come out by timestamp; ties by CPU", () => {
	const m = new EventMerger<R>();
	m.push(1, [r("b1", 1, 20), r("b2", 1, 40)]);
	m.push(0, [r("a1", 0, 10), r("a2", 0, 40), r("a3", 0, 50)]);
	assert.deepEqual(
		m.drain().records.map((x) => x.id),
		["a1", "b1", "a2", "b2", "a3"],
	);
	assert.deepEqual(m.drain().records, [], "a drain takes everything");
});

test("one CPU's order is kept even when its timestamps are not monotonic", () => {
	const m = new EventMerger<R>();
	m.push(0, [r("a1", 0, 30), r("a2", 0, 10)]);
	m.push(1, [r("b1", 1, 20)]);
	const out = m.drain().records.map((x) => x.id);
	assert.ok(out.indexOf("a1") < out.indexOf("a2"));
});

test("BEGIN's records first and END's last, whatever their CPU and stamps (dtrace_consume)", () => {
	const m = new EventMerger<R>();
	m.push(1, [r("x", 1, 5), r("end", 1, 6, "end")]);
	m.push(0, [r("begin", 0, 9, "begin"), r("y", 0, 10)]);
	assert.deepEqual(
		m.drain().records.map((x) => x.id),
		["begin", "x", "y", "end"],
	);
});

test("cpu order: each CPU's records after the previous CPU's", () => {
	const m = new EventMerger<R>("cpu");
	m.push(1, [r("b1", 1, 1)]);
	m.push(0, [r("a1", 0, 5), r("a2", 0, 6)]);
	assert.deepEqual(
		m.drain().records.map((x) => x.id),
		["a1", "a2", "b1"],
	);
});

test("drops are counted per CPU and reported once", () => {
	const m = new EventMerger<R>();
	m.drop(1, 3);
	m.drop(1, 2n);
	m.drop(0, 0);
	assert.deepEqual([...m.drain().drops], [[1, 5n]]);
	assert.equal(m.drain().drops.size, 0);
});

test("property: the merge is a permutation keeping per-CPU order, sorted by time within a drain", () => {
	fc.assert(
		fc.property(fc.array(fc.array(fc.nat(1000), { maxLength: 30 }), { minLength: 1, maxLength: 6 }), (cpus) => {
			const m = new EventMerger<R>();
			for (const [c, stamps] of cpus.entries())
				m.push(
					c,
					[...stamps].sort((a, b) => a - b).map((t, i) => r(`${c}:${i}`, c, t)),
				);
			const out = m.drain().records;
			assert.equal(out.length, cpus.flat().length);
			for (let i = 1; i < out.length; i++) assert.ok(out[i - 1].timestamp <= out[i].timestamp);
			for (let c = 0; c < cpus.length; c++) {
				const mine = out.filter((x) => x.cpu === c).map((x) => Number(x.id.split(":")[1]));
				assert.deepEqual(
					mine,
					mine.map((_, i) => i),
				);
			}
		}),
	);
});
