// Speculations on the real kernel, the behaviours DTrace's unit tests
// (speculation/) describe, in scripts of our own: speculation() hands out ids
// 1..nspec and 0 when none is free (counted as DTrace counts it), speculate()
// sends a clause's record to the speculation, commit() prints what was held
// where the commit is and discard() drops it, specsize refuses a clause whose
// record would overflow its speculation (a "speculative drop"), an id not in
// use ends the clause quietly, and the clause rules are compile-time errors.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

async function run(d: string, ...extra: string[]) {
	return runDtop(["-q", ...extra, "-n", d]);
}

async function ok(d: string, ...extra: string[]) {
	const r = await run(d, ...extra);
	assert.equal(r.code, 0, r.stderr);
	return r;
}

test("commit prints a speculation's records where the commit is, in commit order", async () => {
	const r = await ok(
		`BEGIN { a = speculation(); b = speculation(); c = speculation(); printf("ids %d %d %d\\n", a, b, c); }
		BEGIN { speculate(a); printf("first %d\\n", a); }
		BEGIN { speculate(b); printf("second %d\\n", b); }
		BEGIN { speculate(c); printf("third %d\\n", c); printf("third again\\n"); }
		BEGIN { printf("before the commits\\n"); }
		BEGIN { commit(c); commit(a); }
		BEGIN { commit(b); }
		BEGIN { printf("after\\n"); exit(0); }`,
		"-x",
		"nspec=3",
	);
	assert.equal(
		r.stdout.trim(),
		["ids 1 2 3", "before the commits", "third 3", "third again", "first 1", "second 2", "after"].join("\n"),
	);
	assert.equal(r.stderr, "");
});

test("discard drops the records; a commit after it prints nothing, a discard after a commit takes nothing back", async () => {
	const r = await ok(
		`#pragma D option nspec=2
		BEGIN { x = speculation(); y = speculation(); }
		BEGIN { speculate(x); printf("dropped\\n"); }
		BEGIN { speculate(y); printf("kept\\n"); }
		BEGIN { discard(x); commit(x); }
		BEGIN { discard(x); printf("after the discard\\n"); }
		BEGIN { commit(y); discard(y); }
		BEGIN { exit(0); }`,
	);
	assert.equal(r.stdout.trim(), "after the discard\nkept");
});

test("a speculation opened in BEGIN, fed by a traced process's writes, committed in END", async () => {
	const r = await ok(
		`BEGIN { s = speculation(); }
		syscall::write:entry /pid == $target/ { speculate(s); printf("write of %d\\n", arg2); }
		END { printf("end\\n"); }
		END { commit(s); }`,
		"-c",
		"sh -c 'echo abc > /dev/null; echo defgh > /dev/null'",
	);
	// The commit's clause records nothing itself: END's printf comes first, then what was held.
	assert.equal(r.stdout.trim(), "end\nwrite of 4\nwrite of 6");
});

test("nspec exhausted: speculation() is 0 and the failure is counted as no buffer available", async () => {
	const r = await ok(
		`#pragma D option nspec=2
		BEGIN { printf("%d %d %d %d\\n", speculation(), speculation(), speculation(), speculation()); exit(0); }`,
	);
	assert.equal(r.stdout.trim(), "1 2 0 0");
	assert.equal(r.stderr, "dtop: 2 failed speculations (no speculative buffer available)\n");
});

test("a committed speculation is busy until its records are read, then its id is handed out again", async () => {
	const r = await ok(
		`BEGIN { s = speculation(); speculate(s); }
		BEGIN { speculate(s); printf("held\\n"); }
		BEGIN { commit(s); }
		BEGIN { printf("again at once: %d\\n", speculation()); }
		tick-1s { printf("again later: %d\\n", speculation()); exit(0); }`,
	);
	// What was held prints at the commit; the id stays busy until the consumer has read it.
	assert.equal(r.stdout.trim(), "held\nagain at once: 0\nagain later: 1");
	assert.equal(r.stderr, "dtop: 1 failed speculation (available buffer(s) still busy)\n");
});

test("specsize: a clause whose record would overflow its speculation is dropped whole and counted", async () => {
	// Each speculated clause takes 16 bytes plus 8 per value, as DTrace counts: 40 and 48 here.
	const d = `BEGIN { n = 10; s = speculation(); }
		BEGIN { speculate(s); printf("%d\\n", n++); printf("%d\\n", n++); printf("%d\\n", n++); small++; }
		BEGIN { speculate(s); printf("%d\\n", n++); printf("%d\\n", n++); printf("%d\\n", n++); printf("%d\\n", n++); big++; }
		BEGIN { commit(s); }
		BEGIN { printf("ran %d %d\\n", small, big); exit(0); }`;
	const want: Record<number, [string, string]> = {
		39: ["ran 0 0", "dtop: 2 speculative drops\n"],
		40: ["10\n11\n12\nran 1 0", "dtop: 1 speculative drop\n"],
		87: ["10\n11\n12\nran 1 0", "dtop: 1 speculative drop\n"],
		88: ["10\n11\n12\n13\n14\n15\n16\nran 1 1", ""],
	};
	for (const [size, [out, err]] of Object.entries(want)) {
		const r = await ok(d, "-x", `specsize=${size}`);
		assert.equal(r.stdout.trim(), out, `specsize=${size}`);
		assert.equal(r.stderr, err, `specsize=${size}`);
	}
});

test("speculate() of 0, of -1 or of an id not in use ends the clause quietly; commit/discard of 0 or an idle id do nothing", async () => {
	const r = await ok(
		`#pragma D option nspec=4
		BEGIN { speculate(0); printf("not seen\\n"); a++; }
		BEGIN { speculate(-1); b++; }
		BEGIN { speculate(3); printf("not seen either\\n"); c++; }
		BEGIN { commit(0); discard(0); commit(2); discard(4); d++; }
		BEGIN { printf("%d %d %d %d\\n", a, b, c, d); exit(0); }`,
	);
	assert.equal(r.stdout.trim(), "0 0 0 1");
	assert.equal(r.stderr, "");
});

test("commit() of an id past nspec is an illegal operation, reported and sent to ERROR", async () => {
	const r = await run(
		`#pragma D option nspec=8
		BEGIN { commit(1024); }
		ERROR { printf("ERROR fired\\n"); exit(1); }
		tick-1s { exit(0); }`,
	);
	assert.match(
		r.stderr,
		/^dtop: error on enabled probe ID \d+ \(ID \d+: dtrace:::BEGIN\): illegal operation in action #1$/m,
	);
	assert.match(r.stdout, /ERROR fired/);
	assert.equal(r.code, 1);
});

test("without -q a committed speculate-only clause prints its probe line; a discarded one does not", async () => {
	const committed = await runDtop([
		"-n",
		"BEGIN { s = speculation(); } BEGIN { speculate(s); } BEGIN { commit(s); } BEGIN { exit(0); }",
	]);
	assert.equal(committed.code, 0, committed.stderr);
	assert.equal(committed.stdout.match(/:BEGIN/g)?.length, 2, committed.stdout);
	const discarded = await runDtop([
		"-n",
		"BEGIN { s = speculation(); } BEGIN { speculate(s); } BEGIN { discard(s); } BEGIN { exit(0); }",
	]);
	assert.equal(discarded.code, 0, discarded.stderr);
	assert.equal(discarded.stdout.match(/:BEGIN/g)?.length, 1, discarded.stdout);
});

test("many firings: speculations opened, fed, committed or discarded in turn keep their own records", async () => {
	// Each of 32 writes from the target: n % 4 == 0 opens, 1 and 2 speculate, 3 commits
	// every fourth speculation (n % 16 == 3) and discards the others. Ids stay busy until
	// the consumer reads them, so the 8 speculations need 8 ids.
	const r = await ok(
		`#pragma D option nspec=8
		syscall::write:entry /pid == $target && n % 4 == 0/ { s = speculation(); }
		syscall::write:entry /pid == $target && n % 4 == 1/ { speculate(s); printf("%d ", n); }
		syscall::write:entry /pid == $target && n % 4 == 2/ { speculate(s); printf("%d kept\\n", n); }
		syscall::write:entry /pid == $target && n % 16 == 3/ { commit(s); }
		syscall::write:entry /pid == $target && n % 4 == 3 && n % 16 != 3/ { discard(s); }
		syscall::write:entry /pid == $target/ { n++; }`,
		"-c",
		"sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32; do echo > /dev/null; done'",
	);
	assert.equal(r.stdout.trim(), "1 2 kept\n17 18 kept");
	assert.equal(r.stderr, "");
});

const RULES: [string, string][] = [
	['BEGIN { printf("x"); speculate(1); }', "speculate( ) may not follow data-recording action(s)"],
	["BEGIN { speculate(1); speculate(2); }", "speculate( ) may not follow speculate( )"],
	["BEGIN { commit(1); speculate(1); }", "speculate( ) may not follow commit( )"],
	["BEGIN { trace(1); commit(1); }", "commit( ) may not follow data-recording action(s)"],
	['BEGIN { commit(1); printf("x"); }', "data-recording actions may not follow commit( )"],
	["BEGIN { commit(1); exit(0); }", "data-recording actions may not follow commit( )"],
	["BEGIN { speculate(1); @c = count(); }", "aggregating actions may not follow speculate( )"],
	["BEGIN { commit(1); @c = count(); }", "aggregating actions may not follow commit( )"],
	["BEGIN { speculate(1); exit(0); }", "exit( ) may not follow speculate( )"],
	["BEGIN { speculate(); }", "speculate( ) prototype mismatch: 0 args passed, 1 expected"],
	['BEGIN { commit("one"); }', "commit( ) argument #1 must be an integer, not a string"],
];

test("DTrace's clause rules for speculate() and commit() are errors before anything is loaded", async () => {
	for (const [d, message] of RULES) {
		const r = await run(d);
		assert.notEqual(r.code, 0, d);
		assert.match(r.stderr, /^dtop: invalid probe specifier .*: line 1: /, d);
		assert.ok(r.stderr.includes(message), `${d}: ${r.stderr}`);
		assert.equal(r.stdout, "", d);
	}
});

test("nspec and specsize refuse values that are not counts or sizes", async () => {
	for (const x of ["nspec=-2", "nspec=3b", "specsize=1b", "specsize=-40"]) {
		const r = await run("BEGIN { exit(0); }", "-x", x);
		assert.notEqual(r.code, 0, x);
		assert.match(r.stderr, /Invalid value for specified option/, x);
	}
	const many = await run("BEGIN { s = speculation(); exit(0); }", "-x", "nspec=65");
	assert.notEqual(many.code, 0);
	assert.match(many.stderr, /nspec must be between 1 and 64/);
});
