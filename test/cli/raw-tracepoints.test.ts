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

test("the syscalls group's tracepoints (no raw tracepoint of their own) still attach beside raw ones", async () => {
	const r = await runDtop([
		"-n",
		"sdt:syscalls::sys_enter_getppid,sdt:sched::sched_process_fork /pid == $target/ { @[probename] = count(); }",
		"-c",
		"sh -c 'i=0; while [ $i -lt 5 ]; do /bin/true; i=$((i+1)); done'",
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /^\s+sched_process_fork\s+5$/m);
	assert.doesNotMatch(r.stderr, /skipped/);
});
