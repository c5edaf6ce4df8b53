// What the fuzz tests of call frame information share: objects with the areas
// to damage, the checks a damaged table must still pass, and a time limit per case.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { ElfError, ElfFile } from "../../../kernel/elf/index.ts";
import { buildTable, PAGE_SHIFT, type UnwindTable } from "../../../kernel/unwind/table.ts";

/** A case that takes longer than this is a hang (real objects build in ~1–100 ms). */
export const CASE_LIMIT_MS = 3000;

export interface Target {
	name: string;
	buf: Buffer;
	/** [offset, size] of .eh_frame, .eh_frame_hdr and .debug_frame in the file. */
	areas: [number, number][];
}

export function target(path: string): Target {
	const buf = readFileSync(path);
	const elf = ElfFile.fromBuffer(buf, path);
	const areas: [number, number][] = [];
	for (const n of [".eh_frame", ".eh_frame_hdr", ".debug_frame"]) {
		const s = elf.section(n);
		if (s && s.size > 0) areas.push([s.offset, s.size]);
	}
	return { name: path, buf, areas };
}

export function wellFormed(t: UnwindTable): void {
	for (let i = 1; i < t.rowCount; i++) assert.ok(t.addrs[i] > t.addrs[i - 1], "rows ascend");
	for (let i = 0; i < t.rowCount; i++) assert.ok(t.ruleIds[i] < t.rules.length, "rule ids exist");
	for (let p = 0; p < t.pageCount; p++) assert.ok(t.pages[p] <= t.pages[p + 1], "pages ascend");
	if (t.rowCount) assert.equal(t.pageCount, Math.floor(t.addrs[t.rowCount - 1] / 2 ** PAGE_SHIFT) + 1);
}

/** Builds a table from a (damaged) object: a well-formed table, or ElfError; returns the table or undefined. */
export function build(buf: Buffer, name: string): UnwindTable | undefined {
	const t0 = performance.now();
	let table: UnwindTable | undefined;
	try {
		table = buildTable(ElfFile.fromBuffer(buf, name));
		wellFormed(table);
		for (let i = 0; i < 50; i++) table.lookup(table.base + Math.floor(Math.random() * (table.pageCount << PAGE_SHIFT)));
	} catch (e) {
		if (!(e instanceof ElfError)) throw e;
	}
	const ms = performance.now() - t0;
	assert.ok(ms < CASE_LIMIT_MS, `${name}: took ${ms.toFixed(0)} ms`);
	return table;
}

/** A mutation inside one of the areas: [area, position (0..1), bytes]. */
export const mutation = (t: Target) =>
	fc.record({
		area: fc.integer({ min: 0, max: t.areas.length - 1 }),
		at: fc.double({ min: 0, max: 1, noNaN: true }),
		bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
	});

/** A copy of the target with the mutations written over its areas. */
export function damaged(t: Target, muts: { area: number; at: number; bytes: Uint8Array }[]): Buffer {
	const buf = Buffer.from(t.buf);
	for (const m of muts) {
		const [off, size] = t.areas[m.area];
		Buffer.from(m.bytes).copy(buf, off + Math.floor(m.at * Math.max(0, size - m.bytes.length)));
	}
	return buf;
}
