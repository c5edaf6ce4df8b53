// An ERROR clause's exit() happens inside the faulting firing, as in DTrace
// (source/app/error-exit.ts): its status is the one dtop exits with, and the
// firing's later clauses print nothing (DTrace's speculation/ tests of
// commit() and discard() of an invalid id: exit status 1, empty output).
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

for (const op of ["commit", "discard"]) {
	test(`${op}() of an id past nspec faults; ERROR's exit(1) wins over a later clause's exit(0)`, async () => {
		const r = await runDtop([
			"-q",
			"-x",
			"nspec=4",
			"-n",
			`BEGIN { ${op}(99); } BEGIN { printf("later\\n"); } BEGIN { exit(0); } ERROR { exit(1); }`,
		]);
		assert.equal(r.code, 1, r.stderr);
		assert.equal(r.stdout, "\n");
		assert.match(
			r.stderr,
			/^dtop: error on enabled probe ID 1 \(ID 1: dtrace:::BEGIN\): illegal operation in action #1$/m,
		);
	});
}

test("a kernel fault (copyinstr of 0) with an exiting ERROR: its status, nothing from the later clauses", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'BEGIN { printf("first\\n"); } BEGIN { printf("%s\\n", copyinstr(0)); } BEGIN { printf("later\\n"); exit(0); } ERROR { exit(3); }',
	]);
	assert.equal(r.code, 3, r.stderr);
	assert.equal(r.stdout, "first\n\n");
	assert.match(r.stderr, /invalid address \(0x0\)/);
});

test("an ERROR clause that does not exit leaves the firing's later clauses and their exit() alone", async () => {
	const r = await runDtop([
		"-q",
		"-x",
		"nspec=4",
		"-n",
		'BEGIN { commit(99); } BEGIN { printf("later\\n"); exit(0); } ERROR { printf("error %d\\n", arg4); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "later\nerror 3\n\n");
});
