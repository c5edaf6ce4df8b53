// Signal frames on aarch64, on this x86_64 host: the a64sig fixture (cross-built
// static, -O2 -fomit-frame-pointer) runs under qemu-aarch64 user mode, whose
// signal delivery builds the kernel's rt_sigframe and returns through a
// trampoline of `mov x8, #139; svc #0`, as the kernel's vDSO does
// (__kernel_rt_sigreturn). Inside the handler it prints its registers, its
// stack and the trampoline's page; walk.ts unwinds them: on_signal, the
// trampoline, then the interrupted context read from the sigcontext — a leaf
// whose return address is only in the saved x30, or libc's raise() — up to
// main and _start. The real kernel's frames are in test/vm/unwind-arm64.vmtest.ts.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
	ARM64_SIGFRAME,
	ARM64_SIGRETURN_INSNS,
	Stop,
	stackCopyReader,
	WalkFlags,
	walk,
} from "../../../kernel/unwind/walk.ts";
import {
	buildA64,
	ElfFile,
	frameNames,
	type SignalSnapshot,
	signalSnapshots,
	staticSpace,
	trampolinePage,
} from "./qemu-a64.ts";

const BELOW = ["trigger", "f02", "f01", "f00", "run", "main", "__libc_start_call_main", "__libc_start_main", "_start"];
const TRAMP = "<trampoline>";

describe("aarch64 signal frames: through the sigreturn trampoline into the interrupted code (qemu-aarch64)", () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-a64sig-"));
	const snaps = new Map<string, SignalSnapshot>();
	let elf: ElfFile;
	after(() => rmSync(dir, { recursive: true, force: true }));
	before(() => {
		const exe = buildA64(dir, "a64sig");
		elf = ElfFile.open(exe);
		for (const [name, snap] of signalSnapshots(exe)) snaps.set(name, snap);
	});

	function unwind(name: string, withCode = true) {
		const s = snaps.get(name);
		assert.ok(s, `a64sig printed no "${name}" snapshot`);
		const r = walk(
			s.regs,
			staticSpace(elf, [trampolinePage(s, withCode)]),
			stackCopyReader(s.regs.sp, s.stack),
			64,
			"arm64",
		);
		return { ...r, names: frameNames(elf, r.frames, new Map([[s.tramp, TRAMP]])), snap: s };
	}

	test("the frame the walk reads: the trampoline is `mov x8, #139; svc #0`, uc_mcontext 304 bytes above siginfo", () => {
		for (const name of ["leaf", "raise"]) {
			const s = snaps.get(name);
			assert.ok(s, name);
			const at = s.tramp - s.page;
			assert.deepEqual([s.code.readUInt32LE(at), s.code.readUInt32LE(at + 4)], [...ARM64_SIGRETURN_INSNS]);
			// siginfo is the rt_sigframe's first member: sp in the trampoline.
			assert.equal(s.mcontext - s.info, ARM64_SIGFRAME.X29 - 8 - 29 * 8);
		}
	});

	test("interrupted in a leaf: sig_leaf's return address comes from the saved x30; main and _start follow", () => {
		const r = unwind("leaf");
		assert.deepEqual(r.names, ["on_signal", TRAMP, "sig_leaf", ...BELOW], r.names.join(" "));
		assert.equal(r.stop, Stop.END);
		assert.equal(r.flags & WalkFlags.SIGNAL_FRAME, WalkFlags.SIGNAL_FRAME);
		assert.equal(r.flags & WalkFlags.FP_FALLBACK, 0, "no frame-pointer guess");
		// The interrupted pc is exact: the instruction after the system call (sig_leaf's ret).
		const leaf = elf.symbols().byName("sig_leaf");
		assert.equal(r.frames[2], (leaf?.address ?? 0) + 12);
	});

	test("interrupted inside libc's raise(): through pthread_kill to trigger, main and _start", () => {
		const r = unwind("raise");
		assert.deepEqual(r.names.slice(0, 2), ["on_signal", TRAMP], r.names.join(" "));
		const at = r.names.indexOf("raise");
		assert.ok(at > 2, r.names.join(" "));
		assert.deepEqual(r.names.slice(at + 1), BELOW, r.names.join(" "));
		assert.equal(r.stop, Stop.END);
		assert.equal(r.flags & WalkFlags.SIGNAL_FRAME, WalkFlags.SIGNAL_FRAME);
	});

	// Why the walk recognises the trampoline (measured here): followed by frame pointer
	// (the vDSO is walked as JIT code), the kernel's frame record {x29, x30} gives the
	// interrupted x30 in place of the interrupted pc. Both stacks still reach main
	// (the record sits just below the interrupted sp), but silently wrong: the leaf's
	// frame is missing, and raise()'s frame in pthread_kill is a stale return address.
	test("without the trampoline's code (taken for JIT code): the frame-pointer step loses the interrupted pc", () => {
		const leaf = unwind("leaf", false);
		assert.deepEqual(leaf.names, ["on_signal", TRAMP, ...BELOW], leaf.names.join(" "));
		const exact = unwind("raise");
		const guessed = unwind("raise", false);
		for (const r of [leaf, guessed]) {
			assert.equal(r.flags & WalkFlags.SIGNAL_FRAME, 0);
			assert.equal(r.flags & WalkFlags.FP_FALLBACK, WalkFlags.FP_FALLBACK);
		}
		assert.equal(guessed.names[2], exact.names[2]);
		assert.notEqual(guessed.frames[2], exact.frames[2], "the interrupted pc, not x30");
	});

	test("a damaged signal frame ends the walk with a reason, never a wrong frame taken as right", () => {
		const s = snaps.get("leaf");
		assert.ok(s);
		const trampSp = s.info;
		const at = (off: number) => trampSp + off - s.regs.sp;
		for (const [what, off, value, stop] of [
			["the saved sp below the frame", ARM64_SIGFRAME.SP, 16n, Stop.BAD_FRAME],
			["the saved pc beyond user space", ARM64_SIGFRAME.PC, 1n << 60n, Stop.BAD_FRAME],
			["the saved pc 0", ARM64_SIGFRAME.PC, 0n, Stop.END],
		] as const) {
			const stack = Buffer.from(s.stack);
			stack.writeBigUInt64LE(value, at(off));
			const r = walk(s.regs, staticSpace(elf, [trampolinePage(s)]), stackCopyReader(s.regs.sp, stack), 64, "arm64");
			assert.equal(r.stop, stop, what);
			assert.equal(r.frames.length, 2, what);
		}
		// A copy that ends inside the signal frame: unreadable, and said so.
		const short = s.stack.subarray(0, at(ARM64_SIGFRAME.SP));
		const r = walk(s.regs, staticSpace(elf, [trampolinePage(s)]), stackCopyReader(s.regs.sp, short), 64, "arm64");
		assert.equal(r.stop, Stop.READ_FAULT);
	});
});
