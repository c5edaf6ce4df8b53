// Stacks of Debian's programs through the real command line: the frame the
// issue showed as `python3.11`0x42512a` is named (python3.11-dbg's debug file,
// found by build-id), and node's C++ frames come out demangled.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

const frames = (out: string) =>
	out
		.split("\n")
		.map((l) => l.trim())
		.filter((l) => l.includes("`") || /^0x|^\S+\+0x/.test(l));

async function stacks(clause: string, command: string): Promise<string[]> {
	const r = await runDtop(["-q", "-n", clause, "-c", command], { timeoutMs: 60_000 });
	assert.equal(r.code, 0, r.stderr);
	const f = frames(r.stdout);
	assert.ok(f.length > 0, r.stdout);
	return f;
}

test("python3.11's audit probe: its static function named from the debug package", async () => {
	const f = await stacks("python$target:::audit { @[ustack()] = count(); }", '/usr/bin/python3.11 -c "import json"');
	assert.match(f[0], /^python3\.11`sys_audit_tstate[^`]*\+0x[0-9a-f]+$/, f.join("\n"));
	for (const x of f) assert.doesNotMatch(x, /^python3\.11`0x/, "no unnamed python3.11 frame");
});

test("node's C++ frames are demangled", async () => {
	const f = await stacks("pid$target::write:entry { @[ustack()] = count(); }", '/usr/bin/node -e "console.log(1)"');
	assert.ok(
		f.some((x) => /^node`node::Start\(int, char\*\*\)\+0x[0-9a-f]+$/.test(x)),
		f.join("\n"),
	);
	assert.ok(!f.some((x) => x.includes("`_Z")), "no mangled name left");
});
