// Runs inside scripts/vm-test's VM only: the single executable (dist/dtop-linux-x64,
// built by scripts/package; scripts/vm-test builds it when it is missing or older than
// the sources) on Debian's stock 6.1 kernel, with only busybox on PATH: no node, no
// npm, no compiler. It unpacks its native part into /var/cache/dtop and must list and
// trace exactly there as on the development machine.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "../..");
const EXE = join(ROOT, `dist/dtop-linux-${process.arch}`);
const SIMPLE = join(ROOT, "test/fixtures/bin/simple");
// busybox's applets only: node is /usr/bin/node in the VM, outside this PATH.
const ENV = { PATH: "/bin:/sbin", HOME: "/root", TERM: "dumb" };

function run(args: string[]) {
	return spawnSync(EXE, args, { env: ENV, encoding: "utf8", timeout: 240_000 });
}

test("the VM's PATH for this test has no node", () => {
	assert.equal(process.env.DTOP_IN_VM, "1", "run this file with scripts/vm-test");
	const r = spawnSync("/bin/sh", ["-c", "command -v node || echo none"], { env: ENV, encoding: "utf8" });
	assert.equal(r.stdout.trim(), "none");
	assert.ok(existsSync(EXE), `${EXE} is not in the initramfs: scripts/vm-test puts it there`);
});

test("dtop -l of the single file lists the syscall provider", () => {
	const r = run(["-l", "-n", "syscall::getppid:entry"]);
	assert.equal(r.status, 0, r.stderr);
	assert.match(r.stdout, /syscall\s+vmlinux\s+getppid\s+entry/);
});

test("a batch trace of the single file counts a USDT probe exactly", () => {
	const r = run(["-q", "-n", "simple$target:::saw-line { @n = count(); }", "-c", `${SIMPLE} --count 1234`]);
	assert.equal(r.status, 0, r.stderr);
	assert.match(r.stdout, /^\s*1234\s*$/m);
});
