// The single executable (scripts/package → dist/dtop-linux-x64), copied alone
// into an empty directory and run with no node on PATH; and its unpacked
// directory's checks: what another user planted or could change is refused.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
	chmodSync,
	chownSync,
	copyFileSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	realpathSync,
	rmSync,
	symlinkSync,
	writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BIN_DIR } from "../fixtures/fixtures.ts";
import { heapProbe, YOUNG_GENERATION_CAP } from "../helpers/heap-probe.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const NOBODY = 65534;

let work = "";
let exe = "";
let tools = "";

/** Runs the copied executable with a PATH of a few tools dtop's shell helpers use, and no node. */
function run(args: string[], unpackDir: string) {
	return spawnSync(exe, args, {
		cwd: work,
		encoding: "utf8",
		timeout: 60_000,
		env: { PATH: tools, HOME: work, DTOP_UNPACK_DIR: unpackDir, CI: "true", LANG: "C.UTF-8" },
	});
}

/** The one directory the executable unpacked into under `base`. */
function unpackedId(base: string): string {
	const ids = readdirSync(base).filter((n) => !n.startsWith("."));
	assert.equal(ids.length, 1, `one unpacked directory in ${base}: ${ids}`);
	return ids[0];
}

describe("the single executable", { concurrency: false }, () => {
	before(() => {
		execFileSync(join(ROOT, "scripts/package"), ["--arch", "x64"], {
			cwd: ROOT,
			stdio: ["ignore", "ignore", "inherit"],
		});
		work = realpathSync(mkdtempSync(join(tmpdir(), "dtop-single-")));
		exe = join(work, "dtop-linux-x64");
		copyFileSync(join(ROOT, "dist/dtop-linux-x64"), exe);
		chmodSync(exe, 0o755);
		tools = join(work, "tools");
		mkdirSync(tools);
		for (const t of ["cat", "sleep", "ldd", "sed", "mount"]) symlinkSync(`/usr/bin/${t}`, join(tools, t));
		const which = spawnSync("/bin/sh", ["-c", "command -v node"], { env: { PATH: tools } });
		assert.notEqual(which.status, 0, "no node on the PATH the executable runs with");
	});
	after(() => {
		if (work) rmSync(work, { recursive: true, force: true });
	});

	it("lists probes and traces a command, from memory and its checked directory", () => {
		const base = join(work, "unpack");
		const l = run(["-l", "-P", "syscall"], base);
		assert.equal(l.status, 0, l.stderr);
		assert.match(l.stdout, /^\s+\d+\s+syscall\s+vmlinux\s+getppid\s+entry$/m);
		const id = unpackedId(base);
		assert.match(id, /^\d+\.\d+\.\d+-[0-9a-f]{16}$/);
		const n = 2345;
		const t = run(
			["-n", "syscall::getppid:entry /pid == $target/ { @ = count(); }", "-c", `${BIN_DIR}/bench-loop --getppid ${n}`],
			base,
		);
		assert.equal(t.status, 0, t.stderr);
		assert.match(t.stdout, new RegExp(`^\\s+${n}$`, "m"), t.stdout);
		// The demo program came out of the executable and runs; a USDT probe in it fires.
		const demo = join(base, id, "dist/package/demo/linux-x64/simple");
		const u = run(["-n", "simple$target:::saw-line { @ = count(); }", "-c", `${demo} --count 7`], base);
		assert.equal(u.status, 0, u.stderr);
		assert.match(u.stdout, /^\s+7$/m, u.stdout);
		assert.deepEqual(readdirSync(base), [id], "nothing left beside the directory");
	});

	it("keeps its young generation at 1 MB semi-spaces, as scripts/dtop's --max-semi-space-size=1 does", () => {
		const base = join(work, "heap");
		const env = { PATH: tools, HOME: work, DTOP_UNPACK_DIR: base, CI: "true", LANG: "C.UTF-8" };
		const flagged = heapProbe(exe, ["-l"], { cwd: work, env });
		assert.ok(flagged.newSpace <= YOUNG_GENERATION_CAP, `new space ${flagged.newSpace} bytes`);
		// Without the run-time flags (sea-flags.ts) the same run's young generation grows past that.
		const plain = heapProbe(exe, ["-l"], { cwd: work, env: { ...env, DTOP_SEA_DEFAULT_FLAGS: "1" } });
		assert.ok(plain.newSpace > YOUNG_GENERATION_CAP, `without the flags: new space ${plain.newSpace} bytes`);
	});

	it("refuses an unpacked directory owned by another user, in one sentence", () => {
		const first = join(work, "first");
		assert.equal(run(["-V"], first).status, 0);
		const id = unpackedId(first);
		const base = join(work, "planted");
		mkdirSync(join(base, id), { recursive: true, mode: 0o755 });
		chownSync(join(base, id), NOBODY, NOBODY);
		const r = run(["-l"], base);
		assert.equal(r.status, 1);
		assert.equal(r.stdout, "");
		assert.equal(
			r.stderr,
			`dtop: refusing to use dtop's unpacked files: ${join(base, id)} is owned by uid ${NOBODY}, not by root (it may have been planted by another user; remove it and run dtop again)\n`,
		);
	});

	it("refuses a file there that another user owns or can write, and a base another user can write", () => {
		const base = join(work, "changed");
		assert.equal(run(["-V"], base).status, 0);
		const id = unpackedId(base);
		const native = join(base, id, "node_modules/@koromix/koffi-linux-x64/linux_x64/koffi.node");
		chmodSync(native, 0o666);
		let r = run(["-V"], base);
		assert.equal(r.status, 1);
		assert.match(r.stderr, /^dtop: refusing to use dtop's unpacked files: \S+koffi\.node is writable by every user \(/);
		chmodSync(native, 0o644);
		chownSync(native, NOBODY, 0);
		r = run(["-V"], base);
		assert.match(r.stderr, /koffi\.node is owned by uid 65534, not by root/);
		chownSync(native, 0, 0);
		writeFileSync(native, "not the module");
		r = run(["-V"], base);
		assert.match(r.stderr, /koffi\.node has 14 bytes, not the \d+ this dtop wrote/);
		const open = join(work, "open");
		mkdirSync(open, { mode: 0o777 });
		chmodSync(open, 0o777);
		r = run(["-V"], join(open, "dtop"));
		assert.equal(r.status, 1);
		assert.match(
			r.stderr,
			new RegExp(`^dtop: refusing to use dtop's unpacked files: ${open} is writable by every user`),
		);
	});
});
