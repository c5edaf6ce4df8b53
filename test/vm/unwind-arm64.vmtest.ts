// Runs inside scripts/vm-test --arch arm64's VM only: user stacks on aarch64 from
// .eh_frame, through code without frame pointers (the deepstack fixture, cross-built
// with -O2 -fomit-frame-pointer), and at function-entry probes, where the caller's
// return address is still in the link register x30 (no frame is pushed yet).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

const ROOT = join(import.meta.dirname, "../..");
const EXE = join(ROOT, "dist/dtop-linux-arm64");
const BIN = join(ROOT, "test/fixtures/bin");

function trace(program: string, command: string): string {
	const r = spawnSync(EXE, ["-q", "-n", program, "-c", command], {
		env: { PATH: "/bin:/sbin", HOME: "/root", TERM: "dumb" },
		encoding: "utf8",
		timeout: 240_000,
	});
	assert.equal(r.status, 0, `dtop -n '${program}' -c '${command}': ${r.stderr}`);
	return r.stdout;
}

/** The frames of the first (only) stack printed, trimmed. */
function frames(out: string): string[] {
	return out
		.split("\n")
		.map((l) => l.trim())
		.filter((l) => l !== "" && !/^\d+$/.test(l));
}

test("in the VM on aarch64", () => {
	assert.equal(process.env.DTOP_IN_VM, "1", "run this file with scripts/vm-test --arch arm64");
	assert.equal(process.arch, "arm64");
});

test("no frame pointers: the USDT probe in the leaf f19 unwinds through f18..f00, run, main to _start", () => {
	const out = trace("deepstack$target:::hit { @[ustack()] = count(); }", `${BIN}/deepstack --count 3`);
	const f = frames(out);
	const want = [];
	for (let i = 19; i >= 0; i--) want.push(`deepstack\`f${String(i).padStart(2, "0")}`);
	want.push("deepstack`run", "deepstack`main");
	// f09 calls through(), which calls f10 (frame 10 from the top).
	want.splice(10, 0, "deepstack`through");
	const names = f.map((l) => l.replace(/\+0x[0-9a-f]+$/, ""));
	assert.deepEqual(names.slice(0, want.length), want, out);
	assert.match(f[f.length - 1], /^deepstack`_start\+0x[0-9a-f]+$/, out);
	// libc's static caller of main, named from libc6-dbg's debug file (found by build-id).
	assert.ok(
		f.some((l) => /^libc\.so\.6`__libc_start_call_main\+0x[0-9a-f]+$/.test(l)),
		out,
	);
	assert.match(out, /^\s*3\s*$/m, out);
});

test("a function-entry probe: the direct caller comes from x30 (lib_work, run, main)", () => {
	const out = trace("pid$target::lib_work:entry { @[ustack()] = count(); }", `${BIN}/simple --count 3`);
	const f = frames(out);
	assert.equal(f[0], "libsimple.so`lib_work+0x0", out);
	assert.match(f[1] ?? "", /^simple`run\+0x[0-9a-f]+$/, out);
	assert.match(f[2] ?? "", /^simple`main\+0x[0-9a-f]+$/, out);
	assert.match(out, /^\s*3\s*$/m, out);
});

test("an entry probe in code without frame pointers: f10+0x0, then through, f09 … main", () => {
	const out = trace("pid$target::f10:entry { @[ustack()] = count(); }", `${BIN}/deepstack --count 2`);
	const names = frames(out).map((l) => l.replace(/\+0x[0-9a-f]+$/, ""));
	assert.deepEqual(names.slice(0, 4), ["deepstack`f10", "deepstack`through", "deepstack`f09", "deepstack`f08"], out);
	assert.ok(names.includes("deepstack`main"), out);
	assert.ok(names.includes("deepstack`_start"), out);
});
