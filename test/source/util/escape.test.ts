import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { escapeDString, escapeForTerminal, isTerminalSafe, jsonStringify } from "../../../source/util/escape.ts";

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
		["mark\u200e\u200f\u061c", "mark\\u200e\\u200f\\u061c"],
	];
	for (const [input, want] of cases) assert.equal(escapeForTerminal(input), want);
});

test("no output character is a control character", () => {
	let all = "";
	for (let c = 0; c < 0x3000; c++) all += String.fromCharCode(c);
	const out = escapeForTerminal(all);
	assert.doesNotMatch(out, /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
	assert.ok(!isTerminalSafe("\x1b") && isTerminalSafe("plain"));
});

test("property: escaping never emits a control byte, and leaves safe strings alone", () => {
	fc.assert(
		fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
			const out = escapeForTerminal(s);
			assert.doesNotMatch(out, /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
			if (isTerminalSafe(s)) assert.equal(out, s);
		}),
		{ numRuns: 2000 },
	);
});

test("JSON: every character a terminal acts on as a \\u escape, losslessly; bigints exact", () => {
	const evil = "a\x1b[2J\x9b\u202e\x7f\u2028\0b";
	const text = jsonStringify({ s: evil, n: 2n ** 60n, m: 5n });
	assert.equal(text, '{"s":"a\\u001b[2J\\u009b\\u202e\\u007f\\u2028\\u0000b","n":"1152921504606846976","m":5}');
	assert.equal(JSON.parse(text).s, evil);
	fc.assert(
		fc.property(fc.string({ unit: "binary", maxLength: 100 }), (s) => {
			const t = jsonStringify([s]);
			assert.doesNotMatch(t, /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/);
			assert.deepEqual(JSON.parse(t), [s]);
		}),
		{ numRuns: 1000 },
	);
});

test("DTrace's escaped strings (printf %S): C escapes and octal bytes, stopping at NUL", () => {
	assert.equal(escapeDString('tab\there "q" \\'), 'tab\\there \\"q\\" \\\\');
	assert.equal(escapeDString("\x1b\x7fé"), "\\033\\177\\303\\251");
	assert.equal(escapeDString("a\0b"), "a\\0");
	assert.equal(escapeDString(new Uint8Array([7, 8, 11, 12, 13])), "\\a\\b\\v\\f\\r");
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
