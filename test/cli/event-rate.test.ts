// Per-event output at high rates (the batch consumer's fast path,
// source/session/direct-drain.ts): a burst of firings arrives whole, once
// each and in order when the ring can hold it, and when the consumer cannot
// keep up (here: stopped with SIGSTOP) every record lost is counted and
// reported, so lines plus drops are exactly the firings.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { BIN_DIR } from "../fixtures/fixtures.ts";
import { DTOP, runDtop } from "../helpers/cli.ts";

const LOOP = join(BIN_DIR, "bench-loop");
const dropsIn = (stderr: string) =>
	[...stderr.matchAll(/^dtop: (\d+) drops? on CPU \d+$/gm)].reduce((s, m) => s + Number(m[1]), 0);

test("a burst of 120,000 printf firings with the default buffer: 120,000 lines, each once, in order, no drops", async () => {
	const n = 120_000;
	// 64-byte records: the default ring (4 MB for each CPU, as DTrace's bufsize) holds the burst.
	const r = await runDtop(
		[
			"-q",
			"-n",
			'syscall::getppid:entry /pid == $target && execname == "bench-loop"/ { printf("%d %s %d\\n", pid, execname, timestamp); }',
			"-c",
			// exec keeps $target's pid (the shell's own getppid before it is not counted); the loop's output stays out of dtop's.
			`sh -c 'exec ${LOOP} --getppid ${n} >/dev/null'`,
		],
		{ timeoutMs: 60_000, untilClosed: true },
	);
	assert.equal(r.code, 0, r.stderr);
	assert.doesNotMatch(r.stderr, /drop/);
	const lines = r.stdout.split("\n").filter(Boolean);
	assert.equal(lines.length, n);
	let last = -1n;
	const pid = lines[0]!.split(" ")[0];
	for (const l of lines) {
		const m = /^(\d+) bench-loop (\d+)$/.exec(l);
		assert.ok(m, `line: ${JSON.stringify(l)}`);
		assert.equal(m[1], pid);
		// One thread: its firings' timestamps rise, so a repeat or a reordering shows.
		const ts = BigInt(m[2]!);
		assert.ok(ts > last, `timestamp ${ts} after ${last}`);
		last = ts;
	}
});

test("a consumer stopped with SIGSTOP while the ring overflows: drops reported per CPU, lines plus drops are the firings", async () => {
	const n = 20_000;
	// 64 KB for each CPU: a couple of thousand records.
	const child = spawn(
		DTOP,
		[
			"-q",
			"-x",
			"bufsize=64k",
			"-n",
			'BEGIN { printf("ready\\n"); } syscall::getppid:entry /pid == $target && execname == "bench-loop"/ { printf("%s\\n", execname); }',
			"-c",
			// The target waits for a line on stdin (dtop's), then calls getppid n times and says so on stderr.
			`sh -c 'read go; exec ${LOOP} --getppid ${n} >&2'`,
		],
		{ stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, CI: "true" } },
	);
	let stdout = "";
	let stderr = "";
	const seen = (what: () => boolean) =>
		new Promise<void>((resolve, reject) => {
			const t0 = Date.now();
			const poll = setInterval(() => {
				if (what()) {
					clearInterval(poll);
					resolve();
				} else if (Date.now() - t0 > 30_000 || child.exitCode !== null) {
					clearInterval(poll);
					reject(new Error(`dtop: ${stderr}`));
				}
			}, 10);
		});
	child.stdout.on("data", (d) => (stdout += d));
	child.stderr.on("data", (d) => (stderr += d));
	const closed = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
	try {
		await seen(() => stdout.includes("ready\n"));
		child.kill("SIGSTOP");
		child.stdin.write("go\n");
		await seen(() => /elapsed \d+/.test(stderr));
		child.kill("SIGCONT");
		const code = await closed;
		assert.equal(code, 0, stderr);
	} finally {
		if (child.exitCode === null) child.kill("SIGKILL");
	}
	const lines = stdout.split("\n").filter((l) => l !== "" && l !== "ready");
	for (const l of lines) assert.equal(l, "bench-loop");
	const drops = dropsIn(stderr);
	assert.ok(drops > 0, `drops reported: ${stderr}`);
	assert.ok(lines.length > 0);
	assert.equal(lines.length + drops, n);
});
