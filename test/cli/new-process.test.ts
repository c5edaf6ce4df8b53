// A process that starts after the enabling, lives a few milliseconds and fires
// a USDT probe 10 times is counted exactly 10, system-wide (no -c, no -p): the
// kernel's exec and mmap events hold it until its probes are attached.
//
// The fixture runs from a copy with a name of its own (the USDT module is the
// file's name), so other programs' `simple` processes on this shared machine
// are not counted.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DTOP } from "../helpers/cli.ts";
import { LIBSIMPLE, SIMPLE } from "../helpers/fixture.ts";
import { stateOf } from "../helpers/proc.ts";

// The hold is opt-in for now (see source/app/follow.ts).
process.env.DTOP_HOLD_NEW = "1";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 20_000): Promise<void> {
	const t0 = Date.now();
	while (!ok()) {
		if (Date.now() - t0 > ms) throw new Error(`timed out waiting until ${what}`);
		await sleep(20);
	}
}

test("a 5 ms process started after the enabling counts all 10 of its firings", async () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-newproc-"));
	const name = `simple-new-${process.pid}`;
	const binary = join(dir, name);
	copyFileSync(SIMPLE, binary);
	copyFileSync(LIBSIMPLE, join(dir, "libsimple.so"));
	spawnSync("chmod", ["755", binary]);
	let dtop: ChildProcess | undefined;
	try {
		dtop = spawn(DTOP, ["-Z", "-n", `simple*:${name}::saw-line { @ = count(); }`], {
			stdio: ["ignore", "pipe", "pipe"],
			env: { ...process.env, CI: "true" },
		});
		let out = "";
		let err = "";
		dtop.stdout?.on("data", (d) => (out += d));
		dtop.stderr?.on("data", (d) => (err += d));
		await until("dtop has enabled the clause", () => /clause\(s\) matched/.test(err));
		await sleep(500); // the process feed starts right after the message
		const lived: number[] = [];
		for (let i = 0; i < 3; i++) {
			const t0 = process.hrtime.bigint();
			const r = spawnSync(binary, ["--count", "10"], { stdio: "ignore", timeout: 10_000 });
			lived.push(Number(process.hrtime.bigint() - t0) / 1e6);
			assert.equal(r.status, 0, `the fixture failed (${r.error?.message ?? r.signal})`);
		}
		console.log(`fixture lifetimes (held while probes attach): ${lived.map((ms) => ms.toFixed(1)).join(", ")} ms`);
		const exited = new Promise<number | null>((resolve) => dtop?.on("exit", (code) => resolve(code)));
		dtop.kill("SIGINT");
		await exited;
		assert.match(out, /^\s*30\s*$/m, `expected exactly 30 firings (3 processes × 10):\n${out}\n${err}`);
	} finally {
		dtop?.kill("SIGKILL");
		rmSync(dir, { recursive: true, force: true });
	}
});

test("without an enabling that could match new processes, nothing is held", async () => {
	const dtop = spawn(DTOP, ["-n", "syscall::getppid:entry { @ = count(); }"], {
		stdio: ["ignore", "pipe", "pipe"],
		env: { ...process.env, CI: "true" },
	});
	try {
		let err = "";
		dtop.stderr?.on("data", (d) => (err += d));
		await until("dtop has enabled the clause", () => /clause\(s\) matched/.test(err));
		await sleep(500);
		// A process stopping itself would show as T; held ones are stopped by the kernel at exec.
		const child = spawn(SIMPLE, ["--wait"], { stdio: ["pipe", "ignore", "ignore"] });
		await sleep(300);
		assert.notEqual(stateOf(child.pid ?? 0), "T", "a process was held with no enabling that could match it");
		child.kill("SIGKILL");
	} finally {
		dtop.kill("SIGKILL");
	}
});

test("a stopped dtop (kill -STOP) stops holding: new processes run on, and are counted after it continues", async () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-newproc-"));
	const name = `simple-stop-${process.pid}`;
	const binary = join(dir, name);
	copyFileSync(SIMPLE, binary);
	copyFileSync(LIBSIMPLE, join(dir, "libsimple.so"));
	const dtop = spawn(DTOP, ["-Z", "-n", `simple*:${name}::saw-line { @ = count(); }`], {
		stdio: ["ignore", "pipe", "pipe"],
		env: { ...process.env, CI: "true" },
	});
	try {
		let err = "";
		dtop.stderr?.on("data", (d) => (err += d));
		await until("dtop has enabled the clause", () => /clause\(s\) matched/.test(err));
		await sleep(500);
		process.kill(dtop.pid ?? 0, "SIGSTOP");
		await until("dtop is stopped", () => stateOf(dtop.pid ?? 0) === "T");
		await sleep(1300); // the lease on holds (1 s) has lapsed
		const r = spawnSync(binary, ["--count", "10"], { stdio: "ignore", timeout: 5000 });
		assert.equal(r.status, 0, "a process started while dtop was stopped was held (or failed)");
		process.kill(dtop.pid ?? 0, "SIGCONT");
	} finally {
		dtop.kill("SIGKILL");
		rmSync(dir, { recursive: true, force: true });
	}
});
