// Ink lays out text through measure-text; its own module caches the size of every
// distinct text forever (the soak's leak). dtop's bundle uses source/ui/measure-text.ts
// instead, whose cache is bounded.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import measureText, { MEASURE_CACHE_LIMIT, measureCacheSize } from "../../../source/ui/measure-text.ts";

const ROOT = join(import.meta.dirname, "../../..");

test("measureText gives Ink's dimensions (widest line, line count)", () => {
	assert.deepEqual(measureText(""), { width: 0, height: 0 });
	assert.deepEqual(measureText("ab\nabcd\n"), { width: 4, height: 3 });
	assert.deepEqual(measureText("█▏ 日本"), { width: 7, height: 1 });
	assert.deepEqual(measureText("\u001b[31mred\u001b[39m"), { width: 3, height: 1 });
});

test("the cache stays bounded however many distinct texts are measured", () => {
	for (let i = 0; i < MEASURE_CACHE_LIMIT * 5; i++) measureText(`row ${i} ${i * 7}/s`);
	assert.ok(measureCacheSize() <= MEASURE_CACHE_LIMIT, `${measureCacheSize()} entries`);
	assert.deepEqual(measureText("row 1 7/s"), { width: 9, height: 1 });
});

test("the bundle lays out with the bounded measureText, not Ink's own", () => {
	execFileSync(join(ROOT, "scripts/build"), ["--if-stale"], { stdio: "ignore" });
	const chunks = readdirSync(join(ROOT, "build/chunks")).map((f) =>
		readFileSync(join(ROOT, "build/chunks", f), "utf8"),
	);
	const ink = chunks.filter((c) => c.includes("getTerminalWidth"));
	assert.equal(ink.length, 1, "Ink is in one chunk");
	assert.ok(!ink[0].includes("cachedDimensions"), "Ink's unbounded measure-text is in the bundle");
	assert.match(ink[0], /cache\.size>=/, "the bounded measure-text is not in the bundle");
});
