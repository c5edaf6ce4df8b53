// Compact unwind tables against binutils' interpreted frame table (readelf
// -wF): at every address where readelf's table changes, the compact rule must
// say the same about the CFA, the return address and rbp. Plus the sizes the
// report quotes, the page index, the cache and objects without section headers.
import assert from "node:assert/strict";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { fileIdentity, mappingBias, TableCache } from "../../../kernel/unwind/cache.ts";
import { Base, CfaKind, RegKind, type UnwindRule } from "../../../kernel/unwind/cfa.ts";
import { buildTable, type UnwindTable } from "../../../kernel/unwind/table.ts";
import { BIN_DIR, buildFixtures, DEEPSTACK, DEEPTHROW } from "../../fixtures/fixtures.ts";
import { readelfFrames } from "./readelf-frames.ts";

const PYTHON = "/usr/bin/python3.11";
const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const LIBSTDCXX = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
const NODE = "/usr/bin/node";
const DEBUGFRAME = join(BIN_DIR, "deepstack-debugframe");

function describeCfa(r: UnwindRule): string {
	if (r.cfa === CfaKind.REG) return `${r.cfaBase === Base.SP ? "rsp" : "rbp"}+${r.cfaOffset}`;
	if (r.cfa === CfaKind.DEREF || r.cfa === CfaKind.PLT) return "exp";
	return r.cfa === CfaKind.UNKNOWN ? "unknown" : "unsupported";
}

/** Does our rule for a register agree with readelf's cell ("c-16", "u", "s", "exp", "r3 (rbx)", "v+8")? */
function agrees(kind: number, base: number, offset: number, cell: string, isRa: boolean): boolean {
	const c = /^c([+-]\d+)$/.exec(cell);
	if (c) return kind === RegKind.AT && base === Base.CFA && offset === Number(c[1]);
	const v = /^v([+-]\d+)$/.exec(cell);
	if (v) return kind === RegKind.VALUE && base === Base.CFA && offset === Number(v[1]);
	if (cell === "u") return isRa ? kind === RegKind.UNDEFINED : kind === RegKind.SAME || kind === RegKind.UNDEFINED;
	if (cell === "s") return kind === RegKind.SAME;
	if (cell === "exp" || cell === "vexp") return kind === RegKind.AT || kind === RegKind.VALUE || kind === RegKind.LOST;
	if (/^r\d+/.test(cell)) return kind === RegKind.LOST;
	return false;
}

interface Verdict {
	rows: number;
	mismatches: string[];
	/** readelf rows whose CFA is on a register other than rsp/rbp (UNSUPPORTED, by design). */
	otherRegister: number;
	unsupportedExpressions: number;
}

function compare(path: string, table: UnwindTable): Verdict {
	const { rows, fdes } = readelfFrames(path);
	const v: Verdict = { rows: rows.length, mismatches: [], otherRegister: 0, unsupportedExpressions: 0 };
	const bad = (what: string) => {
		if (v.mismatches.length < 20) v.mismatches.push(what);
	};
	for (const r of rows) {
		const rule = table.lookup(r.address);
		const ours = describeCfa(rule);
		const at = `${path} ${r.section} 0x${r.address.toString(16)}`;
		if (/^r(sp|bp)\+/.test(r.cfa) || r.cfa === "exp") {
			if (r.cfa === "exp" && ours === "unsupported") {
				v.unsupportedExpressions++;
				continue;
			}
			if (ours !== r.cfa) bad(`${at}: CFA ${ours}, readelf ${r.cfa}`);
		} else {
			v.otherRegister++;
			if (ours !== "unsupported") bad(`${at}: CFA ${ours}, readelf ${r.cfa} (a register the walk does not track)`);
			continue;
		}
		if (!agrees(rule.ra, rule.raBase, rule.raOffset, r.regs.ra ?? "u", true))
			bad(`${at}: return address ${JSON.stringify([rule.ra, rule.raBase, rule.raOffset])}, readelf ${r.regs.ra}`);
		if (!agrees(rule.fp, rule.fpBase, rule.fpOffset, r.regs.rbp ?? "u", false))
			bad(`${at}: rbp ${JSON.stringify([rule.fp, rule.fpBase, rule.fpOffset])}, readelf ${r.regs.rbp}`);
	}
	// Just past each FDE, unless another covers it: nothing.
	const ranges = fdes.filter((f) => f.end > f.start).sort((a, b) => a.start - b.start);
	const covered = (a: number) => {
		// Binary search for the last range starting at or before a.
		let lo = 0;
		let hi = ranges.length;
		while (lo < hi) {
			const mid = (lo + hi) >>> 1;
			if (ranges[mid].start <= a) lo = mid + 1;
			else hi = mid;
		}
		return lo > 0 && a < ranges[lo - 1].end;
	};
	for (const f of ranges) {
		if (!covered(f.end) && table.lookup(f.end).cfa !== CfaKind.UNKNOWN)
			bad(`${path}: 0x${f.end.toString(16)} is past its FDE`);
		if (table.lookup(f.start).cfa === CfaKind.UNKNOWN) bad(`${path}: 0x${f.start.toString(16)} starts an FDE`);
	}
	return v;
}

before(() => buildFixtures());

describe("the same rules as readelf -wF", () => {
	for (const path of [PYTHON, LIBC, LIBSTDCXX, DEEPSTACK, DEEPTHROW, DEBUGFRAME, NODE]) {
		test(path, (t) => {
			const table = buildTable(ElfFile.open(path, { lazy: true }));
			assert.deepEqual(
				table.errors.map((e) => e.message),
				[],
			);
			const v = compare(path, table);
			assert.deepEqual(v.mismatches, []);
			assert.ok(v.rows > 20);
			if (path !== NODE) assert.equal(v.unsupportedExpressions, 0, "every CFA expression recognised");
			t.diagnostic(
				`${v.rows} readelf rows; ${v.otherRegister} with the CFA on another register, ${v.unsupportedExpressions} unrecognised expressions`,
			);
		});
	}

	test(".debug_frame fills what .eh_frame does not cover", () => {
		const table = buildTable(ElfFile.open(DEBUGFRAME));
		assert.ok(table.stats.fdes.debug_frame >= 20);
		assert.ok(table.stats.fdes.eh_frame >= 1, "crt's own functions keep .eh_frame");
		const f10 = ElfFile.open(DEBUGFRAME).symbols().byName("f10");
		assert.ok(f10);
		assert.equal(table.lookup(f10.address + 1).cfa, CfaKind.REG);
	});
});

describe("tables", () => {
	test("sizes of Debian's python3.11, libc.so.6, libstdc++.so.6 and node", (t) => {
		for (const path of [PYTHON, LIBC, LIBSTDCXX, NODE]) {
			const table = buildTable(ElfFile.open(path, { lazy: true }));
			const s = table.stats;
			const maxPage = Math.max(
				...Array.from({ length: table.pageCount }, (_, p) => table.pages[p + 1] - table.pages[p] + 1),
			);
			t.diagnostic(
				`${path}: ${s.fdes.eh_frame} FDEs → ${table.rowCount} rows, ${table.rules.length} distinct rules, ` +
					`${table.pageCount} pages (≤ ${maxPage} rows each) = ${(table.bytes / 1024).toFixed(0)} KiB; built in ${s.buildMs.toFixed(0)} ms`,
			);
			assert.ok(table.rowCount > s.fdes.eh_frame, "more rows than FDEs");
			assert.ok(maxPage <= 4096, "a page's rows fit the kernel's 12-step search");
			assert.ok(table.rules.length < 1000);
		}
	});

	test("the page index finds the same row as a search of the whole table", () => {
		const table = buildTable(ElfFile.open(LIBC));
		const naive = (rel: number) => {
			let lo = 0;
			let hi = table.addrs.length;
			while (lo < hi) {
				const mid = (lo + hi) >>> 1;
				if (table.addrs[mid] <= rel) lo = mid + 1;
				else hi = mid;
			}
			return lo - 1;
		};
		const last = table.base + table.addrs[table.addrs.length - 1];
		for (let i = 0; i < 20_000; i++) {
			const a = table.base + Math.floor(Math.random() * (last - table.base + 0x2000));
			const want = a > last ? table.addrs.length - 1 : naive(a - table.base);
			assert.equal(table.rowAt(a), a - table.base >= table.pageCount * 4096 ? -1 : want, `0x${a.toString(16)}`);
		}
		assert.equal(table.rowAt(table.base - 1), -1);
	});

	test("rows are sorted, merged where neighbours agree, and end with an UNKNOWN row", () => {
		const table = buildTable(ElfFile.open(PYTHON));
		for (let i = 1; i < table.rowCount; i++) {
			assert.ok(table.addrs[i] > table.addrs[i - 1]);
			assert.notEqual(table.ruleIds[i], table.ruleIds[i - 1]);
		}
		assert.equal(table.rules[table.ruleIds[table.rowCount - 1]].cfa, CfaKind.UNKNOWN);
	});

	test("without section headers, .eh_frame is found through PT_GNU_EH_FRAME and .eh_frame_hdr", () => {
		const buf = Buffer.from(readFileSync(DEEPSTACK));
		const whole = buildTable(ElfFile.fromBuffer(buf, DEEPSTACK));
		buf.writeBigUInt64LE(0n, 40); // e_shoff
		buf.writeUInt16LE(0, 60); // e_shnum
		buf.writeUInt16LE(0, 62); // e_shstrndx
		const stripped = buildTable(ElfFile.fromBuffer(buf, "deepstack without section headers"));
		assert.deepEqual(stripped.errors, []);
		assert.deepEqual([...stripped.addrs], [...whole.addrs]);
		assert.equal(stripped.base, whole.base);
	});
});

describe("the table cache", () => {
	let dir: string;
	before(() => {
		dir = mkdtempSync(join(tmpdir(), "dtop-unwind-cache-"));
	});
	after(() => rmSync(dir, { recursive: true, force: true }));

	test("one build per file identity; a copy (another inode) is built again; a bad file gives a reason", () => {
		const cache = new TableCache();
		const a = cache.get(DEEPSTACK);
		assert.equal(cache.get(DEEPSTACK), a);
		assert.equal(cache.builds, 1);
		const copy = join(dir, "deepstack");
		copyFileSync(DEEPSTACK, copy);
		assert.notEqual(fileIdentity(copy), fileIdentity(DEEPSTACK));
		assert.notEqual(cache.get(copy), a);
		assert.equal(cache.builds, 2);
		const text = join(dir, "not-elf");
		copyFileSync(join(BIN_DIR, "..", "Makefile"), text);
		const bad = cache.get(text);
		assert.equal(bad.table, undefined);
		assert.match(bad.error ?? "", /not an ELF file/);
		assert.match(cache.get(join(dir, "missing")).error ?? "", /cannot be opened/);
	});

	test("mapping bias: runtime address minus bias is the ELF address", () => {
		const segs = ElfFile.open(LIBC)
			.programHeaders.filter((p) => p.type === 1)
			.map((p) => ({ offset: p.offset, vaddr: p.vaddr, filesz: p.filesz, executable: (p.flags & 1) !== 0 }));
		const text = segs.find((s) => s.executable);
		assert.ok(text);
		const start = 0x7f0000000000 + text.offset;
		const bias = mappingBias(segs, start, text.offset);
		assert.equal(start - (bias ?? Number.NaN), text.vaddr);
		assert.equal(mappingBias(segs, start, 1 << 30), undefined);
	});
});
