// Separate debug files and MiniDebugInfo, with objects stripped by binutils the
// way distributions strip them: static functions are named from the debug data,
// and debug data that is not the object's (another build, a corrupt copy) is
// refused, never used.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildIdPath, fileCrc32, findDebugFile } from "../../../kernel/elf/debuginfo.ts";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { ModuleSymbols } from "../../../kernel/elf/module-symbols.ts";
import { buildFixtures, STATICS, STATICS_OTHER } from "../../fixtures/fixtures.ts";
import { corruptCopy, functionAddress, stripWithDebugLink, stripWithMiniDebugInfo } from "../../helpers/debug-files.ts";

let tmp: string;
let inner: number;
let outer: number;
const INNER = "_ZL12inner_statici";
const OUTER = "_ZL12outer_statici";

before(() => {
	buildFixtures();
	tmp = mkdtempSync(join(tmpdir(), "dtop-debuginfo-"));
	inner = functionAddress(STATICS, INNER);
	outer = functionAddress(STATICS, OUTER);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

const open = (p: string, dirs: string[] = [join(tmp, "no-debug-dir")]) =>
	new ModuleSymbols(ElfFile.open(p, { lazy: true }), p, { debugDirs: dirs });

describe(".gnu_debuglink", () => {
	test("the stripped object alone has no name for its static functions; .dynsym names stay", () => {
		const dir = join(tmp, "alone");
		const { binary, debug } = stripWithDebugLink(STATICS, dir);
		rmSync(debug);
		const m = open(binary);
		assert.equal(m.lookup(inner + 4), undefined);
		assert.deepEqual(m.source.refused, []);
		assert.ok(
			ElfFile.open(binary).symbols().byName("main") === undefined,
			"strip --strip-all removed main from .symtab",
		);
	});

	test("beside the object: static functions named from the debug file, CRC checked", () => {
		const { binary, debug } = stripWithDebugLink(STATICS, join(tmp, "beside"));
		const link = ElfFile.open(binary).debugLink();
		assert.equal(link?.file, "statics.debug");
		assert.equal(link?.crc, fileCrc32(debug), "objcopy's CRC32 is the one we compute");
		const m = open(binary);
		assert.deepEqual(
			{ name: m.lookup(inner + 4)?.name, offset: m.lookup(inner + 4)?.offset },
			{ name: INNER, offset: 4 },
		);
		assert.equal(m.lookup(outer)?.name, OUTER);
		assert.deepEqual(m.source, { origin: "debug-file", path: debug, refused: [] });
	});

	test("in .debug/ beside the object, and under the debug directory + the object's directory", () => {
		const a = stripWithDebugLink(STATICS, join(tmp, "dotdebug"));
		mkdirSync(join(tmp, "dotdebug", ".debug"));
		const moved = join(tmp, "dotdebug", ".debug", "statics.debug");
		copyFileSync(a.debug, moved);
		rmSync(a.debug);
		const m1 = open(a.binary);
		assert.equal(m1.lookup(inner)?.name, INNER);
		assert.equal(m1.source.path, moved);

		const b = stripWithDebugLink(STATICS, join(tmp, "global"));
		const dbgDir = join(tmp, "usr-lib-debug");
		const under = join(dbgDir, join(tmp, "global"), "statics.debug");
		mkdirSync(join(dbgDir, join(tmp, "global")), { recursive: true });
		copyFileSync(b.debug, under);
		rmSync(b.debug);
		const m = open(b.binary, [dbgDir]);
		assert.equal(m.lookup(inner)?.name, INNER);
		assert.equal(m.source.path, under);
	});

	test("a corrupt debug file is refused (CRC) and the frame stays unnamed", () => {
		const { binary, debug } = stripWithDebugLink(STATICS, join(tmp, "corrupt"));
		const good = readFileSync(debug);
		corruptCopy(debug, debug, [Math.floor(good.length / 2)]);
		const m = open(binary);
		assert.equal(m.lookup(inner + 4), undefined);
		const r = m.source.refused;
		assert.equal(r.length, 1);
		assert.equal(r[0].path, debug);
		assert.match(r[0].reason, /CRC32 is 0x[0-9a-f]{8}, the object's \.gnu_debuglink expects 0x[0-9a-f]{8}/);
	});

	test("another build's debug file under the linked name is refused", () => {
		const { binary, debug } = stripWithDebugLink(STATICS, join(tmp, "mismatch"));
		const other = stripWithDebugLink(STATICS_OTHER, join(tmp, "mismatch-other"));
		copyFileSync(other.debug, debug);
		const m = open(binary);
		assert.equal(m.lookup(inner + 4), undefined);
		assert.match(m.source.refused[0].reason, /build-id [0-9a-f]+ is not the object's|CRC32/);
	});
});

describe("build-id", () => {
	test("found under DIR/.build-id/xx/yyyy.debug; another build's file there is refused", () => {
		const { binary, debug } = stripWithDebugLink(STATICS, join(tmp, "bid"));
		const id = ElfFile.open(binary).buildId() ?? "";
		assert.match(id, /^[0-9a-f]{40}$/);
		const dir = join(tmp, "bid-debug");
		const at = buildIdPath(dir, id);
		assert.equal(at, join(dir, ".build-id", id.slice(0, 2), `${id.slice(2)}.debug`));
		mkdirSync(join(dir, ".build-id", id.slice(0, 2)), { recursive: true });
		copyFileSync(debug, at);
		rmSync(debug); // so the debuglink cannot be what finds it
		const found = findDebugFile(ElfFile.open(binary), binary, { debugDirs: [dir] });
		assert.equal(found.found?.path, at);
		assert.equal(found.found?.how, "build-id");
		assert.equal(open(binary, [dir]).lookup(inner)?.name, INNER);

		const other = stripWithDebugLink(STATICS_OTHER, join(tmp, "bid-other"));
		copyFileSync(other.debug, at);
		const m = open(binary, [dir]);
		assert.equal(m.lookup(inner), undefined);
		assert.match(m.source.refused[0].reason, /^its build-id [0-9a-f]{40} is not the object's \([0-9a-f]{40}\)/);
	});

	test("a debug file without a symbol table is refused", () => {
		const { binary, debug } = stripWithDebugLink(STATICS, join(tmp, "nosym"));
		const bare = join(tmp, "nosym", "bare.debug");
		execStrip(debug, bare);
		copyFileSync(bare, debug);
		// The CRC no longer matches either; put it at the build-id path, where only the id is checked.
		const id = ElfFile.open(binary).buildId() ?? "";
		const dir = join(tmp, "nosym-debug");
		mkdirSync(join(dir, ".build-id", id.slice(0, 2)), { recursive: true });
		copyFileSync(bare, buildIdPath(dir, id));
		const m = open(binary, [dir]);
		assert.equal(m.lookup(inner), undefined);
		assert.ok(
			m.source.refused.some((r) => r.reason === "it has no symbol table (.symtab)"),
			JSON.stringify(m.source),
		);
	});
});

describe("MiniDebugInfo (.gnu_debugdata)", () => {
	test("static functions named from the xz-compressed symbol table", () => {
		const binary = stripWithMiniDebugInfo(STATICS, join(tmp, "mini"));
		const elf = ElfFile.open(binary);
		assert.ok(elf.section(".gnu_debugdata"), "objcopy added .gnu_debugdata");
		assert.equal(elf.section(".symtab"), undefined);
		const m = open(binary);
		assert.equal(m.lookup(inner + 4)?.name, INNER);
		assert.equal(m.lookup(outer + 1)?.name, OUTER);
		assert.equal(m.source.origin, "minidebuginfo");
	});

	test("corrupt xz data is refused with the reason, and names from .dynsym remain", () => {
		const binary = stripWithMiniDebugInfo(STATICS, join(tmp, "mini-bad"));
		const sec = ElfFile.open(binary).section(".gnu_debugdata");
		assert.ok(sec);
		corruptCopy(binary, binary, [sec.offset + Math.floor(sec.size / 2)]);
		const m = open(binary);
		assert.equal(m.lookup(inner), undefined);
		assert.match(m.source.refused[0].reason, /xz data (cannot be decompressed|is truncated)/);
	});

	test("a separate debug file wins over MiniDebugInfo", () => {
		const binary = stripWithMiniDebugInfo(STATICS, join(tmp, "both"));
		const id = ElfFile.open(binary).buildId() ?? "";
		const dir = join(tmp, "both-debug");
		mkdirSync(join(dir, ".build-id", id.slice(0, 2)), { recursive: true });
		writeFileSync(buildIdPath(dir, id), readFileSync(stripWithDebugLink(STATICS, join(tmp, "both-link")).debug));
		const m = open(binary, [dir]);
		assert.equal(m.lookup(inner)?.name, INNER);
		assert.equal(m.source.origin, "debug-file");
	});
});

function execStrip(from: string, to: string): void {
	// objcopy --strip-all on a debug file keeps its sections but drops .symtab.
	execFileSync("objcopy", ["--strip-all", from, to]);
}
