// Durations longer than Node's timers hold (2^31-1 ms, ~24.8 days).
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

test("-d 2592000 (30 days) runs until the command exits, not 1 ms", async () => {
	const t0 = Date.now();
	const r = await runDtop([
		"-q",
		"-d",
		"2592000",
		"-n",
		"syscall:::entry /pid == $target/ { @ = count(); }",
		"-c",
		"sleep 1.5",
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.ok(Date.now() - t0 >= 1400, `ended after ${Date.now() - t0} ms`);
	assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/);
});

test("--interval 30d prints once at the end, not hundreds of times a second", async () => {
	const r = await runDtop([
		"-q",
		"--interval",
		"30d",
		"-n",
		"syscall:::entry /pid == $target/ { @ = count(); }",
		"-c",
		"sleep 1",
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/);
	assert.equal(
		r.stdout
			.trim()
			.split("\n")
			.filter((l) => l.trim()).length,
		1,
		r.stdout,
	);
});
