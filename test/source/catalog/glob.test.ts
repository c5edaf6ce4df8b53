// The glob matcher against the regular expressions globs used to compile to
// (kept here as the reference for their semantics), and its running time on
// patterns that made those expressions backtrack for seconds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compileGlob, GlobError, globProblem } from "../../../source/catalog/glob.ts";

/** The former compiler (glob → RegExp source), the reference semantics. */
function referenceSource(pattern: string): string {
	const escapeRe = (c: string) => (/[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c);
	let out = "";
	for (let i = 0; i < pattern.length; i++) {
		const c = pattern[i];
		if (c === "*") out += ".*";
		else if (c === "?") out += ".";
		else if (c === "\\") {
			if (i + 1 >= pattern.length) throw new GlobError(`'${pattern}' ends with a lone backslash`);
			out += escapeRe(pattern[++i]);
		} else if (c === "[") {
			let j = i + 1;
			let negate = false;
			if (pattern[j] === "!" || pattern[j] === "^") {
				negate = true;
				j++;
			}
			let body = "";
			if (pattern[j] === "]") {
				body += "\\]";
				j++;
			}
			while (j < pattern.length && pattern[j] !== "]") {
				const d = pattern[j];
				if (d === "\\" && j + 1 < pattern.length) {
					body += escapeRe(pattern[j + 1]);
					j += 2;
					continue;
				}
				if (d === "-" && body !== "" && j + 1 < pattern.length && pattern[j + 1] !== "]") body += "-";
				else body += escapeRe(d);
				j++;
			}
			if (j >= pattern.length) throw new GlobError(`'${pattern}' has a '[' without its closing ']'`);
			if (body === "") throw new GlobError(`'${pattern}' has an empty character class`);
			out += `[${negate ? "^" : ""}${body}]`;
			i = j;
		} else out += escapeRe(c);
	}
	try {
		new RegExp(out);
	} catch {
		throw new GlobError(`'${pattern}' has an invalid character range`);
	}
	return out;
}

function reference(pattern: string): ((s: string) => boolean) | string {
	if (pattern === "" || pattern === "*") return () => true;
	try {
		const re = new RegExp(`^${referenceSource(pattern)}$`, "s");
		return (s) => re.test(s);
	} catch (e) {
		return (e as Error).message;
	}
}

// Characters that mean something in a glob or a class, plus a few plain ones.
const patternChar = fc.constantFrom("a", "b", "c", "z", "-", "]", "[", "!", "^", "*", "?", "\\", ".", "\n");
const nameChar = fc.constantFrom("a", "b", "c", "z", "-", "]", "[", "!", "^", "*", "?", "\\", ".", "\n", "é", "😀");

describe("compileGlob", () => {
	it("agrees with the former regular expressions on every short pattern and name", () => {
		fc.assert(
			fc.property(
				fc.array(patternChar, { maxLength: 9 }).map((a) => a.join("")),
				fc.array(
					fc.array(nameChar, { maxLength: 8 }).map((a) => a.join("")),
					{ minLength: 1, maxLength: 8 },
				),
				(pattern, names) => {
					const ref = reference(pattern);
					if (typeof ref === "string") {
						assert.equal(globProblem(pattern), ref, pattern);
						return;
					}
					const f = compileGlob(pattern);
					for (const name of names)
						assert.equal(f(name), ref(name), `${JSON.stringify(pattern)} on ${JSON.stringify(name)}`);
				},
			),
			{ numRuns: 20_000 },
		);
	});

	it("agrees on names built from the pattern itself (so that matches are frequent)", () => {
		const literal = fc.constantFrom("a", "b", "-", "x");
		const piece = fc.oneof(literal, fc.constantFrom("*", "?", "[a-b]", "[!a]", "[]a]", "\\*", "[a-]"));
		fc.assert(
			fc.property(fc.array(piece, { maxLength: 7 }), fc.array(literal, { maxLength: 4 }), (pieces, noise) => {
				const pattern = pieces.join("");
				const ref = reference(pattern);
				if (typeof ref === "string") return;
				// A name the pattern should match: each piece replaced by a member of it.
				const name = pieces
					.map((p) => (p === "*" ? noise.join("") : p === "?" || p.startsWith("[") ? "a" : p.replace("\\", "")))
					.join("");
				const f = compileGlob(pattern);
				for (const s of [name, name + noise.join(""), noise.join("") + name, name.slice(1)]) {
					assert.equal(f(s), ref(s), `${JSON.stringify(pattern)} on ${JSON.stringify(s)}`);
				}
			}),
			{ numRuns: 20_000 },
		);
	});

	it("keeps the syntax errors' sentences", () => {
		assert.match(globProblem("a\\") ?? "", /ends with a lone backslash/);
		assert.match(globProblem("[ab") ?? "", /without its closing/);
		assert.match(globProblem("[z-a]") ?? "", /invalid character range/);
		// An unclosed class later in the pattern is reported before an inverted range.
		assert.match(globProblem("[z-a][x") ?? "", /without its closing/);
	});

	it("matches a 27-character pathological glob against long names in linear time", () => {
		const pattern = `${"*?".repeat(13)}Q`;
		assert.equal(pattern.length, 27);
		const f = compileGlob(pattern);
		const names = Array.from({ length: 3000 }, (_, i) => `__libc_function_name_number_${i}_without_the_letter`);
		const t0 = performance.now();
		let n = 0;
		for (const s of names) if (f(s)) n++;
		const ms = performance.now() - t0;
		assert.equal(n, 0);
		assert.ok(f(`${"x".repeat(13)}Q`));
		assert.ok(!f(`${"x".repeat(12)}Q`), "each ? needs a character");
		// The regular expression took seconds for one such name; this is 3,000 in well under a second.
		assert.ok(ms < 500, `${ms.toFixed(0)} ms`);
	});

	it("costs at most name × pattern steps where stars could have to retry", () => {
		const f = compileGlob(`*${"a".repeat(30)}b*${"a".repeat(30)}c`);
		const s = "a".repeat(5000);
		const t0 = performance.now();
		for (let i = 0; i < 20; i++) assert.equal(f(s), false);
		assert.ok(performance.now() - t0 < 1000);
	});
});
