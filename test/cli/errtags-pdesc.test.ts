// A probe description that matches nothing is a compile error, as in DTrace: tagged
// D_PDESC_ZERO, at the description's line, with its four fields (as parsed: fewer
// than four fields are the rightmost ones), exit status 1. An unknown provider is the
// same error (not a usage error, status 2); with -Z such a clause waits for probes.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

const dir = mkdtempSync(join(tmpdir(), "dtop-pdesc-"));
let n = 0;
function script(text: string): string {
	const path = join(dir, `s${n++}.d`);
	writeFileSync(path, text);
	return path;
}

const zero = (p: string, line: number, fields: string) =>
	`dtop: failed to compile script ${p}: [D_PDESC_ZERO] line ${line}: probe description ${fields} does not match any probes\n`;

test("a description with no probes: its line, its four fields, status 1", async () => {
	const cases: [string, number, string][] = [
		// an unknown provider (BEGIN is a probe name, not a provider)
		["#pragma D option quiet\n\nBEGIN::read:entry\n{\n\texit(0);\n}\n", 3, "BEGIN::read:entry"],
		// two fields are function and name
		["\nBEGIN:tick-1\n{\n\texit(0);\n}\n", 2, "::BEGIN:tick-1"],
		// one field is the name
		["/* x */\nno_such_probe_dtop_xyz*\n{\n\texit(0);\n}\n", 2, ":::no_such_probe_dtop_xyz*"],
		// three fields: module, function, name
		["BEGIN\n{\n\ti = 0;\n}\n\nprofile::tick-1sec\n{\n\ttrace(i);\n}\n", 6, ":profile::tick-1sec"],
		// a glob that matches no system call
		["syscall::?nosuchcall?:entry\n{\n\texit(0);\n}\n", 1, "syscall::?nosuchcall?:entry"],
		// the second description of a list is the one at fault
		["BEGIN,\nnotaprovider:somemod:probe\n{\n\texit(0);\n}\n", 2, ":notaprovider:somemod:probe"],
	];
	for (const [text, line, fields] of cases) {
		const p = script(text);
		const r = await runDtop(["-xerrtags", "-s", p]);
		assert.equal(r.stderr, zero(p, line, fields), text);
		assert.equal(r.code, 1, text);
		assert.equal(r.stdout, "");
	}
});

test("without errtags the tag is left out; -n names the clause", async () => {
	const p = script("syscall:nosuchmodule_dtop:nosuchfunc:entry\n{\n\texit(0);\n}\n");
	const r = await runDtop(["-s", p]);
	assert.equal(
		r.stderr,
		`dtop: failed to compile script ${p}: line 1: probe description syscall:nosuchmodule_dtop:nosuchfunc:entry does not match any probes\n`,
	);
	assert.equal(r.code, 1);
	const n1 = await runDtop(["-xerrtags", "-n", "nosuchprov_dtop:::x { exit(0); }"]);
	assert.equal(
		n1.stderr,
		"dtop: invalid probe specifier nosuchprov_dtop:::x { exit(0); }: [D_PDESC_ZERO] line 1: probe description nosuchprov_dtop:::x does not match any probes\n",
	);
	assert.equal(n1.code, 1);
});

test("dtop's reason comes after DTrace's line when there is one, and in full with -v", async () => {
	const p = script("profile-1ns\n{\n\texit(0);\n}\n");
	const r = await runDtop(["-xerrtags", "-s", p]);
	const [first, second] = r.stderr.split("\n");
	assert.equal(`${first}\n`, zero(p, 1, ":::profile-1ns"));
	assert.match(second ?? "", /^dtop: 'profile-1ns' is not a rate dtop samples at/);
	assert.equal(r.code, 1);
	const v = await runDtop(["-v", "-s", script("nosuchprov_dtop:::x\n{\n}\n")]);
	assert.match(
		v.stderr,
		/\ndtop: line 1, column 1: no probes match 'nosuchprov_dtop:::x': unknown provider 'nosuchprov_dtop'/,
	);
	assert.equal(v.code, 1);
});

test("-Z: a clause of an unknown provider waits for probes, the others run", async () => {
	const r = await runDtop([
		"-q",
		"-Z",
		"-n",
		"nosuchprov_dtop:m:f:n { exit(2); }",
		"-n",
		'BEGIN { printf("ran\\n"); exit(0); }',
	]);
	assert.match(r.stdout, /^ran\n/);
	assert.equal(r.code, 0, r.stderr);
});

test("a description of five fields is D_PDESC_INVAL, at its line", async () => {
	const p = script("BEGIN\n{\n}\n\nprofile::::tick-1sec\n{\n\texit(0);\n}\n");
	const r = await runDtop(["-xerrtags", "-s", p]);
	assert.equal(
		r.stderr,
		`dtop: failed to compile script ${p}: [D_PDESC_INVAL] line 5: invalid probe description "profile::::tick-1sec": Overspecified probe description\n`,
	);
	assert.equal(r.code, 1);
});
