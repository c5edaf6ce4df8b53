// ERROR fires inside the faulting firing, as in DTrace: its clauses run in the
// faulting probe's program (kernel/codegen/faults.ts, the error block of
// compile.ts), so pid, execname and the thread are the faulting thread's, and
// its output sits between that firing's earlier and later clauses. Real
// processes: a -c command (cat) whose read(2) calls fault in a syscall clause.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";

const CAT = "/bin/cat /etc/hostname";

function targetOf(stdout: string): number {
	const m = /^target (\d+)$/m.exec(stdout);
	assert.ok(m, `no target line in ${stdout}`);
	return Number(m[1]);
}

test("ERROR at a fault in a -c child: pid and execname are the child's, not dtop's; its arguments are DTrace's", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		`BEGIN { printf("target %d\\n", $target); }
		syscall::read:entry /pid == $target/ { x = 1 / (arg0 - arg0); }
		ERROR { printf("E pid=%d exec=%s tid=%d a0=%d a2=%d a3=%d a4=%d a5=%d epid=%d\\n", pid, execname, tid, arg0, arg2, arg3, arg4, arg5, arg1); }`,
		"-c",
		CAT,
	]);
	assert.equal(r.code, 0, r.stderr);
	const target = targetOf(r.stdout);
	const lines = r.stdout.split("\n").filter((l) => l.startsWith("E "));
	const reports =
		r.stderr.match(
			/^dtop: error on enabled probe ID (\d+) \(ID \d+: syscall:vmlinux:read:entry\): divide-by-zero in action #1$/gm,
		) ?? [];
	// cat reads its file at least twice (data, then end of file): a fault and an ERROR for each read.
	assert.ok(lines.length >= 2, r.stdout);
	assert.equal(lines.length, reports.length, `${r.stdout}\n${r.stderr}`);
	const epid = /enabled probe ID (\d+)/.exec(reports[0] ?? "")?.[1];
	// cat is single-threaded: tid is its pid. Clause 1 of the program, action 1, DTRACEFLT_DIVZERO, no address.
	for (const l of lines)
		assert.equal(
			l,
			`E pid=${target} exec=cat tid=${target} a0=0 a2=1 a3=1 a4=4 a5=0 epid=${epid}`,
			`${r.stdout}\n(dtop is not the child: ${process.pid} runs the test)`,
		);
});

test("ERROR's output is in the faulting firing's place: after the earlier clause's, before the later clause's", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		`syscall::read:entry /pid == $target/ { printf("A%d\\n", n); }
		syscall::read:entry /pid == $target/ { printf("lost%d\\n", n); x = 1 / (arg0 - arg0); }
		syscall::read:entry /pid == $target/ { printf("C%d\\n", n++); }
		ERROR { printf("E%d\\n", n); }`,
		"-c",
		CAT,
	]);
	assert.equal(r.code, 0, r.stderr);
	const out = r.stdout.split("\n").filter((l) => /^[ACE]\d+$|^lost/.test(l));
	const firings = out.length / 3;
	assert.ok(firings >= 2 && Number.isInteger(firings), r.stdout);
	// The faulting clause's own record (its printf before the fault) is abandoned, as in DTrace.
	const want = Array.from({ length: firings }, (_, i) => [`A${i}`, `E${i}`, `C${i}`]).flat();
	assert.deepEqual(out, want, r.stdout);
});

test("an aggregation in ERROR keyed by execname and the fault code counts the child's faults under its name", async () => {
	const r = await runDtop([
		"-n",
		`syscall::read:entry /pid == $target/ { @r = count(); @k[copyinstr(0)] = count(); }
		ERROR { @e[execname, arg4] = count(); }`,
		"-c",
		CAT,
		"--json",
	]);
	assert.equal(r.code, 0, r.stderr);
	const faults = (
		r.stderr.match(/^dtop: error on enabled probe ID \d+ .*: invalid address \(0x0\) in action #2$/gm) ?? []
	).length;
	assert.ok(faults >= 2, r.stderr);
	type Agg = { aggregation: string; faults: number; rows: { key: unknown[]; value: number }[] };
	const aggs = r.stdout
		.split("\n")
		.filter((l) => l.startsWith("{"))
		.map((l) => JSON.parse(l) as Agg);
	const e = aggs.find((a) => a.aggregation === "@e");
	assert.ok(e, r.stdout);
	assert.equal(e.faults, faults);
	// One firing per fault (@r counted before the fault), each counted in ERROR under the child's name.
	assert.deepEqual(aggs.find((a) => a.aggregation === "@r")?.rows, [{ key: [], value: faults }]);
	assert.deepEqual(e.rows, [{ key: ["cat", 1], value: faults }]);
});

test("a fault in ERROR's own clause is counted as DTrace counts it (one count line, no line of its own), and fires no ERROR again", async () => {
	const r = await runDtop([
		"-q",
		"--json",
		"-n",
		`syscall::read:entry /pid == $target/ { @n = count(); x = 1 / (arg0 - arg0); }
		ERROR { printf("E%d\\n", arg4); y = 1 / (arg4 - arg4); printf("after\\n"); }`,
		"-c",
		CAT,
	]);
	assert.equal(r.code, 0, r.stderr);
	const firing = r.stderr.match(/\(ID \d+: syscall:vmlinux:read:entry\): divide-by-zero in action #2$/gm) ?? [];
	// DTrace counts a fault in ERROR (DTRACEDROP_DBLERROR): "dtop: N errors in ERROR probe enabling", no line of its own.
	assert.doesNotMatch(r.stderr, /dtrace:::ERROR/);
	let inError = 0;
	for (const m of r.stderr.matchAll(/^dtop: (\d+) errors? in ERROR probe enabling$/gm)) inError += Number(m[1]);
	assert.ok(firing.length >= 2, r.stderr);
	assert.equal(inError, firing.length, r.stderr);
	assert.doesNotMatch(r.stdout, /^after$/m);
	// ERROR's printf before its own fault is abandoned with its clause.
	assert.doesNotMatch(r.stdout, /^E\d/m);
	const json = r.stdout.split("\n").find((l) => l.startsWith("{") && !l.includes('"event"'));
	assert.ok(json, r.stdout);
	assert.equal(JSON.parse(json).faults, 2 * firing.length);
});

test("ERROR's exit() at a USDT probe ends the faulting firing: its status wins, the later clause prints nothing more", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		`simple$target:::saw-line { printf("line %d pid=%d\\n", arg0, pid == $target); }
		simple$target:::saw-line /arg0 == 2/ { trace(copyinstr(arg0)); }
		simple$target:::saw-line { printf("after %d\\n", arg0); }
		ERROR { printf("E %s %d\\n", execname, pid == $target); exit(7); }`,
		"-c",
		`${SIMPLE} --count 3`,
	]);
	assert.equal(r.code, 7, r.stderr);
	// (dtop ends its output with a blank line, as dtrace does.)
	assert.equal(r.stdout.replace(/\n+$/, "\n"), "line 1 pid=1\nafter 1\nline 2 pid=1\nE simple 1\n");
});

test("ustack() in ERROR is the faulting thread's stack, unwound from the probe's registers", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		`simple$target:::saw-line /arg0 == 2/ { trace(copyinstr(arg0)); }
		ERROR { @s[ustack()] = count(); }`,
		"-c",
		`${SIMPLE} --count 3`,
	]);
	assert.equal(r.code, 0, r.stderr);
	// One fault (the second line), one stack: the fixture's frames from the probe site down to main.
	assert.match(
		r.stdout,
		/^\s+simple`fire_line\+0x[0-9a-f]+\n\s+simple`run\+0x[0-9a-f]+\n\s+simple`main\+0x[0-9a-f]+\n/m,
		r.stdout,
	);
	assert.match(r.stdout, /^\s+1$/m);
	assert.doesNotMatch(r.stdout, /node|libuv|syscall\+/);
});
