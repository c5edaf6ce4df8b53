// Rewrites the README's key table from source/ui/keys.ts (npm run readme-keys).
// test/source/ui/keys.test.ts fails when the README and the key table differ.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { KEY_ROWS } from "../source/ui/keys.ts";
import { projectRoot } from "../source/util/root.ts";

/** The README's key table (Markdown), one row per key row, sections in bold. */
export function keyTableMarkdown(): string {
	const cell = (s: string) => s.replace(/\|/g, "\\|");
	const lines = ["| key | action |", "|---|---|"];
	let section = "";
	for (const row of KEY_ROWS) {
		if (row.section !== section) {
			section = row.section;
			lines.push(`| **${cell(section)}** | |`);
		}
		const keys = row.label
			.split(/ {2,}/)
			.map((k) => `\`${cell(k)}\``)
			.join(" ");
		lines.push(`| ${keys} | ${cell(row.help)} |`);
	}
	return lines.join("\n");
}

export const BEGIN = "<!-- keys: made from source/ui/keys.ts by `npm run readme-keys`; edit there -->";
export const END = "<!-- /keys -->";

/** The README with its key table replaced by `table`. */
export function withKeyTable(readme: string, table: string): string {
	const from = readme.indexOf(BEGIN);
	const to = readme.indexOf(END);
	if (from < 0 || to < from) throw new Error(`README.md has no key table between '${BEGIN}' and '${END}'`);
	return `${readme.slice(0, from + BEGIN.length)}\n\n${table}\n\n${readme.slice(to)}`;
}

if (process.argv[1]?.endsWith("readme-keys.ts")) {
	const path = join(projectRoot(), "README.md");
	const before = readFileSync(path, "utf8");
	const after = withKeyTable(before, keyTableMarkdown());
	if (after !== before) writeFileSync(path, after);
	process.stdout.write(after !== before ? "README.md: key table rewritten\n" : "README.md: key table up to date\n");
}
