import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readSync, realpathSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import {
	ElfFile,
	findMapping,
	mappingsOf,
	openablePath,
	ProcessGoneError,
	parseMaps,
	parseMapsLine,
	readMaps,
	resolveAddress,
	runtimeAddress,
	runtimeAddressOf,
} from "../../../kernel/elf/index.ts";
import { buildFixtures, LIBSIMPLE, SIMPLE, type SimpleRun, startSimple } from "../../fixtures/fixtures.ts";

/** Reads `length` bytes of another process's memory through /proc/PID/mem. */
function readMemory(pid: number, address: number, length: number): Buffer {
	const fd = openSync(`/proc/${pid}/mem`, "r");
	try {
		const buf = Buffer.alloc(length);
		assert.equal(readSync(fd, buf, 0, length, address), length);
		return buf;
	} finally {
		closeSync(fd);
	}
}

describe("parseMapsLine", () => {
	test("a file mapping", () => {
		assert.deepEqual(
			parseMapsLine(
				"7f3a1c000000-7f3a1c022000 r-xp 00001000 fe:01 1234567                    /usr/lib/x86_64-linux-gnu/libc.so.6",
			),
			{
				start: 0x7f3a1c000000,
				end: 0x7f3a1c022000,
				perms: "r-xp",
				readable: true,
				writable: false,
				executable: true,
				shared: false,
				offset: 0x1000,
				devMajor: 0xfe,
				devMinor: 1,
				inode: 1234567,
				path: "/usr/lib/x86_64-linux-gnu/libc.so.6",
				deleted: false,
			},
		);
	});

	test("deleted files, spaces in paths, anonymous and pseudo mappings", () => {
		const del = parseMapsLine("55d0c0000000-55d0c0001000 r--s 00000000 00:05 42 /memfd:my buf (deleted)");
		assert.equal(del?.path, "/memfd:my buf");
		assert.equal(del?.deleted, true);
		assert.equal(del?.shared, true);
		const d2 = parseMapsLine("55d0c0000000-55d0c0001000 r-xp 00002000 08:01 99 /tmp/a b/prog (deleted)");
		assert.equal(d2?.path, "/tmp/a b/prog");
		assert.equal(d2?.deleted, true);
		assert.equal(d2?.shared, false);
		const anon = parseMapsLine("7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0");
		assert.equal(anon?.path, "");
		assert.equal(
			parseMapsLine("7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]")?.path,
			"[stack]",
		);
		// [vsyscall] lies above 2^53 and backs no file.
		assert.equal(parseMapsLine("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]"), undefined);
		assert.equal(parseMapsLine("garbage"), undefined);
		assert.equal(parseMaps("garbage\n\n7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n").length, 1);
	});

	test("address arithmetic", () => {
		const m = parseMapsLine("1000-3000 r-xp 00005000 00:01 7 /bin/x")!;
		assert.equal(runtimeAddress(m, 0x5000), 0x1000);
		assert.equal(runtimeAddress(m, 0x6fff), 0x2fff);
		assert.equal(runtimeAddress(m, 0x7000), undefined);
		assert.equal(runtimeAddress(m, 0x4fff), undefined);
		const maps = parseMaps("1000-3000 r-xp 00005000 00:01 7 /bin/x\n5000-6000 rw-p 00000000 00:00 0\n");
		assert.equal(findMapping(maps, 0xfff), undefined);
		assert.equal(findMapping(maps, 0x1000), maps[0]);
		assert.equal(findMapping(maps, 0x3000), undefined);
		assert.equal(findMapping(maps, 0x5fff), maps[1]);
		assert.deepEqual(resolveAddress(maps, 0x1234), { mapping: maps[0], path: "/bin/x", fileOffset: 0x5234 });
		assert.equal(runtimeAddressOf(maps, "/bin/x", 0x5234), 0x1234);
		assert.equal(runtimeAddressOf(maps, { devMajor: 0, devMinor: 1, inode: 7 }, 0x5234), 0x1234);
		assert.equal(runtimeAddressOf(maps, "/bin/y", 0x5234), undefined);
	});
});

describe("readMaps on a live fixture process", () => {
	let run: SimpleRun;
	before(async () => {
		buildFixtures();
		run = await startSimple(["--count", "1"]);
	});
	after(async () => {
		await run?.kill();
	});

	test("the program and its library are mapped; addresses go to symbols and back", () => {
		const maps = readMaps(run.pid);
		const exe = realpathSync(SIMPLE);
		const lib = realpathSync(LIBSIMPLE);
		assert.ok(
			mappingsOf(maps, exe).some((m) => m.executable),
			"simple's code is mapped",
		);
		assert.ok(
			mappingsOf(maps, lib).some((m) => m.executable),
			"libsimple.so's code is mapped",
		);
		assert.ok(maps.some((m) => m.path === "[stack]"));
		for (let i = 1; i < maps.length; i++) assert.ok(maps[i - 1].end <= maps[i].start);

		for (const [path, fn] of [
			[exe, "fire_line"],
			[exe, "run"],
			[lib, "lib_work"],
		] as const) {
			const elf = ElfFile.open(path);
			const sym = elf.symbols().byName(fn)!;
			const fileOffset = elf.addressToOffset(sym.address + 2)!;
			// file offset -> where it is in the process ...
			const addr = runtimeAddressOf(maps, path, fileOffset);
			assert.ok(addr !== undefined, `${fn} not mapped`);
			// ... holds the same bytes as the file ...
			const fileBytes = Buffer.alloc(8);
			const fd = openSync(path, "r");
			readSync(fd, fileBytes, 0, 8, fileOffset);
			closeSync(fd);
			assert.deepEqual(readMemory(run.pid, addr, 8), fileBytes);
			// ... and back: runtime address -> (file, offset) -> vaddr -> symbol.
			const r = resolveAddress(maps, addr)!;
			assert.equal(r.path, path);
			assert.equal(r.fileOffset, fileOffset);
			const back = elf.symbolize(elf.offsetToAddress(r.fileOffset)!);
			assert.equal(back?.name, fn);
			assert.equal(back?.offset, 2);
			assert.equal(openablePath(run.pid, r.mapping), `/proc/${run.pid}/root${path}`);
		}
	});

	test("the USDT semaphore's file offset is a writable address holding 0 when untraced", () => {
		const maps = readMaps(run.pid);
		const exe = realpathSync(SIMPLE);
		const sema = ElfFile.open(exe)
			.usdtProbes()
			.find((p) => p.name === "sema__probe")!;
		const addr = runtimeAddressOf(maps, exe, sema.semaphoreOffset);
		assert.ok(addr !== undefined);
		assert.ok(findMapping(maps, addr)?.writable);
		assert.equal(readMemory(run.pid, addr, 2).readUInt16LE(0), 0);
	});

	test("after the process exits its pid gives ProcessGoneError", async () => {
		assert.equal(await run.go(), 0);
		const { code, stdout } = await run.exited;
		assert.equal(code, 0);
		assert.match(stdout, /done\n$/);
		assert.throws(
			() => readMaps(run.pid),
			(e: unknown) => {
				assert.ok(e instanceof ProcessGoneError);
				assert.equal(e.pid, run.pid);
				assert.equal(e.message, `process ${run.pid} is not running (it has exited); pick a live process id.`);
				return true;
			},
		);
	});
});

test("readMaps of a pid that never ran, and of pid 0", () => {
	// A short-lived child: its pid is free again once reaped.
	const pid = spawnSync("true").pid;
	assert.ok(pid && pid > 0);
	assert.throws(() => readMaps(pid), ProcessGoneError);
	assert.throws(() => readMaps(0), ProcessGoneError);
	assert.throws(() => readMaps(-5), ProcessGoneError);
});

test("a kernel thread has no mappings", () => {
	assert.deepEqual(readMaps(2), []); // kthreadd
});
