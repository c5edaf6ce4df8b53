// The libraries the loader maps, read from DT_NEEDED and ld.so.cache, are the
// ones ldd (glibc's loader itself) lists, for executables with and without
// $ORIGIN run paths; names resolve through LD_LIBRARY_PATH first, as ld.so does.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";
import { neededLibraries, readLdCache } from "../../../kernel/elf/needed.ts";

const SIMPLE = resolve("test/fixtures/bin/simple");

function ldd(binary: string, env: NodeJS.ProcessEnv = process.env): string[] {
	const out = execFileSync("ldd", [binary], { encoding: "utf8", env });
	const libs: string[] = [];
	for (const line of out.split("\n")) {
		const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s+(\/\S+)\s+\(/.exec(line);
		if (m) libs.push(m[1]);
	}
	return libs.sort();
}

describe("shared libraries from DT_NEEDED", () => {
	for (const binary of ["/bin/true", "/usr/bin/python3", process.execPath, SIMPLE, "/usr/bin/bpftrace"]) {
		test(`${binary}: the libraries ldd lists`, () => {
			assert.deepEqual([...neededLibraries(binary)].sort(), ldd(binary));
		});
	}

	test("a relative path resolves $ORIGIN from the file's absolute directory", () => {
		const libs = neededLibraries("test/fixtures/bin/simple");
		assert.ok(libs.includes(resolve("test/fixtures/bin/libsimple.so")), libs.join(" "));
	});

	test("LD_LIBRARY_PATH comes before ld.so.cache", () => {
		const dir = mkdtempSync(join(tmpdir(), "dtop-needed-"));
		try {
			const libc = readLdCache(62).get("libc.so.6");
			assert.ok(libc, "ld.so.cache names libc.so.6");
			copyFileSync(libc, join(dir, "libc.so.6"));
			const env = { ...process.env, LD_LIBRARY_PATH: dir };
			const mine = neededLibraries("/bin/true", env);
			assert.ok(mine.includes(join(dir, "libc.so.6")), mine.join(" "));
			assert.deepEqual([...mine].sort(), ldd("/bin/true", env));
		} finally {
			rmSync(dir, { recursive: true, force: true });
		}
	});

	test("a file that is not ELF is an error, not an empty list", () => {
		assert.throws(() => neededLibraries("/etc/passwd"));
	});
});
