// Limits and refusals in one line that names the limit and what to do.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";

function script(text: string): string {
	const file = join(mkdtempSync(join(tmpdir(), "dtop-err-")), "x.d");
	writeFileSync(file, text);
	return file;
}

function oneLine(stderr: string): string {
	const lines = stderr.trim().split("\n");
	assert.equal(lines.length, 1, stderr);
	return lines[0];
}

/** A description that matches nothing: DTrace's line (D_PDESC_ZERO's words), then dtop's reason, which is returned. */
function reason(stderr: string): string {
	const lines = stderr.trim().split("\n");
	assert.equal(lines.length, 2, stderr);
	assert.match(
		lines[0]!,
		/^dtop: invalid probe specifier .*: line 1: probe description \S+ does not match any probes$/,
	);
	return lines[1]!;
}

test("65 programs on one tracepoint (the kernel runs at most 64 programs on one) give one line naming the limit", async () => {
	// Clauses on one probe share a program; clauses on 65 system calls of their own need 65 on raw_syscalls:sys_enter.
	const names = readdirSync("/sys/kernel/tracing/events/syscalls")
		.filter((n) => n.startsWith("sys_enter_"))
		.map((n) => n.slice("sys_enter_".length))
		.sort()
		.slice(0, 65);
	assert.equal(names.length, 65);
	const clauses = names.map((n, i) => `syscall::${n}:entry { @c${i} = count(); }`).join("\n");
	const r = await runDtop(["-b", "-d", "1", "-s", script(clauses)], { timeoutMs: 60_000 });
	assert.equal(r.code, 1);
	const line = oneLine(r.stderr);
	assert.match(
		line,
		/^dtop: tracepoint raw_syscalls:sys_enter already runs 64 BPF programs, the most the kernel allows/,
	);
	assert.match(line, /fewer clauses/);
});

test("65 clauses with 65 aggregations on one probe run (one program would use more maps than the kernel allows: they are split)", async () => {
	const clauses = Array.from({ length: 65 }, (_, i) => `syscall::getppid:entry /pid == $target/ { @c${i} = count(); }`);
	const r = await runDtop(
		["-q", "-s", script(clauses.join("\n")), "-c", "/usr/bin/python3.11 -c 'import os; os.getppid()'"],
		{
			timeoutMs: 60_000,
		},
	);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.split("\n").filter((l) => l.trim() === "1").length, 65);
});

test("2,000 self-> stores in one clause give one line naming the jump limit and how to split", async () => {
	const stores = Array.from({ length: 2000 }, (_, i) => `self->v${i} = ${i};`).join(" ");
	const r = await runDtop(["-b", "-d", "1", "-s", script(`syscall::read:entry { ${stores} }`)]);
	assert.equal(r.code, 1);
	const line = oneLine(r.stderr);
	assert.match(
		line,
		/too long for one BPF program: a jump in it would span \d+ instructions and BPF jumps reach at most 32767; split/,
	);
	assert.doesNotMatch(line, /label/);
});

for (const name of ["profile-0", "tick-1ns"]) {
	test(`${name} is a rate dtop does not sample at, not a matter of fbt`, async () => {
		const r = await runDtop(["-b", "-d", "1", "-n", name]);
		assert.equal(r.code, 1);
		const line = reason(r.stderr);
		assert.match(line, new RegExp(`'${name}' is not a rate dtop samples at: .*5000 Hz.*200us`));
		assert.doesNotMatch(line, /fbt|kprobe/);
	});
}

test("a kernel-function description that matches nothing still says fbt is unavailable here", async () => {
	const r = await runDtop(["-b", "-d", "1", "-n", "vfs_read:entry"]);
	assert.equal(r.code, 1);
	assert.match(reason(r.stderr), /fbt probes are unavailable here/);
});

for (const command of ["true", `${SIMPLE} --count 1`]) {
	test(`-l -c '${command}' lists the probes of a command that exits at once, from its libraries`, async () => {
		const r = await runDtop(["-l", "-n", "pid$target:libc.so.6:malloc:entry", "-c", command]);
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stdout, /^\s*\d+\s+pid\d+\s+libc\.so\.6\s+malloc entry$/m);
	});
}

test("-l -c of a command that exits at once lists its binary's own USDT probes", async () => {
	const r = await runDtop(["-l", "-c", `${SIMPLE} --count 1`]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /^\s*\d+\s+simple\d+\s+simple\s+\S+\s+saw-line$/m);
});
