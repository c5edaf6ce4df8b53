// Property: malformed descriptions and flags given to the real `dtop -l`
// always give exactly one error line and exit status 2, never a crash.

import assert from "node:assert/strict";
import { before, test } from "node:test";
import fc from "fast-check";
import { FLAGS } from "../../source/app/flags.ts";
import { buildCli, dtop } from "./list-helpers.ts";

before(() => buildCli());

const LONG = new Set(Object.keys(FLAGS));
const SHORT = new Set(Object.values(FLAGS).flatMap((f) => ("shortFlag" in f ? [f.shortFlag as string] : [])));
const word = fc.stringMatching(/^[a-z][a-z_]{0,8}$/);
// Characters no probe description may hold (whitespace inside, punctuation of D statements).
const badChar = fc.constantFrom(
	" ",
	";",
	"'",
	'"',
	"(",
	")",
	"{",
	"}",
	"/",
	"=",
	",",
	"<",
	">",
	"@",
	"#",
	"%",
	"&",
	"|",
	"~",
	"^",
);

const unknownLong = word
	.filter((w) => !LONG.has(w) && !(w.startsWith("no-") && LONG.has(w.slice(3))))
	.map((w) => [`--${w}`]);
const unknownShort = fc
	.constantFrom(..."aeghijkoqrtuwxyzABCDEFGHIJKLMNOQRSTUWXYZ0123456789".split(""))
	.filter((c) => !SHORT.has(c))
	.map((c) => [`-${c}`]);
const missingValue = fc.constantFrom("-n", "-P", "-m", "-f", "-p", "-c", "-s", "-d", "--name", "--pid").map((f) => [f]);
const badPid = fc.oneof(word, fc.constantFrom("-1", "0", "1.5", "12abc", "0x10", "")).map((p) => ["-p", p]);
const badChars = fc.tuple(word, badChar, word, fc.nat(3)).map(([a, c, b, at]) => {
	const fields = ["syscall", "", "read", "entry"];
	fields[at] = `${a}${c}${b}`;
	return ["-n", fields.join(":")];
});
const tooManyFields = fc
	.array(fc.oneof(word, fc.constant("")), { minLength: 5, maxLength: 7 })
	.map((f) => ["-n", f.join(":")]);
const unbalanced = fc.tuple(word, fc.constantFrom("[", "]", "[!")).map(([w, b]) => ["-n", `syscall::${w}${b}:entry`]);
const unknownMacro = word.filter((w) => w !== "target" && w !== "pid").map((w) => ["-n", `syscall::$${w}:entry`]);
const unknownProvider = word
	.filter((w) => !["syscall", "sdt", "profile", "fbt", "pid", "dtrace"].includes(w))
	.map((w) => ["-n", `zz${w}:::`]);
const repeated = fc.constantFrom("-p", "-c", "-s", "-d").map((f) => [f, "1", f, "2"]);
const stray = word.map((w) => [w]);

const malformed = fc.oneof(
	unknownLong,
	unknownShort,
	missingValue,
	badPid,
	badChars,
	tooManyFields,
	unbalanced,
	unknownMacro,
	unknownProvider,
	repeated,
	stray,
);

test("malformed descriptions and flags: one error line, status 2", { timeout: 120_000 }, async () => {
	let runs = 0;
	await fc.assert(
		fc.asyncProperty(malformed, async (args) => {
			runs++;
			const argv = ["-l", ...args];
			const r = await dtop(argv);
			const lines = r.stderr.trimEnd().split("\n");
			assert.equal(r.status, 2, `dtop ${JSON.stringify(argv)} exited ${r.status}: ${r.stderr}`);
			assert.equal(lines.length, 1, `dtop ${JSON.stringify(argv)} printed ${r.stderr}`);
			assert.match(lines[0], /^dtop: \S/);
			assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
			assert.equal(r.stdout, "");
		}),
		{ numRuns: 90, seed: 20261128 },
	);
	assert.equal(runs, 90);
});
