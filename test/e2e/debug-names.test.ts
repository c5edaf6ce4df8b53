// Probe sites in functions no symbol of the object names are named from the
// separate debug file (.gnu_debuglink here, made by objcopy --only-keep-debug
// as Debian's packages are), in -l and in the interactive tree; and Debian's
// python3.11, whose USDT probes sit in static (.cold, LTO-local) functions, is
// named from its build-id debug file.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ElfFile } from "../../kernel/elf/index.ts";
import { buildFixtures } from "../fixtures/fixtures.ts";
import { runDtop } from "../helpers/cli.ts";
import { stripWithDebugLink } from "../helpers/debug-files.ts";
import { PREFORK, type Prefork, startPrefork } from "../helpers/prefork.ts";
import { exitOf, startDtop } from "../helpers/pty.ts";
import { submit } from "../helpers/ui-actions.ts";

let dir: string;
let srv: Prefork;
before(async () => {
	buildFixtures();
	dir = mkdtempSync(join(tmpdir(), "dtop-debugnames-"));
	const { binary } = stripWithDebugLink(PREFORK, dir);
	const elf = ElfFile.open(binary);
	assert.equal(
		elf.usdtProbes().find((p) => p.name === "query__start")?.function,
		undefined,
		"the stripped copy has no symbol for the probe's function",
	);
	srv = await startPrefork(1, binary);
});
after(async () => {
	await srv?.stop();
	rmSync(dir, { recursive: true, force: true });
});

test("-l names a probe site of a stripped program by its debug file's function (handle_query), never an address", async () => {
	const r = await runDtop(["-l", "-n", `prefork${srv.workers[0]}:::query-start`]);
	assert.equal(r.code, 0, r.stderr);
	assert.match(r.stdout, new RegExp(`prefork${srv.workers[0]} +prefork +handle_query +query-start`));
});

test("the tree shows the same name under the stripped program's process", async () => {
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await submit(s, "/", `prefork${srv.workers[0]}:::`);
		await s.waitFor(/query-start/, 5000);
		assert.match(s.text(), /▾\s+handle_query \(\d\)/, s.text());
		assert.doesNotMatch(s.text(), /\(none\)|▾\s+0x[0-9a-f]+ /);
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});

test("python3.11's audit probe is named by the static function readelf finds in the build-id debug file", async () => {
	const py = "/usr/bin/python3.11";
	const site = ElfFile.open(py)
		.usdtProbes()
		.find((p) => p.name === "audit");
	assert.ok(site, "python3.11 has the audit probe");
	assert.equal(site.function, undefined, "no symbol of python3.11 itself covers it");
	// binutils' view: the FUNC symbol of the build-id debug file that holds the site.
	const id = /Build ID: ([0-9a-f]+)/.exec(execFileSync("readelf", ["-n", py], { encoding: "utf8" }))?.[1] ?? "";
	const debug = `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
	const fn = execFileSync("readelf", ["-Ws", debug], { encoding: "utf8", maxBuffer: 1 << 28 })
		.split("\n")
		.map((l) => l.trim().split(/\s+/))
		.find(
			(f) =>
				f[3] === "FUNC" && site.pc >= Number.parseInt(f[1], 16) && site.pc < Number.parseInt(f[1], 16) + Number(f[2]),
		)?.[7];
	assert.ok(fn, `readelf names the function at 0x${site.pc.toString(16)} in ${debug}`);
	const r = await runDtop(["-l", "-n", "python*:::audit", "-c", `${py} -c "import time; time.sleep(2)"`]);
	assert.equal(r.code, 0, r.stderr);
	const line = r.stdout.split("\n").find((l) => / audit$/.test(l)) ?? "";
	assert.equal(line.trim().split(/\s+/).at(-2), fn, r.stdout);
});
