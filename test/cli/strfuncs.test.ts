// D's string subroutines in BPF on the real kernel, table-driven: each row is a
// call and what DTrace answers for it (the behaviours of DTrace's unit tests in
// funcs/: substr's negative index and length, basename/dirname as POSIX's
// commands, strchr/strrchr, lltostr, toupper/tolower, strjoin, byte order).
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

/** Each row: a D string expression and DTrace's result. */
const STRINGS: [string, string][] = [
	['strjoin("foo", "bar")', "foobar"],
	['strjoin("", "bar")', "bar"],
	['strjoin("foo", "")', "foo"],
	['substr("foobarbaz", 3)', "barbaz"],
	['substr("foobarbaz", -3)', "baz"],
	['substr("foobarbaz", 1, 3)', "oob"],
	['substr("foobarbaz", 2, -2)', "obarb"],
	['substr("foobarbaz", 9)', ""],
	['substr("foobarbaz", -12, 5)', "fo"],
	['substr("foobarbaz", 400, 20)', ""],
	['basename("/foo/bar/baz/")', "baz"],
	['dirname("/foo/bar/baz/")', "/foo/bar"],
	['basename("/foo/bar/baz/.")', "."],
	['dirname("/foo/bar/baz/.")', "/foo/bar/baz"],
	['basename("/")', "/"],
	['dirname("/")', "/"],
	['basename("//")', "/"],
	['dirname("//")', "/"],
	['basename("f/")', "f"],
	['dirname("f/")', "."],
	['basename("")', "."],
	['dirname("")', "."],
	['dirname("/foo/bar///baz/")', "/foo/bar"],
	["lltostr(-1234)", "-1234"],
	["lltostr(0)", "0"],
	["lltostr(9223372036854775807)", "9223372036854775807"],
	['toupper("abcXyz09")', "ABCXYZ09"],
	['tolower("AbC")', "abc"],
	["strchr(\"fooeyfooeyfoo\", 'y')", "yfooeyfoo"],
	["strrchr(\"fooeyfooeyfoo\", 'f')", "foo"],
	["strchr(\"fooeyfooeyfoo\", 'a')", ""],
	['1 > 0 ? "yes" : "no"', "yes"],
];

/** One BEGIN per row: a clause of several loops is more than the verifier walks (see the README). */
for (const [expr, want] of STRINGS) {
	test(`${expr} is "${want}"`, async () => {
		const r = await runDtop(["-q", "-n", `BEGIN { printf("[%s]\\n", ${expr}); exit(0); }`]);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stdout.trim(), `[${want}]`);
	});
}

test("strlen, htons, htonl, character constants, and a string from a variable", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'BEGIN { s = "hello"; printf("%d %d %x %x %d %d\\n", strlen(s), strlen(""), htons(0x1234), htonl(0x12345678), \'a\', \'\\n\'); exit(0); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.trim(), "5 0 3412 78563412 97 10");
});

test("copyinstr(addr, len) reads at most len bytes of the traced process's string", async () => {
	const r = await runDtop([
		"-q",
		"-c",
		"cat /etc/hostname",
		"-n",
		'syscall::openat:entry /pid == $target && copyinstr(arg1) == "/etc/hostname"/ { printf("[%s]\\n", copyinstr(arg1, 4)); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /^\[\/etc\]$/m);
});

test("what is not compiled yet is refused with its line and its name", async () => {
	for (const [d, msg] of [
		["BEGIN { x = inet_ntoa6(arg0); }", /: line 1: 'inet_ntoa6' is not supported/],
		[
			'BEGIN { x = strjoin("a", 1); }',
			/: line 1: strjoin\( \) argument #2 is incompatible with prototype:\n\tprototype: char \*\n\t argument: int\n/,
		],
	] as const) {
		const r = await runDtop(["-q", "-n", d]);
		assert.notEqual(r.code, 0);
		assert.match(r.stderr, msg);
	}
});

test("sizeof of basic types is a constant; of anything else, refused", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'BEGIN { printf("%d %d %d %d\\n", sizeof(int), sizeof(char), sizeof(short), sizeof(uint64_t)); exit(0); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.trim(), "4 1 2 8");
	const bad = await runDtop(["-q", "-n", "BEGIN { x = sizeof(x); }"]);
	assert.notEqual(bad.code, 0);
	assert.match(bad.stderr, /: line 1: 'sizeof' is supported only for integer types/);
});
