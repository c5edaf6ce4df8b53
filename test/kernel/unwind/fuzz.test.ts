// Property tests: mutated and truncated call frame information in copies of
// real objects. Building a table either succeeds — with a well-formed table,
// the damage confined to FrameErrors and UNKNOWN/UNSUPPORTED ranges — or throws
// ElfError (when the damage is to the ELF structure itself); never another
// exception, never a hang.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { before, describe, test } from "node:test";
import fc from "fast-check";
import { ElfError, ElfFile } from "../../../kernel/elf/index.ts";
import { buildTable, PAGE_SHIFT, type UnwindTable } from "../../../kernel/unwind/table.ts";
import { buildFixtures, DEEPSTACK, DEEPTHROW } from "../../fixtures/fixtures.ts";

const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
/** A case that takes longer than this is a hang (real objects build in ~1–100 ms). */
const CASE_LIMIT_MS = 3000;

interface Target {
	name: string;
	buf: Buffer;
	/** [offset, size] of .eh_frame, .eh_frame_hdr and .debug_frame in the file. */
	areas: [number, number][];
}

function target(path: string): Target {
	const buf = readFileSync(path);
	const elf = ElfFile.fromBuffer(buf, path);
	const areas: [number, number][] = [];
	for (const n of [".eh_frame", ".eh_frame_hdr", ".debug_frame"]) {
		const s = elf.section(n);
		if (s && s.size > 0) areas.push([s.offset, s.size]);
	}
	return { name: path, buf, areas };
}

function wellFormed(t: UnwindTable): void {
	for (let i = 1; i < t.rowCount; i++) assert.ok(t.addrs[i] > t.addrs[i - 1], "rows ascend");
	for (let i = 0; i < t.rowCount; i++) assert.ok(t.ruleIds[i] < t.rules.length, "rule ids exist");
	for (let p = 0; p < t.pageCount; p++) assert.ok(t.pages[p] <= t.pages[p + 1], "pages ascend");
	if (t.rowCount) assert.equal(t.pageCount, Math.floor(t.addrs[t.rowCount - 1] / 2 ** PAGE_SHIFT) + 1);
}

function build(buf: Buffer, name: string): void {
	const t0 = performance.now();
	try {
		const t = buildTable(ElfFile.fromBuffer(buf, name));
		wellFormed(t);
		for (let i = 0; i < 50; i++) t.lookup(t.base + Math.floor(Math.random() * (t.pageCount << PAGE_SHIFT)));
	} catch (e) {
		if (!(e instanceof ElfError)) throw e;
	}
	const ms = performance.now() - t0;
	assert.ok(ms < CASE_LIMIT_MS, `${name}: took ${ms.toFixed(0)} ms`);
}

/** A mutation inside one of the areas: [area, position (0..1), bytes]. */
const mutation = (t: Target) =>
	fc.record({
		area: fc.integer({ min: 0, max: t.areas.length - 1 }),
		at: fc.double({ min: 0, max: 1, noNaN: true }),
		bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
	});

describe("corrupt call frame information", () => {
	let targets: Target[];
	before(() => {
		buildFixtures();
		targets = [target(DEEPSTACK), target(DEEPTHROW), target(DEEPSTACK.replace(/deepstack$/, "deepstack-debugframe"))];
	});

	test("random bytes written over .eh_frame, .eh_frame_hdr and .debug_frame", () => {
		for (const t of targets) {
			fc.assert(
				fc.property(fc.array(mutation(t), { minLength: 1, maxLength: 12 }), (muts) => {
					const buf = Buffer.from(t.buf);
					for (const m of muts) {
						const [off, size] = t.areas[m.area];
						const at = off + Math.floor(m.at * Math.max(0, size - m.bytes.length));
						Buffer.from(m.bytes).copy(buf, at);
					}
					build(buf, t.name);
				}),
				{ numRuns: 150 },
			);
		}
	});

	test("record length fields set to random values", () => {
		for (const t of targets) {
			const [off, size] = t.areas[0];
			fc.assert(
				fc.property(fc.integer({ min: 0, max: Math.floor(size / 4) - 1 }), fc.integer(), (word, value) => {
					const buf = Buffer.from(t.buf);
					buf.writeInt32LE(value, off + word * 4);
					build(buf, t.name);
				}),
				{ numRuns: 150 },
			);
		}
	});

	test("sections cut short (the section header claims the old size)", () => {
		for (const t of targets) {
			fc.assert(
				fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (cut) => {
					const [off, size] = t.areas[0];
					const buf = Buffer.from(t.buf.subarray(0, off + Math.floor(cut * size)));
					build(buf, t.name);
				}),
				{ numRuns: 60 },
			);
		}
	});

	test("libc.so.6 with random damage: a table, errors, no exception", () => {
		const t = target(LIBC);
		fc.assert(
			fc.property(fc.array(mutation(t), { minLength: 1, maxLength: 40 }), (muts) => {
				const buf = Buffer.from(t.buf);
				for (const m of muts) {
					const [off, size] = t.areas[m.area];
					Buffer.from(m.bytes).copy(buf, off + Math.floor(m.at * Math.max(0, size - m.bytes.length)));
				}
				build(buf, t.name);
			}),
			{ numRuns: 25 },
		);
	});
});
