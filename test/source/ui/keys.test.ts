import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { BEGIN, END, keyTableMarkdown, withKeyTable } from "../../../scripts/readme-keys.ts";
import { footerHit, footerItems, footerLine } from "../../../source/ui/footer.tsx";
import { FOOTERS, KEY_ROWS, keyLabel, rowById } from "../../../source/ui/keys.ts";
import { lineText } from "../../../source/ui/line.tsx";
import { projectRoot } from "../../../source/util/root.ts";

describe("the key table", () => {
	it("binds each key at most once per context", () => {
		const seen = new Map<string, string>();
		for (const row of KEY_ROWS) {
			for (const [keys, where] of row.bind) {
				for (const c of where) {
					for (const k of keys) {
						const at = `${k} in ${c}`;
						assert.ok(!seen.has(at), `${at} is bound by ${seen.get(at)} and ${row.id}`);
						seen.set(at, row.id);
					}
				}
			}
		}
	});

	it("shows every bound key in its row's label (or names it in its help)", () => {
		for (const row of KEY_ROWS) {
			const words = `${row.label} ${row.help}`.split(/[\s()]+/);
			for (const [keys] of row.bind) {
				for (const k of keys) {
					const label = keyLabel(k);
					// Up/Down, j/k, PgUp/PgDn, g/G are written as pairs.
					const shown = words.includes(label) || words.some((w) => w.split("/").includes(label));
					assert.ok(shown, `${row.id}: ${label} is not shown in '${row.label}'`);
				}
			}
		}
	});

	it("has footers made only of rows that have a footer, each fitting 80 columns from the start", () => {
		for (const [context, ids] of Object.entries(FOOTERS)) {
			for (const id of ids) assert.ok(rowById(id).footer, `${context}: ${id} has no footer text`);
			const line = lineText(footerLine(context as keyof typeof FOOTERS, 80));
			assert.ok(line.length <= 80);
			assert.match(line, /^\S/);
		}
		assert.match(lineText(footerLine("tree", 200)), /^\? Help q Quit Space Toggle Enter Expand Tab Pane/);
		assert.match(lineText(footerLine("table", 200)), /Space Disable k Key/);
		assert.equal(lineText(footerLine("confirm", 200)), "y Yes n No ");
	});

	it("finds the footer item under a column", () => {
		const items = footerItems("tree", 120);
		assert.equal(footerHit("tree", 120, 0)?.id, "help");
		assert.equal(footerHit("tree", 120, items[1].from)?.id, "quit");
		assert.equal(footerHit("tree", 120, items[1].to - 1)?.id, "quit");
		assert.equal(footerHit("tree", 120, 119), undefined);
	});

	it("is the README's key table (npm run readme-keys rewrites it)", () => {
		const readme = readFileSync(join(projectRoot(), "README.md"), "utf8");
		assert.ok(readme.includes(BEGIN) && readme.includes(END), "the README marks its key table");
		assert.equal(
			readme,
			withKeyTable(readme, keyTableMarkdown()),
			"README.md's key table is stale: npm run readme-keys",
		);
	});
});
