import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ASCII, charsetFor, detectColor, detectUnicode, UNICODE } from "../../../source/ui/charset.ts";

describe("detectUnicode", () => {
	it("follows LC_ALL, then LC_CTYPE, then LANG", () => {
		assert.equal(detectUnicode({ LANG: "en_US.UTF-8" }), true);
		assert.equal(detectUnicode({ LANG: "C.utf8" }), true);
		assert.equal(detectUnicode({ LANG: "C" }), false);
		assert.equal(detectUnicode({ LC_ALL: "C", LANG: "en_US.UTF-8" }), false);
		assert.equal(detectUnicode({ LC_CTYPE: "POSIX", LANG: "en_US.UTF-8" }), false);
		assert.equal(detectUnicode({ LC_ALL: "", LC_CTYPE: "en_US.UTF-8", LANG: "C" }), true);
	});
	it("treats no locale at all as ASCII", () => {
		assert.equal(detectUnicode({}), false);
	});
});

describe("detectColor", () => {
	it("is on for a terminal and off with NO_COLOR, --no-color, TERM=dumb or no terminal", () => {
		assert.equal(detectColor({}, [], true), true);
		assert.equal(detectColor({ NO_COLOR: "1" }, [], true), false);
		assert.equal(detectColor({ NO_COLOR: "" }, [], true), true);
		assert.equal(detectColor({}, ["node", "dtop", "--no-color"], true), false);
		assert.equal(detectColor({ TERM: "dumb" }, [], true), false);
		assert.equal(detectColor({}, [], false), false);
	});
});

describe("charsets", () => {
	it("ASCII glyphs are all printable ASCII", () => {
		for (const value of Object.values(ASCII)) {
			const glyphs = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
			for (const g of glyphs) assert.match(g, /^[\x20-\x7e]*$/, `glyph ${JSON.stringify(g)}`);
		}
		assert.equal(ASCII.spark.length, 8);
		assert.equal(charsetFor(false), ASCII);
		assert.equal(charsetFor(true), UNICODE);
	});
});
