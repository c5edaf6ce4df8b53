// ustack() through the .eh_frame unwinder, from the real command line, on
// programs built without frame pointers: Debian's python3.11 at its audit
// probe, and a C++ fixture built -O2 -fomit-frame-pointer at libstdc++'s throw
// probe. GDB is the oracle: a breakpoint on the function that holds the probe,
// in another run of the same command, and at each hit the frames GDB unwinds
// (its own DWARF unwinder), each named by GDB's `info symbol` (return addresses
// looked up one byte back, as dtop does). Every stack dtop prints must be one
// GDB saw, frame for frame, offsets included (frame 0 by name only: GDB stops at
// the function's entry, the probe sits further in).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { buildFixtures, DEEPSTACK, DEEPTHROW } from "../fixtures/fixtures.ts";
import { runDtop } from "../helpers/cli.ts";

const PYTHON = "/usr/bin/python3.11";
const dir = mkdtempSync(join(tmpdir(), "dtop-unwound-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Each aggregation row of a ustack()-keyed count: its frames and its count. */
function parseStacks(out: string): { frames: string[]; count: number }[] {
	const rows: { frames: string[]; count: number }[] = [];
	for (const block of out.split(/\n\s*\n/)) {
		const lines = block
			.split("\n")
			.map((l) => l.trim())
			.filter(Boolean);
		if (lines.length < 2 || !/^\d+$/.test(lines[lines.length - 1])) continue;
		rows.push({ frames: lines.slice(0, -1), count: Number(lines[lines.length - 1]) });
	}
	return rows;
}

const GDB_SCRIPT = `
import gdb
class Site(gdb.Breakpoint):
    def stop(self):
        f = gdb.newest_frame()
        out = []
        while f is not None:
            if f.type() == gdb.NORMAL_FRAME:
                pc = f.pc() - (1 if out else 0)
                out.append(gdb.execute("info symbol %d" % pc, to_string=True).split(" in section")[0].strip())
            f = f.older()
        print("STACK\\t" + "\\t".join(out))
        return False
gdb.execute("set breakpoint pending on")
Site(FUNCTION)
gdb.execute("run")
`;

/** The stacks GDB sees at every call of `fn` in a run of `argv`, as `name` / `name + N` per frame. */
function gdbStacks(argv: string[], fn: string): string[][] {
	const script = join(dir, `${fn}.py`);
	writeFileSync(script, GDB_SCRIPT.replace("FUNCTION", JSON.stringify(fn)));
	const out = execFileSync(
		"gdb",
		["-batch", "-nx", "-ex", "set backtrace past-main on", "-x", script, "--args", ...argv],
		{
			encoding: "utf8",
			stdio: ["ignore", "pipe", "pipe"],
			timeout: 120_000,
			maxBuffer: 64 << 20,
		},
	);
	const stacks = out
		.split("\n")
		.filter((l) => l.startsWith("STACK\t"))
		.map((l) => l.split("\t").slice(1));
	assert.ok(stacks.length > 0, `gdb never stopped in ${fn}:\n${out.slice(-2000)}`);
	return stacks;
}

/** dtop's `module`name+0xN` → { name, offset }; a frame without a symbol keeps its `module+0xN`. */
function ours(frame: string): { name: string; offset: number } {
	const m = /^[^`]+`(.*)\+0x([0-9a-f]+)$/.exec(frame);
	if (!m) return { name: frame, offset: -1 };
	return { name: m[1], offset: Number.parseInt(m[2], 16) };
}

/** GDB's `name + N` (N in decimal; no `+` at offset 0). */
function theirs(frame: string): { name: string; offset: number } {
	const m = /^(.*) \+ (\d+)$/.exec(frame);
	return m ? { name: m[1], offset: Number(m[2]) } : { name: frame, offset: 0 };
}

/**
 * A symbol name as both sides can agree on it: GCC's clone suffixes
 * (.lto_priv.0, .cold, .constprop.0, .isra.0, .part.0) dropped, since GDB
 * shows some and not others (and `.cold` parts as `NAME[cold]`); and GDB decodes C minimal symbols the way GNAT
 * encodes Ada names (`sys__getframe` → `sys.getframe`), so an inner `__` is
 * read as a dot on both sides.
 */
const base = (name: string) =>
	name
		.replace(/\[cold\]$/, "")
		.replace(/(\.(lto_priv|cold|constprop|isra|part|localalias)(\.\d+)?)+$/, "")
		.replace(/([^_])__(?=[^_])/g, "$1.");

/**
 * One of dtop's frames against GDB's: the same symbol (GDB prints a template
 * function's return type first, `long down<0>(long)`, which dtop leaves out),
 * and for return addresses the same offset (GDB's is one byte back).
 */
function sameFrame(i: number, dtop: string, gdb: string): boolean {
	const a = ours(dtop);
	const b = theirs(gdb);
	const na = base(a.name);
	const nb = base(b.name);
	if (na !== nb && !nb.endsWith(` ${na}`)) return false;
	return i === 0 || a.offset === b.offset + 1;
}

function assertAllSeenByGdb(rows: { frames: string[] }[], gdb: string[][]): void {
	for (const r of rows) {
		const match = gdb.some((g) => g.length === r.frames.length && g.every((f, i) => sameFrame(i, r.frames[i], f)));
		const closest = gdb.find((g) => sameFrame(1, r.frames[1] ?? "", g[1] ?? "")) ?? gdb[0];
		assert.ok(
			match,
			`dtop's stack is not one GDB saw:\n${r.frames.join("\n")}\n--- a GDB stack:\n${closest.join("\n")}`,
		);
	}
}

function assertNoAbsoluteAddresses(rows: { frames: string[] }[]): void {
	for (const r of rows)
		for (const f of r.frames) {
			assert.doesNotMatch(f, /^0x|`0x/, `a frame is an absolute address: ${f}`);
			assert.doesNotMatch(f, /^<stack/, `the walk stopped early:\n${r.frames.join("\n")}`);
		}
}

test("Debian's python3.11 at its audit probe: whole stacks through libc's main caller, as GDB unwinds them", async () => {
	const r = await runDtop(
		["-q", "-n", "python$target:::audit { @[ustack()] = count(); }", "-c", `${PYTHON} -c "import json"`],
		{ timeoutMs: 90_000 },
	);
	assert.equal(r.code, 0, r.stderr);
	const rows = parseStacks(r.stdout);
	assert.ok(rows.length >= 10, `distinct stacks: ${rows.length}\n${r.stdout.slice(0, 2000)}`);
	assertNoAbsoluteAddresses(rows);
	for (const row of rows) {
		const names = row.frames.map((f) => base(ours(f).name));
		assert.ok(row.frames.length >= 5, row.frames.join("\n"));
		assert.match(row.frames[0], /^python3\.11`sys_audit_tstate/, "frame 0 is the probe's function");
		// python.c's main is `return Py_BytesMain(argc, argv);`, a jmp: main has no
		// frame of its own, and Py_BytesMain returns into libc's caller of main.
		assert.deepEqual(
			names.slice(-4),
			["Py_BytesMain", "__libc_start_call_main", "__libc_start_main", "_start"],
			row.frames.join("\n"),
		);
	}
	assertAllSeenByGdb(rows, gdbStacks([PYTHON, "-c", "import json"], "sys_audit_tstate"));
});

test("a C++ program built -O2 -fomit-frame-pointer, at libstdc++'s throw probe: the thrower demangled, 20 frames to main", async () => {
	buildFixtures();
	const r = await runDtop(["-q", "-n", "libstdcxx$target:::throw { @[ustack()] = count(); }", "-c", `${DEEPTHROW} 5`], {
		timeoutMs: 60_000,
	});
	assert.equal(r.code, 0, r.stderr);
	const rows = parseStacks(r.stdout);
	assert.equal(rows.length, 1, r.stdout);
	assert.equal(rows[0].count, 5, "one firing per throw");
	const f = rows[0].frames;
	assertNoAbsoluteAddresses(rows);
	assert.match(f[0], /^libstdc\+\+\.so\.6[.\d]*`__cxa_throw\+0x/);
	assert.match(f[1], /^deepthrow`ns::Thrower::method\(int\)\+0x[0-9a-f]+$/);
	for (let n = 0; n <= 18; n++) assert.match(f[2 + n], new RegExp(`^deepthrow\`down<${n}>\\(long\\)\\+0x`));
	assert.match(f[21], /^deepthrow`main\+0x/);
	assert.ok(!f.some((x) => x.includes("`_Z")), "no mangled name left");
	assertAllSeenByGdb(rows, gdbStacks([DEEPTHROW, "2"], "__cxa_throw"));
});

test("a program stripped of its call frame information: every firing counted, the stack says where and why it stops", async () => {
	buildFixtures();
	const bare = join(dir, "deepstack");
	execFileSync("objcopy", [
		"--remove-section=.eh_frame",
		"--remove-section=.eh_frame_hdr",
		"--remove-section=.debug_frame",
		DEEPSTACK,
		bare,
	]);
	const r = await runDtop(
		["-q", "-n", "deepstack$target:::hit { @[ustack()] = count(); }", "-c", `${bare} --count 500`],
		{
			timeoutMs: 60_000,
		},
	);
	assert.equal(r.code, 0, r.stderr);
	const rows = parseStacks(r.stdout);
	assert.equal(rows.length, 1, r.stdout);
	assert.equal(rows[0].count, 500);
	assert.deepEqual(rows[0].frames, ["deepstack`f19+0x0", "<stack stops: no unwind table loaded for the object>"]);
});

test("at a system call (the task's saved user registers): python3.11's write(2) stacks reach main", async () => {
	const r = await runDtop(
		["-q", "-n", "syscall::write:entry /pid == $target/ { @[ustack()] = count(); }", "-c", `${PYTHON} -c "print(1)"`],
		{ timeoutMs: 90_000 },
	);
	assert.equal(r.code, 0, r.stderr);
	const rows = parseStacks(r.stdout);
	assert.ok(rows.length >= 1, r.stdout);
	assertNoAbsoluteAddresses(rows);
	for (const row of rows) {
		assert.match(row.frames[0], /^libc\.so\.6`(__GI___libc_write|__libc_write|write)\+0x/);
		assert.ok(
			row.frames.some((f) => /^python3\.11`builtin_print/.test(f)),
			row.frames.join("\n"),
		);
		assert.deepEqual(
			row.frames.slice(-4).map((f) => base(ours(f).name)),
			["Py_BytesMain", "__libc_start_call_main", "__libc_start_main", "_start"],
		);
	}
});

test("at a profile probe: samples of a program without frame pointers, 20 calls deep, reach main", async () => {
	buildFixtures();
	const r = await runDtop(
		["-q", "-n", "profile-997 /pid == $target/ { @[ustack()] = count(); }", "-c", `${DEEPSTACK} --count 4000000`],
		{ timeoutMs: 90_000 },
	);
	assert.equal(r.code, 0, r.stderr);
	// Samples taken in the program's work (its run/fNN functions); a sample of the
	// dynamic loader before main or of exit() after it rightly has no main.
	const rows = parseStacks(r.stdout).filter((x) => x.frames.some((f) => /^deepstack`(run|f\d\d)\+0x/.test(f)));
	const total = rows.reduce((n, x) => n + x.count, 0);
	const reaching = rows.filter((x) => x.frames.some((f) => /^deepstack`main\+0x/.test(f)));
	const reached = reaching.reduce((n, x) => n + x.count, 0);
	const missing = rows.filter((x) => !reaching.includes(x)).map((x) => `${x.frames.join(" <- ")}  ${x.count}`);
	assert.ok(total >= 20, `samples: ${total}\n${r.stdout.slice(0, 1500)}`);
	assert.ok(reached / total >= 0.95, `${reached} of ${total} samples reach main; not:\n${missing.join("\n")}`);
	for (const x of reaching) assert.match(x.frames[x.frames.length - 1], /^deepstack`_start\+0x/);
	assert.ok(
		reaching.some((x) => x.frames.some((f) => /^deepstack`f1\d\+0x/.test(f))),
		"some samples deep in the chain",
	);
});
