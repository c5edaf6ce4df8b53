// The kernel unwinder on real programs built without frame pointers: exact
// counts, stacks that reach main, and the reason when one does not. Only the
// test fixtures, libc and libstdc++ are needed, so this file also runs on
// Debian's 6.1 kernel in the VM (scripts/vm/tests.txt).
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openObjectList } from "../../../kernel/bpf/index.ts";
import { parseFrameSection } from "../../../kernel/elf/eh-frame.ts";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { COLLISION_ID } from "../../../kernel/unwind/layout.ts";
import type { UserStack } from "../../../kernel/unwind/stacks.ts";
import { Unwinder } from "../../../kernel/unwind/unwinder.ts";
import { Stop } from "../../../kernel/unwind/walk.ts";
import { buildFixtures, DEEPSTACK, DEEPSTACK_FP, DEEPTHROW } from "../../fixtures/fixtures.ts";
import { countByStack, isStack, symbolize } from "./harness.ts";
import { runUnder } from "./run.ts";

const HIT = { file: DEEPSTACK, usdt: "hit" };
/** The chain every deepstack stack holds, innermost first (through() is a tail call when direct). */
const CHAIN = [
	...Array.from({ length: 10 }, (_, i) => `f${String(19 - i).padStart(2, "0")}`),
	...Array.from({ length: 10 }, (_, i) => `f${String(9 - i).padStart(2, "0")}`),
	"run",
	"main",
];

function names(frames: string[]): string[] {
	return frames.map((f) => /`([^+]+)/.exec(f)?.[1] ?? f);
}

/** The function names of deepstack's own frames, in order. */
function ownFrames(symbolized: string[]): string[] {
	return names(symbolized.filter((f) => f.startsWith("deepstack`") || f.startsWith("deepstack-fp`")));
}

function only(counted: { stack: ReturnType<Unwinder["reader"]["read"]>; count: number }[]): UserStack {
	assert.equal(counted.length, 1, `one distinct stack (got ${counted.length})`);
	const s = counted[0].stack;
	if (!isStack(s)) assert.fail(`the stack was not recorded (${s.missing})`);
	return s;
}

const total = (counted: { count: number }[]) => counted.reduce((n, c) => n + c.count, 0);

before(() => buildFixtures());

describe("deepstack (-O2, no frame pointers): a probe 20 calls deep", () => {
	let u: Unwinder;
	before(() => {
		u = new Unwinder();
	});
	after(() => u.close());

	for (const via of ["direct", "qsort", "signal", "syscall", "jit"] as const) {
		test(`through ${via}: 10,000 firings, one complete stack from f19 to main and _start`, async () => {
			const prog = countByStack(u);
			try {
				const args = ["--wait", "--count", "10000", ...(via === "direct" ? [] : ["--via", via])];
				const r = await runUnder(u, prog, HIT, DEEPSTACK, args);
				assert.equal(total(r.counted), 10_000);
				const s = only(r.counted);
				assert.equal(s.stop, Stop.END, s.stopName);
				assert.equal(s.pid, r.child.pid);
				const sym = symbolize(r.maps, s.frames);
				const own = ownFrames(sym);
				// Each detour adds its own frames between f10 and f09 (compare, on_signal, through).
				assert.deepEqual(
					own.filter((n) => CHAIN.includes(n)),
					CHAIN,
					sym.join("\n"),
				);
				// Below main: __libc_start_call_main, __libc_start_main, then _start (whose CFI ends the stack).
				assert.match(sym[sym.length - 1], /^deepstack`_start\+/);
				assert.match(sym[sym.length - 2], /^libc\.so\.6`__libc_start_main\+/);
				assert.equal(s.fpFallback, via === "jit", "frame pointers are followed only through the JIT stub");
				assert.equal(s.signalFrame, via === "signal" || via === "syscall", "a signal frame crossed");
				if (via === "qsort")
					assert.ok(
						sym.some((f) => /^libc\.so\.6`qsort_r\+/.test(f)),
						sym.join("\n"),
					);
				if (via === "signal") {
					// f10 ← on_signal ← __restore_rt (libc's signal trampoline, an 'S' CIE) ← pthread_kill ← raise ← through
					const at = own.indexOf("on_signal");
					assert.equal(own[at - 1], "f10");
					assert.ok(
						sym.some((f) => /^libc\.so\.6`raise\+/.test(f)),
						`through the signal frame:\n${sym.join("\n")}`,
					);
				}
				if (via === "syscall") {
					// f10 ← on_signal ← __restore_rt ← syscall (a leaf, interrupted after its system call; its pc
					// exact, from the saved context) ← through ← f09
					const at = sym.findIndex((f) => /^deepstack`on_signal\+/.test(f));
					assert.ok(at > 0, sym.join("\n"));
					assert.match(sym[at + 1], /^libc\.so\.6`/, `the trampoline:\n${sym.join("\n")}`);
					assert.match(sym[at + 2], /^libc\.so\.6`syscall\+/, sym.join("\n"));
					assert.match(sym[at + 3], /^deepstack`through\+/, sym.join("\n"));
				}
				if (via === "jit")
					assert.ok(
						sym.some((f) => f.startsWith("[anon]`")),
						sym.join("\n"),
					);
			} finally {
				prog.close();
			}
		});
	}

	test("ustackframes 8: the first 8 frames, marked truncated", async () => {
		const small = new Unwinder({ maxFrames: 8 });
		const prog = countByStack(small);
		try {
			const r = await runUnder(small, prog, HIT, DEEPSTACK, ["--wait", "--count", "100"]);
			const s = only(r.counted);
			assert.equal(r.counted[0].count, 100);
			assert.equal(s.stop, Stop.TRUNCATED, s.stopName);
			assert.deepEqual(ownFrames(symbolize(r.maps, s.frames)), CHAIN.slice(0, 8));
		} finally {
			prog.close();
			small.close();
		}
	});

	test("a process fired before it was loaded: counted, walked by frame pointers, reported, then unwound fully", async () => {
		const fresh = new Unwinder();
		const prog = countByStack(fresh);
		try {
			let reported: number[] = [];
			const r = await runUnder(fresh, prog, HIT, DEEPSTACK, ["--wait", "--rate", "2000", "--seconds", "2"], {
				load: false,
				result: /^fired (\d+) /,
				// What a consumer does every tick: load the processes the kernel saw first.
				started: async (pid) => {
					for (let i = 0; i < 100 && reported.length === 0; i++) {
						await new Promise((res) => setTimeout(res, 20));
						reported = fresh.pollUnknown();
					}
					assert.deepEqual(reported, [pid]);
					fresh.addProcess(pid);
				},
			});
			assert.equal(total(r.counted), Number(r.output?.[1]), "every firing counted");
			assert.equal(r.counted.length, 2, "one stack before the process was loaded, one after");
			const early = r.counted.find((c) => isStack(c.stack) && c.stack.stop === Stop.NO_PROCESS);
			const late = r.counted.find((c) => isStack(c.stack) && c.stack.stop === Stop.END);
			assert.ok(early && late);
			const e = early.stack as UserStack;
			// deepstack keeps no frame pointers: beyond frame 0 a frame-pointer walk finds
			// whatever rbp points at, so only frame 0 is sure.
			assert.equal(ownFrames(symbolize(r.maps, e.frames))[0], "f19", "frame 0 is kept");
			assert.equal(e.stopName, "process not known yet (frames by frame pointers)");
			assert.equal(fresh.stats().unknownProcess, BigInt(early.count));
			const lateOwn = ownFrames(symbolize(r.maps, (late.stack as UserStack).frames));
			assert.deepEqual(
				lateOwn.filter((n) => CHAIN.includes(n)),
				CHAIN,
			);
		} finally {
			prog.close();
			fresh.close();
		}
	});
});

describe("mixed and foreign code", () => {
	let u: Unwinder;
	before(() => {
		u = new Unwinder();
	});
	after(() => u.close());

	test("deepstack-fp: the same chain, with and without a detour through libc (no frame pointers there)", async () => {
		const prog = countByStack(u);
		try {
			const r = await runUnder(u, prog, { file: DEEPSTACK_FP, usdt: "hit" }, DEEPSTACK_FP, [
				"--wait",
				"--count",
				"1000",
				"--via",
				"qsort",
			]);
			const s = only(r.counted);
			assert.equal(s.stop, Stop.END, s.stopName);
			assert.deepEqual(
				ownFrames(symbolize(r.maps, s.frames)).filter((n) => CHAIN.includes(n)),
				CHAIN,
			);
		} finally {
			prog.close();
		}
	});

	test("libstdc++'s throw probe in a C++ program without frame pointers: __cxa_throw, the thrower, 19 levels, main", async () => {
		const prog = countByStack(u);
		try {
			const libstdcxx = realpathSync("/usr/lib/x86_64-linux-gnu/libstdc++.so.6");
			const r = await runUnder(u, prog, { file: libstdcxx, usdt: "throw" }, DEEPTHROW, ["--wait", "1000"]);
			assert.equal(total(r.counted), 1000);
			const s = only(r.counted);
			assert.equal(s.stop, Stop.END, s.stopName);
			const sym = names(symbolize(r.maps, s.frames));
			assert.equal(sym[0], "__cxa_throw");
			assert.equal(sym[1], "_ZN2ns7Thrower6methodEi");
			for (let n = 0; n <= 18; n++) assert.equal(sym[2 + n], `_Z4downILi${n}EEll`, `frame ${2 + n}`);
			assert.equal(sym[21], "main");
			assert.equal(sym.length, 25, sym.join("\n"));
		} finally {
			prog.close();
		}
	});
});

describe("corrupt call frame information", () => {
	test("an FDE whose CIE pointer is broken: the stack stops at that function and says why", async () => {
		const dir = mkdtempSync(join(tmpdir(), "dtop-unwind-"));
		const u = new Unwinder();
		const prog = countByStack(u);
		try {
			const buf = Buffer.from(readFileSync(DEEPSTACK));
			const elf = ElfFile.fromBuffer(buf, DEEPSTACK);
			const sec = elf.section(".eh_frame");
			const f12 = elf.symbols().byName("f12");
			assert.ok(sec && f12);
			const fde = parseFrameSection(elf.sectionData(sec), { kind: "eh_frame", address: sec.addr }).fdes.find(
				(f) => f.start <= f12.address && f12.address < f.end,
			);
			assert.ok(fde);
			buf.writeUInt32LE(0xfffffff0, sec.offset + fde.offset + 4);
			const bad = join(dir, "deepstack");
			writeFileSync(bad, buf);
			chmodSync(bad, 0o755);
			const r = await runUnder(u, prog, { file: bad, usdt: "hit" }, bad, ["--wait", "--count", "500"]);
			assert.equal(total(r.counted), 500);
			const s = only(r.counted);
			assert.equal(s.stop, Stop.NO_INFO, s.stopName);
			assert.equal(s.stopName, "no unwind information for the pc");
			assert.deepEqual(ownFrames(symbolize(r.maps, s.frames)), CHAIN.slice(0, 8), "as far as f12");
			assert.ok(
				u.stats().problems.length === 0,
				"the object is readable; its damage is in the table's errors, not a load problem",
			);
		} finally {
			prog.close();
			u.close();
			rmSync(dir, { recursive: true, force: true });
		}
	});
});

describe("limits are counted, never hidden", () => {
	test("a full stacks map: the firings still count, under an id whose frames were not recorded", async () => {
		const u = new Unwinder({ stacks: 1 });
		const prog = countByStack(u);
		try {
			await runUnder(u, prog, HIT, DEEPSTACK, ["--wait", "--count", "300"]);
			const b = await runUnder(u, prog, HIT, DEEPSTACK, ["--wait", "--count", "200", "--via", "qsort"]);
			assert.equal(total(b.counted), 500);
			const missing = b.counted.filter((c) => !isStack(c.stack));
			assert.equal(missing.length, 1);
			assert.deepEqual(missing[0].stack, { id: missing[0].id, missing: "not recorded" });
			assert.equal(u.stats().stacksFull, BigInt(missing[0].count));
			assert.notEqual(missing[0].id, COLLISION_ID);
		} finally {
			prog.close();
			u.close();
		}
	});

	test("closing the unwinder leaves none of its maps or mappings open", () => {
		const before = openObjectList().length;
		const u = new Unwinder();
		const prog = countByStack(u);
		assert.ok(openObjectList().length > before);
		prog.close();
		u.close();
		assert.equal(openObjectList().length, before);
	});
});
