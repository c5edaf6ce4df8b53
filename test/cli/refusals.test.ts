// Probes the kernel refuses alone are skipped with one line; the rest count.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";

test("pid$target:libc.so.6::entry attaches every libc function but those the kernel refuses, and says so in one line", async () => {
	const r = await runDtop(["-n", "pid$target:libc.so.6::entry { @ = count(); }", "-c", `${SIMPLE} --count 3`], {
		timeoutMs: 60_000,
	});
	assert.equal(r.code, 0, r.stderr);
	const skipped = r.stderr.split("\n").filter((l) => /skipped/.test(l));
	assert.equal(skipped.length, 1, r.stderr);
	assert.match(
		skipped[0],
		/^dtop: \d+ probes? skipped \(.*cannot probe the instruction there \(ENOTSUPP\).*pthread_spin_lock/,
	);
	assert.ok(Number(r.stdout.trim()) > 20, `libc calls counted: ${r.stdout}`);
	assert.doesNotMatch(r.stderr, /as root/);
});

test("-v names every skipped probe and why", async () => {
	const r = await runDtop(["-v", "-n", "pid$target:libc.so.6:pthread_spin_*:entry", "-c", `${SIMPLE} --count 1`]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(
		r.stderr,
		/^dtop: {3}skipped pid\d+:libc\.so\.6:pthread_spin_lock:entry: the kernel cannot probe the instruction there \(ENOTSUPP\)$/m,
	);
});

test("an enabling whose only probe the kernel refuses fails with one line, not a suggestion to run as root", async () => {
	const r = await runDtop(["-n", "pid$target:libc.so.6:pthread_spin_lock:entry", "-c", `${SIMPLE} --count 1`]);
	assert.equal(r.code, 1);
	assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
	assert.match(r.stderr, /^dtop: the kernel refused the probe of the enabling: .*pthread_spin_lock.*ENOTSUPP/);
});

test("every irq_vectors tracepoint attaches, irq_work_exit included, with and without arguments", async () => {
	for (const pred of ["", "/arg0 >= 0/"]) {
		const r = await runDtop(["-d", "1", "-n", `sdt:irq_vectors:: ${pred} { @[probename] = count(); }`]);
		assert.equal(r.code, 0, r.stderr);
		assert.doesNotMatch(r.stderr, /skipped|EPERM|root/, r.stderr);
		assert.match(r.stderr, /matched (\d+) probes?\b/);
		assert.match(r.stdout, /local_timer_entry\s+\d+/, r.stdout);
	}
});
