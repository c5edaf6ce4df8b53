// Built-in variables on the real kernel: ppid, errno, walltimestamp,
// vtimestamp, uregs[], stackdepth/ustackdepth and id, each checked against
// what the kernel or the test itself knows independently.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

/** Lines of the form "tag n n ..." from dtop's quiet output. */
function rows(stdout: string, tag: string): bigint[][] {
	return stdout
		.split("\n")
		.filter((l) => l.startsWith(`${tag} `))
		.map((l) =>
			l
				.slice(tag.length + 1)
				.trim()
				.split(/\s+/)
				.map(BigInt),
		);
}

test("ppid is what getppid() returns to the same process", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'syscall::getppid:return /pid == $target/ { printf("P %d %d\\n", ppid, retval); }',
		"-c",
		"/usr/bin/python3 -c 'import os; os.getppid(); os.getppid()'",
	]);
	assert.equal(r.code, 0, r.stderr);
	const got = rows(r.stdout, "P");
	assert.ok(got.length >= 2, r.stdout);
	for (const [ppid, ret] of got) {
		assert.equal(ppid, ret);
		assert.ok(ppid! > 1n);
	}
});

test("errno at a system call's return: ENOENT for a missing file, 0 for a success", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'syscall::openat:return /pid == $target/ { printf("E %d %d\\n", errno, retval); }',
		"-c",
		'/usr/bin/python3 -c \'import os\ntry: open("/nonexistent-dtop-errno")\nexcept OSError: pass\nos.close(os.open("/dev/null", 0))\'',
	]);
	assert.equal(r.code, 0, r.stderr);
	const got = rows(r.stdout, "E");
	assert.ok(
		got.some(([e, ret]) => e === 2n && ret === -2n),
		r.stdout,
	);
	assert.ok(
		got.some(([e, ret]) => e === 0n && ret! >= 0n),
		r.stdout,
	);
	for (const [e, ret] of got) assert.equal(e, ret! < 0n ? -ret! : 0n);
});

test("errno outside a system call's return is refused in one sentence", async () => {
	const r = await runDtop(["-n", "BEGIN { trace(errno); exit(0); }"]);
	assert.notEqual(r.code, 0);
	assert.match(r.stderr, /errno is set only at system call returns/);
	assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test("walltimestamp is the wall clock in nanoseconds and %Y prints it as a date", async () => {
	const before = BigInt(Date.now()) * 1_000_000n;
	const r = await runDtop(["-q", "-n", 'BEGIN { printf("W %d\\n%Y\\n", walltimestamp, walltimestamp); exit(0); }']);
	const after = BigInt(Date.now()) * 1_000_000n;
	assert.equal(r.code, 0, r.stderr);
	const [[w]] = rows(r.stdout, "W") as [[bigint]];
	assert.ok(w >= before - 5_000_000n && w <= after + 5_000_000n, `${before} <= ${w} <= ${after}`);
	const year = new Date().getFullYear();
	assert.match(r.stdout, new RegExp(`^${year} [A-Z][a-z]{2} [ 0-9]\\d \\d\\d:\\d\\d:\\d\\d$`, "m"));
});

test("vtimestamp counts the thread's CPU time: a busy loop's, not a sleeper's", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'syscall::exit_group:entry /pid == $target/ { printf("V %d\\n", vtimestamp); }',
		"-c",
		"/usr/bin/python3 -c 'import time\nn = 0\nfor i in range(3000000): n += i\ntime.sleep(0.3)'",
	]);
	assert.equal(r.code, 0, r.stderr);
	const [[v]] = rows(r.stdout, "V") as [[bigint]];
	// Three million additions in Python take well over 20 ms of CPU; the target's
	// whole life (sleep included) is far under a minute.
	assert.ok(v > 20_000_000n && v < 60_000_000_000n, `vtimestamp ${v}`);
	const s = await runDtop([
		"-q",
		"-n",
		'syscall::exit_group:entry /pid == $target/ { printf("V %d\\n", vtimestamp); }',
		"-c",
		"/bin/sleep 0.5",
	]);
	assert.equal(s.code, 0, s.stderr);
	const [[idle]] = rows(s.stdout, "V") as [[bigint]];
	assert.ok(idle < v, `sleep's ${idle} vs the loop's ${v}`);
});

test("uregs[] are the user registers: the system call's arguments and number (x86_64)", {
	skip: process.arch !== "x64" ? "x86_64 register names" : false,
}, async () => {
	const r = await runDtop([
		"-q",
		"-n",
		'syscall::openat:entry /pid == $target/ { printf("U %d %d %d %d %d\\n", uregs[R_RSI], arg1, uregs[R_RDI], arg0, uregs[R_ERR]); }',
		"-c",
		"/bin/cat /dev/null",
	]);
	assert.equal(r.code, 0, r.stderr);
	const got = rows(r.stdout, "U");
	assert.ok(got.length > 0, r.stdout);
	for (const [rsi, a1, rdi, a0, nr] of got) {
		assert.equal(rsi, a1);
		assert.equal(BigInt.asIntN(32, rdi!), BigInt.asIntN(32, a0!));
		assert.equal(nr, 257n); // __NR_openat on x86_64
	}
	const bad = await runDtop(["-n", "BEGIN { trace(uregs[99]); }"]);
	assert.notEqual(bad.code, 0);
	assert.match(bad.stderr, /line 1: uregs\[99\] is not a register/);
});

test("stackdepth and ustackdepth count frames; id is the probe's ID", async () => {
	const r = await runDtop([
		"-n",
		'syscall::getpid:entry /pid == $target/ { printf("S %d %d %d", stackdepth, ustackdepth, id); }',
		"-c",
		"/usr/bin/python3 -c 'import os; os.getpid()'",
	]);
	assert.equal(r.code, 0, r.stderr);
	const line = r.stdout.split("\n").find((l) => l.includes(" S "));
	assert.ok(line, r.stdout);
	const m = /^\s*\d+\s+(\d+)\s+getpid:entry S (\d+) (\d+) (\d+)\s*$/.exec(line);
	assert.ok(m, line);
	assert.ok(Number(m[2]) >= 1, "kernel frames");
	assert.ok(Number(m[3]) >= 1, "user frames");
	assert.equal(m[4], m[1], "id is the ID column");
});
