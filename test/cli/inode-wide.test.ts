// USDT and pid-provider probes on the object file (source/session/widen.ts):
// a process started after the enabling, living a few milliseconds, system-wide
// (no -c/-p), fires from its first instruction. Per-process attachment (what
// dtop did before) attaches after the catalog has seen the process, by which
// time a process like this one has exited: it counted 0.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { DTOP } from "../helpers/cli.ts";
import { SIMPLE, startSimple } from "../helpers/fixture.ts";

interface Traced {
	lines: string[];
	code: number | null;
}

/** Run dtop with `program`, start `short` once it is attached, stop it (SIGINT) once `short` has exited. */
async function traceAround(
	program: string,
	short: () => Promise<void>,
	extra: string[] = [],
	started?: (pid: number) => void,
): Promise<Traced> {
	const child = spawn(DTOP, ["-q", ...extra, "-n", `${program} BEGIN { printf("ready\\n"); }`], {
		stdio: ["ignore", "pipe", "pipe"],
		env: { ...process.env, CI: "true" },
	});
	started?.(child.pid ?? 0);
	let stderr = "";
	let stdout = "";
	child.stderr.on("data", (d) => {
		stderr += d;
	});
	// BEGIN runs before the other probes are attached, but its record is read
	// after enable() has attached them all.
	const ready = new Promise<void>((resolve, reject) => {
		const t = setTimeout(() => reject(new Error(`dtop was not ready in 60 s: ${stderr}`)), 60_000);
		child.stdout.on("data", (d) => {
			stdout += d;
			if (stdout.startsWith("ready\n")) {
				clearTimeout(t);
				resolve();
			}
		});
	});
	const closed = new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
	try {
		await ready;
		await short();
		child.kill("SIGINT");
		const code = await closed;
		return { lines: stdout.split("\n"), code };
	} finally {
		if (child.exitCode === null) child.kill("SIGKILL");
	}
}

/** Run `simple ARGS` to its end; its pid and how long it lived (ms). */
function runShort(args: string[]): Promise<{ pid: number; ms: number }> {
	return new Promise((resolve, reject) => {
		const t0 = performance.now();
		const c = spawn(SIMPLE, args, { stdio: "ignore" });
		c.on("error", reject);
		c.on("exit", (code) => {
			if (code !== 0) reject(new Error(`simple ${args.join(" ")} exited ${code}`));
			else resolve({ pid: c.pid ?? 0, ms: performance.now() - t0 });
		});
	});
}

/** `TAG PID COUNT` lines printed by printa. */
function counts(lines: string[], tag: string): Map<number, number> {
	const out = new Map<number, number>();
	for (const l of lines) {
		const m = new RegExp(`^${tag} (\\d+) (\\d+)$`).exec(l.trim());
		if (m) out.set(Number(m[1]), Number(m[2]));
	}
	return out;
}

test("a process started after the enabling, living milliseconds, counts every USDT firing (a semaphore-guarded one too) and every pid* entry", async () => {
	// A fixture that maps the file while dtop starts (so the description matches)
	// and fires nothing: it waits on its stdin.
	const waiter = await startSimple([]);
	let short = { pid: 0, ms: 0 };
	try {
		const r = await traceAround(
			`simple*:::saw-line { @l[pid] = count(); } simple*:::sema-probe { @s[pid] = count(); }
			 pid*:simple:fire_line:entry { @e[pid] = count(); }
			 END { printa("l %d %@d\\n", @l); printa("s %d %@d\\n", @s); printa("e %d %@d\\n", @e); }`,
			async () => {
				short = await runShort(["--count", "10"]);
			},
		);
		assert.equal(r.code, 0, r.lines.join("\n"));
		const out = r.lines.join("\n");
		assert.equal(
			counts(r.lines, "l").get(short.pid),
			10,
			`saw-line of ${short.pid} (lived ${short.ms.toFixed(1)} ms):\n${out}`,
		);
		assert.equal(counts(r.lines, "s").get(short.pid), 10, `sema-probe (semaphore set in the new mm):\n${out}`);
		assert.equal(counts(r.lines, "e").get(short.pid), 10, `pid*::fire_line:entry:\n${out}`);
		assert.equal(counts(r.lines, "l").has(waiter.pid), false);
	} finally {
		waiter.kill();
	}
});

test("a description naming one process still counts only that process", async () => {
	const waiter = await startSimple(["--count", "3"]);
	try {
		const r = await traceAround(
			`simple${waiter.pid}:::saw-line { @l[pid] = count(); } END { printa("l %d %@d\\n", @l); }`,
			async () => {
				await runShort(["--count", "10"]);
				await waiter.go();
				await waiter.exited;
			},
		);
		assert.deepEqual([...counts(r.lines, "l")], [[waiter.pid, 3]], r.lines.join("\n"));
	} finally {
		waiter.kill();
	}
});

test("dtop's own process is left out of a system-wide syscall breakdown; --trace-self keeps it", async () => {
	const program = `syscall::read:entry { @r[pid] = count(); } END { printa("r %d %@d\\n", @r); }`;
	const spin = async () => {
		// dtop reads its ring and timers meanwhile; wait long enough for a tick.
		await new Promise((r) => setTimeout(r, 1500));
	};
	const run = async (extra: string[]) => {
		let pid = 0;
		const r = await traceAround(program, spin, extra, (p) => {
			pid = p;
		});
		return { pid, reads: counts(r.lines, "r") };
	};
	const left = await run([]);
	assert.equal(left.reads.has(left.pid), false, `dtop (${left.pid}) counted itself`);
	const kept = await run(["--trace-self"]);
	assert.ok((kept.reads.get(kept.pid) ?? 0) > 0, `with --trace-self dtop (${kept.pid}) counts its own reads`);
});
