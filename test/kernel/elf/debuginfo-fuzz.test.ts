// Property tests: corrupt debug files and corrupt MiniDebugInfo. Looking a
// name up either names the function or does not (and says why in `refused`);
// it never throws, hangs or grows without bound.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { buildIdPath } from "../../../kernel/elf/debuginfo.ts";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { ModuleSymbols } from "../../../kernel/elf/module-symbols.ts";
import { XzError, xzDecompress } from "../../../kernel/elf/xz.ts";
import { buildFixtures, STATICS } from "../../fixtures/fixtures.ts";
import { functionAddress, stripWithDebugLink, stripWithMiniDebugInfo } from "../../helpers/debug-files.ts";

const CASE_LIMIT_MS = 2000;
let tmp: string;
let inner: number;
let binary: string;
let debug: Buffer;
let debugAt: string;
let mini: string;
let miniBuf: Buffer;
let xzRange: [number, number];

before(() => {
	buildFixtures();
	tmp = mkdtempSync(join(tmpdir(), "dtop-debugfuzz-"));
	inner = functionAddress(STATICS, "_ZL12inner_statici");
	const s = stripWithDebugLink(STATICS, join(tmp, "link"));
	binary = s.binary;
	debug = readFileSync(s.debug);
	rmSync(s.debug);
	// At the build-id path only the build-id is checked (no CRC), so the
	// corrupt bytes reach the ELF reader.
	const id = ElfFile.open(binary).buildId() ?? "";
	debugAt = buildIdPath(join(tmp, "dbg"), id);
	mkdirSync(join(tmp, "dbg", ".build-id", id.slice(0, 2)), { recursive: true });
	mini = stripWithMiniDebugInfo(STATICS, join(tmp, "mini"));
	miniBuf = readFileSync(mini);
	const sec = ElfFile.open(mini).section(".gnu_debugdata");
	assert.ok(sec);
	xzRange = [sec.offset, sec.size];
});
after(() => rmSync(tmp, { recursive: true, force: true }));

function lookupTimed(path: string, dirs: string[]): void {
	const t = Date.now();
	const m = new ModuleSymbols(ElfFile.open(path, { lazy: true }), path, { debugDirs: dirs });
	const hit = m.lookup(inner + 4);
	// A corrupt table may still name it, or name nothing; a wrong name would need
	// an address that moved, which a single flipped byte of the symbol table can do.
	assert.ok(hit === undefined || typeof hit.name === "string");
	for (const r of m.source.refused) assert.equal(typeof r.reason, "string");
	assert.ok(Date.now() - t < CASE_LIMIT_MS, `took ${Date.now() - t} ms`);
}

const mutation = fc.record({
	flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 }),
	cut: fc.option(fc.nat(), { freq: 4 }),
});

function mutate(buf: Buffer, m: { flips: [number, number][]; cut: number | null }, range?: [number, number]): Buffer {
	const out = Buffer.from(buf);
	const [from, len] = range ?? [0, buf.length];
	for (const [at, x] of m.flips) out[from + (at % len)] ^= x;
	return m.cut === null ? out : out.subarray(0, from + (m.cut % len));
}

test("a corrupt debug file at the build-id path: never a throw or a hang", () => {
	fc.assert(
		fc.property(mutation, (m) => {
			writeFileSync(debugAt, mutate(debug, m));
			lookupTimed(binary, [join(tmp, "dbg")]);
		}),
		{ numRuns: 150, seed: 1313 },
	);
});

test("corrupt MiniDebugInfo: never a throw or a hang", () => {
	const path = join(tmp, "mini", "fuzzed");
	fc.assert(
		fc.property(mutation, (m) => {
			const buf = mutate(miniBuf, { flips: m.flips, cut: null }, xzRange);
			writeFileSync(path, buf);
			lookupTimed(path, [join(tmp, "none")]);
		}),
		{ numRuns: 150, seed: 1314 },
	);
});

test("the xz decoder on mutated and truncated streams: XzError or data, within bounds", () => {
	const xz = execFileSync("xz", ["-c"], { input: readFileSync(STATICS) });
	fc.assert(
		fc.property(mutation, (m) => {
			const t = Date.now();
			try {
				const out = xzDecompress(mutate(xz, m), { maxOutput: 8 << 20 });
				assert.ok(out.length <= 8 << 20);
			} catch (err) {
				assert.ok(err instanceof XzError, String(err));
			}
			assert.ok(Date.now() - t < CASE_LIMIT_MS);
		}),
		{ numRuns: 300, seed: 1315 },
	);
});

test("xz bombs and dictionaries past the decoder's limit are refused", () => {
	const zeros = execFileSync("xz", ["-c"], { input: Buffer.alloc(64 << 20) });
	assert.throws(() => xzDecompress(zeros, { maxOutput: 16 << 20 }), /decompresses to more than 16 MiB/);
	const huge = execFileSync("xz", ["--lzma2=dict=1536MiB", "-c"], { input: Buffer.from("x") });
	assert.throws(() => xzDecompress(huge), /dictionary is larger than allowed/);
	assert.throws(() => xzDecompress(Buffer.from("not xz at all")), /not xz data/);
});
