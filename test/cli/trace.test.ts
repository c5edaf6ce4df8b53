import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { programs } from "../helpers/bpf-objects.ts";
import { runDtop } from "../helpers/cli.ts";
import { DLOPENER, LIBSIMPLE, SIMPLE, startSimple, THROWER } from "../helpers/fixture.ts";
import { stateOf } from "../helpers/proc.ts";

test("-c runs the command with probes in its shared libraries attached before they are mapped: 500 throws count 500", async () => {
	const r = await runDtop(["-n", "libstdcxx$target:::throw { @ = count(); }", "-c", `${THROWER} 500`]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.trim(), "500");
});

test("-c with pid-provider probes in the command's binary and library, before they are mapped", async () => {
	const r = await runDtop([
		"-q",
		"-n",
		"pid$target:simple:fire_line:entry { @[probefunc] = count(); } pid$target:libsimple.so:lib_work:return { @r = count(); }",
		"-c",
		`${SIMPLE} --count 123`,
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, /^\s+fire_line\s+123$/m);
	assert.match(r.stdout, /^\s+123$/m);
});

test("--json prints one object per aggregation with exact counts keyed by pid and string", async () => {
	const r = await runDtop([
		"--json",
		"-n",
		"simple$target:::saw-word { @w[copyinstr(arg0)] = count(); @p[pid] = count(); }",
		"-c",
		`${SIMPLE} --count 400`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const objs = r.stdout
		.trim()
		.split("\n")
		.map((l) => JSON.parse(l));
	assert.equal(objs.length, 2);
	const w = objs.find((o) => o.aggregation === "@w");
	assert.equal(w.function, "count");
	assert.deepEqual(w.keys, ["copyinstr(arg0)"]);
	assert.equal(w.rows.length, 8);
	for (const row of w.rows) assert.equal(row.value, 50);
	const p = objs.find((o) => o.aggregation === "@p");
	assert.equal(p.rows.length, 1);
	assert.equal(p.rows[0].value, 400);
	assert.equal(typeof p.rows[0].key[0], "number");
});

test("quantize prints DTrace's distribution", async () => {
	const r = await runDtop(["-n", "simple$target:::saw-line { @ = quantize(arg0); }", "-c", `${SIMPLE} --count 16`]);
	assert.equal(r.code, 0, r.stderr);
	const lines = r.stdout.split("\n").filter((l) => l.trim());
	assert.match(lines[0], /^\s+value\s+-------------\s+Distribution\s+-------------\s+count {4}$/);
	const row = (v: number) => lines.find((l) => new RegExp(`^\\s+${v} \\|`).test(l));
	// Rows end in DTrace's count column, padded to 9 ("%-9lld").
	assert.match(row(0)!, /\|\s+0 {8}$/);
	assert.match(row(1)!, /\|@{2,3} +1 {8}$/); // 1 of 16: 40/16 = 2.5 @
	assert.match(row(8)!, /\|@{20} +8 {8}$/);
	assert.match(row(16)!, /\|@{2,3} +1 {8}$/);
	assert.match(row(32)!, /\|\s+0 {8}$/);
});

test("-p follows a running process and exits when it exits", async () => {
	const fx = await startSimple(["--count", "250"]);
	try {
		const run = runDtop(["-n", "simple$target:::saw-line { @ = count(); }", "-p", String(fx.pid), "-q"]);
		await new Promise((r) => setTimeout(r, 1500));
		await fx.go();
		const r = await run;
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stdout.trim(), "250");
	} finally {
		fx.kill();
	}
});

test("kill -9 of dtop leaves nothing in the kernel, and the traced process runs on", async () => {
	const fx = await startSimple(["--count", "100"]);
	let dtopPid = 0;
	try {
		const run = runDtop(
			["-n", "simple$target:::sema-probe, simple$target:::saw-line { @ = count(); }", "-p", String(fx.pid)],
			{
				onStart: (p) => {
					dtopPid = p;
				},
			},
		);
		// Wait until dtop holds its programs.
		const t0 = Date.now();
		let held: number[] = [];
		while (Date.now() - t0 < 10_000) {
			held = bpfPrograms(dtopPid);
			if (held.length >= 1) break;
			await new Promise((r) => setTimeout(r, 50));
		}
		assert.ok(held.length >= 1, "dtop loaded its programs");
		await new Promise((r) => setTimeout(r, 300));
		process.kill(dtopPid, "SIGKILL");
		await run;
		const t1 = Date.now();
		while (Date.now() - t1 < 2000 && programs().some((p) => held.includes(p.id)))
			await new Promise((r) => setTimeout(r, 20));
		assert.ok(!programs().some((p) => held.includes(p.id)), "programs gone within 2 s");
		assert.equal(await fx.go(), 0, "no uprobe keeps the semaphore up");
		assert.equal(await fx.exited, 0);
	} finally {
		fx.kill();
	}
});

test("a target held by dtop when dtop is killed -9 is let go and runs to the end", async () => {
	const fx = await startSimple(["--count", "100"]);
	let dtopPid = 0;
	try {
		const run = runDtop(["-n", "simple$target:::saw-line { @ = count(); }", "-p", String(fx.pid), "-q"], {
			onStart: (p) => {
				dtopPid = p;
			},
		});
		await new Promise((r) => setTimeout(r, 2000));
		// Freeze dtop, stop the target as a hold would, then kill dtop: nobody but
		// its watchdog is left to continue the target.
		process.kill(dtopPid, "SIGSTOP");
		process.kill(fx.pid, "SIGSTOP");
		process.kill(dtopPid, "SIGKILL");
		await run;
		const t0 = Date.now();
		while (Date.now() - t0 < 3000 && stateOf(fx.pid) === "T") await new Promise((r) => setTimeout(r, 50));
		assert.notEqual(stateOf(fx.pid), "T", "the target was continued");
		assert.equal(await fx.go(), 0);
		assert.equal(await fx.exited, 0);
	} finally {
		fx.kill();
	}
});

/** Program ids a process holds, from its fds. */
function bpfPrograms(pid: number): number[] {
	const ids: number[] = [];
	try {
		for (const fd of readdirSync(`/proc/${pid}/fd`)) {
			const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8");
			const m = /prog_id:\s+(\d+)/.exec(info);
			if (m && /prog_type/.test(info)) ids.push(Number(m[1]));
		}
	} catch {
		// not started yet
	}
	return ids;
}

test("an enabling follows processes that start after it", async () => {
	// Two fixtures started while dtop runs: both are counted under their own pid.
	let dtopPid = 0;
	const run = runDtop(["-Z", "-n", "simple*:::saw-line { @[pid] = count(); }", "-q", "--json"], {
		onStart: (p) => {
			dtopPid = p;
		},
	});
	await new Promise((r) => setTimeout(r, 1500));
	const a = await startSimple(["--count", "300"]);
	const b = await startSimple(["--count", "400"]);
	try {
		// Let the catalog see them (it rescans every 500 ms) before they fire.
		await new Promise((r) => setTimeout(r, 2000));
		await Promise.all([a.go(), b.go()]);
		await Promise.all([a.exited, b.exited]);
		await new Promise((r) => setTimeout(r, 300));
		process.kill(dtopPid, "SIGINT");
		const r = await run;
		assert.equal(r.code, 0, r.stderr);
		const rows = new Map<number, number>(
			JSON.parse(r.stdout.trim()).rows.map((x: { key: number[]; value: number }) => [x.key[0], x.value]),
		);
		assert.equal(rows.get(a.pid), 300);
		assert.equal(rows.get(b.pid), 400);
	} finally {
		a.kill();
		b.kill();
	}
});

test("user stacks of a process that exits before the next tick still symbolize", async () => {
	let dtopPid = 0;
	const d = 'syscall::openat:entry /execname == "simple"/ { @[ustack()] = count(); }';
	const run = runDtop(["-n", d, "--folded", "--aggrate", "5s"], {
		onStart: (p) => {
			dtopPid = p;
		},
	});
	await new Promise((r) => setTimeout(r, 1500));
	const fx = await startSimple(["--count", "1", "--open", "40"]);
	try {
		await new Promise((r) => setTimeout(r, 2000)); // the catalog sees it start (and dtop reads its maps)
		await fx.go();
		await fx.exited; // gone long before dtop's next read (every 5 s)
		process.kill(dtopPid, "SIGINT");
		const r = await run;
		assert.equal(r.code, 0, r.stderr);
		// libc's openat keeps no frame pointer; the .eh_frame walk still finds open_many's frame.
		assert.match(
			r.stdout,
			/simple`main\+0x[0-9a-f]+;simple`open_many\+0x[0-9a-f]+;libc\.so\.6`openat\+0x[0-9a-f]+ 40$/m,
		);
	} finally {
		fx.kill();
	}
});

test("-c attaches probes in a library loaded with dlopen before it runs", async () => {
	const r = await runDtop([
		"-Z",
		"-q",
		"-n",
		"simplelib$target:::lib-call { @ = count(); }",
		"-c",
		`${DLOPENER} ${LIBSIMPLE} 321`,
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout.trim(), "321");
});

test("JIT frames symbolize from /tmp/perf-PID.map (node --perf-basic-prof)", async () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-jit-"));
	const js = join(dir, "hot.js");
	writeFileSync(
		js,
		"function dtopHotLoop(n) { let x = 0; for (let i = 0; i < n; i++) x = (x * 31 + i) % 1000003; return x; }\n" +
			"const end = Date.now() + 1500; let s = 0; while (Date.now() < end) s += dtopHotLoop(100000);\n",
	);
	const r = await runDtop([
		"--folded",
		"-n",
		"profile:::profile-997 /pid == $target/ { @[ustack()] = count(); }",
		"-c",
		`${process.execPath} --perf-basic-prof ${js}`,
	]);
	assert.equal(r.code, 0, r.stderr);
	let total = 0;
	let hot = 0;
	for (const line of r.stdout.trim().split("\n")) {
		const n = Number(line.slice(line.lastIndexOf(" ") + 1));
		total += n;
		if (/\[jit\]`JS:\*?dtopHotLoop [^;]*$/.test(line.slice(0, line.lastIndexOf(" ")))) hot += n;
	}
	assert.ok(total >= 100, `${total} samples`);
	assert.ok(hot / total >= 0.5, `${hot} of ${total} samples end in the JIT-compiled dtopHotLoop`);
});

test("-s reads clauses from a file; --folded prints folded stacks", async () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-"));
	const file = join(dir, "stacks.d");
	writeFileSync(file, "/* count stacks */\nsimple$target:::saw-line\n{\n\t@[ustack()] = count();\n}\n");
	const r = await runDtop(["-s", file, "--folded", "-c", `${SIMPLE} --count 30`]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(
		r.stdout.trim(),
		/(^|;)simple`main\+0x[0-9a-f]+;simple`run\+0x[0-9a-f]+;simple`fire_line\+0x[0-9a-f]+ 30$/m,
	);
});

test("errors are one line with where and what, never a stack trace", async () => {
	const bad = await runDtop(["-n", "syscall::read:entry { breakpoint(); }"]);
	assert.equal(bad.code, 1);
	assert.equal(
		bad.stderr,
		"dtop: invalid probe specifier syscall::read:entry { breakpoint(); }: line 1: 'breakpoint' is not supported\n",
	);
	const none = await runDtop(["-n", "nosuchprov123:::x { @ = count(); }", "-d", "1"]);
	assert.notEqual(none.code, 0);
	assert.equal(none.stderr.split("\n").filter(Boolean).length, 1, none.stderr);
	assert.match(none.stderr, /^dtop: /);
	const target = await runDtop(["-n", "simple$target:::saw-line { @ = count(); }", "-d", "1"]);
	assert.equal(target.code, 1);
	assert.match(target.stderr, /^dtop: .*\$target.*-c or -p/);
	const cap = await runDtop(["-n", "syscall:::entry { @ = count(); }", "--max-probes", "50", "-d", "1"]);
	assert.equal(cap.code, 1);
	assert.match(cap.stderr, /^dtop: the enabling matches \d+ probes, more than the limit of 50; .*--max-probes/);
	const fbt = await runDtop(["-n", "fbt::vfs_read:entry { @ = count(); }", "-d", "1"]);
	assert.equal(fbt.code, 1);
	assert.match(
		fbt.stderr,
		/^dtop: invalid probe specifier fbt::vfs_read:entry \{ @ = count\(\); \}: line 1: probe description fbt::vfs_read:entry does not match any probes\ndtop: fbt probes are unavailable here \(.*kprobe.*\)\.\n$/,
	);
	const cmd = await runDtop(["-n", "syscall::read:entry { @ = count(); }", "-c", "/nonexistent/program"]);
	assert.equal(cmd.code, 1);
	assert.match(cmd.stderr, /^dtop: cannot run '\/nonexistent\/program': no such command/);
});

test("-d stops after the given seconds and a tick-N probe counts", async () => {
	const t0 = Date.now();
	const r = await runDtop(["-n", "profile:::tick-10hz { @ = count(); }", "-d", "1", "-q"]);
	assert.equal(r.code, 0, r.stderr);
	const n = Number(r.stdout.trim());
	assert.ok(n >= 7 && n <= 12, `tick-10hz fired ${n} times in 1 s`);
	assert.ok(Date.now() - t0 < 10_000);
});
