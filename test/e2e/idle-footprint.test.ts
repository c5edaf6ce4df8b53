// dtop's own footprint: the interactive UI, idle (nothing enabled), counted by
// strace (every system call of every thread of dtop's process) over 10 s.
//
// The issue's goal is 20 a second; measured here 45–70 (V8's futex wake-ups
// ~13/s, epoll wake-ups of the event loop's timers ~20/s), so the bound this
// test holds is 100 — far from the ~820–1,250 of the /proc rescan, but not the
// goal yet.
//
// "Idle" is dtop's: the machine is shared and other programs start processes
// all the time, and dtop follows each of them (a process that lives through a
// poll has its maps read). So the budget is 100 system calls a second plus two
// per process the machine created in the window (the kernel's fork count,
// /proc/stat "processes", threads included). The rescan that polled /proc
// every 500 ms cost ~820 a second with no process starting at all.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { DTOP } from "../helpers/cli.ts";
import { sleep, startDtop } from "../helpers/pty.ts";

const forks = () => Number(/^processes (\d+)/m.exec(readFileSync("/proc/stat", "utf8"))?.[1]);
const SECONDS = 10;

/** Total calls from `strace -c` output (the "total" row). */
function totalCalls(summary: string): number {
	const m = /^\s*100\.00\s+\S+\s+\S+\s+(\d+)\s+(?:\d+\s+)?total$/m.exec(summary);
	assert.ok(m, `no total in strace's summary:\n${summary}`);
	return Number(m[1]);
}

test("the idle interactive UI makes at most 100 system calls a second (plus 2 per process started)", async () => {
	const s = startDtop([], { cols: 120, rows: 30 });
	try {
		await s.waitFor(/syscall/, 30000);
		await sleep(3000); // start-up work (the first /proc scan, the first frames) is over
		const before = forks();
		const r = spawnSync("timeout", ["-s", "INT", String(SECONDS), "strace", "-c", "-f", "-p", String(s.pid)], {
			encoding: "utf8",
		});
		const started = forks() - before;
		assert.equal(r.error, undefined, `strace could not run (scripts/setup installs it): ${r.error?.message}`);
		const calls = totalCalls(r.stderr);
		const perSecond = calls / SECONDS;
		const budget = 100 + (2 * started) / SECONDS;
		console.log(
			`dtop idle: ${perSecond.toFixed(1)} system calls/s while the machine started ${(started / SECONDS).toFixed(1)} processes/s (budget ${budget.toFixed(1)}/s)`,
		);
		assert.ok(perSecond <= budget, `${perSecond}/s > ${budget}/s:\n${r.stderr}`);
	} finally {
		s.kill();
	}
});

test("dtop -p learns of its target's exit from the kernel's events, not by polling /proc", async () => {
	const target = spawn("sleep", ["60"], { stdio: "ignore" });
	const dtop = spawn(
		DTOP,
		["-q", "-p", String(target.pid), "-n", "syscall::getppid:entry /pid == $target/ { @ = count(); }"],
		{
			stdio: ["ignore", "ignore", "pipe"],
			env: { ...process.env, CI: "true" },
		},
	);
	try {
		let err = "";
		dtop.stderr?.on("data", (d) => (err += d));
		const t0 = Date.now();
		while (!/matched \d+ probes?\b/.test(err) && Date.now() - t0 < 20_000) await sleep(20);
		await sleep(1000);
		const r = spawnSync("timeout", ["-s", "INT", "4", "strace", "-f", "-e", "trace=openat", "-p", String(dtop.pid)], {
			encoding: "utf8",
		});
		const polls = r.stderr.split("\n").filter((l) => l.includes(`"/proc/${target.pid}/stat"`)).length;
		// The old 100 ms poll read it 40 times in 4 s; the safety net reads it every 2 s.
		assert.ok(polls <= 3, `dtop read /proc/${target.pid}/stat ${polls} times in 4 s`);
		const t1 = Date.now();
		const ended = new Promise((resolve) => dtop.on("exit", resolve));
		target.kill("SIGKILL");
		await ended;
		assert.ok(Date.now() - t1 < 1000, `dtop took ${Date.now() - t1} ms to see its target exit`);
	} finally {
		target.kill("SIGKILL");
		dtop.kill("SIGKILL");
	}
});
