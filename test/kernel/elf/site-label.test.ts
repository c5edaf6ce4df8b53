// A stripped program whose static function follows an exported one (the
// stripped-static fixture, like Debian's postgres): addresses in the static
// function are named by the object and offset, in stacks and in probe names.
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { ModuleSymbols } from "../../../kernel/elf/module-symbols.ts";
import { siteLabel } from "../../../kernel/elf/site-label.ts";
import { BIN_DIR, buildFixtures } from "../../fixtures/fixtures.ts";
import { runDtop } from "../../helpers/cli.ts";

const EXE = join(BIN_DIR, "stripped-static");

describe("a static function after an exported one, stripped of .symtab", () => {
	let elf: ElfFile;
	let site: number;
	let exported: { address: number; size: number };
	before(() => {
		buildFixtures();
		elf = ElfFile.open(EXE);
		const p = elf.usdtProbes().find((u) => u.provider === "stripped" && u.name === "hit");
		assert.ok(p, "the fixture has the stripped:hit probe");
		site = p.pc;
		const s = elf.symbols().byName("exported_fn");
		assert.ok(s, "exported_fn is in .dynsym");
		exported = s;
	});

	test("the fixture is what the test needs: no .symtab, the site past exported_fn's end", () => {
		assert.equal(elf.section(".symtab"), undefined);
		assert.ok(exported.size > 0, "exported_fn has its size in .dynsym");
		assert.ok(site >= exported.address + exported.size, `site 0x${site.toString(16)}`);
		// No symbol at all between exported_fn and the site (it is the nearest one before it).
		const before = elf.symbols().symbols.filter((s) => s.address <= site);
		assert.equal(before.at(-1)?.name, "exported_fn");
	});

	test("siteLabel: object+offset for the site, the function's name inside exported_fn", () => {
		const m = new ModuleSymbols(elf, EXE, { debug: false });
		assert.equal(siteLabel(m, EXE, site), `stripped-static+0x${site.toString(16)}`);
		assert.equal(siteLabel(m, EXE, exported.address + exported.size - 1), "exported_fn");
	});

	test("ustack() at the probe: frame 0 is stripped-static+0xOFFSET, not exported_fn+0xBIG", async () => {
		const r = await runDtop(["-q", "-n", "stripped$target:::hit { @[ustack()] = count(); }", "-c", `${EXE} 3`], {
			timeoutMs: 60_000,
		});
		assert.equal(r.code, 0, r.stderr);
		const frames = r.stdout
			.split("\n")
			.map((l) => l.trim())
			.filter((l) => l !== "" && !/^\d+$/.test(l));
		assert.equal(frames[0], `stripped-static+0x${site.toString(16)}`, r.stdout);
		assert.match(frames[1] ?? "", /^stripped-static`main\+0x[0-9a-f]+$/, r.stdout);
		assert.doesNotMatch(r.stdout, /exported_fn\+/, r.stdout);
	});
});
