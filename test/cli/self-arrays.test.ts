// self->a[k, ...], thread-local associative arrays, on the real kernel
// (source/d/self-arrays.ts, source/session/lower-self.ts): keys of any type
// (self-> variables among them), integer and string values, ++/-- before and
// after, private to their thread, an element freed by assigning 0, and a full
// array (dynvarsize) counted and reported as DTrace's dynamic variable drops.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

async function quiet(d: string, ...extra: string[]) {
	const r = await runDtop(["-q", ...extra, "-n", d]);
	assert.equal(r.code, 0, r.stderr);
	return r;
}

test("self->x[self->y, self->z]++ gives the old value, as DTrace's scalars/ test of it prints", async () => {
	const r = await quiet(
		[
			"self int y; self int z; self int res;",
			"BEGIN { self->x[self->y, self->z] = 123; self->res = self->x[self->y, self->z]++;",
			'printf("The result = %d\\n", self->res); printf("now %d\\n", self->x[0, 0]); exit(0); }',
		].join("\n"),
	);
	assert.equal(r.stdout, "The result = 123\nnow 124\n\n");
});

test("self-> arrays with string keys and values; pre/post increment and decrement; unset reads 0", async () => {
	const r = await quiet(
		[
			'BEGIN { self->a["a"] = 42; x = self->a["a"]--; y = --self->a["a"]; z = ++self->a["b"];',
			'self->s[1, "k"] = "hello"; self->s[2, "k"] = strjoin(self->s[1, "k"], "!");',
			'printf("%d %d %d %d %d [%s] [%s] [%s]\\n", x, y, self->a["a"], z, self->a["zz"], self->s[1, "k"], self->s[2, "k"], self->s[3, "k"]);',
			"exit(0); }",
		].join("\n"),
	);
	assert.equal(r.stdout, "42 40 40 1 0 [hello] [hello!] []\n\n");
});

test("a self-> array is per thread: what BEGIN (dtop's thread) stores, the traced shell does not see", async () => {
	const r = await quiet(
		[
			"BEGIN { self->n[1] = 100; }",
			'syscall::write:entry /pid == $target/ { self->n[1]++; self->n[2] += arg2; printf("%d %d\\n", self->n[1], self->n[2]); }',
			'END { printf("dtop %d %d\\n", self->n[1], self->n[2]); }',
		].join("\n"),
		"-c",
		"sh -c 'echo abc > /dev/null; echo defgh > /dev/null'",
	);
	assert.equal(r.stdout.trim(), "1 4\n2 10\ndtop 100 0");
});

/** A BEGIN clause storing self->a[1..n], each freed right after when `free`. */
function stores(n: number, free: boolean): string {
	const body = Array.from(
		{ length: n },
		(_, i) => `self->a[${i + 1}] = ${i + 1};${free ? ` self->a[${i + 1}] = 0;` : ""}`,
	);
	return `BEGIN { ${body.join(" ")} printf("%d %d\\n", self->a[10], self->a[12]); exit(0); }`;
}

test("dynvarsize bounds a self-> array: stores past it are dynamic variable drops, as DTrace reports them", async () => {
	// 240 bytes hold 10 elements of a 16-byte key (thread id, key) and an 8-byte value.
	const r = await quiet(stores(12, false), "-x", "dynvarsize=240");
	assert.equal(r.stdout, "10 0\n\n");
	assert.match(r.stderr, /^dtop: 2 dynamic variable drops$/m);
});

test("assigning 0 frees a self-> array element: freed elements leave room, no drops", async () => {
	const r = await quiet(stores(12, true), "-x", "dynvarsize=240");
	assert.equal(r.stdout, "0 0\n\n");
	assert.doesNotMatch(r.stderr, /dynamic variable drop/);
});

test("a declared self-> array takes its declared types; this-> arrays are still refused with line and column", async () => {
	const r = await quiet(
		'self string names[int]; BEGIN { self->names[7] = "seven"; printf("%s\\n", self->names[7]); exit(0); }',
	);
	assert.equal(r.stdout, "seven\n\n");
	const bad = await runDtop(["-v", "-q", "-n", "BEGIN { this->a[1] = 2; }"]);
	assert.equal(bad.code, 1);
	assert.match(
		bad.stderr,
		/\ndtop: line 1, column 16: 'this->a\[...\]' \(an array of this-> variables\) is not supported/,
	);
});
