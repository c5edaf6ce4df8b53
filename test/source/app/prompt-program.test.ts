// A line typed at the `:` prompt may start with `#pragma D option` directives,
// which D ends at a newline: each becomes its own line, the rest stays as typed.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { programFromPromptLine } from "../../../source/app/prompt-program.ts";
import { parseProgram, programOptions } from "../../../source/d/index.ts";

describe("programFromPromptLine", () => {
	it("puts a leading option directive on its own line", () => {
		assert.equal(
			programFromPromptLine('#pragma D option quiet BEGIN { printf("x"); }'),
			'#pragma D option quiet\nBEGIN { printf("x"); }',
		);
	});

	it("takes several directives, values included, and D reads every option", () => {
		const text = programFromPromptLine(
			"#pragma D option quiet  #pragma D option strsize=512 syscall::read:entry { @ = count(); }",
		);
		assert.equal(text, "#pragma D option quiet\n#pragma D option strsize=512\nsyscall::read:entry { @ = count(); }");
		const opts = programOptions(parseProgram(text));
		assert.equal(opts.get("quiet"), true);
		assert.equal(String(opts.get("strsize")), "512");
	});

	it("leaves a line without a leading directive, and a directive alone, as typed", () => {
		for (const t of [
			"syscall::read:entry { @ = count(); }",
			"#pragma D option quiet",
			'BEGIN { printf("#pragma D option quiet x"); }',
			"#pragma D option quiet\nBEGIN { exit(0); }",
		])
			assert.equal(programFromPromptLine(t), t);
	});
});
