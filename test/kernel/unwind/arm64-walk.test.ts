// The unwinder's aarch64 rules on real aarch64 code, on this x86_64 host: the
// a64snap fixture (cross-built static, -O2 -fomit-frame-pointer) runs under
// qemu-aarch64 user mode and prints its registers and a copy of its stack at
// two points; walk.ts (the reference the BPF walk repeats step for step) unwinds
// them with the tables cfa.ts/table.ts compile from the binary's .eh_frame.
// At snap_entry's first instruction the return address is only in x30 (the
// first frame must take it from the registers: the case a function-entry probe
// is in); inside leaf() it is saved on the stack. Both walks reach _start.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { buildTable } from "../../../kernel/unwind/table.ts";
import { MappingList, type Registers, Stop, stackCopyReader, walk } from "../../../kernel/unwind/walk.ts";
import { FIXTURES_DIR } from "../../fixtures/fixtures.ts";

interface Snapshot {
	regs: Registers;
	stack: Buffer;
}

const CHAIN = ["f05", "f04", "f03", "f02", "f01", "f00", "run", "main", "__libc_start_call_main", "__libc_start_main"];

describe("aarch64 code without frame pointers, unwound from .eh_frame (qemu-aarch64)", () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-a64snap-"));
	const exe = join(dir, "a64snap");
	const snaps = new Map<string, Snapshot>();
	let elf: ElfFile;
	after(() => rmSync(dir, { recursive: true, force: true }));
	before(() => {
		execFileSync("aarch64-linux-gnu-gcc", [
			"-static",
			"-O2",
			"-fomit-frame-pointer",
			"-Wall",
			"-o",
			exe,
			join(FIXTURES_DIR, "unwind/a64snap.c"),
		]);
		const out = execFileSync("qemu-aarch64", [exe], { encoding: "utf8", maxBuffer: 1 << 24 }).split("\n");
		for (let i = 0; i + 1 < out.length; i += 2) {
			const [name, pc, sp, fp, lr] = out[i].split(" ");
			const regs = {
				pc: Number.parseInt(pc, 16),
				sp: Number.parseInt(sp, 16),
				fp: Number.parseInt(fp, 16),
				lr: Number.parseInt(lr, 16),
			};
			snaps.set(name, { regs, stack: Buffer.from(out[i + 1], "hex") });
		}
		elf = ElfFile.open(exe);
	});

	function unwind(name: string, withLr = true) {
		const s = snaps.get(name);
		assert.ok(s, `a64snap printed no "${name}" snapshot`);
		const space = new MappingList([{ start: 0x400000, end: 0x400000 + (64 << 20), bias: 0, table: buildTable(elf) }]);
		const regs = withLr ? s.regs : { ...s.regs, lr: undefined };
		const r = walk(regs, space, stackCopyReader(s.regs.sp, s.stack), 64, "arm64");
		const syms = elf.symbols();
		const names = r.frames.map((pc, i) => syms.symbolize(i === 0 ? pc : pc - 1)?.name ?? `0x${pc.toString(16)}`);
		return { ...r, names };
	}

	test("the fixture ran as aarch64: both snapshots, the stack copied", () => {
		assert.equal(elf.arch, "arm64");
		assert.ok(snaps.get("entry")?.stack.length, "entry snapshot");
		assert.ok(snaps.get("leaf")?.stack.length, "leaf snapshot");
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
		assert.equal(r.frames[1], snaps.get("entry")?.regs.lr);
	});

	test("without the link register the walk stops at frame 0 and says why", () => {
		const r = unwind("entry", false);
		assert.deepEqual(r.names, ["snap_entry"]);
		assert.equal(r.stop, Stop.LOST_RA);
	});
});
