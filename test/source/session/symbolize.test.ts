// The symbolizer on live processes of real programs: static functions named
// from debug files (ours, made by binutils; Debian's libc6-dbg and
// python3.11-dbg, found by build-id), C++ names of node and libstdc++
// demangled as c++filt prints them, and frames nothing names printed as
// `module+0xADDR` with ADDR the ELF address — checked by giving it to addr2line.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { ModuleSymbols } from "../../../kernel/elf/module-symbols.ts";
import { Symbolizer } from "../../../source/session/symbolize.ts";
import { buildFixtures, STATICS } from "../../fixtures/fixtures.ts";
import { functionAddress, type Running, startWaiting, stripWithDebugLink } from "../../helpers/debug-files.ts";

const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const LIBSTDCXX = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30";
const PYTHON = "/usr/bin/python3.11";
const NODE = "/usr/bin/node";
const NO_DEBUG_DIR = ["/nonexistent-debug-dir"];

/** addr2line's function name for ELF address `vaddr` of `file` (it finds Debian's debug files by build-id itself). */
function addr2line(file: string, vaddr: number): string {
	return execFileSync("addr2line", ["-f", "-e", file, `0x${vaddr.toString(16)}`], { encoding: "utf8" }).split("\n")[0];
}
const cxxfilt = (name: string) => execFileSync("c++filt", [name], { encoding: "utf8" }).trim();
/** Address of `name` in `file`, from every table we can read (its own and its debug file). */
function addressIn(file: string, name: string): number {
	const s = new ModuleSymbols(ElfFile.open(file, { lazy: true }), file).table().byName(name);
	if (!s) throw new Error(`${file} has no function ${name} (is its debug package installed? run scripts/setup)`);
	return s.address;
}
/** The mapped path of `file` in `pid` (/lib vs /usr/lib, versioned .so names). */
function mappedPath(pid: number, file: string): string {
	const real = execFileSync("readlink", ["-f", file], { encoding: "utf8" }).trim();
	const line = execFileSync("cat", [`/proc/${pid}/maps`], { encoding: "utf8" })
		.split("\n")
		.find((l) => l.endsWith(real) || l.endsWith(real.replace("/usr/lib/", "/lib/")));
	if (!line) throw new Error(`${file} is not mapped in ${pid}`);
	return line.slice(line.indexOf("/"));
}

let tmp: string;
before(() => {
	buildFixtures();
	tmp = mkdtempSync(join(tmpdir(), "dtop-symbolize-"));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("a stripped fixture with a .gnu_debuglink", () => {
	let stripped: { binary: string; debug: string };
	let proc: Running;
	let inner: number;
	before(async () => {
		stripped = stripWithDebugLink(STATICS, join(tmp, "statics"));
		inner = functionAddress(STATICS, "_ZL12inner_statici");
		proc = await startWaiting(stripped.binary);
	});
	after(() => proc.stop());

	test("static functions named from the debug file, demangled; raw with nodemangle", () => {
		const at = proc.runtime(stripped.binary, inner + 4);
		assert.equal(new Symbolizer({ debugDirs: NO_DEBUG_DIR }).userFrame(proc.pid, at), "statics`inner_static(int)+0x4");
		assert.equal(
			new Symbolizer({ debugDirs: NO_DEBUG_DIR, nodemangle: true }).userFrame(proc.pid, at),
			"statics`_ZL12inner_statici+0x4",
		);
	});

	test("without debug data: statics+0xADDR, an address addr2line names in the unstripped build", () => {
		const at = proc.runtime(stripped.binary, inner + 4);
		const frame = new Symbolizer({ debugFiles: false }).userFrame(proc.pid, at);
		assert.equal(frame, `statics+0x${(inner + 4).toString(16)}`);
		const addr = Number.parseInt(frame.split("+")[1], 16);
		assert.equal(addr2line(STATICS, addr), "_ZL12inner_statici");
	});
});

describe("Debian's objects and debug packages", () => {
	let node: Running;
	let python: Running;
	before(async () => {
		node = await startWaiting(NODE, ["-e", 'console.log("ready"); setInterval(() => {}, 1000)']);
		python = await startWaiting(PYTHON, ["-c", "import sys, time; print('ready', flush=True); sys.stdin.read()"]);
	});
	after(async () => {
		await node.stop();
		await python.stop();
	});

	test("libc's static __libc_start_call_main, named through libc6-dbg's build-id file", () => {
		const path = mappedPath(node.pid, LIBC);
		const vaddr = addressIn(LIBC, "__libc_start_call_main");
		const at = node.runtime(path, vaddr + 8);
		assert.equal(new Symbolizer().userFrame(node.pid, at), "libc.so.6`__libc_start_call_main+0x8");
		// Without debug files .dynsym does not name it: the ELF address, which addr2line names.
		const raw = new Symbolizer({ debugFiles: false }).userFrame(node.pid, at);
		assert.equal(raw, `libc.so.6+0x${(vaddr + 8).toString(16)}`);
		assert.equal(addr2line(LIBC, vaddr + 8), "__libc_start_call_main");
	});

	test("exported libc functions are named without any debug file", () => {
		const vaddr = ElfFile.open(LIBC).symbols().byName("getpid")?.address ?? 0;
		const at = node.runtime(mappedPath(node.pid, LIBC), vaddr + 2);
		assert.equal(new Symbolizer({ debugFiles: false }).userFrame(node.pid, at), "libc.so.6`getpid+0x2");
	});

	test("python3.11's static pymain_init, named through python3.11-dbg's build-id file", () => {
		const vaddr = addressIn(PYTHON, "pymain_init");
		assert.equal(addr2line(PYTHON, vaddr + 3), "pymain_init");
		const at = python.runtime(mappedPath(python.pid, PYTHON), vaddr + 3);
		assert.equal(new Symbolizer().userFrame(python.pid, at), "python3.11`pymain_init+0x3");
	});

	test("node's C++ frames demangled as c++filt does; raw names with nodemangle", () => {
		const mangled = "_ZN4node2fsL4ReadERKN2v820FunctionCallbackInfoINS1_5ValueEEE";
		const vaddr = addressIn(NODE, mangled);
		const at = node.runtime(mappedPath(node.pid, NODE), vaddr + 0x10);
		assert.equal(new Symbolizer().userFrame(node.pid, at), `node\`${cxxfilt(mangled)}+0x10`);
		assert.equal(new Symbolizer({ nodemangle: true }).userFrame(node.pid, at), `node\`${mangled}+0x10`);
	});

	test("libstdc++'s exported C++ functions demangled", () => {
		const path = mappedPath(node.pid, LIBSTDCXX);
		for (const mangled of ["_ZNSt6thread4joinEv", "_ZSt9terminatev"]) {
			const vaddr = addressIn(LIBSTDCXX, mangled);
			const at = node.runtime(path, vaddr + 1);
			assert.equal(new Symbolizer().userFrame(node.pid, at), `libstdc++.so.6.0.30\`${cxxfilt(mangled)}+0x1`);
		}
	});

	test("an object first seen in a process that has exited still gives its debug names to the next", async () => {
		const s = new Symbolizer();
		const first = await startWaiting(PYTHON, ["-c", "import sys; print('ready', flush=True); sys.stdin.read()"]);
		const getpid = ElfFile.open(LIBC).symbols().byName("getpid")?.address ?? 0;
		assert.match(
			s.userFrame(first.pid, first.runtime(mappedPath(first.pid, LIBC), getpid)),
			/^libc\.so\.6`getpid\+0x0$/,
		);
		await first.stop();
		const vaddr = addressIn(LIBC, "__libc_start_call_main");
		const at = node.runtime(mappedPath(node.pid, LIBC), vaddr + 8);
		assert.equal(s.userFrame(node.pid, at), "libc.so.6`__libc_start_call_main+0x8");
	});

	test("symbols are cached per file and the cache stays under its bound", () => {
		const s = new Symbolizer({ maxSymbols: 20_000 });
		const libc = node.runtime(mappedPath(node.pid, LIBC), addressIn(LIBC, "getpid"));
		const py = python.runtime(mappedPath(python.pid, PYTHON), addressIn(PYTHON, "pymain_init"));
		const nodeFn = node.runtime(mappedPath(node.pid, NODE), addressIn(NODE, "_ZN4node5StartEiPPc"));
		s.userFrame(node.pid, libc);
		s.userFrame(python.pid, py);
		assert.equal(s.cacheStats().modules, 2);
		// node's .symtab alone is far over the bound: the older objects make room.
		assert.match(s.userFrame(node.pid, nodeFn), /^node`node::Start\(int, char\*\*\)\+0x0$/);
		const stats = s.cacheStats();
		assert.equal(stats.modules, 1, JSON.stringify(stats));
		// The evicted objects load again on demand, with the same names.
		assert.equal(s.userFrame(python.pid, py), "python3.11`pymain_init+0x0");
	});
});
