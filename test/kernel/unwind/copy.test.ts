// Design (b), the stack copy (kernel/unwind/copy.ts), on the real kernel: per
// firing the registers and 16 KiB of stack go to a ring buffer and are walked
// in user space. deepstack (-O2, no frame pointers) directly, and through a
// signal handler entered in libc's raise() and in libc's syscall() (a leaf
// interrupted right after its system call): every record is walked from f19
// through main to _start. The aarch64 twin runs in the arm64 VM
// (test/vm/unwind-arm64.vmtest.ts).
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { Stop } from "../../../kernel/unwind/walk.ts";
import { buildFixtures, DEEPSTACK } from "../../fixtures/fixtures.ts";
import { runCopied } from "./copy-run.ts";
import { symbolize } from "./harness.ts";

const CHAIN = [...Array.from({ length: 20 }, (_, i) => `f${String(19 - i).padStart(2, "0")}`), "run", "main"];
const names = (sym: string[]) => sym.map((f) => /`([^+]+)/.exec(f)?.[1] ?? f);

before(() => buildFixtures());

for (const via of ["direct", "signal", "syscall"]) {
	test(`the stack copy, ${via}: 300 firings, every record walked from f19 to main and _start`, async () => {
		const r = await runCopied(DEEPSTACK, "hit", ["--count", "300", ...(via === "direct" ? [] : ["--via", via])]);
		assert.equal(r.lost, 0);
		assert.equal(r.records, 300);
		assert.equal(r.stacks.length, 1, "one distinct stack");
		const s = r.stacks[0];
		assert.equal(s.stop, Stop.END);
		const sym = symbolize(r.maps, s.frames);
		const own = names(sym.filter((f) => f.startsWith("deepstack`")));
		assert.deepEqual(
			own.filter((n) => CHAIN.includes(n)),
			CHAIN,
			sym.join("\n"),
		);
		if (via !== "direct") assert.equal(own[own.indexOf("f10") + 1], "on_signal", sym.join("\n"));
		if (via === "syscall")
			assert.ok(
				sym.some((f) => /^libc\.so\.6`syscall\+/.test(f)),
				sym.join("\n"),
			);
		assert.match(sym[sym.length - 1], /^deepstack`_start\+/);
	});
}

// bpf_probe_read_user copies all or nothing, and the main thread's stack ends a few
// KiB above main: a copy larger than what is left is built from halves, so a record
// carries every readable byte from sp to the stack's top (halving the whole copy
// kept as little as half, and on aarch64 lost the frames below a signal handler).
for (const copySize of [1 << 20, 16384, 4096]) {
	test(`the stack copy of ${copySize} bytes carries min(${copySize}, the stack from sp to its top), directly and in a signal handler`, async () => {
		for (const via of ["direct", "signal"]) {
			const r = await runCopied(DEEPSTACK, "hit", ["--count", "2", "--via", via], copySize);
			const top = r.maps.find((m) => m.path === "[stack]")?.end;
			assert.ok(top !== undefined, "the fixture's maps have a [stack]");
			assert.equal(r.copies.length, 2);
			for (const c of r.copies) {
				assert.ok(c.sp < top && top - c.sp < 1 << 20, `sp 0x${c.sp.toString(16)} in the stack`);
				assert.equal(
					c.copied,
					Math.min(copySize, top - c.sp),
					`${via}: sp 0x${c.sp.toString(16)}, top 0x${top.toString(16)}`,
				);
			}
			if (copySize > top - r.copies[0].sp)
				assert.equal(r.stacks[0].stop, Stop.END, `${via}: the whole stack was copied`);
		}
	});
}
