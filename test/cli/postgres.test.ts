// Debian's PostgreSQL, as a new user would trace it: `postgresql*:::query-start`
// system-wide (no -c/-p) while psql sessions come and go (each backend a fork of
// the postmaster living milliseconds) and pgbench runs a known number of
// queries. dtop must count every query, the same as bpftrace attached at the
// same time, and name the stacks of backends that have exited (postgres is
// stripped and built without frame pointers: .eh_frame and .dynsym).
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { DTOP } from "../helpers/cli.ts";
import { type Cluster, startCluster } from "../helpers/postgres.ts";

let pg: Cluster;
before(() => {
	pg = startCluster();
	pg.client("pgbench", ["-q", "-i", "-s", "1", "postgres"]);
});
after(() => pg?.stop());

interface Tracer {
	child: ChildProcess;
	stdout: () => string;
	stderr: () => string;
	closed: Promise<number | null>;
}

/** Start `cmd args` and resolve once `ready` matches its output (stdout or stderr). */
async function startTracer(cmd: string, args: string[], ready: RegExp): Promise<Tracer> {
	const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } });
	let out = "";
	let err = "";
	const closed = new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
	await new Promise<void>((resolve, reject) => {
		const t = setTimeout(() => reject(new Error(`${cmd} not ready in 60 s: ${err}`)), 60_000);
		const check = () => {
			if (ready.test(out) || ready.test(err)) {
				clearTimeout(t);
				resolve();
			}
		};
		child.stdout?.on("data", (d) => {
			out += d;
			check();
		});
		child.stderr?.on("data", (d) => {
			err += d;
			check();
		});
		child.on("exit", () => reject(new Error(`${cmd} exited before it was ready: ${err}`)));
	});
	return { child, stdout: () => out, stderr: () => err, closed };
}

async function stop(t: Tracer): Promise<void> {
	t.child.kill("SIGINT");
	const code = await Promise.race([t.closed, new Promise((r) => setTimeout(() => r("timeout"), 30_000))]);
	if (code === "timeout") t.child.kill("SIGKILL");
}

/** `QUERY|N` lines dtop's END clause prints. */
function dtopCounts(out: string): Map<string, number> {
	const m = new Map<string, number>();
	for (const l of out.split("\n")) {
		const x = /^(.*)\|(\d+)$/.exec(l);
		if (x) m.set(x[1], Number(x[2]));
	}
	return m;
}

/** bpftrace's `@[QUERY]: N` lines. */
function bpftraceCounts(out: string): Map<string, number> {
	const m = new Map<string, number>();
	for (const x of out.matchAll(/^@\[(.*)\]: (\d+)$/gm)) m.set(x[1], Number(x[2]));
	return m;
}

const DTOP_QUERIES = [
	"-q",
	"-n",
	'postgresql*:::query-start { @q[copyinstr(arg0)] = count(); } BEGIN { printf("ready\\n"); } END { printa("%s|%@d\\n", @q); }',
];

test("five psql sessions (backends living milliseconds) count their five queries system-wide, as bpftrace counts them", async () => {
	const d = await startTracer(DTOP, DTOP_QUERIES, /^ready$/m);
	const b = await startTracer(
		"bpftrace",
		["-e", `usdt:${pg.binary}:postgresql:query__start { @[str(arg0)] = count(); } BEGIN { printf("ready\\n"); }`],
		/^ready$/m,
	);
	try {
		for (let i = 0; i < 5; i++) pg.client("psql", ["-X", "-q", "-c", "SELECT 4242", "postgres"]);
	} finally {
		await stop(d);
		await stop(b);
	}
	assert.equal(dtopCounts(d.stdout()).get("SELECT 4242"), 5, `dtop printed:\n${d.stdout()}\n${d.stderr()}`);
	assert.equal(bpftraceCounts(b.stdout()).get("SELECT 4242"), 5, `bpftrace printed:\n${b.stdout()}`);
});

test("pgbench -S, two clients, 300 transactions each: exactly 600 SELECTs counted, and every query as bpftrace counts it", async () => {
	const d = await startTracer(DTOP, DTOP_QUERIES, /^ready$/m);
	const b = await startTracer(
		"bpftrace",
		["-e", `usdt:${pg.binary}:postgresql:query__start { @[str(arg0)] = count(); } BEGIN { printf("ready\\n"); }`],
		/^ready$/m,
	);
	try {
		pg.client("pgbench", ["-n", "-S", "-c", "2", "-t", "300", "postgres"]);
	} finally {
		await stop(d);
		await stop(b);
	}
	const dc = dtopCounts(d.stdout());
	const bc = bpftraceCounts(b.stdout());
	const selects = [...dc].filter(([q]) => /SELECT abalance FROM pgbench_accounts/.test(q));
	assert.equal(
		selects.reduce((s, [, n]) => s + n, 0),
		600,
		`dtop printed:\n${d.stdout()}`,
	);
	// bpftrace's str() cuts at 64 bytes: compare totals per query prefix.
	const byPrefix = (m: Map<string, number>) => {
		const out = new Map<string, number>();
		for (const [q, n] of m) out.set(q.slice(0, 40), (out.get(q.slice(0, 40)) ?? 0) + n);
		return out;
	};
	assert.deepEqual(byPrefix(dc), byPrefix(bc), `dtop:\n${d.stdout()}\nbpftrace:\n${b.stdout()}`);
});

test("the stacks of backends that have exited are named through .eh_frame and .dynsym, down to main", async () => {
	const d = await startTracer(
		DTOP,
		[
			"-q",
			"-n",
			'postgresql*:::query-start /copyinstr(arg0) == "SELECT 4343"/ { @s[ustack()] = count(); } BEGIN { printf("ready\\n"); }',
		],
		/^ready$/m,
	);
	try {
		for (let i = 0; i < 3; i++) pg.client("psql", ["-X", "-q", "-c", "SELECT 4343", "postgres"]);
	} finally {
		await stop(d);
	}
	const out = d.stdout();
	const frames = out
		.split("\n")
		.map((l) => l.trim())
		.filter((l) => l.includes("`"));
	const count = out.split("\n").map((l) => /^\s+(\d+)$/.exec(l)?.[1]);
	assert.equal(
		count.filter(Boolean).reduce((s, n) => s + Number(n), 0),
		3,
		`three firings, every one a stack:\n${out}\n${d.stderr()}`,
	);
	// exec_simple_query and ServerLoop are static: their names are only in the
	// debug file (postgresql-15-dbgsym); without it they are postgres+0xOFFSET.
	for (const f of ["PostgresMain", "PostmasterMain", "main"])
		assert.ok(
			frames.some((l) => l.startsWith(`postgres\`${f}+0x`)),
			`a frame in ${f}:\n${out}`,
		);
	assert.ok(
		frames.some((l) => /^libc\.so\.6`__libc_start_call_main\+0x/.test(l)),
		`the stack reaches libc's start:\n${out}`,
	);
	const lines = out.split("\n").map((l) => l.trim());
	assert.ok(!lines.some((l) => /^0x[0-9a-f]+$/.test(l)), `no frame as an absolute address:\n${out}`);
	assert.ok(
		lines.some((l) => /^postgres\+0x[0-9a-f]+$/.test(l)),
		`static functions as module+offset:\n${out}`,
	);
	assert.doesNotMatch(out, /process not known yet/, `walked through .eh_frame from the first firing:\n${out}`);
});
