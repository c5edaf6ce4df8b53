// Probe sites outside every symbol: named by the nearest preceding symbol and
// the offset, or by the address in the object, never "".
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { siteName } from "../../../source/catalog/objects.ts";
import { buildFixtures } from "../../fixtures/fixtures.ts";
import { PREFORK, PREFORK_STRIPPED } from "../../helpers/prefork.ts";

describe("siteName", () => {
	before(() => buildFixtures());
	it("names a site by the nearest symbol at or below it, with the offset", () => {
		const elf = ElfFile.open(PREFORK);
		const site = elf.usdtProbes().find((p) => p.name === "query__start");
		assert.ok(site);
		const fn = elf.symbols().byName("handle_query");
		assert.ok(fn);
		assert.equal(siteName(elf, site.pc), `handle_query+0x${(site.pc - fn.address).toString(16)}`);
	});
	it("names a site by its address when no symbol precedes it (a stripped program)", () => {
		const elf = ElfFile.open(PREFORK_STRIPPED);
		const site = elf.usdtProbes().find((p) => p.name === "query__start");
		assert.ok(site);
		assert.equal(site.function, undefined, "the stripped program has no symbol for it");
		assert.equal(siteName(elf, site.pc), `0x${site.pc.toString(16)}`);
	});
});
