// The printing of aggregations at exit and the "matched" line, byte for byte as
// dtrace(1) writes them (the behaviours of DTrace's aggs/ and trace/ unit tests,
// with programs of our own). DTrace prints an integer key in a column as wide
// as its D type needs (dt_print_datum: " %3u" for 1-byte keys, " %5u" for
// 2-byte, " %8d" for 4-byte, " %16lld" for 8-byte), values " %16lld".
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type CliResult, runDtop } from "../helpers/cli.ts";

const dtop = (args: string[]): Promise<CliResult> => runDtop(args, { timeoutMs: 30_000, untilClosed: true });

function script(text: string): string {
	const path = join(mkdtempSync(join(tmpdir(), "dtop-aggwidth-")), "prog.d");
	writeFileSync(path, text);
	return path;
}

test("integer keys are as wide as their D type: char 3, short 5, int 8, long long 16 (and unsigned below int)", async () => {
	const r = await dtop([
		"-q",
		"-n",
		`BEGIN {
			@a[(char)-2] = sum(1);
			@b[(short)3] = sum(2);
			@c[5] = count();
			@d[(long long)7] = count();
			@e[(unsigned char)200, 12] = sum(9);
			exit(0);
		}`,
	]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(
		r.stdout,
		[
			"",
			" 254                1",
			"     3                2",
			"        5                1",
			"                7                1",
			" 200       12                9",
			"",
		].join("\n"),
	);
});

test("a global assigned an int constant is an int key: the histogram's key line is 9 wide", async () => {
	const r = await dtop(["-q", "-n", "BEGIN { x = 4; @q[x] = quantize(3); @s[x + 1] = sum(x); exit(0); }"]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(
		r.stdout,
		[
			"",
			"        4",
			"           value  ------------- Distribution ------------- count    ",
			"               1 |                                         0        ",
			"               2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1        ",
			"               4 |                                         0        ",
			"",
			"        5                4",
			"",
		].join("\n"),
	);
});

test("keys of 64-bit values (timestamps, arg0, casts to long) keep the 16-wide column", async () => {
	const r = await dtop(["-q", "-n", "BEGIN { @[(long)-3] = count(); @[(uint64_t)9] = count(); exit(0); }"]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(
		// Equal values sort by key, and DTrace compares integer keys as unsigned: -3 after 9.
		r.stdout,
		["", "                9                1", "               -3                1", ""].join("\n"),
	);
});

test("without -q the matched line is dtrace's: script 'FILE' matched 1 probe, description 'D' matched 2 probes", async () => {
	const file = script("BEGIN\n{\n\texit(0);\n}\n");
	const s = await dtop(["-s", file]);
	assert.equal(s.code, 0, s.stderr);
	assert.equal(s.stderr, `dtop: script '${file}' matched 1 probe\n`);
	const d = await dtop(["-n", "BEGIN,END { exit(0); }"]);
	assert.equal(d.code, 0, d.stderr);
	assert.equal(d.stderr, "dtop: description 'BEGIN,END { exit(0); }' matched 2 probes\n");
});

test("a variable first made by ++ is int64_t in DTrace: its key is 16 wide", async () => {
	const r = await dtop(["-q", "-n", "BEGIN { n++; @[n] = count(); exit(0); }"]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, ["", "                1                1", ""].join("\n"));
});

// dt_print_quantline: with only negative buckets the bars grow leftwards to the
// '|'; with both signs each side has 20 columns around a centre line.
test("negative weights: quantize bars end at the bar, mixed lquantize bars are halved around the centre", async () => {
	const r = await dtop([
		"-q",
		"-n",
		'BEGIN { @a["k"] = quantize(1, -4); @b["m"] = lquantize(0, 0, 2, 1, -3); @b["m"] = lquantize(1, 0, 2, 1, 9); exit(0); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	const head = "           value  ------------- Distribution ------------- count    ";
	assert.equal(
		r.stdout,
		[
			"",
			`  ${"k".padEnd(50)}`,
			head,
			`               0 ${" ".repeat(40)}| 0        `,
			`               1 ${"@".repeat(40)}| -4       `,
			`               2 ${" ".repeat(40)}| 0        `,
			"",
			`  ${"m".padEnd(50)}`,
			head,
			`             < 0 ${" ".repeat(20)}|${" ".repeat(20)} 0        `,
			`               0 ${" ".repeat(15)}@@@@@|${" ".repeat(20)} -3       `,
			`               1 ${" ".repeat(20)}|${"@".repeat(15)}${" ".repeat(5)} 9        `,
			`            >= 2 ${" ".repeat(20)}|${" ".repeat(20)} 0        `,
			"",
			"",
		].join("\n"),
	);
});

test("the clauses after exit() in the same firing aggregate nothing (DTrace's aggs/tst.quantround behaviour)", async () => {
	const r = await dtop(["-q", "-n", "tick-10ms /i++ >= 4/ { exit(0); } tick-10ms { @ = count(); }"]);
	assert.equal(r.code, 0, r.stderr);
	assert.equal(r.stdout, "\n                4\n");
});

test("an lquantize() without data prints its own range in a joined printa (its first three rows), not 0 and 1", async () => {
	const r = await dtop([
		"-q",
		"-n",
		'BEGIN /0/ { @b[1] = lquantize(0, -3, 3, 1); } BEGIN { @a[1] = sum(5); printa("%d %@d %@d\\n", @a, @b); exit(0); }',
	]);
	assert.equal(r.code, 0, r.stderr);
	const row = (label: string) => `${label.padStart(16)} |${" ".repeat(41)}0        `;
	assert.equal(
		r.stdout,
		[
			"1 5 ",
			"           value  ------------- Distribution ------------- count    ",
			row("< -3"),
			row("-3"),
			row("-2"),
			"",
			"",
			"",
		].join("\n"),
	);
});
