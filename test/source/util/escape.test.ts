import assert from "node:assert/strict";
import { test } from "node:test";
import { escapeForTerminal } from "../../../source/util/escape.ts";

test("plain strings are returned unchanged (same string)", () => {
	for (const s of ["", "libc.so.6", "main", "saw-line", "/usr/bin/python3.11", "größe", "函数", "a\\b"]) {
		assert.equal(escapeForTerminal(s), s);
	}
});

test("control characters become visible escapes", () => {
	const cases: [string, string][] = [
		["a\nb", "a\\nb"],
		["\r\t", "\\r\\t"],
		["\x1b]0;pwned\x07", "\\e]0;pwned\\x07"],
		["\x1b[2J", "\\e[2J"],
		["nul\0", "nul\\0"],
		["del\x7f", "del\\x7f"],
		["c1\x9b31m", "c1\\x9b31m"],
		["bidi\u202eevil", "bidi\\u202eevil"],
		["iso\u2066x\u2069", "iso\\u2066x\\u2069"],
		["ls\u2028ps\u2029", "ls\\u2028ps\\u2029"],
	];
	for (const [input, want] of cases) assert.equal(escapeForTerminal(input), want);
});

test("no output character is a control character", () => {
	let all = "";
	for (let c = 0; c < 0x3000; c++) all += String.fromCharCode(c);
	const out = escapeForTerminal(all);
	assert.doesNotMatch(out, /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
});

test("fast on the common path", () => {
	const names = Array.from({ length: 100_000 }, (_, i) => `function_${i}_entry`);
	const t0 = performance.now();
	let n = 0;
	for (const s of names) n += escapeForTerminal(s).length;
	const ms = performance.now() - t0;
	assert.ok(n > 0);
	assert.ok(ms < 200, `100,000 escapes took ${ms.toFixed(1)} ms`);
});
