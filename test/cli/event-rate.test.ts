// Per-event output at high rates (the batch consumer's fast path,
// source/session/direct-drain.ts): a burst of firings arrives whole, once
// each and in order when the ring can hold it, and when the consumer cannot
// keep up (stopped with SIGSTOP, or blocked on a reader that does not read)
// every record lost is counted and reported: lines plus drops are exactly the
// firings.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { SharedMaps } from "../../source/session/maps.ts";
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

/** dtop -q with `program`; its target waits for go(), then calls getppid (`loop`'s arguments) and says so on stderr. */
function startHeld(program: string, loop: string, extra: string[] = []) {
	const child = spawn(
		DTOP,
		[
			"-q",
			...extra,
			"-n",
			`BEGIN { printf("ready\\n"); } ${program}`,
			"-c",
			`sh -c 'read go; exec ${LOOP} ${loop} >&2'`,
		],
		{ stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, CI: "true" } },
	);
	const out = { stdout: "", stderr: "" };
	child.stdout.on("data", (d) => (out.stdout += d));
	child.stderr.on("data", (d) => (out.stderr += d));
	const seen = (what: () => boolean) =>
		new Promise<void>((resolve, reject) => {
			const t0 = Date.now();
			const poll = setInterval(() => {
				if (what()) {
					clearInterval(poll);
					resolve();
				} else if (Date.now() - t0 > 30_000 || child.exitCode !== null) {
					clearInterval(poll);
					reject(new Error(`dtop: ${out.stderr}`));
				}
			}, 10);
		});
	const closed = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
	return { child, out, seen, closed, go: () => child.stdin.write("go\n") };
}

test("a reader that does not read: dtop waits in write(2) as dtrace does (no output piles up in memory), the ring overflows, and the drops are counted", async () => {
	// 200,000 calls a second for 3 s: a rate dtop keeps up with when its output is read.
	const h = startHeld(
		'syscall::getppid:entry /pid == $target && execname == "bench-loop"/ { printf("%d %s %d\\n", pid, execname, timestamp); }',
		"--rate 200000 --seconds 3 --ppid",
	);
	let n = 0;
	try {
		await h.seen(() => h.out.stdout.includes("ready\n"));
		h.child.stdout.pause();
		h.go();
		await h.seen(() => /calls \d+/.test(h.out.stderr));
		n = Number(/calls (\d+)/.exec(h.out.stderr)![1]);
		h.child.stdout.resume();
		assert.equal(await h.closed, 0, h.out.stderr);
	} finally {
		if (h.child.exitCode === null) h.child.kill("SIGKILL");
	}
	const lines = h.out.stdout.split("\n").filter((l) => l !== "" && l !== "ready");
	const drops = dropsIn(h.out.stderr);
	// Held while the reader sleeps: a drain or two (each at most the ring's 64-byte records) and the pipe's 64 KB.
	const ring = new SharedMaps().ringBytes / 64;
	assert.ok(lines.length <= 3 * ring + 2048, `${lines.length} lines, ${drops} drops`);
	assert.ok(drops > 0, `drops reported: ${h.out.stderr}`);
	assert.equal(lines.length + drops, n);
});

test("a consumer stopped with SIGSTOP while the ring overflows: drops reported per CPU, lines plus drops are the firings", async () => {
	const n = 20_000;
	// 64 KB for each CPU: a couple of thousand records.
	const h = startHeld(
		'syscall::getppid:entry /pid == $target && execname == "bench-loop"/ { printf("%s\\n", execname); }',
		`--getppid ${n}`,
		["-x", "bufsize=64k"],
	);
	try {
		await h.seen(() => h.out.stdout.includes("ready\n"));
		h.child.kill("SIGSTOP");
		h.go();
		await h.seen(() => /elapsed \d+/.test(h.out.stderr));
		h.child.kill("SIGCONT");
		assert.equal(await h.closed, 0, h.out.stderr);
	} finally {
		if (h.child.exitCode === null) h.child.kill("SIGKILL");
	}
	const lines = h.out.stdout.split("\n").filter((l) => l !== "" && l !== "ready");
	for (const l of lines) assert.equal(l, "bench-loop");
	const drops = dropsIn(h.out.stderr);
	assert.ok(drops > 0, `drops reported: ${h.out.stderr}`);
	assert.ok(lines.length > 0);
	assert.equal(lines.length + drops, n);
});
