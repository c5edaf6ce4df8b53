// pid$target:libc.so:malloc:entry enables malloc in libc.so.6, as in DTrace
// (pid/tst.probefunc.d names libc.so); probemod is still the object's full name.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";

test("a module without its version suffix matches the shared object; libc alone does not", async () => {
	const r = await runDtop(
		["-q", "-n", "pid$target:libc.so:malloc:entry { @[probemod] = count(); }", "-c", `${SIMPLE} --count 1`],
		{
			timeoutMs: 30_000,
			untilClosed: true,
		},
	);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /^ {2}libc\.so\.6 +[1-9]\d*$/m);
	const bare = await runDtop(
		["-q", "-n", "pid$target:libc:malloc:entry { @[probemod] = count(); }", "-c", `${SIMPLE} --count 1`],
		{
			timeoutMs: 30_000,
			untilClosed: true,
		},
	);
	assert.notEqual(bare.code, 0);
	assert.match(bare.stderr, /probe description pid\d+:libc:malloc:entry does not match any probes/);
});
