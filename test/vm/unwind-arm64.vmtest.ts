// Runs inside scripts/vm-test --arch arm64's VM only: user stacks on aarch64 from
// .eh_frame, through code without frame pointers (the deepstack fixture, cross-built
// with -O2 -fomit-frame-pointer and -mbranch-protection=pac-ret: its return
// addresses are signed, on a CPU with pointer authentication), at function-entry
// probes, where the caller's return address is still in the link register x30 (no
// frame is pushed yet), and through signal frames: the kernel's rt_sigframe and the
// vDSO's __kernel_rt_sigreturn, into libc's raise() and into libc's syscall() (a
// leaf whose return address is only in the saved x30). The in-kernel walk through
// dtop, and design (b), the stack copy (kernel/unwind/copy.ts), walked in user space.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Stop } from "../../kernel/unwind/walk.ts";
import { runCopied } from "../kernel/unwind/copy-run.ts";
import { symbolize } from "../kernel/unwind/harness.ts";

const ROOT = join(import.meta.dirname, "../..");
const EXE = join(ROOT, "dist/dtop-linux-arm64");
const BIN = join(ROOT, "test/fixtures/bin");
const PAC = join(BIN, "deepstack-pac");
/** One firing each way: f10 called by through() (a tail call), from a handler of raise()'s signal, of syscall()'s. */
const WAYS = ["--via", "direct", "--via", "signal", "--via", "syscall", "--count", "3"];

function trace(program: string, command: string): string {
	const r = spawnSync(EXE, ["-q", "-n", program, "-c", command], {
		env: { PATH: "/bin:/sbin", HOME: "/root", TERM: "dumb" },
		encoding: "utf8",
		timeout: 240_000,
	});
	assert.equal(r.status, 0, `dtop -n '${program}' -c '${command}' (signal ${r.signal}): ${r.stderr}`);
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

test("the CPU has pointer authentication (the pac-ret fixture's return addresses are signed)", () => {
	const features =
		readFileSync("/proc/cpuinfo", "utf8")
			.match(/^Features\s*:(.*)$/m)?.[1]
			.split(/\s+/) ?? [];
	assert.ok(features.includes("paca"), `no paca in /proc/cpuinfo's Features: ${features.join(" ")}`);
});

const own = (f: string) => f.startsWith("deepstack-pac`");
const chain = (from: number, to = 0) => {
	const want: string[] = [];
	for (let i = from; i >= to; i--) want.push(`deepstack-pac\`f${String(i).padStart(2, "0")}`);
	return want;
};
/** deepstack-pac's own frames from f09 on: its chain down to main, then _start. */
const BELOW = [...chain(9), "deepstack-pac`run", "deepstack-pac`main", "deepstack-pac`_start"];

/**
 * The frames of a stack from deepstack-pac's probe in f19 (or at f10's entry)
 * down to _start, checked for the way f10 was reached: its own chain, then
 * (signals) on_signal, the vDSO's trampoline, libc's raise() or syscall(), through().
 */
function checkWay(b: string[], from: number, out: string): "direct" | "signal" | "syscall" {
	const n = b.map(name);
	assert.deepEqual(n.slice(0, from - 9), chain(from, 10), out);
	const rest = n.slice(from - 9);
	let way: "direct" | "signal" | "syscall" = "direct";
	if (rest[0] === "deepstack-pac`on_signal") {
		assert.match(b[from - 9 + 1], /^\[vdso\]\+0x[0-9a-f]+$/, out);
		const t = rest.indexOf("deepstack-pac`through");
		assert.ok(t > 2, out);
		way = rest[2] === "libc.so.6`syscall" ? "syscall" : "signal";
		if (way === "signal")
			assert.ok(
				rest.slice(2, t).some((f) => /^libc\.so\.6`(raise|gsignal)$/.test(f)),
				out,
			);
		else assert.equal(t, 3, out);
		assert.deepEqual(rest.slice(t + 1).filter(own), BELOW, out);
	} else assert.deepEqual(rest.filter(own), BELOW, out);
	// libc's static caller of main, named from libc6-dbg's debug file (found by build-id).
	assert.ok(
		b.some((l) => /^libc\.so\.6`__libc_start_call_main\+0x[0-9a-f]+$/.test(l)),
		out,
	);
	assert.match(b.at(-2) ?? "", /^deepstack-pac`_start\+0x[0-9a-f]+$/, out);
	assert.equal(b.at(-1), "1", out);
	return way;
}

// One trace for everything (each dtop run costs minutes under TCG): the USDT probe in
// the leaf f19 and f10's entry (caller from x30), each reached three ways. f09 calls
// through(), which tail-calls f10 (a `b`, no frame of its own) when direct.
test("no frame pointers, pac-ret: f19's probe and f10's entry, directly and from two signal handlers, reach main and _start", () => {
	const out = trace(
		"deepstack$target:::hit { @h[ustack()] = count(); } pid$target::f10:entry { @e[ustack()] = count(); }",
		`${PAC} ${WAYS.join(" ")}`,
	);
	const all = stacks(out);
	const hits = all.filter((b) => name(b[0]) === "deepstack-pac`f19");
	const entries = all.filter((b) => b[0] === "deepstack-pac`f10+0x0");
	assert.equal(hits.length, 3, out);
	assert.equal(entries.length, 3, out);
	assert.deepEqual(hits.map((b) => checkWay(b, 19, out)).sort(), ["direct", "signal", "syscall"], out);
	assert.deepEqual(entries.map((b) => checkWay(b, 10, out)).sort(), ["direct", "signal", "syscall"], out);
});

test("design (b), the stack copy: the same three ways walked in user space from copies of the stack", async () => {
	const r = await runCopied(PAC, "hit", WAYS);
	assert.equal(r.lost, 0);
	assert.equal(r.records, 3);
	assert.equal(r.stacks.length, 3, JSON.stringify(r.stacks));
	const ways: string[] = [];
	for (const s of r.stacks) {
		const sym = symbolize(r.maps, s.frames);
		const text = sym.join("\n");
		assert.equal(s.stop, Stop.END, text);
		const n = sym.map((f) => f.replace(/\+0x[0-9a-f]+$/, ""));
		assert.deepEqual(n.slice(0, 10), chain(19, 10), text);
		assert.deepEqual(n.filter(own).slice(-13), BELOW, text);
		ways.push(
			n.includes("libc.so.6`syscall") ? "syscall" : n.includes("deepstack-pac`on_signal") ? "signal" : "direct",
		);
		assert.match(sym.at(-1) ?? "", /^deepstack-pac`_start\+/, text);
	}
	assert.deepEqual(ways.sort(), ["direct", "signal", "syscall"]);
});
