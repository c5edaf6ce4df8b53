// Per-event output of real D programs in batch mode, against the behaviour of
// DTrace's own unit tests (begin/, end/, exit/, printf/, trace/): the default
// action's line, printf and trace, exit() and its status, BEGIN before and END
// after everything else, quiet, and drops that are reported, never silent.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type CliResult, DTOP, runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";

/** Run dtop and wait until its output pipes are closed (every byte read). */
const dtop = (args: string[], env: Record<string, string> = {}, timeoutMs = 30_000): Promise<CliResult> =>
	runDtop(args, { env, timeoutMs, untilClosed: true });

function script(text: string): string {
	const dir = mkdtempSync(join(tmpdir(), "dtop-events-"));
	const path = join(dir, "prog.d");
	writeFileSync(path, text);
	return path;
}

test("a bare description prints DTrace's heading and one line per firing: exactly three for three firings", async () => {
	// Named by $target: `:::saw-line` is every process mapping the fixture, other tests' too (widen.ts).
	const r = await dtop(["-n", "simple$target:::saw-line", "-c", `${SIMPLE} --count 3`]);
	assert.equal(r.code, 0, r.stderr);
	const lines = r.stdout.split("\n");
	assert.equal(lines[0], "CPU     ID                    FUNCTION:NAME");
	// "%3d %6d %32s " then the newline; the run ends with dtrace's newline.
	for (const l of lines.slice(1, 4)) assert.match(l, /^ {2}\d [ \d]{5}\d {15}fire_line:saw-line $/);
	assert.deepEqual(lines.slice(4), ["", ""]);
});

test("-q with printf of pid and execname: one line per firing, the target's pid and name", async () => {
	const r = await dtop([
		"-q",
		"-n",
		'simple$target:::saw-line { printf("%d %d %s\\n", pid, $target, execname); }',
		"-c",
		`${SIMPLE} --count 25`,
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stderr, "", "-q: no matched-probes line");
	const lines = r.stdout.split("\n");
	assert.deepEqual(lines.slice(25), ["", ""]);
	const [pid, target, comm] = lines[0].split(" ");
	assert.ok(Number(pid) > 1);
	assert.equal(pid, target);
	assert.equal(comm, "simple");
	assert.deepEqual(lines.slice(0, 25), Array(25).fill(lines[0]));
});

test("printf's string arguments: copyinstr() of a probe argument and string constants", async () => {
	const r = await dtop([
		"-n",
		'simple$target:::saw-word { printf("[%s|%-6s|%5d]", copyinstr(arg0), "k", 7); }',
		"-c",
		`${SIMPLE} --count 3`,
		"-q",
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "[the|k     |    7][quick|k     |    7][brown|k     |    7]\n");
});

test("BEGIN prints before any other probe's output, END after exit() from a probe, then nothing more", async () => {
	const r = await dtop([
		"-s",
		script(`#pragma D option quiet
END { printf("end\\n"); }
simple$target:::saw-line /arg0 >= 3/ { printf("line %d\\n", arg0); exit(0); }
BEGIN { printf("begin\\n"); }
`),
		"-c",
		`${SIMPLE} --count 1000`,
	]);
	assert.equal(r.code, 0, r.stderr);
	// exit() stops every program at once: no firing after the one that called it records.
	assert.equal(r.stdout, "begin\nline 3\nend\n\n");
});

test("exit(3) makes dtop's exit status 3, after END", async () => {
	const t0 = Date.now();
	const r = await dtop(["-q", "-n", 'BEGIN { exit(3); } END { printf("end\\n"); }', "-d", "30"]);
	assert.equal(r.code, 3, r.stderr);
	assert.ok(Date.now() - t0 < 10_000, "exit() in BEGIN ends the run at once, whatever -d says");
	assert.equal(r.stdout, "end\n\n");
});

test('BEGIN { printf("hello\\n"); exit(0); } under -q prints hello and nothing else (but dtrace\'s last newline)', async () => {
	const r = await dtop(["-q", "-n", 'BEGIN { printf("hello\\n"); exit(0); }']);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "hello\n\n");
	assert.equal(r.stderr, "");
});

test("#pragma D option quiet and -x quiet turn the heading and probe lines off; without them BEGIN has its line", async () => {
	const body = 'BEGIN { printf("x"); exit(0); }';
	const loud = await dtop(["-n", body]);
	assert.equal(
		loud.stdout,
		`CPU     ID                    FUNCTION:NAME\n  ${loud.stdout.split("\n")[1][2]}      1                           :BEGIN x\n\n`,
	);
	const pragma = await dtop(["-s", script(`#pragma D option quiet\n${body}\n`)]);
	assert.equal(pragma.stdout, "x\n");
	const flag = await dtop(["-x", "quiet", "-n", body]);
	assert.equal(flag.stdout, "x\n");
	const bad = await dtop(["-x", "nosuchoption", "-n", body]);
	assert.equal(bad.code, 1);
	assert.match(bad.stderr, /^dtop: failed to set -x nosuchoption: Invalid option name\n$/);
});

test("trace() lays values out as dtrace does, in DTrace's test-suite layout too (_DTRACE_TESTING)", async () => {
	const r = await dtop(["-n", 'BEGIN { trace("this"); trace(12345); trace(pid); exit(0); }'], { _DTRACE_TESTING: "1" });
	assert.equal(r.code, 0, r.stderr);
	const [head, line, ...rest] = r.stdout.split("\n");
	assert.equal(head, "                   FUNCTION:NAME");
	// "%32s " for the probe, "  %-33s" for a string, " %10d" for an int (12345 and pid are ints).
	assert.match(line, /^ {26}:BEGIN {3}this {29} {6}12345 +\d+$/);
	assert.equal(line.length, 33 + 35 + 11 + 11);
	assert.deepEqual(rest, ["", ""]);
});

test("an unreadable string abandons the record and is reported as DTrace reports a fault", async () => {
	// The fault abandons the rest of its clause (an exit() there too, as in DTrace): exit from a clause of its own.
	const r = await dtop(["-q", "-n", 'BEGIN { printf("%s\\n", copyinstr(0)); } BEGIN { exit(0); }']);
	assert.equal(r.stdout, "\n", "nothing recorded but dtrace's last newline");
	assert.match(
		r.stderr,
		/^dtop: error on enabled probe ID \d+ \(ID 1: dtrace:::BEGIN\): invalid address \(0x0\) in action #1\n$/,
	);
});

test("a ring buffer too small for the firings reports its drops per CPU, and drops plus lines are every firing", async () => {
	const n = 20_000;
	const r = await dtop([
		"-q",
		"-x",
		"bufsize=4k",
		"-n",
		'simple$target:::saw-line { printf("%d %s\\n", arg0, execname); }',
		"-c",
		`${SIMPLE} --count ${n}`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const lines = r.stdout.split("\n").filter(Boolean).length;
	let drops = 0;
	for (const m of r.stderr.matchAll(/^dtop: (\d+) drops? on CPU (\d+)$/gm)) drops += Number(m[1]);
	assert.ok(drops > 0, `drops reported: ${r.stderr}`);
	assert.equal(lines + drops, n);
});

test("-l lists the dtrace provider's probes first, with DTrace's ids", async () => {
	const r = await dtop(["-l", "-n", "dtrace:::"]);
	assert.equal(r.code, 0, r.stderr);
	const rows = r.stdout
		.trim()
		.split("\n")
		.slice(1)
		.map((l) => l.trim().split(/\s+/));
	assert.deepEqual(rows, [
		["1", "dtrace", "BEGIN"],
		["2", "dtrace", "END"],
		["3", "dtrace", "ERROR"],
	]);
});

test("clauses that enable the same probe run in program order, for uprobes and system calls alike", async () => {
	const usdt = await dtop([
		"-q",
		"-n",
		'simple$target:::saw-line { printf("a%d ", arg0); } simple$target:::saw-line { printf("b%d ", arg0); }',
		"-c",
		`${SIMPLE} --count 3`,
	]);
	assert.equal(usdt.stdout, "a1 b1 a2 b2 a3 b3 \n");
	const sys = await dtop([
		"-q",
		"-n",
		'syscall::getppid:entry /pid == $target/ { printf("a "); } syscall::getppid:entry /pid == $target/ { printf("b "); }',
		"-c",
		"/usr/bin/python3.11 -c 'import os; os.getppid(); os.getppid()'",
	]);
	assert.equal(sys.stdout, "a b a b \n");
});

// DTrace for Linux's aggs/tst.quantround, lquantround and llquantround expect the
// clauses after exit() in the same firing to record nothing (each clause checks the
// activity state first); this test asserted the opposite before.
test("exit() stops later firings and the rest of its own firing; clauses of one tick-N share its timer", async () => {
	const r = await dtop([
		"-q",
		"-n",
		'simple$target:::saw-line /arg0 == 2/ { exit(0); } simple$target:::saw-line { printf("b%d ", arg0); }',
		"-c",
		`${SIMPLE} --count 300`,
	]);
	assert.equal(r.stdout, "b1 \n");
	const tick = await dtop(["-q", "-n", 'tick-1s { printf("a "); } tick-1s { printf("b "); exit(0); }']);
	assert.equal(tick.stdout, "a b \n");
});

test("END runs when -d's time is up", async () => {
	const r = await dtop(["-q", "-n", 'END { printf("end %s\\n", probename); }', "-d", "1"]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "end END\n\n");
});

test("END runs when the -c command exits, and after Ctrl-C (with dtrace's newline first)", async () => {
	const r = await dtop(["-q", "-n", 'END { printf("end\\n"); }', "-c", `${SIMPLE} --count 1`]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "end\n\n");
	const child = spawn(DTOP, ["-q", "-n", 'BEGIN { printf("begin\\n"); } END { printf("end\\n"); }'], {
		stdio: ["ignore", "pipe", "pipe"],
	});
	let out = "";
	child.stdout.on("data", (d) => {
		out += d;
		if (out === "begin\n") child.kill("SIGINT");
	});
	const code = await new Promise((res) => child.on("close", res));
	assert.equal(code, 0);
	assert.equal(out, "begin\n\nend\n\n");
});

test("printa() in END prints an aggregation with a format; it is not printed again at the end", async () => {
	const r = await dtop([
		"-q",
		"-n",
		'simple$target:::saw-word { @w[copyinstr(arg0)] = count(); } END { printa("%-8s %@d\\n", @w); }',
		"-c",
		`${SIMPLE} --count 16`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const words = ["brown", "dog", "fox", "jumps", "lazy", "over", "quick", "the"];
	assert.equal(r.stdout, `${words.map((w) => `${w.padEnd(8)} 2\n`).join("")}\n`);
});

test("tick-1s { printa(@); exit(0); }: the aggregation as it is then, printed by printa's default layout", async () => {
	const r = await dtop([
		"-q",
		"-n",
		"simple$target:::saw-line { @c = count(); } tick-1s { printa(@c); exit(0); }",
		"-c",
		`${SIMPLE} --loop --sleep-ms 20`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const m = /^\n {8} *(\d+)\n\n$/.exec(r.stdout);
	assert.ok(m, JSON.stringify(r.stdout));
	assert.ok(Number(m[1]) > 5, "the loop fired during the second");
});

test("printa() of an aggregation no clause assigns is refused with its line", async () => {
	const r = await dtop(["-n", "BEGIN { printa(@nope); }"]);
	assert.equal(r.code, 1);
	assert.equal(
		r.stderr,
		"dtop: invalid probe specifier BEGIN { printa(@nope); }: line 1: printa( ) of @nope, which no clause assigns\n",
	);
});

test("an unreadable string fires ERROR with DTrace's arguments; ERROR { exit(1); } makes the status 1", async () => {
	const r = await dtop([
		"-q",
		"-n",
		'BEGIN { printf("%s\\n", copyinstr(16)); } ERROR { printf("%d %d %d 0x%x\\n", arg1, arg3, arg4, arg5); exit(1); }',
	]);
	assert.equal(r.code, 1, r.stderr);
	// arg1: the enabled probe (BEGIN's clause, the first), arg3: action #1, arg4: DTRACEFLT_BADADDR, arg5: the address.
	assert.equal(r.stdout, "1 1 1 0x10\n\n");
	assert.match(
		r.stderr,
		/^dtop: error on enabled probe ID 1 \(ID 1: dtrace:::BEGIN\): invalid address \(0x10\) in action #1\n$/,
	);
	const loop = await dtop([
		"-q",
		"-n",
		'ERROR { printf("%s", copyinstr(0)); } BEGIN { trace(copyinstr(0)); } BEGIN { exit(0); }',
	]);
	assert.equal(loop.code, 0, "a fault in ERROR does not fire ERROR again");
	assert.equal(loop.stderr.split("\n").filter(Boolean).length, 2, loop.stderr);
});

test("-x aggsortkey -x aggsortrev and #pragma D option aggsortkey order the aggregation printed at the end", async () => {
	const prog = "simple$target:::saw-word { @[copyinstr(arg0)] = count(); }";
	const keys = (out: string) =>
		out
			.split("\n")
			.filter(Boolean)
			.map((l) => l.trim().split(/\s+/)[0]);
	const byValue = await dtop(["-q", "-n", prog, "-c", `${SIMPLE} --count 9`]);
	assert.deepEqual(keys(byValue.stdout), ["brown", "dog", "fox", "jumps", "lazy", "over", "quick", "the"]);
	const rev = await dtop(["-q", "-x", "aggsortkey", "-x", "aggsortrev", "-n", prog, "-c", `${SIMPLE} --count 9`]);
	assert.deepEqual(keys(rev.stdout), ["the", "quick", "over", "lazy", "jumps", "fox", "dog", "brown"]);
	const pragma = await dtop([
		"-s",
		script(`#pragma D option quiet\n#pragma D option aggsortrev\n${prog}\n`),
		"-c",
		`${SIMPLE} --count 9`,
	]);
	assert.equal(keys(pragma.stdout)[0], "the", "the largest value first");
});

test("a record larger than a record can be, and a bad option value, are one clear line each", async () => {
	const big = await dtop(["-x", "strsize=9000", "-n", 'BEGIN { printf("%s", copyinstr(0)); }']);
	assert.equal(big.code, 1);
	assert.match(
		big.stderr,
		/^dtop: a firing of this clause records 9048 bytes, more than the 8192 a record holds; .*\n$/,
	);
	const bad = await dtop(["-x", "strsize=1", "-n", "BEGIN { exit(0); }"]);
	// dtrace's dfatal: an option that cannot be set is exit status 1.
	assert.equal(bad.code, 1);
	assert.equal(bad.stderr, "dtop: failed to set -x strsize: Invalid value for specified option\n");
});

test("$pid, $uid and $gid are dtop's own, as dtrace's are dtrace's (BEGIN runs in dtop's process)", async () => {
	const r = await dtop([
		"-q",
		"-n",
		'BEGIN /$pid != 0/ { printf("%d %d %d\\n", $pid == pid, $uid == uid, $gid == gid); exit(0); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "1 1 1\n\n");
});
