// The unwinder's aarch64 rules on real aarch64 code, on this x86_64 host: the
// a64snap fixture (cross-built static, -O2 -fomit-frame-pointer) runs under
// qemu-aarch64 user mode and prints its registers and a copy of its stack at
// two points; walk.ts (the reference the BPF walk repeats step for step) unwinds
// them with the tables cfa.ts/table.ts compile from the binary's .eh_frame.
// At snap_entry's first instruction the return address is only in x30 (the
// first frame must take it from the registers: the case a function-entry probe
// is in); inside leaf() it is saved on the stack. Both walks reach _start.
// The same program built with -mbranch-protection=pac-ret (qemu's CPU has
// pointer authentication): the saved return addresses are signed, and the walk
// strips them. And a stack-copy record (copy.ts's aarch64 layout) walks the same.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { copyHeader, walkCopy } from "../../../kernel/unwind/copy.ts";
import { ARM64_USER_TOP, Stop, stackCopyReader, walk } from "../../../kernel/unwind/walk.ts";
import { buildA64, ElfFile, frameNames, type Snapshot, snapSnapshots, staticSpace } from "./qemu-a64.ts";

const CHAIN = ["f05", "f04", "f03", "f02", "f01", "f00", "run", "main", "__libc_start_call_main", "__libc_start_main"];

/** The u64 values of a stack copy. */
function words(stack: Buffer): bigint[] {
	const w: bigint[] = [];
	for (let at = 0; at + 8 <= stack.length; at += 8) w.push(stack.readBigUInt64LE(at));
	return w;
}

describe("aarch64 code without frame pointers, unwound from .eh_frame (qemu-aarch64)", () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-a64snap-"));
	const builds = new Map<string, { elf: ElfFile; snaps: Map<string, Snapshot> }>();
	after(() => rmSync(dir, { recursive: true, force: true }));
	before(() => {
		for (const [build, flags] of [
			["plain", []],
			["pac", ["-mbranch-protection=pac-ret"]],
		] as const) {
			const exe = buildA64(dir, "a64snap", [...flags], `a64snap-${build}`);
			builds.set(build, { elf: ElfFile.open(exe), snaps: snapSnapshots(exe) });
		}
	});

	function unwind(name: string, opts: { withLr?: boolean; build?: string } = {}) {
		const b = builds.get(opts.build ?? "plain");
		assert.ok(b);
		const s = b.snaps.get(name);
		assert.ok(s, `a64snap printed no "${name}" snapshot`);
		const regs = opts.withLr === false ? { ...s.regs, lr: undefined } : s.regs;
		const r = walk(regs, staticSpace(b.elf), stackCopyReader(s.regs.sp, s.stack), 64, "arm64");
		return { ...r, names: frameNames(b.elf, r.frames), snap: s, elf: b.elf };
	}

	test("the fixture ran as aarch64: both snapshots, the stack copied", () => {
		for (const b of builds.values()) {
			assert.equal(b.elf.arch, "arm64");
			assert.ok(b.snaps.get("entry")?.stack.length, "entry snapshot");
			assert.ok(b.snaps.get("leaf")?.stack.length, "leaf snapshot");
		}
	});

	test("inside leaf(): its saved x30 and every caller's, f05 … main, libc, _start", () => {
		const r = unwind("leaf");
		assert.deepEqual(r.names, ["leaf", ...CHAIN, "_start"], r.names.join(" "));
		assert.equal(r.stop, Stop.END);
	});

	test("at snap_entry's first instruction: the direct caller leaf() comes from x30", () => {
		const r = unwind("entry");
		assert.deepEqual(r.names, ["snap_entry", "leaf", ...CHAIN, "_start"], r.names.join(" "));
		assert.equal(r.stop, Stop.END);
		// The leaf frame's CFA is sp itself: allowed for the step that took x30.
		assert.equal(r.frames[1], r.snap.regs.lr);
	});

	test("without the link register the walk stops at frame 0 and says why", () => {
		const r = unwind("entry", { withLr: false });
		assert.deepEqual(r.names, ["snap_entry"]);
		assert.equal(r.stop, Stop.LOST_RA);
	});

	test("pac-ret: every saved return address of main … f05 is signed on the stack; stripped, the walk reaches _start", () => {
		for (const name of ["leaf", "entry"]) {
			const r = unwind(name, { build: "pac" });
			const want = name === "leaf" ? ["leaf", ...CHAIN, "_start"] : ["snap_entry", "leaf", ...CHAIN, "_start"];
			assert.deepEqual(r.names, want, r.names.join(" "));
			assert.equal(r.stop, Stop.END);
			// A frame's return address is on the stack only with a pointer-authentication code above bit 48.
			const stack = words(r.snap.stack);
			const top = BigInt(ARM64_USER_TOP);
			const signed = r.frames.slice(1).filter((pc) => stack.some((v) => v >= top && v % top === BigInt(pc)));
			const signedNames = new Set(frameNames(r.elf, [0, ...signed]).slice(1));
			for (const f of ["f05", "f04", "f03", "f02", "f01", "f00", "run", "main", "__libc_start_call_main"])
				assert.ok(signedNames.has(f), `${f}'s return address is signed (signed: ${[...signedNames].join(" ")})`);
			for (const pc of r.frames) assert.ok(pc < ARM64_USER_TOP, `frame 0x${pc.toString(16)} stripped`);
		}
		// The same program without pac-ret keeps plain return addresses.
		const plain = unwind("leaf");
		const top = BigInt(ARM64_USER_TOP);
		const words0 = words(plain.snap.stack);
		assert.ok(
			plain.frames.slice(1, 9).every((pc) => !words0.some((v) => v >= top && v % top === BigInt(pc))),
			"no signed return address without pac-ret",
		);
	});

	test("a stack-copy record (copy.ts, aarch64: tgid, size, pc, sp, x29, x30, stack) walks like the registers", () => {
		assert.equal(copyHeader("arm64"), 40);
		assert.equal(copyHeader("x64"), 32);
		for (const name of ["entry", "leaf"]) {
			const r = unwind(name);
			const s = r.snap;
			const rec = Buffer.alloc(40 + s.stack.length);
			rec.writeUInt32LE(4242, 0);
			rec.writeUInt32LE(s.stack.length, 4);
			[s.regs.pc, s.regs.sp, s.regs.fp ?? 0, s.regs.lr ?? 0].forEach((v, i) => {
				rec.writeBigUInt64LE(BigInt(v), 8 + 8 * i);
			});
			s.stack.copy(rec, 40);
			const space = staticSpace(r.elf);
			const c = walkCopy(rec, (pid) => (pid === 4242 ? space : undefined), 64, "arm64");
			assert.equal(c.pid, 4242);
			assert.equal(c.copied, s.stack.length);
			assert.deepEqual(c.result.frames, r.frames, name);
			assert.equal(c.result.stop, Stop.END);
		}
	});
});
