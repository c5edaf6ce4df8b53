import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ElfError, ElfFile, EM_X86_64, ET_DYN, ET_EXEC, PT_LOAD } from "../../../kernel/elf/index.ts";
import { buildFixtures, LIBSIMPLE, SIMPLE, THROWER } from "../../fixtures/fixtures.ts";
import {
	readelfAddressToOffset,
	readelfBuildId,
	readelfFunctions,
	readelfLoads,
	readelfProbes,
	readelfSectionNames,
} from "./readelf.ts";

const PYTHON = "/usr/bin/python3.11";
const LIBSTDCXX = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";

before(() => buildFixtures());

describe("ElfFile on the fixtures", () => {
	test("header of simple: ELF64 little-endian x86_64 PIE", () => {
		const elf = ElfFile.open(SIMPLE);
		assert.equal(elf.header.class, 64);
		assert.equal(elf.header.endianness, "little");
		assert.equal(elf.header.machine, EM_X86_64);
		assert.equal(elf.header.machineName, "x86_64");
		assert.equal(elf.arch, "x64");
		assert.equal(elf.type, ET_DYN);
		assert.equal(elf.header.typeName, "DYN");
		assert.equal(elf.isPie, true);
		assert.equal(elf.isExecutable, true);
		assert.equal(elf.soname(), undefined);
	});

	test("libsimple.so is a shared object with a soname-less DYN type, not a PIE", () => {
		const elf = ElfFile.open(LIBSIMPLE);
		assert.equal(elf.type, ET_DYN);
		assert.equal(elf.isPie, false);
		assert.equal(elf.isExecutable, false);
	});

	test("section names match readelf -S", () => {
		for (const path of [SIMPLE, LIBSIMPLE, LIBC]) {
			const elf = ElfFile.open(path);
			assert.deepEqual(
				elf.sections.map((s) => s.name),
				readelfSectionNames(path),
				path,
			);
			assert.equal(elf.section(".text")?.name, ".text");
		}
	});

	test("USDT probes of simple: names, args, pc and semaphore offsets agree with readelf", () => {
		const elf = ElfFile.open(SIMPLE);
		const probes = elf.usdtProbes();
		const loads = readelfLoads(SIMPLE);
		const expected = readelfProbes(SIMPLE);
		assert.deepEqual(probes.map((p) => `${p.provider}:${p.name}`).sort(), [
			"simple:args",
			"simple:saw__line",
			"simple:saw__word",
			"simple:sema__probe",
		]);
		assert.equal(probes.length, expected.length);
		for (const e of expected) {
			const p = probes.find((q) => q.name === e.name);
			assert.ok(p, e.name);
			assert.equal(p.provider, e.provider);
			assert.equal(p.pc, e.location);
			assert.equal(p.base, e.base);
			assert.equal(p.semaphore, e.semaphore);
			assert.equal(p.args, e.args);
			assert.equal(p.pcOffset, readelfAddressToOffset(loads, e.location));
			assert.equal(p.semaphoreOffset, e.semaphore ? readelfAddressToOffset(loads, e.semaphore) : 0);
		}
		const byName = Object.fromEntries(probes.map((p) => [p.name, p]));
		assert.equal(byName.saw__line.args, "-4@%edi");
		assert.equal(byName.saw__word.args, "8@%rdi");
		assert.match(byName.args.args, /^8@%\w+ -8@%\w+$/);
		assert.equal(byName.sema__probe.args, "");
		assert.equal(byName.saw__line.function, "fire_line");
		assert.equal(byName.saw__word.function, "fire_word");
		assert.equal(byName.args.function, "fire_args");
		assert.equal(byName.sema__probe.function, "fire_sema");
		// Only the semaphore-guarded probe has a semaphore, and it is in .probes.
		assert.equal(byName.saw__line.semaphore, 0);
		const probesSec = elf.section(".probes");
		assert.ok(probesSec);
		assert.equal(byName.sema__probe.semaphore, probesSec.addr);
		assert.equal(byName.sema__probe.semaphoreOffset, probesSec.offset);
		// The nop the probe sits on.
		const code = readFileSync(SIMPLE);
		for (const p of probes) assert.equal(code[p.pcOffset], 0x90, `${p.name} is not on a nop`);
	});

	test("USDT probe of libsimple.so and its function", () => {
		const probes = ElfFile.open(LIBSIMPLE).usdtProbes();
		assert.equal(probes.length, 1);
		const [p] = probes;
		assert.equal(`${p.provider}:${p.name}`, "simplelib:lib__call");
		assert.equal(p.args, "-4@%edi");
		assert.equal(p.function, "lib_work");
		assert.equal(p.semaphoreOffset, 0);
		assert.equal(p.pcOffset, readelfAddressToOffset(readelfLoads(LIBSIMPLE), readelfProbes(LIBSIMPLE)[0].location));
	});

	test("function symbols of simple and libsimple.so, symbolize inside and at the edges", () => {
		const elf = ElfFile.open(SIMPLE);
		const table = elf.symbols();
		for (const name of ["fire_line", "fire_word", "fire_args", "run", "main", "busy_spin", "touch"]) {
			const s = table.byName(name);
			assert.ok(s, `${name} missing`);
			assert.ok(s.size > 0, `${name} has no size`);
			assert.deepEqual(elf.symbolize(s.address), { name, offset: 0, symbol: s });
			assert.equal(elf.symbolize(s.address + s.size - 1)?.name, name);
			assert.equal(elf.symbolize(s.address + s.size - 1)?.offset, s.size - 1);
		}
		assert.equal(elf.symbolize(0), undefined);
		// Sorted by address, no repeated (name, address) pair.
		const seen = new Set<string>();
		for (let i = 0; i < table.symbols.length; i++) {
			const s = table.symbols[i];
			if (i > 0) assert.ok(table.symbols[i - 1].address <= s.address);
			const key = `${s.name}@${s.address}`;
			assert.ok(!seen.has(key), `${key} repeated`);
			seen.add(key);
		}
		const lib = ElfFile.open(LIBSIMPLE);
		const lw = lib.symbols().byName("lib_work");
		assert.ok(lw);
		assert.equal(lib.symbolize(lw.address + 4)?.name, "lib_work");
	});

	test("symbols agree with readelf -s (every defined function found, same address and size)", () => {
		for (const path of [SIMPLE, LIBSIMPLE, LIBC, LIBSTDCXX]) {
			const table = ElfFile.open(path).symbols();
			const ours = new Set(table.symbols.map((s) => `${s.name}@${s.address}/${s.size}`));
			const theirs = readelfFunctions(path);
			assert.ok(theirs.length > 0, path);
			for (const f of theirs) assert.ok(ours.has(`${f.name}@${f.value}/${f.size}`), `${path}: ${f.name} missing`);
			const theirKeys = new Set(theirs.map((f) => `${f.name}@${f.value}/${f.size}`));
			for (const k of ours) assert.ok(theirKeys.has(k), `${path}: ${k} not in readelf`);
		}
	});

	test("build-id equals readelf -n", () => {
		for (const path of [SIMPLE, LIBSIMPLE, THROWER, LIBC, LIBSTDCXX, PYTHON]) {
			const id = ElfFile.open(path).buildId();
			assert.ok(id && /^[0-9a-f]{40}$/.test(id), `${path}: ${id}`);
			assert.equal(id, readelfBuildId(path), path);
		}
	});

	test("build-id from PT_NOTE when the section headers are gone", () => {
		const buf = Buffer.from(readFileSync(SIMPLE));
		buf.writeBigUInt64LE(0n, 40); // e_shoff
		buf.writeUInt16LE(0, 60); // e_shnum
		buf.writeUInt16LE(0, 62); // e_shstrndx
		const elf = ElfFile.fromBuffer(buf, "headless");
		assert.equal(elf.sections.length, 0);
		assert.equal(elf.buildId(), readelfBuildId(SIMPLE));
		assert.deepEqual(elf.usdtProbes(), []);
	});

	test("debug link of Debian's libc names a .debug file", () => {
		const link = ElfFile.open(LIBC).debugLink();
		assert.ok(link);
		assert.match(link.file, /\.debug$/);
		assert.equal(typeof link.crc, "number");
		assert.equal(ElfFile.open(SIMPLE).debugLink(), undefined);
	});

	test("addressToOffset and offsetToAddress through PT_LOAD match readelf -l", () => {
		for (const path of [SIMPLE, LIBSIMPLE, PYTHON, LIBC]) {
			const elf = ElfFile.open(path);
			const loads = readelfLoads(path);
			const ours = elf.programHeaders.filter((p) => p.type === PT_LOAD);
			assert.equal(ours.length, loads.length, path);
			for (const [i, l] of loads.entries()) {
				assert.equal(ours[i].vaddr, l.vaddr);
				assert.equal(ours[i].offset, l.offset);
				assert.equal(ours[i].filesz, l.filesz);
				assert.equal(ours[i].memsz, l.memsz);
				for (const a of [l.vaddr, l.vaddr + Math.floor(l.filesz / 3), l.vaddr + l.filesz - 1]) {
					const off = elf.addressToOffset(a);
					assert.equal(off, readelfAddressToOffset(loads, a), `${path} ${a.toString(16)}`);
					assert.equal(elf.offsetToAddress(off!), a);
				}
				// .bss: in memory, not in the file.
				if (l.memsz > l.filesz) assert.equal(elf.addressToOffset(l.vaddr + l.filesz), undefined);
			}
			assert.equal(elf.addressToOffset(0x7fff_0000_0000), undefined);
			assert.equal(elf.offsetToAddress(elf.size + 100), undefined);
		}
	});

	test("lazy and eager readings agree", () => {
		for (const path of [SIMPLE, LIBSIMPLE, PYTHON, LIBSTDCXX]) {
			const eager = ElfFile.open(path);
			const lazy = ElfFile.open(path, { lazy: true });
			assert.deepEqual(lazy.header, eager.header);
			assert.deepEqual(lazy.sections, eager.sections);
			assert.deepEqual(lazy.programHeaders, eager.programHeaders);
			assert.deepEqual(lazy.usdtProbes(), eager.usdtProbes());
			assert.equal(lazy.buildId(), eager.buildId());
			assert.deepEqual(lazy.symbols().symbols, eager.symbols().symbols);
		}
	});
});

describe("ElfFile on Debian's binaries", () => {
	// (8 notes: readelf -n and bpftrace -l agree.)
	test("python3.11: 8 USDT probes, all with semaphores, offsets as readelf computes them", () => {
		const elf = ElfFile.open(PYTHON, { lazy: true });
		assert.equal(elf.type, ET_EXEC);
		assert.equal(elf.isPie, false);
		const probes = elf.usdtProbes();
		const expected = readelfProbes(PYTHON);
		const loads = readelfLoads(PYTHON);
		assert.equal(probes.length, 8);
		assert.deepEqual(probes.map((p) => p.name).sort(), expected.map((e) => e.name).sort());
		for (const p of probes) {
			assert.equal(p.provider, "python");
			assert.notEqual(p.semaphore, 0, p.name);
			const e = expected.find((q) => q.name === p.name && q.location === p.pc);
			assert.ok(e, p.name);
			assert.equal(p.args, e.args);
			assert.equal(p.pcOffset, readelfAddressToOffset(loads, e.location));
			assert.equal(p.semaphoreOffset, readelfAddressToOffset(loads, e.semaphore));
		}
		const names = new Set(probes.map((p) => p.name));
		for (const n of ["gc__start", "gc__done", "audit", "import__find__load__start", "function__entry", "line"]) {
			assert.ok(names.has(n), n);
		}
		// gc__start's argument is on the stack.
		assert.equal(probes.find((p) => p.name === "gc__start")?.args, "-4@112(%rsp)");
	});

	test("libstdc++: libstdcxx throw, catch, rethrow, no semaphores", () => {
		const probes = ElfFile.open(LIBSTDCXX).usdtProbes();
		const names = probes.map((p) => `${p.provider}:${p.name}`);
		for (const n of ["libstdcxx:throw", "libstdcxx:catch", "libstdcxx:rethrow"]) assert.ok(names.includes(n), n);
		for (const p of probes) assert.equal(p.semaphoreOffset, 0);
		assert.equal(probes.find((p) => p.name === "throw")?.function, "__cxa_throw");
		assert.equal(probes.find((p) => p.name === "catch")?.function, "__cxa_begin_catch");
	});

	test("libc symbols parse in a few ms", () => {
		ElfFile.open(LIBC).symbols(); // warm the JIT
		const t0 = performance.now();
		const elf = ElfFile.open(LIBC, { lazy: true });
		const table = elf.symbols();
		const ms = performance.now() - t0;
		assert.ok(table.size > 2000);
		assert.equal(elf.symbolize(table.byName("malloc")!.address + 1)?.name, "malloc");
		// Generous bound for a loaded 2-CPU machine; typically 2-4 ms.
		assert.ok(ms < 100, `libc symbols took ${ms.toFixed(1)} ms`);
	});
});

describe(".stapsdt.base adjustment (prelinked objects)", () => {
	test("pc and semaphore move by the difference between the section's address and the note's base", () => {
		const buf = Buffer.from(readFileSync(SIMPLE));
		const elf = ElfFile.fromBuffer(buf, "simple");
		const notes = elf.section(".note.stapsdt")!;
		const base = elf.section(".stapsdt.base")!;
		const before = elf.usdtProbes();
		// Pretend every note was written when .stapsdt.base sat 0x10 lower: the
		// object has since moved up by 0x10, so pc and semaphore must too.
		for (const n of elf.sectionNotes(notes)) {
			const descAt = notes.offset + n.offset + 12 + Math.ceil((n.owner.length + 1) / 4) * 4;
			assert.equal(buf.readBigUInt64LE(descAt + 8), BigInt(base.addr));
			buf.writeBigUInt64LE(BigInt(base.addr - 0x10), descAt + 8);
			buf.writeBigUInt64LE(buf.readBigUInt64LE(descAt) - 0x10n, descAt);
			const sema = buf.readBigUInt64LE(descAt + 16);
			if (sema !== 0n) buf.writeBigUInt64LE(sema - 0x10n, descAt + 16);
		}
		const after = ElfFile.fromBuffer(buf, "simple").usdtProbes();
		assert.deepEqual(
			after.map((p) => ({ ...p, base: p.base + 0x10 })),
			before,
		);
	});
});

describe("errors name the file and the problem", () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-elf-"));
	after(() => rmSync(dir, { recursive: true, force: true }));

	test("missing file, directory, text file, empty file", () => {
		assert.throws(
			() => ElfFile.open("/nonexistent/x"),
			(e: unknown) => {
				assert.ok(e instanceof ElfError);
				assert.equal(e.message, "/nonexistent/x: cannot read the file (no such file)");
				return true;
			},
		);
		assert.throws(() => ElfFile.open("/nonexistent/x", { lazy: true }), ElfError);
		assert.throws(() => ElfFile.open(dir), /is a directory|not a regular file/);
		assert.throws(() => ElfFile.open(dir, { lazy: true }), ElfError);
		const text = join(dir, "text");
		writeFileSync(text, "#!/bin/sh\necho hi\n");
		assert.throws(() => ElfFile.open(text), {
			name: "ElfError",
			message: `${text}: not an ELF file (no \\x7fELF magic at the start)`,
		});
		const empty = join(dir, "empty");
		writeFileSync(empty, "");
		assert.throws(() => ElfFile.open(empty, { lazy: true }), /not an ELF file/);
	});

	test("32-bit and unknown byte order are refused clearly", () => {
		const buf = Buffer.from(readFileSync(SIMPLE));
		buf[4] = 1;
		assert.throws(() => ElfFile.fromBuffer(buf, "x32"), {
			message: "x32: a 32-bit ELF file; dtop reads only 64-bit objects",
		});
		buf[4] = 2;
		buf[5] = 7;
		assert.throws(() => ElfFile.fromBuffer(buf, "odd"), /unknown ELF byte order 7/);
	});

	test("a truncated file says which structure points past its end", () => {
		const full = readFileSync(SIMPLE);
		const cut = full.subarray(0, 0x2000);
		assert.throws(
			() => ElfFile.fromBuffer(cut, "/x/simple"),
			(e: unknown) => {
				assert.ok(e instanceof ElfError);
				assert.match(
					e.message,
					/^\/x\/simple: the section header table points past the end of the file \(offset 0x[0-9a-f]+, size 0x[0-9a-f]+, file 0x2000 bytes\)$/,
				);
				return true;
			},
		);
		// Section headers intact but a section's data cut off.
		const elf = ElfFile.fromBuffer(full, "ok");
		const symtab = elf.section(".symtab")!;
		const buf = Buffer.from(full);
		const shoff = Number(buf.readBigUInt64LE(40));
		buf.writeBigUInt64LE(BigInt(full.length), shoff + symtab.index * 64 + 24);
		const bad = ElfFile.fromBuffer(buf, "/x/y");
		assert.throws(() => bad.symbols(), {
			name: "ElfError",
			message: `/x/y: section header ${symtab.index} (.symtab) points past the end of the file (offset 0x${full.length.toString(16)}, size 0x${symtab.size.toString(16)}, file 0x${full.length.toString(16)} bytes)`,
		});
	});

	test("a file replaced after a lazy open is noticed", () => {
		const path = join(dir, "copy");
		writeFileSync(path, readFileSync(SIMPLE));
		const elf = ElfFile.open(path, { lazy: true });
		writeFileSync(path, readFileSync(LIBSIMPLE));
		assert.throws(() => elf.usdtProbes(), /changed on disk|past the end/);
	});
});
