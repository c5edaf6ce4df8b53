// What a batch start does before its probes are attached, seen from its
// system calls (strace of dtop's main thread): work no clause needs is not done.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { buildFixtures, SIMPLE } from "../fixtures/fixtures.ts";
import { DTOP } from "../helpers/cli.ts";

before(() => buildFixtures());

/** The files dtop's main thread opened before it wrote its `matched` line. */
function openedBeforeMatched(args: string[]): string[] {
	const dir = mkdtempSync(join(tmpdir(), "dtop-strace-"));
	try {
		const log = join(dir, "trace");
		const r = spawnSync("strace", ["-qq", "-s", "256", "-e", "trace=openat,write", "-o", log, DTOP, ...args], {
			encoding: "utf8",
			timeout: 60_000,
		});
		assert.equal(r.status, 0, r.stderr);
		const lines = readFileSync(log, "utf8").split("\n");
		const matched = lines.findIndex((l) => /^write\(2, "dtop: description .* matched \d+ probe/.test(l));
		assert.ok(matched > 0, `no matched line in the trace:\n${lines.slice(-20).join("\n")}`);
		return lines
			.slice(0, matched)
			.map((l) => /^openat\(AT_FDCWD, "([^"]+)"/.exec(l)?.[1])
			.filter((p): p is string => p !== undefined);
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

test("-c with only kernel probes: the command's binary is not read for USDT probes before attaching", () => {
	const binary = realpathSync(SIMPLE);
	const opened = openedBeforeMatched(["-n", "syscall::getpid:entry { @ = count(); }", "-c", `${SIMPLE} --count 1`]);
	assert.ok(!opened.some((p) => p === SIMPLE || p === binary), `opened ${binary}:\n${opened.join("\n")}`);
	// A clause naming the command's USDT provider needs its notes before it runs: read.
	const usdt = openedBeforeMatched(["-n", "simple$target:::saw-line { @ = count(); }", "-c", `${SIMPLE} --count 1`]);
	assert.ok(
		usdt.some((p) => p === SIMPLE || p === binary),
		`a USDT clause: ${binary} not opened:\n${usdt.join("\n")}`,
	);
});

/** The built-in modules a run of `dtop ARGS` loaded (test/helpers/module-list.cjs). */
function builtinsLoaded(args: string[]): string[] {
	const dir = mkdtempSync(join(tmpdir(), "dtop-modules-"));
	try {
		const out = join(dir, "loaded");
		const preload = fileURLToPath(new URL("../helpers/module-list.cjs", import.meta.url));
		const r = spawnSync(DTOP, args, {
			encoding: "utf8",
			timeout: 60_000,
			maxBuffer: 256 << 20,
			env: { ...process.env, NODE_OPTIONS: `--require=${preload}`, DTOP_MODULE_LIST_OUT: out },
		});
		assert.equal(r.status, 0, r.stderr);
		return readFileSync(out, "utf8").split("\n");
	} finally {
		rmSync(dir, { recursive: true, force: true });
	}
}

test("-l loads neither node:child_process (with net's dgram) nor node:zlib; a batch run without -c no child_process", () => {
	const cases: [string[], string[]][] = [
		[["-l"], ["child_process", "dgram", "zlib"]],
		[
			["-n", "syscall::getpid:entry { @ = count(); exit(0); }"],
			["child_process", "dgram"],
		],
	];
	for (const [args, absent] of cases) {
		const loaded = builtinsLoaded(args);
		assert.ok(loaded.includes("fs"), `the list is read: ${loaded.length} modules`);
		for (const m of absent) assert.ok(!loaded.includes(m), `dtop ${args[0]} loaded ${m}`);
	}
	// -c spawns its command: child_process is loaded then.
	assert.ok(
		builtinsLoaded(["-n", "syscall::getpid:entry { @ = count(); }", "-c", "/bin/true"]).includes("child_process"),
	);
});
