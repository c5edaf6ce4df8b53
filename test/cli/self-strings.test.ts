// self-> variables holding strings on the real kernel (source/session/lower-self.ts):
// set and read in one firing and across probes of one thread, unset as "", in
// predicates, as aggregation keys, as string subroutines' arguments, and private
// to their thread (a value set in BEGIN, which runs in dtop's thread, is not the
// traced process's).
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

/** Two writes from the traced shell's one thread (echo is a dash builtin). */
const TWO_WRITES = "sh -c 'echo abc > /dev/null; echo defgh > /dev/null'";

async function quiet(d: string, ...extra: string[]) {
	const r = await runDtop(["-q", ...extra, "-n", d]);
	assert.equal(r.code, 0, r.stderr);
	return r;
}

test('self-> strings in BEGIN: stored, read, unset is "", in a predicate, a key and strjoin', async () => {
	const r = await quiet(
		[
			"self string unset;",
			'BEGIN { self->s = "hello"; printf("[%s] [%s]\\n", self->s, self->unset); self->t = strjoin(self->s, "!"); }',
			'BEGIN /self->t == "hello!"/ { printf("%s %d %s\\n", self->t, strlen(self->t), strstr(self->t, "llo")); @[self->s] = count(); }',
			'BEGIN /self->t != "hello!"/ { printf("wrong\\n"); }',
			"BEGIN { exit(0); }",
		].join("\n"),
	);
	assert.match(r.stdout, /^\[hello\] \[\]\nhello! 6 llo!\n/);
	assert.match(r.stdout, /hello\s+1/);
	assert.doesNotMatch(r.stdout, /wrong/);
});

test("a self-> string lives per thread across probes: BEGIN's is not the traced shell's", async () => {
	const r = await quiet(
		[
			'BEGIN { self->s = "dtop"; }',
			'syscall::write:entry /pid == $target/ { printf("[%s]\\n", self->s); self->s = lltostr(arg2); }',
			'syscall::write:return /pid == $target/ { printf("%s %s\\n", self->s, self->s == lltostr(arg1) ? "same" : "differs"); }',
		].join("\n"),
		"-c",
		TWO_WRITES,
	);
	assert.equal(r.stdout.trim(), "[]\n4 same\n[4]\n6 same");
});
