// The man page says what --help and the key table say: every flag and every key.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { helpSections, manPage, roff } from "../../scripts/packaging/man.ts";
import { FLAGS, HELP } from "../../source/app/flags.ts";
import { KEY_ROWS } from "../../source/ui/keys.ts";

const specs = FLAGS as Record<string, { type: string; shortFlag?: string; default?: unknown }>;

/** The page as man(1) shows it: plain text, no warnings from groff. */
function rendered(page: string): string {
	const dir = mkdtempSync(join(tmpdir(), "dtop-man-"));
	try {
		const file = join(dir, "dtop.1");
		writeFileSync(file, page);
		const warnings = execFileSync("groff", ["-man", "-Tutf8", "-ww", "-z", file], { encoding: "utf8", stdio: "pipe" });
		assert.equal(warnings, "");
		return execFileSync("man", ["-l", file], {
			encoding: "utf8",
			env: { ...process.env, MANWIDTH: "200", MAN_KEEP_FORMATTING: "" },
		})
			.replace(/.\x08/g, "")
			.replace(/‐/g, "-");
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

describe("dtop.1", () => {
	const page = manPage();
	const text = rendered(page);

	it("has every flag of the flag table, as --help writes it", () => {
		const documented = helpSections().flatMap((s) => s.options);
		for (const [long, s] of Object.entries(specs)) {
			const name = s.default === true ? `no-${long}` : long;
			const o = documented.find((d) => d.long === name);
			assert.ok(o, `--${name} is in --help`);
			assert.equal(o.short, s.shortFlag, `--${name}'s short flag`);
			const line = s.shortFlag ? `-${s.shortFlag}, --${name}` : `--${name}`;
			assert.ok(text.includes(line), `${line} is in the man page`);
			assert.ok(text.replace(/\s+/g, " ").includes(o.text.replace(/\s+/g, " ")), `--${name}'s text: ${o.text}`);
		}
		assert.equal(documented.length, Object.keys(specs).length, "no option in --help that the table lacks");
		assert.ok(HELP.includes("Usage"));
	});

	it("has every key of the key table with what it does", () => {
		const flat = text.replace(/\s+/g, " ");
		for (const row of KEY_ROWS) {
			const keys = row.label.split(/ {2,}/).join(", ");
			assert.ok(flat.includes(`${keys} ${row.help.replace(/\s+/g, " ")}`), `${row.label}: ${row.help}`);
		}
		for (const section of new Set(KEY_ROWS.map((r) => r.section))) assert.ok(flat.includes(section), section);
	});

	it("escapes what roff would take as requests or escapes", () => {
		assert.equal(roff(".x -y \\z"), "\\&.x \\-y \\ez");
		assert.equal(roff("'q"), "\\&'q");
		assert.ok(!/^[.'](?!TH|SH|SS|TP|PP|B |BR|I |nf|fi)/m.test(page), "no text line starts with . or '");
	});
});
