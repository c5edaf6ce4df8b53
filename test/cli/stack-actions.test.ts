// stack(), stack(n), ustack() and ustack(n) as actions: per-event output in
// dtrace's layout (a newline, each frame on its own line under 14 columns, a
// blank line after the record), from real probes in the fixture (frame
// pointers), in Debian's python3.11 (no frame pointers: the .eh_frame
// unwinder) and in the kernel; frames checked against nm and /proc/kallsyms.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { SIMPLE } from "../fixtures/fixtures.ts";
import { runDtop } from "../helpers/cli.ts";

const PYTHON = "/usr/bin/python3.11";
const FRAME = /^ {14}(\S+?)`(\S+?)(?:\+0x([0-9a-f]+))?$/;

function sizes(file: string): Map<string, bigint> {
	const m = new Map<string, bigint>();
	for (const line of execFileSync("nm", ["-S", "--defined-only", file], { encoding: "utf8" }).split("\n")) {
		const f = /^[0-9a-f]+ ([0-9a-f]+) [tT] (\S+)$/.exec(line);
		if (f) m.set(f[2]!, BigInt(`0x${f[1]}`));
	}
	return m;
}

/** The stacks of the output: runs of frame lines, each run ended by a line that is not one. */
function stacks(out: string): string[][] {
	const all: string[][] = [];
	let cur: string[] | undefined;
	for (const l of out.split("\n")) {
		if (FRAME.test(l) || /^ {14}</.test(l)) (cur ??= []).push(l);
		else if (cur) {
			all.push(cur);
			cur = undefined;
		}
	}
	return all;
}

test("ustack() and ustack(2) in the fixture: dtrace's layout, frames nm agrees with", async () => {
	const r = await runDtop(["-n", "pid$target::fire_line:entry { ustack(); ustack(2); }", "-c", `${SIMPLE} --count 2`]);
	assert.equal(r.code, 0, r.stderr);
	const lines = r.stdout.split("\n");
	assert.equal(lines[0], "CPU     ID                    FUNCTION:NAME");
	// The record's line ends at the first frame (stackText starts with a newline).
	assert.match(lines[1]!, /^ {2}\d +\d+ +fire_line:entry $/);
	assert.equal(lines[2], "              simple`fire_line");
	const got = stacks(r.stdout);
	assert.equal(got.length, 4, r.stdout);
	const size = sizes(SIMPLE);
	for (const [i, st] of got.entries()) {
		const names = st.map((l) => FRAME.exec(l)!);
		assert.deepEqual(
			names.slice(0, 3).map((m) => m[2]),
			i % 2 ? ["fire_line", "run"] : ["fire_line", "run", "main"],
		);
		if (i % 2) assert.equal(st.length, 2, st.join("\n"));
		for (const m of names)
			if (m[1] === "simple" && m[3]) assert.ok(BigInt(`0x${m[3]}`) <= size.get(m[2]!)!, `${m[0]} is past the function`);
	}
	// One blank line between the two stacks of a record, and after each record.
	assert.match(
		r.stdout,
		/simple`main\+0x[0-9a-f]+\n(?: {14}\S+\n)*\n {14}simple`fire_line\n {14}simple`run\+0x[0-9a-f]+\n\n/,
	);
});

test("ustack() in python3.11, which has no frame pointers, walks to _start with the .eh_frame unwinder", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		"python$target:::gc-start { ustack(); }",
		"-c",
		`${PYTHON} -c "import gc; gc.collect(); gc.collect()"`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const got = stacks(r.stdout);
	assert.ok(got.length >= 2, r.stdout);
	for (const st of got) {
		assert.ok(st.length > 5, st.join("\n"));
		assert.match(st[0]!, /python3\.11`gc_collect_main/);
		assert.match(st.at(-1)!, /python3\.11`_start\+0x/);
		assert.ok(
			st.some((l) => /libc\.so\.6`__libc_start_main/.test(l)),
			st.join("\n"),
		);
	}
	// gc.collect() called from Python code: the interpreter's loop is on that stack.
	assert.ok(
		got.some((st) => st.some((l) => /`_PyEval_EvalFrameDefault\+/.test(l))),
		r.stdout,
	);
});

test("stack() and stack(2) at a system call: kernel frames of /proc/kallsyms", async () => {
	const text = new Set(
		readFileSync("/proc/kallsyms", "utf8")
			.split("\n")
			.map((l) => l.split(" "))
			.filter((f) => f[1] === "t" || f[1] === "T")
			.map((f) => f[2]!),
	);
	const r = await runDtop([
		"-q",
		"-n",
		"syscall::getppid:entry /pid == $target/ { stack(); stack(2); }",
		"-c",
		`${PYTHON} -c "import os; os.getppid()"`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const got = stacks(r.stdout);
	assert.equal(got.length, 2, r.stdout);
	assert.ok(got[0]!.length > 2);
	assert.equal(got[1]!.length, 2);
	assert.deepEqual(got[1], got[0]!.slice(0, 2));
	for (const l of got[0]!) {
		const m = FRAME.exec(l);
		assert.ok(m && m[1] === "vmlinux" && text.has(m[2]!), l);
	}
	assert.ok(
		got[0]!.some((l) => /`do_syscall_64\+/.test(l)),
		got[0]!.join("\n"),
	);
});
