// strsize (DTrace's default 256): strings read by copyinstr, kept as keys and
// compared are cut there, not earlier; a string cut at strsize is counted and
// reported (DTrace cuts silently), in the view (--json) and on stderr.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

// Two 300-byte paths that differ only after byte 80 (openat fails on them: the
// probe sees the pointer all the same). Each component stays under NAME_MAX.
const stem = `/tmp/dtop-strsize-${"a".repeat(60)}/${"b".repeat(100)}/`;
const long = (c: string) => `${stem}${c.repeat(300 - stem.length)}`;
const A = long("x");
const B = long("y");
const cat = `/bin/cat ${A} ${B} ${A}`;

function keys(json: string): { key: string[]; value: number }[] {
	const line = json.split("\n").find((l) => l.startsWith("{"));
	assert.ok(line, `no JSON in ${json}`);
	return JSON.parse(line).rows;
}

test("two 300-byte paths stay distinct keys with the default strsize, each cut at 255 bytes and counted", async () => {
	const r = await runDtop([
		"--json",
		"-n",
		"syscall::openat:entry /pid == $target/ { @[copyinstr(arg1)] = count(); }",
		"-c",
		cat,
	]);
	assert.equal(r.code, 0, r.stderr);
	const rows = keys(r.stdout).filter((x) => x.key[0]!.startsWith("/tmp/dtop-strsize"));
	assert.equal(rows.length, 2, JSON.stringify(rows));
	const byKey = new Map(rows.map((x) => [x.key[0], x.value]));
	assert.equal(byKey.get(A.slice(0, 255)), 2);
	assert.equal(byKey.get(B.slice(0, 255)), 1);
	const line = r.stdout.split("\n").find((l) => l.startsWith("{"))!;
	assert.equal(JSON.parse(line).truncated, 3);
	assert.match(r.stderr, /dtop: 3 strings cut at strsize by /);
});

test("-x strsize=1024 keeps the whole path and counts no cut", async () => {
	const r = await runDtop([
		"--json",
		"-x",
		"strsize=1024",
		"-n",
		"syscall::openat:entry /pid == $target/ { @[copyinstr(arg1)] = count(); }",
		"-c",
		cat,
	]);
	assert.equal(r.code, 0, r.stderr);
	const rows = keys(r.stdout).filter((x) => x.key[0]!.startsWith("/tmp/dtop-strsize"));
	assert.deepEqual(new Set(rows.map((x) => x.key[0])), new Set([A, B]));
	assert.doesNotMatch(r.stderr, /cut at strsize/);
});

test("#pragma D option strsize=100 cuts keys at 99 bytes: the two paths become one key, 3 cuts", async () => {
	const r = await runDtop([
		"--json",
		"-n",
		"#pragma D option strsize=100\nsyscall::openat:entry /pid == $target/ { @[copyinstr(arg1)] = count(); }",
		"-c",
		cat,
	]);
	assert.equal(r.code, 0, r.stderr);
	const rows = keys(r.stdout).filter((x) => x.key[0]!.startsWith("/tmp/dtop-strsize"));
	assert.deepEqual(
		rows.map((x) => [x.key[0], x.value]),
		[[A.slice(0, 99), 3]],
	);
	assert.match(r.stderr, /dtop: 3 strings cut at strsize/);
});

test("== compares strsize bytes: paths equal in their first 200 bytes differ, printf prints 255 bytes", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		`syscall::openat:entry /pid == $target && copyinstr(arg1) != "${A}"/ { printf("%s\\n", copyinstr(arg1)); }`,
		"-c",
		cat,
	]);
	assert.equal(r.code, 0, r.stderr);
	const printed = r.stdout.split("\n").filter((l) => l.startsWith("/tmp/dtop-strsize"));
	assert.deepEqual(printed, [B.slice(0, 255)]);
});
