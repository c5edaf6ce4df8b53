// The npm package as a user gets it: `npm pack` in the checkout (its prepack
// builds the bundle, the demo program and the man page), `npm install -g
// --prefix DIR` of the tarball with nothing on PATH but node and npm (no
// compiler, no build step), then the installed dtop with PATH holding only
// DIR/bin and node, run from a directory outside the checkout.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import {
	existsSync,
	mkdirSync,
	mkdtempSync,
	readdirSync,
	readFileSync,
	realpathSync,
	rmSync,
	symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { BIN_DIR } from "../fixtures/fixtures.ts";
import { heapProbe, YOUNG_GENERATION_CAP } from "../helpers/heap-probe.ts";
import { exitOf, startDtop } from "../helpers/pty.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

let work = "";
let prefix = "";
let nodeBin = "";
let files: string[] = [];

/** PATH with only the package's bin and a directory holding node (and npm for the install). */
const pathEnv = () => `${prefix}/bin:${nodeBin}`;

function dtop(args: string[]) {
	return spawnSync(`${prefix}/bin/dtop`, args, {
		cwd: work,
		encoding: "utf8",
		timeout: 60_000,
		env: { PATH: pathEnv(), HOME: work, CI: "true", LANG: "C.UTF-8" },
	});
}

describe("the npm package", { concurrency: false }, () => {
	before(() => {
		work = realpathSync(mkdtempSync(join(tmpdir(), "dtop-package-")));
		prefix = join(work, "prefix");
		nodeBin = join(work, "node-bin");
		mkdirSync(nodeBin);
		symlinkSync(process.execPath, join(nodeBin, "node"));
		const npm = realpathSync(execFileSync("sh", ["-c", "command -v npm"], { encoding: "utf8" }).trim());
		symlinkSync(npm, join(nodeBin, "npm"));
		// npm runs install scripts with sh (koffi's only checks that its prebuilt module loads).
		const installBin = join(work, "install-bin");
		mkdirSync(installBin);
		for (const t of ["node", "npm"]) symlinkSync(join(nodeBin, t), join(installBin, t));
		symlinkSync("/bin/sh", join(installBin, "sh"));
		const packed = execFileSync("npm", ["pack", "--json", "--pack-destination", work], {
			cwd: ROOT,
			encoding: "utf8",
			stdio: ["ignore", "pipe", "inherit"],
		});
		const info = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
		files = info[0].files.map((f) => f.path);
		assert.equal(info[0].filename, `dtop-${pkg.version}.tgz`);
		// No compiler, make or cmake on PATH: an install that tried to build anything fails
		// (the rest of the environment stays: it may say how to reach the registry).
		execFileSync("npm", ["install", "-g", "--no-audit", "--no-fund", "--prefix", prefix, `./dtop-${pkg.version}.tgz`], {
			cwd: work,
			stdio: ["ignore", "inherit", "inherit"],
			env: { ...process.env, PATH: installBin },
		});
	});
	after(() => {
		if (work) rmSync(work, { recursive: true, force: true });
	});

	it("holds the bundle, both demo programs and the man page, and no sources or tests", () => {
		for (const f of [
			"build/cli.js",
			"dist/package/demo/linux-x64/simple",
			"dist/package/demo/linux-x64/libsimple.so",
			"dist/package/demo/linux-arm64/simple",
			"dist/package/demo/linux-arm64/libsimple.so",
			"dist/package/dtop.1",
			"dist/package/dtop.bash",
		]) {
			assert.ok(files.includes(f), `${f} is in the tarball: ${files.join(" ")}`);
		}
		assert.deepEqual(
			files.filter((f) => /^(source|kernel|test|scripts|node_modules)\//.test(f)),
			[],
			"nothing of the checkout but what runs",
		);
		const arm = readFileSync(join(prefix, "lib/node_modules/dtop/dist/package/demo/linux-arm64/simple"));
		assert.equal(arm.readUInt16LE(18), 183, "the aarch64 demo program is an aarch64 ELF (EM_AARCH64)");
		// Runtime dependencies only: no esbuild, tsx or dev tools were installed.
		const installed = readdirSync(join(prefix, "lib/node_modules/dtop/node_modules")).sort();
		assert.deepEqual(installed, ["@koromix", "gecko-profiler-demangle", "koffi", "xz-decompress"]);
		assert.ok(existsSync(join(prefix, "share/man/man1/dtop.1")), "npm linked the man page");
	});

	it("dtop -l lists probes", () => {
		const r = dtop(["-l", "-P", "syscall"]);
		assert.equal(r.status, 0, r.stderr);
		assert.match(r.stdout, /^\s+\d+\s+syscall\s+vmlinux\s+getppid\s+entry$/m);
	});

	it("a batch trace of a command counts its system calls exactly", () => {
		const n = 4321;
		const r = dtop([
			"-n",
			"syscall::getppid:entry /pid == $target/ { @ = count(); }",
			"-c",
			`${BIN_DIR}/bench-loop --getppid ${n}`,
		]);
		assert.equal(r.status, 0, r.stderr);
		assert.match(r.stdout, new RegExp(`^\\s+${n}$`, "m"), r.stdout);
	});

	it("runs node with scripts/dtop's flags: a young generation of 1 MB semi-spaces", () => {
		const env = { PATH: pathEnv(), HOME: work, CI: "true", LANG: "C.UTF-8", NODE_EXTRA_CA_CERTS: "/nonexistent" };
		const installed = heapProbe(`${prefix}/bin/dtop`, ["-l"], { cwd: work, env });
		for (const f of ["--v8-pool-size=1", "--single-threaded", "--max-semi-space-size=1"])
			assert.ok(installed.execArgv.includes(f), `${f} in ${installed.execArgv.join(" ")}`);
		assert.ok(installed.newSpace <= YOUNG_GENERATION_CAP, `new space ${installed.newSpace} bytes`);
		assert.equal(installed.caCerts, undefined, "the bin drops NODE_EXTRA_CA_CERTS (Node parses it at every start)");
		// The same bundle under plain node: its young generation grows past that, so the check above can fail.
		const plain = heapProbe(process.execPath, [`${prefix}/lib/node_modules/dtop/build/cli.js`, "-l"], {
			cwd: work,
			env,
		});
		assert.ok(plain.newSpace > YOUNG_GENERATION_CAP, `plain node's new space ${plain.newSpace} bytes`);
	});

	it("dtop --demo runs the package's own demo program in the interactive UI", async () => {
		const s = startDtop(["--demo"], {
			command: `${prefix}/bin/dtop`,
			cwd: work,
			env: { PATH: pathEnv(), HOME: work },
		});
		try {
			await s.waitFor(/simple \(\d+ process/, 20_000);
			await s.waitFor(/Help/);
			const demo = readdirSync(`/proc/${s.pid}/task`)
				.flatMap((t) => readFileSync(`/proc/${s.pid}/task/${t}/children`, "utf8").trim().split(/\s+/))
				.filter(Boolean)
				.map((k) => {
					try {
						return realpathSync(`/proc/${k}/exe`);
					} catch {
						return "";
					}
				})
				.filter((exe) => exe.endsWith("/simple"));
			assert.deepEqual(demo, [join(prefix, "lib/node_modules/dtop/dist/package/demo/linux-x64/simple")]);
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0, s.text());
		} finally {
			s.kill();
		}
	});
});
