// Macro arguments from the command line after the program, as DTrace's macro/
// tests describe them: $1..$9 as integers (any radix) or identifiers, $$1 as a
// string, $pid/$uid of the tracer, $target of -c; a missing argument or an
// unreferenced last one is an error naming it, before anything is loaded.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

test("$1 $2 as integers of any radix, $$3 as a string, with -n", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'BEGIN { printf("%d %d %s\\n", $1 + 1, $2 * 2, $$3); exit(0); }',
		"41",
		"0x10",
		"hello",
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.trim(), "42 32 hello");
});

test("-s script followed by its arguments; $1 in a predicate and in a probe description", async () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-macros-"));
	const path = join(dir, "args.d");
	writeFileSync(path, 'syscall::$1:entry /pid == $target && arg2 == $2/ { n++; } END { printf("%d\\n", n); }\n');
	const r = await runDtop([
		"-q",
		"-s",
		path,
		"-c",
		"sh -c 'echo abc > /dev/null; echo defgh > /dev/null'",
		"write",
		"4",
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.trim(), "1");
});

test("$pid and $uid are dtop's own; $target is the -c process", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'BEGIN { printf("%d %d %d\\n", $pid > 1, $uid, $target > 1); exit(0); }',
		"-c",
		"sleep 0",
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.trim(), `1 ${process.getuid?.() ?? 0} 1`);
});

test("a macro argument not given is an error naming it", async () => {
	const r = await runDtop(["-n", 'BEGIN { printf("%d\\n", $2); exit(0); }', "1"]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /^dtop: invalid probe specifier .*: line 1: macro argument \$2 is not defined$/m);
});

test("an argument the program does not reference is an error naming it", async () => {
	const r = await runDtop(["-n", 'BEGIN { printf("%d\\n", $1); exit(0); }', "1", "2"]);
	assert.equal(r.code, 1);
	assert.match(r.stderr, /extraneous argument '2' \(\$2 is not referenced\)/);
});

test("arguments without a program are refused as before", async () => {
	const r = await runDtop(["-l", "stray"]);
	assert.equal(r.code, 2);
	assert.match(r.stderr, /^dtop: unexpected argument 'stray'/);
});
