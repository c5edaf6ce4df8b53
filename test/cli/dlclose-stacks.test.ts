// User stacks name the library mapped when the probe fired, not the one mapped
// when the record is read: dlswap fires through libswapa.so, dlclose()s it and
// fires through libswapb.so mapped at the same address, all at once (the
// records are read after both). The kernel's mmap and munmap records carry the
// ranges and their times; each record's timestamp picks what was mapped then.
import assert from "node:assert/strict";
import { test } from "node:test";
import { BIN_DIR, buildFixtures } from "../fixtures/fixtures.ts";
import { runDtop } from "../helpers/cli.ts";

test("ustack() names libswapa.so before its dlclose and libswapb.so, dlopen'd at the same address, after", async () => {
	buildFixtures();
	const r = await runDtop(
		[
			"-q",
			"-n",
			'dlswap$target:::fire { printf("fire %d\\n", arg0); ustack(); }',
			"-c",
			`${BIN_DIR}/dlswap ${BIN_DIR}`,
		],
		{ timeoutMs: 60_000 },
	);
	assert.equal(r.code, 0, r.stderr);
	const a = /^a (0x[0-9a-f]+)$/m.exec(r.stdout)?.[1];
	const b = /^b (0x[0-9a-f]+)$/m.exec(r.stdout)?.[1];
	assert.ok(a && a === b, `the libraries were mapped at the same address (${a}, ${b}):\n${r.stdout}`);
	const blocks = r.stdout.split(/^fire /m).slice(1);
	const one = blocks.find((x) => x.startsWith("1\n")) ?? "";
	const two = blocks.find((x) => x.startsWith("2\n")) ?? "";
	assert.match(one, /libswapa\.so`swap_a\+0x[0-9a-f]+/, r.stdout);
	assert.doesNotMatch(one, /libswapb/, r.stdout);
	assert.match(two, /libswapb\.so`swap_b\+0x[0-9a-f]+/, r.stdout);
	assert.doesNotMatch(two, /libswapa/, r.stdout);
	for (const s of [one, two]) assert.match(s, /dlswap`main\+0x/, "the stack reaches main");
});
