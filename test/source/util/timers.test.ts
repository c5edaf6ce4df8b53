import assert from "node:assert/strict";
import { test } from "node:test";
import { longInterval, longTimeout } from "../../../source/util/timers.ts";

test("a 30-day timeout does not fire within the first second (Node's own overflows to 1 ms)", async () => {
	let fired = false;
	const t = longTimeout(() => {
		fired = true;
	}, 30 * 86_400_000);
	await new Promise((r) => setTimeout(r, 1000));
	t.clear();
	assert.equal(fired, false);
});

test("a 30-day interval does not fire within the first second", async () => {
	let n = 0;
	const t = longInterval(() => n++, 30 * 86_400_000);
	await new Promise((r) => setTimeout(r, 1000));
	t.clear();
	assert.equal(n, 0);
});

test("short timers still fire, once and repeatedly", async () => {
	let once = 0;
	let many = 0;
	longTimeout(() => once++, 20);
	const t = longInterval(() => many++, 20);
	await new Promise((r) => setTimeout(r, 250));
	t.clear();
	assert.equal(once, 1);
	assert.ok(many >= 5, `${many} firings`);
});
