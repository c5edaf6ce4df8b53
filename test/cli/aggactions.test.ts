// clear(), trunc(), normalize() and denormalize() as actions of real D programs
// (DTrace's aggs/tst.clear*.d, tst.trunc*.d, tst.normalize*.d describe them):
// they act where their record is in the output, between printa()s.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { type CliResult, runDtop } from "../helpers/cli.ts";

const dtop = (args: string[]): Promise<CliResult> => runDtop(args, { timeoutMs: 30_000, untilClosed: true });

function script(text: string): string {
	const dir = mkdtempSync(join(tmpdir(), "dtop-aggact-"));
	const path = join(dir, "prog.d");
	writeFileSync(path, text);
	return path;
}

/** The printa() blocks after each "--NAME" line, as [key, value] pairs. */
function blocks(out: string): Map<string, string[][]> {
	const m = new Map<string, string[][]>();
	let cur: string[][] | undefined;
	for (const l of out.split("\n")) {
		if (l.startsWith("--")) m.set(l.slice(2), (cur = []));
		else if (l.trim() && cur) cur.push(l.trim().split(/\s+/));
	}
	return m;
}

// Ten sums over five keys in BEGIN: key k gets 100*k + 100*(k+5).
const FILL = "i = 0; @s[i % 5] = sum(i * 100); i++; ".repeat(10);

test("clear() keeps every key at zero; what fires later prints from zero", async () => {
	const r = await dtop([
		"-s",
		script(`#pragma D option quiet
BEGIN { n = 0; ${FILL.replace(/i = 0; /g, "")} printf("--before\\n"); printa(@s); clear(@s); printf("--after\\n"); printa(@s); }
tick-50ms /n++ == 1/ { @s[1] = sum(7); @s[9] = sum(3); printf("--later\\n"); printa(@s); exit(0); }`),
	]);
	assert.equal(r.code, 0, r.stderr);
	const b = blocks(r.stdout);
	assert.deepEqual(b.get("before"), [
		["0", "500"],
		["1", "700"],
		["2", "900"],
		["3", "1100"],
		["4", "1300"],
	]);
	assert.deepEqual(b.get("after"), [
		["0", "0"],
		["1", "0"],
		["2", "0"],
		["3", "0"],
		["4", "0"],
	]);
	assert.deepEqual(b.get("later"), [
		["0", "0"],
		["2", "0"],
		["3", "0"],
		["4", "0"],
		["9", "3"],
		["1", "7"],
	]);
});

test("trunc(@, n) keeps the n highest, trunc(@, -n) the n lowest, trunc(@) none; a removed key comes back from zero", async () => {
	const r = await dtop([
		"-s",
		script(`#pragma D option quiet
BEGIN { n = 0; i = 0; ${FILL.replace(/i = 0; /g, "")} @t[1] = sum(1); @t[2] = sum(2); @t[3] = sum(3); @t[4] = sum(4);
  trunc(@s, 2); printf("--top2\\n"); printa(@s); trunc(@t, -3); printf("--low3\\n"); printa(@t); }
tick-50ms /n++ == 1/ { @s[0] = sum(5); printf("--back\\n"); printa(@s); trunc(@s); printf("--none\\n"); printa(@s); exit(0); }`),
	]);
	assert.equal(r.code, 0, r.stderr);
	const b = blocks(r.stdout);
	assert.deepEqual(b.get("top2"), [
		["3", "1100"],
		["4", "1300"],
	]);
	assert.deepEqual(b.get("low3"), [
		["1", "1"],
		["2", "2"],
		["3", "3"],
	]);
	assert.deepEqual(b.get("back"), [
		["0", "5"],
		["3", "1100"],
		["4", "1300"],
	]);
	assert.deepEqual(b.get("none"), []);
});

test("normalize(@, n) divides what printa() prints by n until denormalize(@); the exit's printing is normalized too", async () => {
	const r = await dtop([
		"-s",
		script(`#pragma D option quiet
BEGIN { i = 0; ${FILL.replace(/i = 0; /g, "")} @c["x"] = count(); @c["x"] = count(); @c["x"] = count();
  normalize(@s, 100); printf("--norm\\n"); printa(@s); denormalize(@s); printf("--denorm\\n"); printa(@s);
  normalize(@c, 2); exit(0); }
END { printf("--end\\n"); }`),
	]);
	assert.equal(r.code, 0, r.stderr);
	const b = blocks(r.stdout);
	assert.deepEqual(b.get("norm"), [
		["0", "5"],
		["1", "7"],
		["2", "9"],
		["3", "11"],
		["4", "13"],
	]);
	assert.deepEqual(b.get("denorm"), [
		["0", "500"],
		["1", "700"],
		["2", "900"],
		["3", "1100"],
		["4", "1300"],
	]);
	// @c was never printed: the exit prints it, normalized (3 / 2).
	assert.deepEqual(b.get("end"), [["x", "1"]]);
});

test("the aggregation actions' arguments are checked with line and column", async () => {
	for (const [prog, msg] of [
		["BEGIN { @a = count(); clear(1); }", /column \d+: clear\( \) argument #1 must be an aggregation/],
		["BEGIN { @a = count(); trunc(@a, 1, 2); }", /trunc\( \) prototype mismatch: 3 args passed, at most 2 expected/],
		["BEGIN { @a = count(); normalize(@a); }", /normalize\( \) prototype mismatch: 1 arg passed, 2 expected/],
		["BEGIN { @a = count(); denormalize(@b); }", /denormalize\( \) of @b, which no clause assigns/],
	] as const) {
		// -v adds dtop's own message, with its column, to DTrace's line.
		const r = await dtop(["-v", "-n", prog]);
		assert.notEqual(r.code, 0, prog);
		assert.match(r.stderr, msg, prog);
		assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
	}
});
