// Runs inside scripts/vm-test --arch arm64's VM only (Debian's 6.1 cloud-arm64 kernel
// under qemu-system-aarch64): what differs between architectures, traced for real
// with the arm64 single executable and fixtures built by the aarch64 cross compiler.
// System call numbers (arm64's generic table: openat is 56, there is no open),
// argument reads from arm64's pt_regs (x0..x7 for uprobes and kprobes, the return
// value in x0), USDT argument specs as gcc emits them on aarch64 (`-4@x0`, `8@x0
// -8@x1`), tracepoints, sampling, and user stacks (the .eh_frame unwinder; more in
// unwind-arm64.vmtest.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "../..");
const EXE = join(ROOT, "dist/dtop-linux-arm64");
const SIMPLE = join(ROOT, "test/fixtures/bin/simple");

function trace(program: string, command: string): string {
	const r = spawnSync(EXE, ["-q", "-n", program, "-c", command], {
		env: { PATH: "/bin:/sbin", HOME: "/root", TERM: "dumb" },
		encoding: "utf8",
		timeout: 240_000,
	});
	assert.equal(r.status, 0, `dtop -n '${program}' -c '${command}': ${r.stderr}`);
	return r.stdout;
}

/** The aggregation rows of a batch run: whitespace-separated fields, blank lines dropped. */
function rows(out: string): string[][] {
	return out
		.split("\n")
		.map((l) => l.trim().split(/\s+/))
		.filter((f) => f[0] !== "");
}

test("the VM is aarch64 with the arm64 fixtures", () => {
	assert.equal(process.env.DTOP_IN_VM, "1", "run this file with scripts/vm-test --arch arm64");
	assert.equal(process.arch, "arm64");
	assert.ok(existsSync(EXE), `${EXE} is not in the initramfs: scripts/vm-test puts it there`);
	const r = spawnSync("/bin/uname", ["-m"], { encoding: "utf8" });
	assert.equal(r.stdout.trim(), "aarch64");
});

test("syscall::openat: arm64's number, its path argument read with copyinstr", () => {
	const out = trace("syscall::openat:entry /pid == $target/ { @[copyinstr(arg1)] = count(); }", `${SIMPLE} --open 50`);
	assert.deepEqual(
		rows(out).find((f) => f[0] === "/dev/null"),
		["/dev/null", "50"],
		out,
	);
});

test("syscall::openat:return reads the return value (file descriptors >= 0)", () => {
	const out = trace("syscall::openat:return /pid == $target && arg1 >= 0/ { @ = count(); }", `${SIMPLE} --open 50`);
	const n = Number(out.trim());
	assert.ok(n >= 50, out);
});

test("a tracepoint (sdt:syscalls::sys_enter_openat) counts the program's opens", () => {
	const out = trace("sdt:syscalls::sys_enter_openat /pid == $target/ { @ = count(); }", `${SIMPLE} --open 40`);
	assert.ok(Number(out.trim()) >= 40, out);
});

test("USDT arguments as gcc emits them on aarch64: -4@x0 (signed int) summed", () => {
	const out = trace("simple$target:::saw-line { @ = sum(arg0); }", `${SIMPLE} --count 10`);
	assert.equal(out.trim(), "55");
});

test("USDT arguments 8@x0 -8@x1: a string and a negative long", () => {
	const out = trace("simple$target:::args { @[copyinstr(arg0), arg1] = count(); }", `${SIMPLE} --count 4`);
	const got = rows(out)
		.map((f) => `${f[0]} ${f[1]} ${f[2]}`)
		.sort();
	assert.deepEqual(got, ["brown 3 1", "fox -4 1", "quick -2 1", "the 1 1"], out);
});

test("USDT in a shared library (simplelib:::lib-call)", () => {
	const out = trace("simplelib$target:::lib-call { @ = sum(arg0); }", `${SIMPLE} --count 10`);
	assert.equal(out.trim(), "45");
});

test("pid uprobes read arguments from x0 and x1", () => {
	const out = trace("pid$target::fire_args:entry { @[copyinstr(arg0), arg1] = count(); }", `${SIMPLE} --count 4`);
	const got = rows(out)
		.map((f) => `${f[0]} ${f[1]}`)
		.sort();
	assert.deepEqual(got, ["brown 3", "fox -4", "quick -2", "the 1"], out);
});

test("pid return probes read the return value from x0", () => {
	// lib_work returns the running total of its arguments: 0, 1, 3, 6.
	const out = trace("pid$target::lib_work:return { @ = sum(arg1); }", `${SIMPLE} --count 4`);
	assert.equal(out.trim(), "10");
});

test("fbt reads a kernel function's arguments from arm64's pt_regs", () => {
	// do_sys_openat2(int dfd, ...): simple opens with AT_FDCWD (-100).
	const out = trace("fbt::do_sys_openat2:entry /pid == $target/ { @[arg0] = count(); }", `${SIMPLE} --open 30`);
	const row = rows(out).find((f) => f[0] === "-100");
	assert.ok(row && Number(row[1]) >= 30, out);
});

// ustack() on arm64 walks .eh_frame (kernel/unwind). At a function's entry the
// caller's return address is still in x30 (the link register), which an x29
// frame-pointer walk does not read (6.1's bpf_get_stackid printed lib_work, then
// main): the unwinder's first frame takes it from pt_regs. The return probe's
// stack starts in the caller. One trace for both (each costs minutes under TCG).
test("ustack() at lib_work's entry (the caller from x30) and return: run, main, _start", () => {
	const out = trace(
		"pid$target::lib_work:entry { @e[ustack()] = count(); } pid$target::lib_work:return { @r[ustack()] = count(); }",
		`${SIMPLE} --count 3`,
	);
	const blocks = out
		.split(/\n\s*\n/)
		.map((b) =>
			b
				.split("\n")
				.map((l) => l.trim())
				.filter((l) => l !== ""),
		)
		.filter((b) => b.length > 0);
	const entry = blocks.find((b) => b[0] === "libsimple.so`lib_work+0x0");
	const ret = blocks.find((b) => /^simple`run\+0x[0-9a-f]+$/.test(b[0]));
	for (const b of [entry, ret]) {
		assert.ok(b, out);
		const at = (re: RegExp) => b.findIndex((l) => re.test(l));
		const run = at(/^simple`run\+0x[0-9a-f]+$/);
		const main = at(/^simple`main\+0x[0-9a-f]+$/);
		const start = at(/^simple`_start\+0x[0-9a-f]+$/);
		assert.ok(run >= 0 && main === run + 1 && start > main, out);
		assert.equal(b.at(-1), "3", out);
	}
	assert.equal(entry?.[1].startsWith("simple`run+"), true, out);
});

test("profile samples the busy program in busy_spin, with its user stack", () => {
	const out = trace("profile-97 /pid == $target/ { @[ustack()] = count(); }", `${SIMPLE} --busy 3000`);
	assert.match(out, /simple`busy_spin\+0x[0-9a-f]+\n\s*simple`main\+0x[0-9a-f]+/, out);
});
