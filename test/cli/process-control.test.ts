// -c and -p targets: never left stopped, never changed when no enabling needs
// a hold, never resumed when someone else stopped them (issue: hardening).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { programs } from "../helpers/bpf-objects.ts";
import { DTOP, runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";
import { stateOf } from "../helpers/proc.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
	const t0 = Date.now();
	while (!ok()) {
		if (Date.now() - t0 > ms) throw new Error(`timed out waiting until ${what}`);
		await sleep(20);
	}
}

function children(pid: number): number[] {
	try {
		return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

function cmdline(pid: number): string {
	try {
		return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
	} catch {
		return "";
	}
}

/** Names of the BPF programs a process holds (from its fds). */
function programNames(pid: number): string[] {
	const ids = new Set<number>();
	for (const fd of readdirSync(`/proc/${pid}/fd`)) {
		try {
			const m = /prog_id:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"));
			if (m) ids.add(Number(m[1]));
		} catch {
			// closed meanwhile
		}
	}
	return programs()
		.filter((p) => ids.has(p.id))
		.map((p) => p.name);
}

for (const stage of ["target", "catalog", "session", "enabled"]) {
	test(`kill -9 of dtop at start-up stage '${stage}' leaves the -c command running to its end, not stopped`, async () => {
		const dtop: ChildProcess = spawn(
			DTOP,
			["-q", "-n", "simple$target:::saw-line { @ = count(); }", "-c", `${SIMPLE} --count 5 --sleep-ms 100`],
			{ stdio: "ignore", env: { ...process.env, CI: "true", DTOP_STOP_AT: stage } },
		);
		const pid = dtop.pid ?? 0;
		try {
			// scripts/dtop execs node, so dtop's pid is the tracer itself.
			await until(`dtop reaches '${stage}'`, () => stateOf(pid) === "T");
			const command = children(pid).find((c) => cmdline(c).includes(SIMPLE));
			assert.ok(command, "the -c command exists");
			dtop.kill("SIGKILL");
			await until("the command has run to its end", () => {
				const s = stateOf(command);
				return s === undefined || s === "Z";
			});
		} finally {
			dtop.kill("SIGKILL");
		}
	});
}

test("-p of a process someone else stopped: dtop leaves it stopped, during the run and after", async () => {
	const target = spawn("sleep", ["30"], { stdio: "ignore" });
	const pid = target.pid ?? 0;
	try {
		await sleep(300); // past the dynamic loader: libc is mapped
		process.kill(pid, "SIGSTOP");
		await until("the target is stopped", () => stateOf(pid) === "T");
		// pid-provider probes in the target: holds are placed (it may load libraries).
		const run = runDtop(["-q", "-p", String(pid), "-n", "pid$target::nanosleep:entry { @ = count(); }", "-d", "1.5"]);
		await sleep(1000);
		assert.equal(stateOf(pid), "T", "still stopped while dtop runs");
		const r = await run;
		assert.equal(r.code, 0, r.stderr);
		await sleep(700);
		assert.equal(stateOf(pid), "T", "still stopped after dtop quit");
	} finally {
		target.kill("SIGKILL");
	}
});

test("-p with only a syscall clause places no hold: the target runs on while dtop is stopped", async () => {
	const target = spawn(SIMPLE, ["--loop", "--sleep-ms", "1"], { stdio: "ignore" });
	const pid = target.pid ?? 0;
	const dtop = spawn(DTOP, ["-q", "-p", String(pid), "-n", "syscall:::entry /pid == $target/ { @ = count(); }"], {
		stdio: "ignore",
		env: { ...process.env, CI: "true" },
	});
	try {
		await until("dtop has loaded its program", () => {
			try {
				return programNames(dtop.pid ?? 0).length > 0;
			} catch {
				return false;
			}
		});
		assert.deepEqual(
			programNames(dtop.pid ?? 0).filter((n) => n === "dtop_hold"),
			[],
			"no hold programs",
		);
		process.kill(dtop.pid ?? 0, "SIGSTOP");
		for (let i = 0; i < 25; i++) {
			await sleep(20);
			assert.notEqual(stateOf(pid), "T", "the target never stops");
		}
	} finally {
		dtop.kill("SIGKILL");
		target.kill("SIGKILL");
	}
});
