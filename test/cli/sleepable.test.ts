// Strings in pages the traced program mapped but never touched: a uprobe
// program that reads user memory is loaded sleepable (kernel/bpf/sleepable.ts)
// and reads them with bpf_copy_from_user_str, or, without that kfunc, with
// bpf_copy_from_user faulting the page in; non-sleepable programs (the
// sleepableUprobe feature turned off, as on kernels without it) report an
// invalid address, as they always did. The fixture maps a file the test writes
// and passes addresses inside it to a USDT probe without reading them.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { BIN_DIR, buildFixtures } from "../fixtures/fixtures.ts";
import { runDtop } from "../helpers/cli.ts";

const COLDPAGE = join(BIN_DIR, "coldpage");
let dir = "";
let file = "";
/** Offsets of the strings in the file: page 1, across the page 1/2 boundary, page 3, and page 5's end (file end). */
const STRINGS: [number, string][] = [
	[4096, "second page string"],
	[2 * 4096 - 6, "crossing-the-boundary"],
	[3 * 4096 + 10, "fourth page"],
	[6 * 4096 - 300, "x".repeat(299)],
];

before(() => {
	buildFixtures();
	dir = mkdtempSync(join(tmpdir(), "dtop-cold-"));
	file = join(dir, "cold.bin");
	const b = Buffer.alloc(6 * 4096);
	for (const [off, s] of STRINGS) b.write(`${s}\0`, off, "latin1");
	// The last string fills the file to its end: no NUL after it is read beyond the mapping.
	b[b.length - 1] = 0;
	writeFileSync(file, b);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const command = (offsets: number[]) => `${COLDPAGE} ${file} ${offsets.join(" ")}`;
const PRINT = 'coldpage$target:::use { printf("%s\\n", copyinstr(arg0)); }';

describe("user memory not paged in", () => {
	test("copyinstr reads strings in untouched pages, printed and as keys", async () => {
		const offs = STRINGS.slice(0, 3).map(([o]) => o);
		const r = await runDtop(
			[
				"-q",
				"-n",
				`${PRINT} coldpage$target:::use { @[copyinstr(arg0)] = count(); } END { printa("%s=%@d\\n", @); }`,
				"-c",
				command([...offs, offs[0]]),
			],
			{ timeoutMs: 30_000 },
		);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stderr, "");
		const lines = r.stdout.split("\n").filter(Boolean);
		assert.deepEqual(lines.slice(0, 4), [STRINGS[0][1], STRINGS[1][1], STRINGS[2][1], STRINGS[0][1]]);
		assert.deepEqual(lines.slice(4).sort(), [`${STRINGS[0][1]}=2`, `${STRINGS[1][1]}=1`, `${STRINGS[2][1]}=1`].sort());
	});

	test("a string longer than strsize in an untouched page is cut at strsize", async () => {
		const r = await runDtop(["-q", "-x", "strsize=64", "-n", PRINT, "-c", command([STRINGS[3][0]])], {
			timeoutMs: 30_000,
		});
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stdout, `${"x".repeat(64)}\n\n`);
	});

	test("copyin of an untouched page", async () => {
		const r = await runDtop(
			["-q", "-n", 'coldpage$target:::use { printf("%s\\n", stringof(copyin(arg0, 6))); }', "-c", command([4096])],
			{ timeoutMs: 30_000 },
		);
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stdout, "second\n\n");
	});

	test("without the kfunc: the page is faulted in with bpf_copy_from_user", async () => {
		const r = await runDtop(["-q", "-n", PRINT, "-c", command(STRINGS.slice(0, 3).map(([o]) => o))], {
			timeoutMs: 30_000,
			env: { DTOP_DISABLE_FEATURES: "copyFromUserStr" },
		});
		assert.equal(r.code, 0, r.stderr);
		assert.equal(r.stdout, `${STRINGS[0][1]}\n${STRINGS[1][1]}\n${STRINGS[2][1]}\n\n`);
	});

	test("without sleepable programs the read is DTrace's invalid-address error", async () => {
		const r = await runDtop(["-q", "-n", PRINT, "-c", command([4096])], {
			timeoutMs: 30_000,
			env: { DTOP_DISABLE_FEATURES: "sleepableUprobe" },
		});
		assert.equal(r.stdout.trim(), "");
		assert.match(
			r.stderr,
			/^dtop: error on enabled probe ID 1 \(ID \d+: coldpage\d+:coldpage:cold_use:use\): invalid address \(0x[0-9a-f]+\) in action #1$/m,
		);
	});

	for (const [name, env] of [
		["the kfunc", {}],
		["bpf_copy_from_user", { DTOP_DISABLE_FEATURES: "copyFromUserStr" }],
	] as const) {
		test(`an address nothing maps is still an invalid address (${name})`, async () => {
			const r = await runDtop(
				["-q", "-n", 'coldpage$target:::use { printf("%s\\n", copyinstr(8)); }', "-c", command([0])],
				{ timeoutMs: 30_000, env },
			);
			assert.equal(r.code, 0, r.stderr);
			assert.equal(r.stdout.trim(), "");
			assert.match(
				r.stderr,
				/^dtop: error on enabled probe ID 1 \(ID \d+: coldpage\d+:coldpage:cold_use:use\): invalid address \(0x[0-9a-f]+\) in action #1$/m,
			);
		});
	}
});
