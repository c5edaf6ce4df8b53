// Property tests: truncated and mutated copies of real ELF files. Every call
// either returns or throws ElfError — never a RangeError, TypeError or hang.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { ElfError, ElfFile } from "../../../kernel/elf/index.ts";
import { buildFixtures, LIBSIMPLE, SIMPLE, THROWER } from "../../fixtures/fixtures.ts";

const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
/** A case that takes longer than this is treated as a hang (bounded loops keep real cases ~1 ms). */
const CASE_LIMIT_MS = 2000;

interface Corpus {
	name: string;
	buf: Buffer;
	/** Byte ranges of header fields worth corrupting: [offset, width]. */
	fields: [number, 1 | 2 | 4 | 8][];
	/** Ranges of note and symbol data. */
	areas: [number, number][];
}

function corpus(path: string): Corpus {
	const buf = readFileSync(path);
	const elf = ElfFile.fromBuffer(buf, path);
	const fields: [number, 1 | 2 | 4 | 8][] = [
		[4, 1],
		[5, 1],
		[16, 2],
		[18, 2],
		[32, 8],
		[40, 8],
		[54, 2],
		[56, 2],
		[58, 2],
		[60, 2],
		[62, 2],
	];
	const shoff = Number(buf.readBigUInt64LE(40));
	for (const s of elf.sections) {
		const o = shoff + s.index * 64;
		for (const [d, w] of [
			[0, 4],
			[4, 4],
			[24, 8],
			[32, 8],
			[40, 4],
			[48, 8],
			[56, 8],
		] as const)
			fields.push([o + d, w]);
	}
	const phoff = Number(buf.readBigUInt64LE(32));
	for (const p of elf.programHeaders) {
		const o = phoff + p.index * 56;
		for (const [d, w] of [
			[0, 4],
			[4, 4],
			[8, 8],
			[16, 8],
			[32, 8],
			[48, 8],
		] as const)
			fields.push([o + d, w]);
	}
	const areas: [number, number][] = [];
	for (const s of elf.sections) {
		if (
			[
				".note.stapsdt",
				".note.gnu.build-id",
				".symtab",
				".dynsym",
				".strtab",
				".dynstr",
				".dynamic",
				".gnu_debuglink",
			].includes(s.name)
		) {
			areas.push([s.offset, s.size]);
		}
	}
	return { name: path, buf, fields, areas };
}

/** Runs every public reader on `elf`; each call must return or throw ElfError. */
function exercise(make: () => ElfFile): void {
	const allowed = (f: () => unknown) => {
		try {
			f();
		} catch (e) {
			if (!(e instanceof ElfError)) throw e;
			assert.ok(e.message.startsWith(`${e.file}: `) && e.problem.length > 0);
		}
	};
	let elf: ElfFile | undefined;
	allowed(() => {
		elf = make();
	});
	if (!elf) return;
	const e = elf;
	allowed(() => e.isPie);
	allowed(() => e.soname());
	allowed(() => e.buildId());
	allowed(() => e.debugLink());
	allowed(() => e.usdtProbes());
	allowed(() => e.usdtProbes({ functions: false }));
	allowed(() => e.enclosingFunctions([0x1000, 0x1337]));
	allowed(() => {
		const t = e.symbols();
		for (const s of t.symbols.slice(0, 50)) t.symbolize(s.address + 1);
		t.byName("main");
	});
	for (const s of e.sections) {
		allowed(() => e.sectionData(s));
		if (s.type === 7) allowed(() => e.sectionNotes(s));
	}
	for (const p of e.programHeaders) {
		if (p.type === 4) allowed(() => e.segmentNotes(p));
		allowed(() => e.addressToOffset(p.vaddr));
		allowed(() => e.offsetToAddress(p.offset));
	}
}

function timed(name: string, make: () => ElfFile): void {
	const t0 = performance.now();
	exercise(make);
	const ms = performance.now() - t0;
	assert.ok(ms < CASE_LIMIT_MS, `${name}: one case took ${ms.toFixed(0)} ms`);
}

const interesting = fc.oneof(
	fc.constant(0n),
	fc.constant(1n),
	fc.constant(0xffn),
	fc.constant(0xffffn),
	fc.constant(0xffffffffn),
	fc.constant(0xffffffffffffffffn),
	fc.constant(0x7fffffffffffffffn),
	fc.bigInt({ min: 0n, max: 0xffffffffffffffffn }),
	fc.bigInt({ min: 0n, max: 0x100000n }),
);

function writeField(buf: Buffer, at: number, width: number, value: bigint): void {
	if (at + width > buf.length) return;
	const v = BigInt.asUintN(width * 8, value);
	if (width === 1) buf.writeUInt8(Number(v), at);
	else if (width === 2) buf.writeUInt16LE(Number(v), at);
	else if (width === 4) buf.writeUInt32LE(Number(v), at);
	else buf.writeBigUInt64LE(v, at);
}

describe("the ELF reader survives corrupt files", () => {
	let corpora: Corpus[];
	let dir: string;
	before(() => {
		buildFixtures();
		corpora = [SIMPLE, LIBSIMPLE, THROWER].map(corpus);
		dir = mkdtempSync(join(tmpdir(), "dtop-elf-fuzz-"));
	});
	after(() => rmSync(dir, { recursive: true, force: true }));

	test("the originals read cleanly", () => {
		for (const c of corpora) {
			const elf = ElfFile.fromBuffer(c.buf, c.name);
			elf.usdtProbes();
			elf.symbols();
			assert.ok(elf.buildId());
		}
	});

	test("truncated at every kind of length", () => {
		fc.assert(
			fc.property(fc.nat({ max: 2 }), fc.double({ min: 0, max: 1, noNaN: true }), (ci, frac) => {
				const c = corpora[ci];
				const cut = c.buf.subarray(0, Math.floor(c.buf.length * frac));
				timed(`${c.name} cut at ${cut.length}`, () => ElfFile.fromBuffer(cut, c.name));
			}),
			{ numRuns: 600 },
		);
		// Every length of the first 300 bytes (header, start of program headers).
		for (let n = 0; n <= 300; n++) timed(`cut at ${n}`, () => ElfFile.fromBuffer(corpora[0].buf.subarray(0, n), "cut"));
	});

	test("header and table fields set to hostile values", () => {
		fc.assert(
			fc.property(
				fc.nat({ max: 2 }),
				fc.array(fc.tuple(fc.nat(), interesting), { minLength: 1, maxLength: 4 }),
				(ci, edits) => {
					const c = corpora[ci];
					const buf = Buffer.from(c.buf);
					for (const [i, v] of edits) {
						const [at, width] = c.fields[i % c.fields.length];
						writeField(buf, at, width, v);
					}
					timed(c.name, () => ElfFile.fromBuffer(buf, c.name));
				},
			),
			{ numRuns: 2500 },
		);
	});

	test("random bytes in notes, symbol and string tables", () => {
		fc.assert(
			fc.property(
				fc.nat({ max: 2 }),
				fc.array(fc.tuple(fc.nat(), fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), {
					minLength: 1,
					maxLength: 16,
				}),
				(ci, edits) => {
					const c = corpora[ci];
					const buf = Buffer.from(c.buf);
					for (const [a, frac, byte] of edits) {
						const [off, size] = c.areas[a % c.areas.length];
						buf[off + Math.floor(frac * size)] = byte;
					}
					timed(c.name, () => ElfFile.fromBuffer(buf, c.name));
				},
			),
			{ numRuns: 1500 },
		);
	});

	test("random bytes anywhere", () => {
		fc.assert(
			fc.property(
				fc.nat({ max: 2 }),
				fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), {
					minLength: 1,
					maxLength: 64,
				}),
				(ci, edits) => {
					const c = corpora[ci];
					const buf = Buffer.from(c.buf);
					for (const [frac, byte] of edits) buf[Math.floor(frac * (buf.length - 1))] = byte;
					timed(c.name, () => ElfFile.fromBuffer(buf, c.name));
				},
			),
			{ numRuns: 800 },
		);
	});

	test("lazy reading of corrupt files on disk", () => {
		const path = join(dir, "mutant");
		fc.assert(
			fc.property(
				fc.nat({ max: 2 }),
				fc.array(fc.tuple(fc.nat(), interesting), { minLength: 1, maxLength: 3 }),
				fc.double({ min: 0.3, max: 1, noNaN: true }),
				(ci, edits, keep) => {
					const c = corpora[ci];
					const buf = Buffer.from(c.buf.subarray(0, Math.floor(c.buf.length * keep)));
					for (const [i, v] of edits) {
						const [at, width] = c.fields[i % c.fields.length];
						writeField(buf, at, width, v);
					}
					writeFileSync(path, buf);
					timed(c.name, () => ElfFile.open(path, { lazy: true }));
				},
			),
			{ numRuns: 300 },
		);
	});

	test("a big real library (libc) with hostile fields", () => {
		const c = corpus(LIBC);
		fc.assert(
			fc.property(fc.array(fc.tuple(fc.nat(), interesting), { minLength: 1, maxLength: 3 }), (edits) => {
				const buf = Buffer.from(c.buf);
				for (const [i, v] of edits) {
					const [at, width] = c.fields[i % c.fields.length];
					writeField(buf, at, width, v);
				}
				timed(c.name, () => ElfFile.fromBuffer(buf, c.name));
			}),
			{ numRuns: 150 },
		);
	});
});
