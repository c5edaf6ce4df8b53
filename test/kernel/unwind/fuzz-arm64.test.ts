// Property tests of the aarch64 path, like fuzz.test.ts's for x86_64: damaged
// call frame information in real aarch64 objects (a static cross-built fixture
// and the cross toolchain's libc.so.6) still builds a well-formed table or fails
// with ElfError; and the walk over real aarch64 stacks (qemu-aarch64
// snapshots, one inside a signal handler) with damaged tables, damaged stacks
// and random DW_CFA programs in aarch64 dialect (negate_ra_state, x29/x30/sp
// rules) always ends, with a stop reason, within its frame limit and with no
// frame above user space. Never an exception, never a hang.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { parseFrameSection } from "../../../kernel/elf/eh-frame.ts";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { CfaKind, fdeRows, ruleKey } from "../../../kernel/unwind/cfa.ts";
import { packRule } from "../../../kernel/unwind/layout.ts";
import type { UnwindTable } from "../../../kernel/unwind/table.ts";
import {
	ARM64_USER_TOP,
	type MappedObject,
	MappingList,
	STOP_NAMES,
	stackCopyReader,
	walk,
} from "../../../kernel/unwind/walk.ts";
import { breg, EhFrameBuilder, op } from "./cfi.ts";
import { build, CASE_LIMIT_MS, damaged, mutation, type Target, target } from "./fuzz-lib.ts";
import { buildA64, type Snapshot, signalSnapshots, snapSnapshots, trampolinePage } from "./qemu-a64.ts";

const CROSS_LIBC = "/usr/aarch64-linux-gnu/lib/libc.so.6";
const MAX_FRAMES = 64;

/** A walk that ends: a known stop reason, at most MAX_FRAMES frames, none above user space, in time. */
function walkEnds(table: UnwindTable | undefined, s: Snapshot, stack: Buffer, extra: MappedObject[] = []): void {
	const t0 = performance.now();
	const space = new MappingList([{ start: 0x400000, end: 0x400000 + (64 << 20), bias: 0, table }, ...extra]);
	const r = walk(s.regs, space, stackCopyReader(s.regs.sp, stack), MAX_FRAMES, "arm64");
	assert.ok(STOP_NAMES[r.stop] !== undefined, `stop reason ${r.stop}`);
	assert.ok(r.frames.length >= 1 && r.frames.length <= MAX_FRAMES, `${r.frames.length} frames`);
	for (const pc of r.frames.slice(1)) assert.ok(pc > 0 && pc < ARM64_USER_TOP, `frame 0x${pc.toString(16)}`);
	assert.ok(performance.now() - t0 < CASE_LIMIT_MS, "the walk took too long");
}

describe("corrupt call frame information and stacks on aarch64", () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-a64fuzz-"));
	let snap: Target;
	let sig: Target;
	let points: { snapshot: Snapshot; extra: MappedObject[]; elf: "snap" | "sig" }[];
	after(() => rmSync(dir, { recursive: true, force: true }));
	before(() => {
		const snapExe = buildA64(dir, "a64snap", ["-mbranch-protection=pac-ret"]);
		const sigExe = buildA64(dir, "a64sig");
		snap = target(snapExe);
		sig = target(sigExe);
		points = [
			...[...snapSnapshots(snapExe).values()].map((snapshot) => ({ snapshot, extra: [], elf: "snap" as const })),
			...[...signalSnapshots(sigExe).values()].map((snapshot) => ({
				snapshot,
				extra: [trampolinePage(snapshot)],
				elf: "sig" as const,
			})),
		];
		assert.equal(points.length, 4);
	});

	test("random bytes over .eh_frame and .eh_frame_hdr: a well-formed table or ElfError", () => {
		for (const t of [snap, sig, target(CROSS_LIBC)]) {
			assert.equal(ElfFile.fromBuffer(t.buf, t.name).arch, "arm64");
			fc.assert(
				fc.property(fc.array(mutation(t), { minLength: 1, maxLength: 12 }), (muts) => {
					build(damaged(t, muts), t.name);
				}),
				{ numRuns: t.name === CROSS_LIBC ? 25 : 100 },
			);
		}
	});

	test("the walk over damaged tables ends with a reason (pac-ret frames, a signal frame)", () => {
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 3 }),
				fc.array(mutation(snap), { minLength: 1, maxLength: 12 }),
				(which, muts) => {
					const p = points[which];
					const t = p.elf === "snap" ? snap : sig;
					// The mutation's area indices are snap's; sig has the same sections.
					const table = build(
						damaged(
							t,
							muts.map((m) => ({ ...m, area: m.area % t.areas.length })),
						),
						t.name,
					);
					walkEnds(table, p.snapshot, p.snapshot.stack, p.extra);
				},
			),
			{ numRuns: 150 },
		);
	});

	test("the walk over damaged stacks (saved registers, the signal frame's context) ends with a reason", () => {
		const tables = { snap: build(snap.buf, snap.name), sig: build(sig.buf, sig.name) };
		fc.assert(
			fc.property(
				fc.integer({ min: 0, max: 3 }),
				fc.array(
					fc.record({
						at: fc.double({ min: 0, max: 1, noNaN: true }),
						value: fc.bigUint64Array({ minLength: 1, maxLength: 1 }),
					}),
					{ minLength: 1, maxLength: 16 },
				),
				fc.double({ min: 0, max: 1, noNaN: true }),
				(which, writes, cut) => {
					const p = points[which];
					const stack = Buffer.from(
						p.snapshot.stack.subarray(0, Math.max(8, Math.floor(cut * p.snapshot.stack.length))),
					);
					for (const w of writes) stack.writeBigUInt64LE(w.value[0], Math.floor(w.at * (stack.length / 8 - 1)) * 8);
					walkEnds(tables[p.elf], p.snapshot, stack, p.extra);
				},
			),
			{ numRuns: 300 },
		);
	});

	test("random DW_CFA programs in aarch64 dialect: rows in order, or the rest UNSUPPORTED with a problem", () => {
		const reg = fc.constantFrom(29, 30, 31, 19, 0);
		const instr = fc.oneof(
			fc.integer({ min: 0, max: 63 }).map((d) => op.advance(d)),
			fc.tuple(reg, fc.integer({ min: 0, max: 40 })).map(([r, n]) => op.offset(r, n)),
			fc.tuple(reg, fc.integer({ min: -4096, max: 4096 })).map(([r, n]) => op.defCfa(r === 30 ? 31 : r, Math.abs(n))),
			fc.integer({ min: 0, max: 4096 }).map((n) => op.defCfaOffset(n)),
			reg.map((r) => op.defCfaRegister(r)),
			reg.map((r) => op.restore(r)),
			reg.map((r) => op.sameValue(r)),
			reg.map((r) => op.undefined(r)),
			fc.tuple(reg, reg).map(([a, b]) => op.register(a, b)),
			fc.tuple(reg, fc.integer({ min: -512, max: 512 })).map(([r, n]) => op.expression(r, breg(31, n))),
			fc.constant(op.negateRaState()),
			fc.constant(op.remember()),
			fc.constant(op.restoreState()),
			fc.uint8Array({ minLength: 1, maxLength: 3 }).map((b) => [...b]),
		);
		fc.assert(
			fc.property(fc.array(instr, { maxLength: 24 }), (prog) => {
				const b = new EhFrameBuilder();
				const cie = b.cie({ codeAlign: 4, dataAlign: -8, ra: 30, initial: op.defCfa(31, 0) });
				b.fde(cie, 0x401000, 0x400, prog.flat());
				const s = parseFrameSection(b.build(), { kind: "eh_frame", address: b.address });
				for (const fde of s.fdes) {
					const { rows, problem } = fdeRows(fde, "arm64");
					for (let i = 1; i < rows.length; i++) assert.ok(rows[i].address > rows[i - 1].address, "rows ascend");
					for (const r of rows) assert.ok(r.address >= fde.start && r.address < fde.end, "rows inside the FDE");
					for (const r of rows) {
						assert.ok(r.rule.cfa <= CfaKind.UNSUPPORTED && r.rule.ra <= 4 && r.rule.fp <= 4, ruleKey(r.rule));
						packRule(r.rule, Buffer.alloc(16), 0);
					}
					if (problem !== undefined) assert.equal(typeof problem, "string");
				}
			}),
			{ numRuns: 500 },
		);
	});
});
