// The address-naming subroutines (ufunc usym umod uaddr, func sym mod) as
// aggregation keys and in printf/trace, the caller/ucaller/epid built-ins and
// execargs/psargs, on the real kernel with real programs: the fixture (frame
// pointers, static symbols) and Debian's python3.11 (no frame pointers). Names
// are checked against nm's symbol tables and /proc/kallsyms.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SIMPLE } from "../fixtures/fixtures.ts";
import { runDtop } from "../helpers/cli.ts";

const PYTHON = "/usr/bin/python3.11";

/** nm's function symbols of a file: name → [start, size]. */
function nmFunctions(file: string, dynamic = false): Map<string, [bigint, bigint]> {
	const out = execFileSync("nm", [...(dynamic ? ["-D"] : []), "-S", "--defined-only", file], { encoding: "utf8" });
	const m = new Map<string, [bigint, bigint]>();
	for (const line of out.split("\n")) {
		const f = /^([0-9a-f]+) ([0-9a-f]+) [tTwW] (\S+)$/.exec(line);
		if (f) m.set(f[3]!, [BigInt(`0x${f[1]}`), BigInt(`0x${f[2]}`)]);
	}
	return m;
}

/** Rows of a default-layout aggregation: key text (trimmed) → count. */
function aggRows(text: string): [string, number][] {
	return text
		.split("\n")
		.map((l) => /^ {2}(\S.*?)\s+(\d+)$/.exec(l))
		.filter((m) => m !== null)
		.map((m) => [m[1]!, Number(m[2])]);
}

const kernelText = new Set(
	readFileSync("/proc/kallsyms", "utf8")
		.split("\n")
		.map((l) => l.split(" "))
		.filter((f) => f[1] === "t" || f[1] === "T")
		.map((f) => f[2]!),
);

test("ufunc/usym of profile samples name the fixture's functions as nm does, one key per function", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'profile-997 /arg1 && pid == $target/ { @f[ufunc(arg1)] = count(); @s[usym(arg1)] = count(); @n = count(); } END { printa(@f); printf("--\\n"); printa(@s); printf("--\\n"); printa(@n); }',
		"-c",
		`${SIMPLE} --busy 1200`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const [f, s, n] = r.stdout.split("--\n");
	const total = Number(n!.trim());
	const funcs = aggRows(f!);
	// Every sample landed in one row per function: no text twice, and the rows add up.
	assert.equal(new Set(funcs.map(([k]) => k)).size, funcs.length, f);
	assert.equal(
		funcs.reduce((a, [, c]) => a + c, 0),
		total,
		r.stdout,
	);
	const busy = funcs.find(([k]) => k === "simple`busy_spin");
	assert.ok(busy && busy[1] > total / 2, f);
	assert.ok(nmFunctions(SIMPLE).has("busy_spin"));
	// usym() names the same functions (DTrace: the symbol, without offset).
	assert.deepEqual(aggRows(s!), funcs, s);
});

test("uaddr and %A give function+offset inside nm's extent of the function; umod the object", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'profile-997 /arg1 && pid == $target/ { @a[uaddr(arg1)] = count(); @m[umod(arg1)] = count(); printf("A %A\\n", arg1); }',
		"-c",
		`${SIMPLE} --busy 800`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const syms = nmFunctions(SIMPLE);
	const [start, size] = syms.get("busy_spin")!;
	const offsets = [...r.stdout.matchAll(/simple`busy_spin\+0x([0-9a-f]+)/g)].map((m) => BigInt(`0x${m[1]}`));
	assert.ok(offsets.length > 10, r.stdout.slice(0, 2000));
	for (const o of offsets)
		assert.ok(o < size, `offset 0x${o.toString(16)} past busy_spin's 0x${size.toString(16)} bytes`);
	assert.ok(start > 0n);
	const printed = r.stdout.split("\n").filter((l) => l.startsWith("A "));
	assert.ok(printed.length > 10);
	for (const l of printed) assert.match(l, /^A (\S+`\S+|\S+`0x[0-9a-f]+|0x[0-9a-f]+)$/);
	// umod: the object's file name alone.
	const mods = aggRows(r.stdout).filter(([k]) => !k.includes("`") && !k.startsWith("0x"));
	assert.ok(
		mods.some(([k]) => k === "simple"),
		r.stdout.slice(-2000),
	);
});

test("ufunc in Debian's python3.11 (no frame pointers, stripped static symbols) names its exported functions", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		"profile-997 /arg1 && pid == $target/ { @[ufunc(arg1)] = count(); }",
		"-c",
		`${PYTHON} -c "sum(i * i for i in range(2000000))"`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const rows = aggRows(r.stdout);
	assert.equal(new Set(rows.map(([k]) => k)).size, rows.length, r.stdout);
	const dyn = nmFunctions(PYTHON, true);
	const named = rows.filter(([k]) => k.startsWith("python3.11`")).map(([k]) => k.slice("python3.11`".length));
	assert.ok(named.includes("_PyEval_EvalFrameDefault"), r.stdout);
	assert.ok(dyn.has("_PyEval_EvalFrameDefault"));
});

test("func/sym/mod of kernel samples are kallsyms' functions and vmlinux", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'profile-997 /arg0/ { @f[func(arg0)] = count(); @m[mod(arg0)] = count(); } tick-1s { printa(@f); printf("--\\n"); printa(@m); exit(0); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	const [f, m] = r.stdout.split("--\n");
	const funcs = aggRows(f!);
	assert.ok(funcs.length > 0, r.stdout);
	assert.equal(new Set(funcs.map(([k]) => k)).size, funcs.length);
	for (const [k] of funcs) {
		const fm = /^vmlinux`(\S+)$/.exec(k);
		assert.ok(fm, k);
		assert.ok(kernelText.has(fm[1]!), `${fm[1]} is not a kernel text symbol`);
	}
	assert.deepEqual(
		aggRows(m!).map(([k]) => k),
		["vmlinux"],
	);
});

test("ucaller at a function's entry is its caller (nm's extent), caller at a system call is a kernel function", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'pid$target::fire_line:entry { printf("U %A\\n", ucaller); ufunc(ucaller); printf("\\n"); }',
		"-n",
		'syscall::getppid:entry /pid == $target/ { printf("K %a\\n", caller); }',
		"-c",
		`${SIMPLE} --count 2`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const u = [...r.stdout.matchAll(/^U simple`run\+0x([0-9a-f]+)$/gm)];
	assert.equal(u.length, 2, r.stdout);
	const [, size] = nmFunctions(SIMPLE).get("run")!;
	for (const m of u) assert.ok(BigInt(`0x${m[1]}`) < size);
	assert.equal([...r.stdout.matchAll(/^ {2}simple`run\s*$/gm)].length, 2, r.stdout);
	const k2 = await runDtop([
		"-q",
		"-n",
		'syscall::getppid:entry /pid == $target/ { printf("K %a\\n", caller); }',
		"-c",
		`${PYTHON} -c "import os; os.getppid()"`,
	]);
	assert.equal(k2.code, 0, k2.stderr);
	const k = /^K vmlinux`(\w+)\+0x[0-9a-f]+$/m.exec(k2.stdout);
	assert.ok(k, k2.stdout);
	assert.ok(kernelText.has(k[1]!));
});

test("epid is the enabled probe id a runtime fault reports", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		"syscall::getppid:entry /pid == $target/ { @[epid] = count(); trace(copyinstr(0)); }",
		"-c",
		`${PYTHON} -c "import os; os.getppid()"`,
	]);
	// An integer key, then the count: "   N   1".
	const rows = r.stdout.split("\n").filter((l) => /^\s+\d+\s+\d+$/.test(l));
	assert.equal(rows.length, 1, r.stdout);
	const epid = Number(rows[0]!.trim().split(/\s+/)[0]);
	assert.ok(epid > 0);
	assert.match(r.stderr, new RegExp(`error on enabled probe ID ${epid} \\(`));
});

test("execargs and psargs are the process's arguments, cut at strsize", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'syscall::getppid:entry /pid == $target/ { printf("[%s] [%s]\\n", execargs, psargs); @[execargs] = count(); }',
		"-c",
		`${PYTHON} -c "import os; os.getppid()" one two`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const want = `${PYTHON} -c import os; os.getppid() one two`;
	assert.ok(r.stdout.includes(`[${want}] [${want}]`), r.stdout);
	assert.ok(r.stdout.includes(`  ${want}`), r.stdout);
	const cut = await runDtop([
		"-q",
		"-x",
		"strsize=8",
		"-n",
		'syscall::getppid:entry /pid == $target/ { printf("[%s]\\n", execargs); }',
		"-c",
		`${PYTHON} -c "import os; os.getppid()"`,
	]);
	assert.equal(cut.code, 0, cut.stderr);
	assert.ok(cut.stdout.includes("[/usr/bin]"), cut.stdout);
});

test("misuses of the address subroutines are one sentence with their line", async () => {
	const r = await runDtop(["-n", "BEGIN { x[ufunc(0)] = 1; }"]);
	assert.equal(r.code, 1);
	assert.equal(
		r.stderr,
		"dtop: invalid probe specifier BEGIN { x[ufunc(0)] = 1; }: line 1: a symbol address cannot be a key of x[]\n",
	);
	const s = await runDtop(["-n", "BEGIN { ustack(0); }"]);
	assert.equal(s.code, 1);
	assert.equal(
		s.stderr,
		"dtop: invalid probe specifier BEGIN { ustack(0); }: line 1: ustack( ) argument #1 must be a non-zero positive integer constant\n",
	);
	const f = await runDtop(["-n", 'BEGIN { printf("%s", ufunc(0)); }']);
	assert.equal(f.code, 1);
	assert.match(f.stderr, /^dtop: invalid probe specifier .*: line 1: printf.*\n.*\n.*\n\t {2}argument: _usymaddr\n$/);
});

test("--json names ufunc() keys as the text dtrace prints", async () => {
	const r = await runDtop([
		"--json",
		"-n",
		"pid$target::fire_line:entry { @[ufunc(ucaller)] = count(); }",
		"-c",
		`${SIMPLE} --count 3`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const agg = r.stdout
		.split("\n")
		.filter((l) => l.startsWith("{"))
		.map((l) => JSON.parse(l))
		.find((o) => o.aggregation === "@");
	assert.deepEqual(agg?.rows, [{ key: ["simple`run"], value: 3 }], r.stdout);
});
