// dist/dtop-linux-arm64, started under qemu-aarch64 (user-mode emulation, with
// Debian's arm64 libc and libstdc++ as its root): the official arm64 Node starts
// the bundle, the executable unpacks and checks its files, lists probes, and
// koffi's arm64 module loads and makes the bpf() system call, which qemu's
// user mode does not implement (tracing on arm64 needs an arm64 kernel: a VM).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const EXE = join(ROOT, "dist/dtop-linux-arm64");
let work = "";

function run(args: string[]) {
	return spawnSync("qemu-aarch64", ["-L", "/usr/aarch64-linux-gnu", EXE, ...args], {
		cwd: work,
		encoding: "utf8",
		timeout: 120_000,
		env: { PATH: "/usr/bin:/bin", HOME: work, DTOP_UNPACK_DIR: join(work, "unpack"), CI: "true" },
	});
}

describe("the arm64 single executable under qemu-aarch64", { concurrency: false }, () => {
	before(() => {
		execFileSync(join(ROOT, "scripts/package"), ["--arch", "arm64"], {
			cwd: ROOT,
			stdio: ["ignore", "ignore", "inherit"],
		});
		work = realpathSync(mkdtempSync(join(tmpdir(), "dtop-arm64-")));
	});
	after(() => {
		if (work) rmSync(work, { recursive: true, force: true });
	});

	it("is an aarch64 executable that starts, unpacks its arm64 files and lists probes", () => {
		assert.equal(readFileSync(EXE).readUInt16LE(18), 183, "EM_AARCH64");
		const v = run(["-V"]);
		assert.equal(v.status, 0, v.stderr);
		assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
		const l = run(["-l", "-P", "syscall"]);
		assert.equal(l.status, 0, l.stderr);
		assert.match(l.stdout, /^\s+\d+\s+syscall\s+vmlinux\s+openat\s+entry$/m);
		const ids = execFileSync("ls", [join(work, "unpack")], { encoding: "utf8" })
			.trim()
			.split("\n");
		assert.equal(ids.length, 1);
		const native = readFileSync(
			join(work, "unpack", ids[0], "node_modules/@koromix/koffi-linux-arm64/linux_arm64/koffi.node"),
		);
		assert.equal(native.readUInt16LE(18), 183, "koffi's native module is the arm64 one");
	});

	it("loads koffi's arm64 module and reaches the bpf() system call", () => {
		const r = run(["-n", "profile:::profile-97 { @ = count(); }", "-d", "1"]);
		assert.equal(r.status, 1);
		assert.match(r.stderr, /bpf\(BPF_\w+\) failed with ENOSYS/, r.stderr);
		assert.equal(r.stderr.trim().split("\n").length, 1, `one line: ${r.stderr}`);
	});
});
