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
import { type CopiedRun, runCopied } from "./copy-run.ts";
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
// carries every byte from sp to the stack's top or to the first page not present
// (halving the whole copy kept as little as half, and on aarch64 lost the frames
// below a signal handler).
/** Where a record's copy must end: the stack's top or the first page above sp not present. */
function copyEnd(r: CopiedRun, sp: number): number {
	const top = r.maps.find((m) => m.path === "[stack]")?.end;
	assert.ok(top !== undefined, "the fixture's maps have a [stack]");
	return Math.min(top, ...r.holes.filter((h) => h > sp));
}

for (const copySize of [1 << 20, 16384, 4096]) {
	test(`the stack copy of ${copySize} bytes carries min(${copySize}, the stack from sp to its top or a page not present), directly and in a signal handler`, async () => {
		for (const via of ["direct", "signal"]) {
			const r = await runCopied(DEEPSTACK, "hit", ["--count", "2", "--via", via], copySize);
			assert.equal(r.copies.length, 2);
			for (const c of r.copies) {
				const end = copyEnd(r, c.sp);
				assert.ok(c.sp < end && end - c.sp < 1 << 20, `sp 0x${c.sp.toString(16)} in the stack`);
				assert.equal(
					c.copied,
					Math.min(copySize, end - c.sp),
					`${via}: sp 0x${c.sp.toString(16)}, end 0x${end.toString(16)}, holes ${r.holes.map((h) => h.toString(16))}`,
				);
			}
			if (copySize > copyEnd(r, r.copies[0].sp) - r.copies[0].sp)
				assert.equal(r.stacks[0].stop, Stop.END, `${via}: the whole stack was copied`);
		}
	});
}

// About 4 processes in 10 have a page nothing touched between sp and the stack's
// top (exec's random gap below the argument strings): the copy ends there, and
// the walk, whose frames all lie below it, still reaches _start.
test("a page not present above sp ends the copy there, and the walk still reaches _start", async () => {
	for (const via of ["direct", "signal"]) {
		const r = await runCopied(DEEPSTACK, "hit", ["--count", "2", "--via", via], 1 << 20, true);
		const top = r.maps.find((m) => m.path === "[stack]")?.end ?? 0;
		for (const c of r.copies) {
			const hole = Math.min(...r.holes.filter((h) => h > c.sp));
			assert.ok(hole < top, `${via}: a hole above sp 0x${c.sp.toString(16)}`);
			assert.equal(c.copied, hole - c.sp, `${via}: copied up to the hole at 0x${hole.toString(16)}`);
		}
		assert.equal(r.stacks.length, 1);
		assert.equal(r.stacks[0].stop, Stop.END, `${via}: walked to its end`);
		assert.match(symbolize(r.maps, r.stacks[0].frames).at(-1) ?? "", /^deepstack`_start\+/);
	}
});
