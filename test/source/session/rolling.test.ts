import assert from "node:assert/strict";
import { test } from "node:test";
import { HISTORY_TICKS, RollingCounter } from "../../../source/session/rolling.ts";

test("rate, windows and total under a fake clock with 1 s ticks", () => {
	const r = new RollingCounter();
	let raw = 0;
	// 100 firings per second for 70 s.
	for (let t = 0; t <= 70_000; t += 1000) {
		r.observe(t, raw);
		raw += 100;
	}
	assert.equal(r.rate, 100);
	assert.equal(r.total, 7000);
	assert.equal(r.window(10_000), 1000);
	assert.equal(r.window(60_000), 6000);
	assert.equal(r.history.length, HISTORY_TICKS);
	assert.ok(r.history.every((d) => d === 100));
});

test("windows shorter than the time since enabled count everything", () => {
	const r = new RollingCounter();
	r.observe(0, 5);
	r.observe(1000, 15);
	r.observe(2000, 45);
	assert.equal(r.total, 45);
	assert.equal(r.window(10_000), 45);
	assert.equal(r.rate, 30);
});

test("a baseline observation does not count when fromZero is false", () => {
	const r = new RollingCounter();
	r.observe(0, 1000, false);
	r.observe(500, 1010);
	assert.equal(r.total, 10);
	assert.equal(r.rate, 20); // 10 in half a second
});

test("a counter that restarts (evicted key made anew) keeps counting forward", () => {
	const r = new RollingCounter();
	r.observe(0, 50);
	r.observe(1000, 80);
	r.observe(2000, 7);
	assert.equal(r.total, 87);
	assert.deepEqual(r.history, [50, 30, 7]);
});

test("changing the tick length keeps windows in wall time", () => {
	const r = new RollingCounter();
	let t = 0;
	let raw = 0;
	for (let i = 0; i < 20; i++) {
		r.observe(t, raw);
		t += 1000;
		raw += 10;
	}
	// switch to 250 ms ticks at 10 firings/s
	for (let i = 0; i < 60; i++) {
		r.observe(t, raw);
		t += 250;
		raw += 2.5;
	}
	assert.equal(r.rate, 10);
	assert.equal(r.window(10_000), 100);
});

test("clear restarts totals and windows", () => {
	const r = new RollingCounter();
	r.observe(0, 0);
	r.observe(1000, 100);
	r.clear();
	assert.equal(r.total, 0);
	assert.equal(r.window(10_000), 0);
	r.observe(2000, 130);
	assert.equal(r.total, 30);
	assert.equal(r.window(10_000), 30);
	assert.deepEqual(r.history, [30]);
});

test("RollingCounter.restart: counts the rebuilt enabling's firings from zero and keeps the rate over the moment right after", () => {
	const c = new RollingCounter();
	c.observe(0, 0);
	c.observe(1000, 100);
	assert.equal(c.rate, 100);
	c.restart();
	// Read at once after the rebuild: 2 firings in 10 ms are not a rate.
	c.observe(1010, 2);
	assert.equal(c.rate, 100);
	assert.equal(c.total, 102);
	// A whole tick later: the rate of that tick.
	c.observe(2010, 52);
	assert.equal(c.rate, 50);
	assert.equal(c.total, 152);
});
