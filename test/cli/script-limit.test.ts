// -s of something endless (/dev/zero, a FIFO nobody closes) is refused in
// bounded memory and time, with one sentence.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

test("-s /dev/zero is refused within a second, in one line, without growing", async () => {
	const t0 = Date.now();
	const r = await runDtop(["-s", "/dev/zero"], { timeoutMs: 10_000 });
	const ms = Date.now() - t0;
	assert.equal(r.code, 1);
	assert.equal(r.stderr, "dtop: script '/dev/zero' is larger than 4 MiB, the most dtop reads; is it the right file?\n");
	assert.ok(ms < 3000, `took ${ms} ms`);
});
