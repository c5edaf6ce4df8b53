// Probe sites are named after the function that contains them; a site no
// symbol contains (a stripped program's static function) is named by the
// object and its address there, never after the nearest preceding symbol.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { ModuleSymbols } from "../../../kernel/elf/module-symbols.ts";
import { siteLabel } from "../../../kernel/elf/site-label.ts";
import { buildFixtures } from "../../fixtures/fixtures.ts";
import { PREFORK, PREFORK_STRIPPED } from "../../helpers/prefork.ts";

describe("probe site names", () => {
	before(() => buildFixtures());
	it("names a site by the function containing it", () => {
		const elf = ElfFile.open(PREFORK);
		const site = elf.usdtProbes().find((p) => p.name === "query__start");
		assert.ok(site);
		assert.equal(siteLabel(new ModuleSymbols(elf, PREFORK), PREFORK, site.pc), "handle_query");
	});
	it("names a site no symbol contains by the object and its address (a stripped program)", () => {
		const elf = ElfFile.open(PREFORK_STRIPPED);
		const site = elf.usdtProbes().find((p) => p.name === "query__start");
		assert.ok(site);
		assert.equal(site.function, undefined, "the stripped program has no symbol for it");
		assert.equal(
			siteLabel(new ModuleSymbols(elf, PREFORK_STRIPPED), PREFORK_STRIPPED, site.pc),
			`prefork-stripped+0x${site.pc.toString(16)}`,
		);
	});
});
