// Makes the kinds of stripped objects real distributions ship, from an
// unstripped fixture, with binutils and xz (nothing of ours in the loop):
//   - stripped + .gnu_debuglink to a debug file made by `objcopy --only-keep-debug`
//     (Debian's dh_strip does this);
//   - stripped + MiniDebugInfo (.gnu_debugdata), by the recipe in gdb's manual
//     ("MiniDebugInfo"), as Fedora's find-debuginfo does.
// And a helper to run such a binary and find the runtime address of one of its
// functions, so a test symbolizes a live process's address end to end.
import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ElfFile, readMaps } from "../../kernel/elf/index.ts";

function run(cmd: string, args: string[], cwd?: string): string {
	return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/**
 * `dir/NAME` stripped of every symbol but .dynsym, with a `.gnu_debuglink` to
 * `dir/NAME.debug` (made by objcopy --only-keep-debug). Returns both paths.
 */
export function stripWithDebugLink(unstripped: string, dir: string): { binary: string; debug: string } {
	mkdirSync(dir, { recursive: true });
	const name = basename(unstripped);
	const binary = join(dir, name);
	const debug = join(dir, `${name}.debug`);
	run("objcopy", ["--only-keep-debug", unstripped, debug]);
	// --add-gnu-debuglink records the debug file's name and CRC32; run in `dir`
	// so the link holds the bare file name, as packages do.
	run("objcopy", ["--strip-all", `--add-gnu-debuglink=${name}.debug`, unstripped, binary], dir);
	return { binary, debug };
}

/** `dir/NAME` stripped, with MiniDebugInfo holding the function symbols .dynsym lacks (gdb manual's recipe). */
export function stripWithMiniDebugInfo(unstripped: string, dir: string): string {
	mkdirSync(dir, { recursive: true });
	const name = basename(unstripped);
	const binary = join(dir, name);
	const nm = (args: string[]) =>
		run("nm", [...args, "--format=posix", "--defined-only", unstripped])
			.split("\n")
			.filter(Boolean)
			.map((l) => l.split(" "));
	const dynamic = new Set(nm(["-D"]).map((f) => f[0]));
	const keep = nm([])
		.filter((f) => (f[1] === "T" || f[1] === "t") && !dynamic.has(f[0]))
		.map((f) => f[0]);
	writeFileSync(join(dir, "keep_symbols"), `${keep.join("\n")}\n`);
	run("objcopy", ["--only-keep-debug", unstripped, join(dir, "debug")]);
	run(
		"objcopy",
		[
			"-S",
			"--remove-section",
			".gdb_index",
			"--remove-section",
			".comment",
			"--keep-symbols=keep_symbols",
			"debug",
			"mini_debuginfo",
		],
		dir,
	);
	run("xz", ["-f", "mini_debuginfo"], dir);
	run(
		"objcopy",
		["--strip-all", "-R", ".comment", "--add-section", ".gnu_debugdata=mini_debuginfo.xz", unstripped, name],
		dir,
	);
	return binary;
}

/** The ELF virtual address of function `mangled` in the unstripped `path`. */
export function functionAddress(path: string, mangled: string): number {
	const s = ElfFile.open(path).symbols().byName(mangled);
	if (!s) throw new Error(`${path} has no symbol ${mangled}`);
	return s.address;
}

export interface Running {
	pid: number;
	child: ChildProcessWithoutNullStreams;
	/** Runtime address of ELF virtual address `vaddr` of the mapped file `path` in this process. */
	runtime(path: string, vaddr: number): bigint;
	stop(): Promise<void>;
}

/** Starts a program that prints a line when ready and then waits (statics waits for stdin to close). */
export function startWaiting(binary: string, args: string[] = []): Promise<Running> {
	const child = spawn(binary, args, { stdio: ["pipe", "pipe", "pipe"] });
	const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
	return new Promise((resolve, reject) => {
		let out = "";
		const timer = setTimeout(() => reject(new Error(`${binary} did not print ready`)), 10_000);
		child.once("error", reject);
		child.stdout.on("data", (d: Buffer) => {
			out += d.toString();
			if (!out.includes("\n")) return;
			clearTimeout(timer);
			const pid = child.pid ?? -1;
			resolve({
				pid,
				child,
				runtime(path, vaddr) {
					const elf = ElfFile.open(path);
					const off = elf.addressToOffset(vaddr);
					if (off === undefined) throw new Error(`0x${vaddr.toString(16)} is not in a segment of ${path}`);
					const m = readMaps(pid).find((x) => x.path === path && off >= x.offset && off < x.offset + (x.end - x.start));
					if (!m) throw new Error(`${path} offset 0x${off.toString(16)} is not mapped in ${pid}`);
					return BigInt(m.start + (off - m.offset));
				},
				async stop() {
					child.stdin.end();
					child.kill("SIGKILL");
					await exited;
				},
			});
		});
	});
}

/** A copy of `path` with the bytes at `offsets` inverted (for corrupt-file tests). */
export function corruptCopy(path: string, dest: string, offsets: readonly number[]): string {
	copyFileSync(path, dest);
	const buf = readFileSync(dest);
	for (const o of offsets) buf[o % buf.length] ^= 0xff;
	writeFileSync(dest, buf);
	return dest;
}
