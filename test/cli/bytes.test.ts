// strtok, stringof, copyin and inet_ntoa/inet_ntop on the real kernel
// (kernel/codegen/bytes.ts, source/session/lower-bytes.ts), with the outputs
// DTrace's funcs/ tests say DTrace prints for the same behaviours.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

async function quiet(d: string, ...extra: string[]) {
	const r = await runDtop(["-q", ...extra, "-n", d]);
	assert.equal(r.code, 0, r.stderr);
	return r;
}

test("strtok: tokens over several clauses, NULL going on with the last string, delimiters changing between calls", async () => {
	const r = await quiet(
		[
			'BEGIN { s = ";;one;;two;three;;;"; printf("%s\\n", strtok(s, ";")); }',
			'BEGIN { printf("%s\\n", strtok(NULL, ";")); }',
			'BEGIN { printf("%s\\n", strtok(NULL, ";")); x = strtok(NULL, ";"); printf("[%s] %d\\n", x, x == NULL); }',
			// The delimiter that ended a token is where the next call starts: with other delimiters it is part of the next token.
			'BEGIN { printf("%s\\n", strtok("abcXYZdefXYZ", "X")); printf("%s\\n", strtok(NULL, "d")); printf("%s\\n", strtok(NULL, "Q"));',
			'printf("%s\\n", strtok(NULL, "Q") == NULL ? "NULL" : "not NULL"); printf("%s\\n", strtok("", "") == NULL ? "NULL" : "not NULL");',
			'printf("%s\\n", strtok("word", "")); exit(0); }',
		].join("\n"),
	);
	assert.equal(r.stdout, "one\ntwo\nthree\n[] 1\nabc\nXYZ\ndefXYZ\nNULL\nNULL\nword\n\n");
});

test("strtok(NULL, d) before any string faults with an invalid address, as DTrace's does", async () => {
	const r = await runDtop(["-n", 'BEGIN { trace(strtok(NULL, "!")); exit(1); } ERROR { exit(0); }']);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /:ERROR/);
	assert.match(r.stderr, /invalid address \(0x0\)/);
});

/** A shell script writing each of `bytes` (octal escapes for printf) to /dev/null. */
function writer(bytes: string[]): string {
	const file = join(tmpdir(), `dtop-bytes-${process.pid}.sh`);
	writeFileSync(file, bytes.map((b) => `printf '${b}' > /dev/null\n`).join(""));
	return `sh ${file}`;
}

const oct = (xs: number[]) => xs.map((x) => `\\${x.toString(8).padStart(3, "0")}`).join("");
const v6 = (pairs: Record<number, number>) => oct(Array.from({ length: 16 }, (_, i) => pairs[i] ?? 0));

test("inet_ntoa and inet_ntop of copied-in addresses print as DTrace prints them", async () => {
	const addrs = [
		oct([10, 0, 200, 7]),
		v6({ 0: 0xfe, 1: 0x80, 8: 0x02, 9: 0x14, 10: 0x4f, 11: 0xff, 12: 0xfe, 13: 0x0b, 14: 0x76, 15: 0xc8 }),
		v6({ 0: 0x20, 1: 0x01, 2: 0x0d, 3: 0xb8, 12: 0, 13: 0, 14: 0, 15: 1 }),
		v6({ 15: 1 }),
		v6({}),
		v6({ 12: 10, 13: 1, 14: 2, 15: 3 }),
		v6({ 10: 0xff, 11: 0xff, 12: 192, 13: 168, 14: 0, 15: 1 }),
		v6({ 10: 0xff, 11: 0xfe, 12: 192, 13: 168, 14: 0, 15: 1 }),
		v6({ 0: 0x20, 1: 0x01, 6: 0, 7: 1, 14: 0, 15: 0 }),
		// Two runs of two zero groups: the first is "::".
		v6({ 1: 1, 7: 2, 13: 3 }),
		// A longer run later wins.
		v6({ 1: 1, 7: 2, 15: 3 }),
	];
	const r = await quiet(
		[
			'syscall::write:entry /pid == $target && arg2 == 4/ { printf("%s %s\\n", inet_ntoa(copyin(arg1, 4)), inet_ntop(AF_INET, copyin(arg1, 4))); }',
			'syscall::write:entry /pid == $target && arg2 == 16/ { this->a = copyin(arg1, 16); printf("%s\\n", inet_ntop(AF_INET6, this->a)); }',
		].join("\n"),
		"-c",
		writer(addrs),
	);
	assert.equal(
		r.stdout,
		[
			"10.0.200.7 10.0.200.7",
			"fe80::214:4fff:fe0b:76c8",
			"2001:db8::1",
			"::1",
			"::",
			"::10.1.2.3",
			"::ffff:192.168.0.1",
			"::fffe:c0a8:1",
			"2001:0:0:1::",
			"1::2:0:0:3:0",
			"1:0:0:2::3",
			"",
			"",
		].join("\n"),
	);
});

test("inet_ntop of another address family faults (an illegal operation)", async () => {
	const r = await runDtop(["-n", 'BEGIN { trace(inet_ntop(7, "abcd")); exit(1); } ERROR { exit(0); }']);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stderr, /illegal operation/);
});

test("copyin(addr, size): the bytes as a string through stringof, a (string) cast and a this-> variable; a bad address faults", async () => {
	const r = await quiet(
		'syscall::write:entry /pid == $target/ { this->b = copyin(arg1, 5); printf("[%s] [%s] [%s] [%s]\\n", stringof(copyin(arg1, 3)), (string)copyin(arg1, arg2 - 1), this->b, stringof("as is")); }',
		"-c",
		"sh -c 'echo hello-world > /dev/null'",
	);
	assert.equal(r.stdout, "[hel] [hello-world] [hello] [as is]\n\n");
	const bad = await runDtop([
		"-q",
		"-n",
		'BEGIN { printf("%s\\n", stringof(copyin(0, 4))); exit(1); } ERROR { exit(0); }',
	]);
	assert.equal(bad.code, 0, bad.stderr);
	assert.match(bad.stderr, /invalid address \(0x0\) in action #1/);
});

test("copyinto and stringof of an integer are refused with line and column", async () => {
	const a = await runDtop(["-v", "-n", "BEGIN { copyinto(arg0, 4, 0); }"]);
	assert.equal(a.code, 1);
	assert.match(
		a.stderr,
		/\ndtop: line 1, column 9: 'copyinto' is not supported: it copies into memory from alloca\(\)/,
	);
	const b = await runDtop(["-v", "-n", 'BEGIN { printf("%s", stringof(12)); }']);
	assert.equal(b.code, 1);
	assert.match(b.stderr, /\ndtop: line 1, column 31: stringof\(\) argument #1 must be a string, not an integer/);
});
