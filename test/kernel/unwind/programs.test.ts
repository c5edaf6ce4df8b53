// The kernel unwinder against GDB, on Debian's own programs and on the
// fixtures: the process is stopped at its first firing (bpf_send_signal
// SIGSTOP from the probe), GDB attaches to the same process at the same site,
// and the frames must be the same addresses. GDB's frame 0 is one byte further
// on (the probed one-byte nop has run); GDB's inline and tail-call frames have
// no return address on the stack and are left out. Host only: the VM has
// neither GDB nor python3.11.
import assert from "node:assert/strict";
import { realpathSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { attachUprobeMulti } from "../../../kernel/attach/index.ts";
import { ElfFile, readMaps } from "../../../kernel/elf/index.ts";
import type { UserStack } from "../../../kernel/unwind/stacks.ts";
import { Unwinder } from "../../../kernel/unwind/unwinder.ts";
import { Stop } from "../../../kernel/unwind/walk.ts";
import { buildFixtures, DEEPSTACK, DEEPTHROW } from "../../fixtures/fixtures.ts";
import { startWaiting } from "./child.ts";
import { type GdbFrame, gdbFrames, realFrames, waitStopped } from "./gdb.ts";
import { countByStack, isStack, readCounts, symbolize } from "./harness.ts";
import { usdtSite } from "./run.ts";

const PYTHON = "/usr/bin/python3.11";
const NODE = "/usr/bin/node";
const LIBSTDCXX = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";

interface Stopped {
	ours: UserStack;
	gdb: GdbFrame[];
	symbolized: string[];
}

/** Runs `cmd`, stops it at its first firing of the site, and returns both views of the stack. */
async function stopAndCompare(
	u: Unwinder,
	cmd: string,
	args: string[],
	site: { file: string; offset: bigint; refCtrOffset?: bigint },
	ready: boolean,
): Promise<Stopped> {
	const prog = countByStack(u, { stopAfterFirst: true });
	const child = await startWaiting(cmd, args, { ready });
	try {
		u.addProcess(child.pid);
		const maps = readMaps(child.pid);
		const link = attachUprobeMulti(prog.prog.fd, {
			path: realpathSync(site.file),
			pid: child.pid,
			sites: [{ offset: site.offset, refCtrOffset: site.refCtrOffset, cookie: 1n }],
		});
		try {
			child.go();
			await waitStopped(child.pid);
			const gdb = gdbFrames(child.pid);
			const counted = readCounts(prog, u);
			assert.equal(counted.length, 1, "one stack at the first stop");
			const ours = counted[0].stack;
			if (!isStack(ours)) assert.fail(`the stack was not recorded (${ours.missing})`);
			return { ours, gdb, symbolized: symbolize(maps, ours.frames) };
		} finally {
			link.close();
		}
	} finally {
		await child.kill();
		prog.close();
	}
}

/** Our frames equal GDB's real frames (frame 0 one byte before GDB's), over `count` frames or all. */
function assertSameFrames(s: Stopped, count?: number): void {
	const real = realFrames(s.gdb);
	const n = count ?? Math.max(real.length, s.ours.frames.length);
	const rows = (k: number) =>
		Array.from(
			{ length: k },
			(_, i) =>
				`${i}: ours ${s.ours.frames[i]?.toString(16) ?? "-"} ${s.symbolized[i] ?? ""} | gdb ${real[i]?.pc.toString(16) ?? "-"} ${real[i]?.name ?? ""} ${real[i]?.type ?? ""}`,
		).join("\n");
	assert.equal(s.ours.frames[0] + 1, real[0].pc, `frame 0\n${rows(n)}`);
	for (let i = 1; i < n; i++) assert.equal(s.ours.frames[i], real[i]?.pc, `frame ${i}\n${rows(n)}`);
}

before(() => buildFixtures());

describe("the same frames as GDB at the same probe in the same process", () => {
	let u: Unwinder;
	before(() => {
		u = new Unwinder();
	});
	after(() => u.close());

	for (const via of ["qsort", "signal", "syscall"]) {
		test(`deepstack through ${via}`, async () => {
			const site = usdtSite({ file: DEEPSTACK, usdt: "hit" });
			const s = await stopAndCompare(
				u,
				DEEPSTACK,
				["--wait", "--count", "1", "--via", via],
				{ ...site, file: DEEPSTACK },
				true,
			);
			assert.equal(s.ours.stop, Stop.END, s.ours.stopName);
			assertSameFrames(s);
		});
	}

	test("deepthrow at libstdc++'s throw probe", async () => {
		const site = usdtSite({ file: LIBSTDCXX, usdt: "throw" });
		const s = await stopAndCompare(u, DEEPTHROW, ["--wait", "1"], { ...site, file: LIBSTDCXX }, true);
		assertSameFrames(s);
		assert.equal(s.ours.frames.length, 25);
		assert.equal(realFrames(s.gdb)[1].name, "ns::Thrower::method");
		assert.equal(realFrames(s.gdb)[21].name, "main");
	});

	test("Debian's python3.11 at its audit probe, importing json", async () => {
		const site = usdtSite({ file: PYTHON, usdt: "audit" });
		const s = await stopAndCompare(
			u,
			PYTHON,
			["-c", "import sys; sys.stdin.readline(); import json"],
			{ ...site, file: PYTHON },
			false,
		);
		assert.equal(s.ours.stop, Stop.END, s.ours.stopName);
		assert.ok(s.ours.frames.length >= 5, `${s.ours.frames.length} frames`);
		assertSameFrames(s);
		const real = realFrames(s.gdb);
		const last = real.slice(-4).map((f) => f.name);
		// python.c's main is `return Py_BytesMain(argc, argv);`, compiled to a jmp: it
		// has no frame of its own, so Py_BytesMain returns straight into libc
		// (GDB, reading python3.11-dbg's DWARF, agrees).
		assert.deepEqual(last, ["Py_BytesMain", "__libc_start_call_main", "__libc_start_main_impl", "_start"]);
		assert.match(s.symbolized[s.symbolized.length - 4], /^python3\.11`Py_BytesMain\+/, "named from .dynsym");
		assert.ok(real.some((f) => f.name === "_PyEval_EvalFrameDefault"));
	});

	test("node without --perf-basic-prof: native frames through V8's interpreter to node::Start and _start", async () => {
		const script = join(tmpdir(), `dtop-unwind-${process.pid}.js`);
		writeFileSync(
			script,
			[
				'require("fs").readSync(0, Buffer.alloc(8));',
				'function leaf(n) { return require("fs").statSync("/").size + n; }',
				"function mid(n) { return leaf(n) + 1; }",
				"let s = 0; for (let i = 0; i < 100; i++) s += mid(i);",
			].join("\n"),
		);
		const elf = ElfFile.open(NODE);
		const sym = elf.symbols().byName("uv_fs_stat");
		assert.ok(sym, "node has a uv_fs_stat symbol");
		const offset = elf.addressToOffset(sym.address);
		assert.ok(offset !== undefined);
		const s = await stopAndCompare(u, NODE, [script], { file: NODE, offset: BigInt(offset) }, false);
		assert.equal(s.ours.stop, Stop.END, `${s.ours.stopName}\n${s.symbolized.join("\n")}`);
		assert.ok(s.ours.fpFallback, "V8's builtins have no unwind information: frame pointers there");
		// GDB follows the C++ frames up to the first V8 builtin; there the frames must agree.
		const real = realFrames(s.gdb);
		const firstBuiltin = real.findIndex((f) => f.name?.startsWith("Builtins_"));
		assert.ok(firstBuiltin >= 3, real.map((f) => f.name).join("\n"));
		assertSameFrames(s, firstBuiltin + 1);
		const names = s.symbolized.join("\n");
		assert.match(names, /node`_ZN4node2fsL4StatERKN2v820FunctionCallbackInfoINS1_5ValueEEE\+/);
		assert.match(names, /node`_ZN4node5StartEiPPc\+/);
		assert.match(s.symbolized[s.symbolized.length - 1], /^node`_start\+/);
	});
});
