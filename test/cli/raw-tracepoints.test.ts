// Tracepoint clauses that read no arguments run as raw tracepoints: exact
// counts per probe from one program over several tracepoints.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

const FORK_40 = "sh -c 'i=0; while [ $i -lt 40 ]; do /bin/true; i=$((i+1)); done'";

test("sdt:sched::sched_process_* without arguments counts each tracepoint exactly (40 forks, 1 exit)", async () => {
	const r = await runDtop([
		"-n",
		"sdt:sched::sched_process_* /pid == $target/ { @[probename] = count(); }",
		"-c",
		FORK_40,
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /^\s+sched_process_fork\s+40$/m);
	assert.match(r.stdout, /^\s+sched_process_exit\s+1$/m);
	assert.match(r.stdout, /^\s+sched_process_exec\s+1$/m);
});

test("the syscalls group's tracepoints count exactly beside raw ones, with and without arguments (7 vforks, 14 wait4s)", async () => {
	// sched_process_fork's first field is a string: it joins only the clause without arguments.
	for (const [extra, pred] of [
		[",sdt:sched::sched_process_fork", "/pid == $target/"],
		["", "/pid == $target && arg0 == arg0/"],
	]) {
		const r = await runDtop([
			"-n",
			`sdt:syscalls::sys_*_vfork,sdt:syscalls::sys_enter_wait4${extra} ${pred} { @[probename] = count(); }`,
			"-c",
			"sh -c 'i=0; while [ $i -lt 7 ]; do /bin/true; i=$((i+1)); done'",
		]);
		assert.equal(r.code, 0, r.stderr);
		assert.match(r.stdout, /^\s+sys_enter_vfork\s+7$/m, pred);
		assert.match(r.stdout, /^\s+sys_exit_vfork\s+7$/m, pred);
		assert.match(r.stdout, /^\s+sys_enter_wait4\s+14$/m, pred);
		if (extra) assert.match(r.stdout, /^\s+sched_process_fork\s+7$/m, pred);
		assert.doesNotMatch(r.stderr, /skipped/);
	}
});

test("kernel stacks of a tracepoint clause without arguments start at the tracepoint's caller, not in BPF", async () => {
	const r = await runDtop(["-b", "-d", "1", "-n", "sdt:sched::sched_switch { @[kstack()] = count(); }"]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /vmlinux`__schedule\+0x/);
	assert.doesNotMatch(r.stdout, /\[bpf\]|bpf_trace_run/);
});
