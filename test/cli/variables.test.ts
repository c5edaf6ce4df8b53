// Variables on the real kernel, as DTrace's unit tests (variables/, assocs/,
// this/, operators/, arithmetic/) describe them: global scalars shared by every
// firing, ++ and compound assignment, this-> zero at each firing, associative
// arrays whose element is freed by assigning 0 and whose full map is counted
// as dynamic variable drops, casts, ?:, ^^ and if/else; and what dtop does not
// compile yet refused with line and column before anything is loaded.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

/** Two writes of 4 and 6 bytes from the traced shell (echo is a dash builtin). */
const TWO_WRITES = "sh -c 'echo abc > /dev/null; echo defgh > /dev/null'";

async function quiet(d: string, ...extra: string[]) {
	const r = await runDtop(["-q", ...extra, "-n", d]);
	assert.equal(r.code, 0, r.stderr);
	return r;
}

test("global scalars: ++, += and *= over a test process's writes, read back in END", async () => {
	const r = await quiet(
		'syscall::write:entry /pid == $target/ { n++; bytes += arg2; prod = prod ? prod * arg2 : arg2; } END { printf("%d %d %d\\n", n, bytes, prod); }',
		"-c",
		TWO_WRITES,
	);
	assert.equal(r.stdout.trim(), "2 10 24");
});

test("an assignment's value may assign in turn: old = a[k] = 42; x = y = 3", async () => {
	const r = await quiet(
		'BEGIN { old = a["a"] = 42; val = a["a"]++; x = y = 3; printf("%d %d %d %d %d\\n", old, val, a["a"], x, y); exit(0); }',
	);
	assert.equal(r.stdout.trim(), "42 42 43 3 3");
});

test("BEGIN: -- -= /= %= &= |= ^= <<= >>=, prefix and postfix values", async () => {
	const r = await quiet(
		'BEGIN { x = 100; a = x++; b = ++x; c = x--; d = --x; x -= 1; x /= 3; x %= 20; y = 0xf0; y &= 0x3c; y |= 1; y ^= 0x100; y <<= 4; y >>= 2; printf("%d %d %d %d %d %d\\n", a, b, c, d, x, y); exit(0); }',
	);
	// x: 100 → a=100, 101 → b=102, c=102 → 101, d=100; 99 / 3 = 33 % 20 = 13.
	// y: 0xf0 & 0x3c = 0x30 | 1 = 0x31 ^ 0x100 = 0x131 << 4 = 0x1310 >> 2 = 0x4c4.
	assert.equal(r.stdout.trim(), `100 102 102 100 13 ${0x4c4}`);
});

test("a global keeps the type of its first assignment: an int wraps at 32 bits when stored", async () => {
	const r = await quiet(
		'BEGIN { i = 0x7fffffff; i++; u = 0xffffffff; u++; l = 0x7fffffffLL; l++; printf("%d %d %d\\n", i, u, l); exit(0); }',
	);
	assert.equal(r.stdout.trim(), "-2147483648 0 2147483648");
});

test("a store into an int variable keeps 32 bits even when the value's type is int (its register is wider)", async () => {
	const r = await quiet('BEGIN { i = 25920; i = i - 129600 * i / i * i; printf("%d %d\\n", i, i * 2); exit(0); }');
	// 25920 - 3359232000 = -3359206080 in 64 bits; its low 32 bits are 935761216.
	assert.equal(r.stdout.trim(), "935761216 1871522432");
});

test("this-> is zero at the start of every firing", async () => {
	const r = await quiet(
		"syscall::write:entry /pid == $target/ { this->x++; this->x += arg2 > 0; @[this->x] = count(); }",
		"-c",
		TWO_WRITES,
	);
	assert.match(r.stdout, /^\s+2\s+2$/m);
});

test("associative arrays: a[pid, probefunc] set at entry, read and freed at return; END reads 0", async () => {
	const r = await quiet(
		"syscall::write:entry /pid == $target/ { a[pid, probefunc] = timestamp; } " +
			"syscall::write:return /pid == $target && a[pid, probefunc]/ { @ok = count(); @lat = max(timestamp - a[pid, probefunc] > 0); a[pid, probefunc] = 0; } " +
			'END { printf("left %d\\n", a[$target, "write"]); }',
		"-c",
		TWO_WRITES,
	);
	assert.match(r.stdout, /^left 0$/m);
	assert.match(r.stdout, /^\s+2$/m);
	assert.doesNotMatch(r.stderr, /dynamic variable drops/);
});

test("associative arrays keyed by strings and integers keep distinct elements", async () => {
	const r = await quiet(
		'BEGIN { a["x", 1] = 10; a["x", 2] = 20; a["y", 1] = 30; a["x", 1] += 5; printf("%d %d %d %d\\n", a["x", 1], a["x", 2], a["y", 1], a["y", 2]); exit(0); }',
	);
	assert.equal(r.stdout.trim(), "15 20 30 0");
});

test("a full associative array counts dynamic variable drops (dynvarsize), reported at the end", async () => {
	const r = await runDtop([
		"-q",
		"-x",
		"dynvarsize=160",
		"-n",
		'syscall::write:entry /pid == $target/ { a[arg2] = 1; n++; } END { printf("%d\\n", n); }',
		"-c",
		`sh -c 'for i in $(seq 1 20); do printf "%\${i}s" "" > /dev/null; done'`,
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.trim(), "20");
	// 160 bytes hold 10 elements of an 8-byte key and an 8-byte value: 10 of 20 are dropped.
	assert.match(r.stderr, /^dtop: 10 dynamic variable drops$/m);
});

test("casts keep the low bits and sign- or zero-extend; ?: and ^^; unary + - ~", async () => {
	const r = await quiet(
		'BEGIN { printf("%d %d %d %d %d %d %d %d %d\\n", (char)0x1ff, (unsigned char)-1, (short)0x18000, (unsigned short)-2, (int)0x1ffffffff, (unsigned int)-1, 1 ^^ 1, 3 > 2 ? -+5 : 7, ~5); exit(0); }',
	);
	assert.equal(r.stdout.trim(), "-1 255 -32768 65534 -1 4294967295 0 -5 -6");
});

test("unsigned operands divide, shift and compare unsigned; signed ones do not", async () => {
	const r = await quiet(
		'BEGIN { s = -8; u = (unsigned long long)-8; printf("%d %d %d %d %d\\n", s / 2, (long long)(u / 2) > 0, s >> 1, (long long)(u >> 60), u > 1); exit(0); }',
	);
	assert.equal(r.stdout.trim(), "-4 1 -4 15 1");
});

test("if / else if / else blocks choose per firing", async () => {
	const r = await quiet(
		'syscall::write:entry /pid == $target/ { if (arg2 == 4) { @four = count(); } else if (arg2 == 6) { @six = count(); n6++; } else { @other = count(); } } END { printf("six %d\\n", n6); }',
		"-c",
		TWO_WRITES,
	);
	assert.match(r.stdout, /^six 1$/m);
	assert.doesNotMatch(r.stdout, /other/);
});

test("actions inside if/else run only in the branch taken (printf, trace, exit)", async () => {
	const r = await quiet(
		'syscall::write:entry /pid == $target/ { if (arg2 == 4) { printf("four %d\\n", arg2); } else { printf("other %d\\n", arg2); } } END { if (0) { printf("never\\n"); } else { printf("end\\n"); } }',
		"-c",
		TWO_WRITES,
	);
	assert.deepEqual(r.stdout.split("\n").filter(Boolean), ["four 4", "other 6", "end"]);
	const e = await runDtop([
		"-q",
		"-n",
		'BEGIN { if (1) { printf("yes\\n"); exit(3); } else { printf("no\\n"); exit(4); } }',
	]);
	assert.equal(e.stdout.trim(), "yes");
	assert.equal(e.code, 3, e.stderr);
});

test("string values: globals, this-> and associative elements, compared, printed and used as keys", async () => {
	const r = await quiet(
		'BEGIN { s = "hello"; this->t = "local"; a[1] = "one"; b["k"] = s; printf("%s %s %s %s [%s] %d %d\\n", s, this->t, a[1], b["k"], a[2], s == "hello", a[1] != "one"); exit(0); }',
	);
	assert.equal(r.stdout.trim(), "hello local one hello [] 1 0");
});

test("a string saved at entry by thread is read at return: paths[tid] = copyinstr(arg1)", async () => {
	const r = await quiet(
		'syscall::openat:entry /pid == $target/ { paths[tid] = copyinstr(arg1); } syscall::openat:return /pid == $target && paths[tid] == "/dev/null"/ { printf("%s %d\\n", paths[tid], n++); }',
		"-c",
		TWO_WRITES,
	);
	assert.deepEqual(r.stdout.split("\n").filter(Boolean), ["/dev/null 0", "/dev/null 1"]);
});

test("declarations give variables their types: unsigned char keeps 8 bits, self/this/string/associative ones", async () => {
	const r = await quiet(
		'int x; self uint64_t ts; this int t; string s; unsigned char c; short a[string]; BEGIN { c = 300; x++; this->t = 5; s = "hi"; a["q"] = 0x18000; self->ts = timestamp; printf("%d %d %d %s %d %d %d\\n", x, c, this->t, s, a["q"], self->ts > 0, a["none"]); exit(0); }',
	);
	assert.equal(r.stdout.trim(), "1 44 5 hi -32768 1 0");
});

for (const [d, message] of [
	["BEGIN { x = y + 1; }", "BEGIN { x = y + 1; }: line 1: failed to resolve y: Unknown variable name"],
	["BEGIN { this->a[1] = 1; }", "line 1: 'this->a[...]' (an array of this-> variables) is not supported"],
	["BEGIN { x = inet_ntoa6(arg0); }", "line 1: 'inet_ntoa6' is not supported"],
	['int x; BEGIN { x = "a"; }', 'line 1: operands have incompatible types: "int" = "string"'],
	["int *p; BEGIN { trace(p); }", "line 1: p is of type 'int *': variables of that type can be declared"],
] as const) {
	test(`refused before loading: ${d}`, async () => {
		const r = await runDtop(["-n", d]);
		assert.equal(r.code, 1, r.stdout);
		assert.ok(r.stderr.includes(message), r.stderr);
		assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
	});
}
