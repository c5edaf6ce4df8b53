// strsize (DTrace's default 256) counts characters, the NUL not among them: a
// string holds strsize characters (DTrace's funcs/strlen/tst.capped-sizw: strlen
// of nine characters is 5 at strsize=5). Strings read by copyinstr, kept as keys
// and compared are cut there, not earlier; a string cut at strsize is counted and
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

test("two 300-byte paths stay distinct keys with the default strsize, each cut at 256 bytes and counted", async () => {
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
	assert.equal(byKey.get(A.slice(0, 256)), 2);
	assert.equal(byKey.get(B.slice(0, 256)), 1);
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

test("#pragma D option strsize=100 cuts keys at 100 bytes: the two paths become one key, 3 cuts", async () => {
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
		[[A.slice(0, 100), 3]],
	);
	assert.match(r.stderr, /dtop: 3 strings cut at strsize/);
});

test("== compares strsize bytes: paths equal in their first 200 bytes differ, printf prints 256 bytes", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		`syscall::openat:entry /pid == $target && copyinstr(arg1) != "${A}"/ { printf("%s\\n", copyinstr(arg1)); }`,
		"-c",
		cat,
	]);
	assert.equal(r.code, 0, r.stderr);
	const printed = r.stdout.split("\n").filter((l) => l.startsWith("/tmp/dtop-strsize"));
	assert.deepEqual(printed, [B.slice(0, 256)]);
});

test("strsize counts characters, the NUL apart: at strsize=5 strlen of nine is 5, and a literal, probeprov, a variable and a key keep 5", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		`#pragma D option strsize=5
BEGIN { x = "abcdefgh"; printf("%d|%s|%s|%s|%s|", strlen("123456789"), "abcdefgh", probeprov, x, 1 > 0 ? "yesyesyes" : "no"); trace("uvwxyz"); @[x] = count(); exit(0); }`,
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(
		r.stdout,
		"5|abcde|dtrac|abcde|yesye|uvwxy\n  abcde                                                             1\n",
	);
});

test("at strsize=13 a 13-character string and substr(x, 0, 13) are whole", async () => {
	const r = await runDtop([
		"-q",
		"-x",
		"strsize=13",
		"-n",
		'BEGIN { x = "1234567890123"; printf("%s|%s|%s|%d\\n", x, substr(x, 0, 13), substr(x, 0, 12), strlen(strjoin(x, "45"))); exit(0); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "1234567890123|1234567890123|123456789012|13\n\n");
});
