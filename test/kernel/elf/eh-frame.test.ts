// The .eh_frame / .debug_frame / .eh_frame_hdr parser: on Debian's objects
// against readelf (an independent reader), and on hand-built records for the
// encodings and the broken inputs no real object has.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { before, describe, test } from "node:test";
import {
	FrameError,
	PE,
	parseEhFrameHdr,
	parseFrameSection,
	Reader,
	readPointer,
} from "../../../kernel/elf/eh-frame.ts";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { buildFixtures, DEEPSTACK, DEEPTHROW } from "../../fixtures/fixtures.ts";
import { EhFrameBuilder, op, u32, u64, uleb } from "../unwind/cfi.ts";

const PYTHON = "/usr/bin/python3.11";
const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const LIBSTDCXX = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

/** FDE ranges readelf lists for one section, as "start-end" (non-empty ones). */
function readelfFdes(path: string, section: string): Set<string> {
	const out = spawnSync("readelf", ["--debug-dump=frames", path], { encoding: "utf8", maxBuffer: 1 << 30 }).stdout;
	const set = new Set<string>();
	let current = "";
	for (const line of out.split("\n")) {
		const s = /^Contents of the (\S+) section/.exec(line);
		if (s) current = s[1];
		const m = / FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
		if (m && current === section && m[1] !== m[2]) set.add(`${Number.parseInt(m[1], 16)}-${Number.parseInt(m[2], 16)}`);
	}
	return set;
}

function ehFrame(path: string) {
	const elf = ElfFile.open(path);
	const sec = elf.section(".eh_frame");
	assert.ok(sec);
	return {
		elf,
		parsed: parseFrameSection(elf.sectionData(sec), {
			kind: "eh_frame",
			address: sec.addr,
			textAddress: elf.section(".text")?.addr,
			dataAddress: elf.section(".got")?.addr,
		}),
	};
}

before(() => buildFixtures());

describe(".eh_frame of real objects", () => {
	for (const path of [PYTHON, LIBC, LIBSTDCXX, DEEPSTACK, DEEPTHROW]) {
		test(`${path}: every FDE readelf lists, no errors`, () => {
			const { parsed } = ehFrame(path);
			assert.deepEqual(parsed.errors, []);
			const ours = new Set(parsed.fdes.map((f) => `${f.start}-${f.end}`));
			assert.deepEqual(ours, readelfFdes(path, ".eh_frame"));
		});
	}

	test(".eh_frame_hdr's search table names exactly the FDEs (python3.11, libc)", () => {
		for (const path of [PYTHON, LIBC]) {
			const { elf, parsed } = ehFrame(path);
			const hdrSec = elf.section(".eh_frame_hdr");
			assert.ok(hdrSec);
			const hdr = parseEhFrameHdr(elf.sectionData(hdrSec), hdrSec.addr);
			assert.equal(hdr.ehFrameAddress, elf.section(".eh_frame")?.addr);
			const starts = hdr.table.map((e) => e.start);
			assert.deepEqual(
				starts,
				[...starts].sort((a, b) => a - b),
				"sorted",
			);
			assert.deepEqual(new Set(starts), new Set(parsed.fdes.map((f) => f.start)), path);
		}
	});

	test("augmentations: zR everywhere, zPLR for C++ personality routines, zRS for libc's signal trampoline", () => {
		const augs = (path: string) => new Set(ehFrame(path).parsed.fdes.map((f) => f.cie.augmentation));
		assert.ok(augs(LIBSTDCXX).has("zPLR"));
		assert.ok(augs(LIBSTDCXX).has("zR"));
		const libc = ehFrame(LIBC).parsed.fdes;
		const signal = libc.filter((f) => f.cie.signalFrame);
		assert.ok(signal.length >= 1);
		assert.equal(signal[0].cie.augmentation, "zRS");
		const restorer = ElfFile.open(LIBC)
			.symbols()
			.symbols.find((s) => s.name === "__restore_rt");
		if (restorer) assert.ok(signal.some((f) => f.start <= restorer.address && restorer.address < f.end));
	});

	test(".debug_frame: every FDE readelf lists", () => {
		const path = DEEPSTACK.replace(/deepstack$/, "deepstack-debugframe");
		const elf = ElfFile.open(path);
		const sec = elf.section(".debug_frame");
		assert.ok(sec);
		const parsed = parseFrameSection(elf.sectionData(sec), { kind: "debug_frame", address: 0 });
		assert.deepEqual(parsed.errors, []);
		assert.ok(parsed.fdes.length >= 20);
		assert.deepEqual(new Set(parsed.fdes.map((f) => `${f.start}-${f.end}`)), readelfFdes(path, ".debug_frame"));
	});
});

describe("pointer encodings", () => {
	const bases = { address: 0x1000, textAddress: 0x2000, dataAddress: 0x3000, addressSize: 8 };
	const read = (bytes: number[], enc: number, pos = 0) =>
		readPointer(new Reader(Buffer.from(bytes), pos, bytes.length, true), enc, bases);

	test("formats", () => {
		assert.equal(read(u64(0x123456789), PE.absptr), 0x123456789);
		assert.equal(read(uleb(300), PE.uleb128), 300);
		assert.equal(read([0x34, 0x12], PE.udata2), 0x1234);
		assert.equal(read(u32(0xdeadbeef), PE.udata4), 0xdeadbeef);
		assert.equal(read(u64(7), PE.udata8), 7);
		assert.equal(read([0x7f], PE.sleb128), -1);
		assert.equal(read([0xfe, 0xff], PE.sdata2), -2);
		assert.equal(read(u32(-3), PE.sdata4), -3);
		assert.equal(read(u64(-4n), PE.sdata8), -4);
		assert.equal(read([], PE.omit), undefined);
	});

	test("applications: pc-, text-, data-relative", () => {
		assert.equal(read([0, 0, ...u32(0x10)], PE.pcrel | PE.sdata4, 2), 0x1000 + 2 + 0x10);
		assert.equal(read(u32(0x10), PE.textrel | PE.udata4), 0x2010);
		assert.equal(read(u32(0x10), PE.datarel | PE.udata4), 0x3010);
	});

	test("what cannot be resolved without the process is a problem, not a guess", () => {
		assert.throws(() => read(u32(1), PE.funcrel | PE.udata4), /function-relative/);
		assert.throws(() => read(u32(1), PE.indirect | PE.udata4), /indirect/);
		assert.throws(() => read(u32(1), 0x07), /unknown pointer format/);
		assert.throws(() => read([1, 2], PE.udata4), /truncated/);
	});
});

describe("hand-built sections", () => {
	test("a 64-bit DWARF length, and the record after it", () => {
		const b = new EhFrameBuilder();
		const cie = b.cie();
		// FDE with a 64-bit length: 0xffffffff, u64 length, then the (32-bit) CIE pointer field…
		// …which in 64-bit DWARF is 8 bytes.
		const at = b.raw([]);
		const body = [...u64(at + 12 - cie), ...u32(0x401000 - (b.address + at + 20)), ...u32(0x10), ...uleb(0)];
		b.raw([...u32(0xffffffff), ...u64(body.length), ...body]);
		b.fde(cie, 0x402000, 0x10, op.defCfaOffset(16));
		const s = parseFrameSection(b.build(), { kind: "eh_frame", address: b.address });
		assert.deepEqual(s.errors, []);
		assert.deepEqual(
			s.fdes.map((f) => [f.start, f.end]),
			[
				[0x401000, 0x401010],
				[0x402000, 0x402010],
			],
		);
	});

	test(".debug_frame: CIE id all ones, version 4 with an address size, an FDE before its CIE, padding", () => {
		const pad8 = (body: number[]) => {
			while ((body.length + 4) % 8) body.push(0);
			return [...u32(body.length), ...body];
		};
		const instr = [...op.advance(1), ...op.defCfaOffset(16)];
		const fdeLength = pad8([...u32(0), ...u64(0), ...u64(0), ...instr]).length;
		const cieAt = fdeLength + 4; // after the FDE and 4 bytes of zero padding
		const fde = pad8([...u32(cieAt), ...u64(0x401000), ...u64(0x20), ...instr]);
		const cie = pad8([...u32(0xffffffff), 4, 0, 8, 0, ...uleb(1), 0x78, ...uleb(16), ...op.defCfa(7, 8)]);
		const data = Buffer.from([...fde, 0, 0, 0, 0, ...cie]);
		const s = parseFrameSection(data, { kind: "debug_frame", address: 0 });
		assert.deepEqual(s.errors, []);
		assert.equal(s.fdes.length, 1);
		assert.equal(s.fdes[0].cie.version, 4);
		assert.equal(s.fdes[0].cie.offset, cieAt);
		assert.deepEqual([s.fdes[0].start, s.fdes[0].end], [0x401000, 0x401020]);
	});

	test("broken records become errors with their offsets; the records after them are still read", () => {
		const b = new EhFrameBuilder();
		const cie = b.cie();
		const bad1 = b.raw([...u32(12), ...u32(0x7fffffff), ...u32(0), ...u32(0)]); // CIE pointer outside
		const badCie = b.cie({ version: 9 });
		const orphan = b.fde(badCie, 0x403000, 0x10, []);
		const badAug = b.cie({ augmentation: "xyz" });
		b.fde(cie, 0x404000, 0x10, op.defCfaOffset(16));
		const s = parseFrameSection(b.build(), { kind: "eh_frame", address: b.address });
		assert.deepEqual(
			s.fdes.map((f) => f.start),
			[0x404000],
		);
		const offs = s.errors.map((e) => e.offset);
		assert.ok(
			offs.includes(bad1) && offs.includes(badCie) && offs.includes(orphan) && offs.includes(badAug),
			String(offs),
		);
		assert.ok(s.errors.every((e) => e instanceof FrameError));
		assert.match(s.errors.find((e) => e.offset === badCie)?.message ?? "", /CIE version 9/);
	});

	test("a record longer than the section ends the walk with one error", () => {
		const b = new EhFrameBuilder();
		const cie = b.cie();
		b.fde(cie, 0x401000, 0x10, []);
		b.raw([...u32(0x1000), 1, 2, 3]);
		const s = parseFrameSection(b.build(false), { kind: "eh_frame", address: b.address });
		assert.equal(s.fdes.length, 1);
		assert.equal(s.errors.length, 1);
		assert.match(s.errors[0].message, /runs past the section/);
	});

	test(".eh_frame_hdr: bad version and a table larger than its bytes", () => {
		assert.throws(() => parseEhFrameHdr(Buffer.from([2, 0x1b, 0x03, 0x3b, 0, 0, 0, 0]), 0), FrameError);
		const lying = Buffer.from([1, 0x1b, 0x03, 0x3b, ...u32(0), ...u32(1000), 0, 0]);
		assert.throws(() => parseEhFrameHdr(lying, 0), /claims 1000 table entries/);
	});
});
