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

/** The stacks printed, each as its frames (trimmed) and its count last; other output dropped. */
function stacks(out: string): string[][] {
	return out
		.split(/\n\s*\n/)
		.map((b) =>
			b
				.split("\n")
				.map((l) => l.trim())
				.filter((l) => l !== "" && !l.includes(" ")),
		)
		.filter((b) => b.length > 1);
}

const name = (frame: string) => frame.replace(/\+0x[0-9a-f]+$/, "");

test("in the VM on aarch64", () => {
	assert.equal(process.env.DTOP_IN_VM, "1", "run this file with scripts/vm-test --arch arm64");
	assert.equal(process.arch, "arm64");
});

// One trace for both probes (each dtop run costs minutes under TCG). f09 calls
// through(), which tail-calls f10 (a `b`, no frame of its own): f10's caller is f09.
test("no frame pointers: the USDT probe in the leaf f19, and f10's entry (caller from x30), reach main and _start", () => {
	const out = trace(
		"deepstack$target:::hit { @h[ustack()] = count(); } pid$target::f10:entry { @e[ustack()] = count(); }",
		`${BIN}/deepstack --count 3`,
	);
	const all = stacks(out);
	const hit = all.find((b) => name(b[0]) === "deepstack`f19");
	const entry = all.find((b) => b[0] === "deepstack`f10+0x0");
	assert.ok(hit && entry, out);
	const chain = (from: number) => {
		const want: string[] = [];
		for (let i = from; i >= 0; i--) want.push(`deepstack\`f${String(i).padStart(2, "0")}`);
		return [...want, "deepstack`run", "deepstack`main"];
	};
	const without = (b: string[]) => b.map(name).filter((f) => f !== "deepstack`through");
	assert.deepEqual(without(hit).slice(0, 22), chain(19), out);
	assert.deepEqual(without(entry).slice(0, 13), chain(10), out);
	for (const b of [hit, entry]) {
		// libc's static caller of main, named from libc6-dbg's debug file (found by build-id).
		assert.ok(
			b.some((l) => /^libc\.so\.6`__libc_start_call_main\+0x[0-9a-f]+$/.test(l)),
			out,
		);
		assert.match(b.at(-2) ?? "", /^deepstack`_start\+0x[0-9a-f]+$/, out);
		assert.equal(b.at(-1), "3", out);
	}
});
