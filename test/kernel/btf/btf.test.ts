import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { Btf, BtfError, BtfKind, vmlinuxBtf } from "../../../kernel/btf/index.ts";
import { nativeCopy, sys } from "../../../kernel/sys/index.ts";
import { BtfBuilder } from "./build.ts";

const BPF_BTF_LOAD = 18;

/** Ask the kernel's own BTF checker about a blob: the fd on success, its log otherwise. */
function kernelCheck(blob: Buffer): { ok: boolean; log: string } {
	const mem = nativeCopy(blob);
	const logSize = 1 << 16;
	const log = nativeCopy(Buffer.alloc(logSize));
	try {
		const attr = Buffer.alloc(32);
		attr.writeBigUInt64LE(mem.addr, 0);
		attr.writeBigUInt64LE(log.addr, 8);
		attr.writeUInt32LE(blob.length, 16);
		attr.writeUInt32LE(logSize, 20);
		attr.writeUInt32LE(1, 24);
		const r = sys().bpfTry(BPF_BTF_LOAD, attr);
		if (r.ret >= 0) sys().close(r.ret);
		const text = Buffer.from(sys().view(log.addr, logSize));
		const end = text.indexOf(0);
		return { ok: r.ret >= 0, log: text.toString("latin1", 0, end < 0 ? logSize : end) };
	} finally {
		mem.free();
		log.free();
	}
}

/** Types shaped like the kernel's: vfs_read, a struct passed by value, a variadic printk. */
function sample() {
	const b = new BtfBuilder();
	const ulong = b.int("long unsigned int", 8);
	const long = b.int("long int", 8, true);
	const int = b.int("int", 4, true);
	const char = b.int("char", 1, true);
	const llong = b.int("long long int", 8, true);
	const sizeT = b.typedef("size_t", ulong);
	const ssizeT = b.typedef("ssize_t", long);
	const loffT = b.typedef("loff_t", llong);
	const inode = b.fwd("inode");
	const file = b.struct("file", 24, [
		{ name: "f_pos", type: loffT, bitOffset: 0 },
		{ name: "f_inode", type: b.ptr(inode), bitOffset: 64 },
		{ name: "f_flags", type: b.volatile(int), bitOffset: 128 },
	]);
	const mode = b.enum("fmode", 4, [
		["FMODE_READ", 1],
		["FMODE_WRITE", 2],
	]);
	const pair = b.struct("pair", 16, [
		{ name: "a", type: ulong, bitOffset: 0 },
		{ name: "b", type: ulong, bitOffset: 64 },
	]);
	const bytes = b.array(char, int, 16);
	const holder = b.struct("holder", 16, [{ name: "data", type: bytes, bitOffset: 0 }]);
	const u = b.struct(
		"anyval",
		8,
		[
			{ name: "l", type: long, bitOffset: 0 },
			{ name: "i", type: int, bitOffset: 0 },
		],
		true,
	);
	const vfsRead = b.func(
		"vfs_read",
		b.funcProto(ssizeT, [
			{ name: "file", type: b.ptr(file) },
			{ name: "buf", type: b.ptr(char) },
			{ name: "count", type: sizeT },
			{ name: "pos", type: b.ptr(loffT) },
		]),
		0,
	);
	const byValue = b.func(
		"take_pair",
		b.funcProto(0, [
			{ name: "p", type: pair },
			{ name: "m", type: mode },
			{ name: "h", type: b.ptr(b.const(holder)) },
			{ name: "u", type: u },
		]),
		1,
	);
	const printk = b.func("_printk", b.funcProto(int, [{ name: "fmt", type: b.ptr(b.const(char)) }], true), 1);
	return { b, ids: { vfsRead, byValue, printk, file, holder, bytes, sizeT, ulong } };
}

test("a blob the kernel's own BTF checker accepts parses back: functions, prototypes, sizes, names", () => {
	const { b, ids } = sample();
	const blob = b.build();
	const verdict = kernelCheck(blob);
	assert.ok(verdict.ok, `the kernel accepts the test blob:\n${verdict.log}`);

	const btf = Btf.parse(blob);
	assert.equal(btf.firstId, 1);
	assert.equal(btf.lastId, ids.printk);
	assert.equal(btf.kind(ids.vfsRead), BtfKind.FUNC);
	assert.equal(btf.functionId("vfs_read"), ids.vfsRead);
	assert.deepEqual(btf.functionNames().sort(), ["_printk", "take_pair", "vfs_read"]);

	const vfs = btf.findFunction("vfs_read");
	assert.ok(vfs);
	assert.equal(vfs.linkage, 0);
	assert.deepEqual(
		vfs.params.map((p) => [p.name, p.size, p.typeName]),
		[
			["file", 8, "struct file *"],
			["buf", 8, "char *"],
			["count", 8, "size_t"],
			["pos", 8, "loff_t *"],
		],
	);
	assert.equal(vfs.returnSize, 8);
	assert.equal(vfs.returnTypeName, "ssize_t");
	assert.equal(vfs.argSlots, 4, "fexit finds the return value in slot 4");
	assert.equal(vfs.variadic, false);

	const pair = btf.findFunction("take_pair");
	assert.ok(pair);
	assert.deepEqual(
		pair.params.map((p) => [p.size, p.typeName]),
		[
			[16, "struct pair"],
			[4, "enum fmode"],
			[8, "const struct holder *"],
			[8, "union anyval"],
		],
	);
	assert.equal(pair.argSlots, 5, "a 16-byte struct by value takes two slots");
	assert.equal(pair.returnSize, 0);
	assert.equal(pair.returnTypeName, "void");

	const printk = btf.findFunction("_printk");
	assert.ok(printk);
	assert.equal(printk.variadic, true);
	assert.equal(printk.params.length, 1);
	assert.equal(printk.params[0].typeName, "const char *");

	assert.equal(btf.sizeOf(ids.file), 24);
	assert.equal(btf.sizeOf(ids.bytes), 16);
	assert.equal(btf.typeName(ids.bytes), "char[16]");
	assert.equal(btf.sizeOf(ids.sizeT), 8);
	assert.equal(btf.name(ids.sizeT), "size_t");
	assert.equal(btf.findFunction("nope"), undefined);
	assert.throws(() => btf.func(ids.file), BtfError);
	assert.throws(() => btf.kind(btf.lastId + 1), BtfError);
});

test("split BTF (a module's) continues the base's type ids and strings", () => {
	const baseBlob = sample().b.build();
	const base = Btf.parse(baseBlob);
	// A module blob: its own strings (offsets continue after the base's), ids after the
	// base's, and references into the base's types.
	const strings = Buffer.from("\0mod_read\0", "latin1");
	const baseStrLen = baseBlob.readUInt32LE(20);
	const ssize = base.functionId("vfs_read")!;
	const proto = base.func(ssize).protoId;
	const words = [
		// FUNC mod_read -> the base's vfs_read prototype
		baseStrLen + 1,
		(BtfKind.FUNC << 24) | 1,
		proto,
		// PTR to the new FUNC's id (any type reference into the split part)
		0,
		BtfKind.PTR << 24,
		base.lastId + 1,
	];
	const types = Buffer.alloc(words.length * 4);
	words.forEach((w, i) => {
		types.writeUInt32LE(w >>> 0, i * 4);
	});
	const hdr = Buffer.alloc(24);
	hdr.writeUInt16LE(0xeb9f, 0);
	hdr.writeUInt8(1, 2);
	hdr.writeUInt32LE(24, 4);
	hdr.writeUInt32LE(types.length, 12);
	hdr.writeUInt32LE(types.length, 16);
	hdr.writeUInt32LE(strings.length, 20);
	const mod = Btf.parse(Buffer.concat([hdr, types, strings]), base);
	assert.equal(mod.firstId, base.lastId + 1);
	assert.equal(mod.functionId("mod_read"), base.lastId + 1);
	const f = mod.findFunction("mod_read");
	assert.ok(f);
	assert.equal(f.params.length, 4);
	assert.equal(f.params[0].typeName, "struct file *");
	assert.equal(mod.functionId("vfs_read"), ssize, "base functions are found through the split blob");
	assert.equal(mod.kind(base.lastId + 2), BtfKind.PTR);
});

test("malformed blobs are refused with a BtfError that says where", () => {
	const good = sample().b.build();
	const cases: [string, (b: Buffer) => Buffer | undefined, RegExp][] = [
		["short", (b) => b.subarray(0, 10), /shorter than the header/],
		["magic", (b) => void b.writeUInt16LE(0x1234, 0), /bad magic/],
		["big-endian", (b) => void b.writeUInt16LE(0x9feb, 0), /big-endian/],
		["version", (b) => void b.writeUInt8(2, 2), /unknown version/],
		["hdr_len", (b) => void b.writeUInt32LE(1 << 20, 4), /header length/],
		["type_len", (b) => void b.writeUInt32LE(b.readUInt32LE(12) + 4096, 12), /type section runs past/],
		["str_len", (b) => void b.writeUInt32LE(b.readUInt32LE(20) + 1, 20), /string section runs past/],
		["unaligned", (b) => void b.writeUInt32LE(b.readUInt32LE(12) - 2, 12), /aligned/],
		["overlap", (b) => void b.writeUInt32LE(8, 16), /overlap/],
		["truncated type", (b) => void b.writeUInt32LE(b.readUInt32LE(12) - 4, 12), /truncated|runs past the type/],
		["unknown kind", (b) => void b.writeUInt32LE(31 << 24, 24 + 4), /unknown kind 31/],
		["no NUL", (b) => void b.writeUInt8(0x41, b.length - 1), /not NUL-terminated/],
	];
	for (const [what, corrupt, message] of cases) {
		assert.throws(
			() => {
				const b = Buffer.from(good);
				Btf.parse(corrupt(b) ?? b);
			},
			(e: unknown) => e instanceof BtfError && message.test(e.message),
			what,
		);
	}
	// A typedef or qualifier that points at itself parses, but following it is refused.
	const b = new BtfBuilder();
	b.typedef("loop", 1);
	b.const(2);
	const loop = Btf.parse(b.build());
	assert.throws(
		() => loop.sizeOf(1),
		(e: unknown) => e instanceof BtfError && /loop/.test(e.message),
	);
	assert.equal(loop.typeName(1), "loop", "a typedef is named without following it");
	assert.throws(
		() => loop.typeName(2),
		(e: unknown) => e instanceof BtfError && /loop/.test(e.message),
	);
});

test("fuzzed blobs raise BtfError or parse, never anything else", () => {
	const good = sample().b.build();
	fc.assert(
		fc.property(
			fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
			fc.nat(good.length),
			(flips, cut) => {
				const b = Buffer.from(good.subarray(0, Math.max(cut, 24)));
				for (const [at, v] of flips) if (at < b.length) b[at] = v;
				try {
					const btf = Btf.parse(b);
					for (let id = 1; id <= btf.lastId; id++) {
						btf.kind(id);
						btf.sizeOf(id);
						btf.typeName(id);
						if (btf.kind(id) === BtfKind.FUNC) btf.func(id);
					}
					btf.functionNames();
				} catch (e) {
					if (!(e instanceof BtfError)) throw e;
				}
			},
		),
		{ numRuns: 3000, seed: 0x6274 },
	);
});

test("this kernel's /sys/kernel/btf/vmlinux indexes quickly and describes vfs_read", () => {
	const t0 = performance.now();
	const btf = Btf.load();
	const parseMs = performance.now() - t0;
	const t1 = performance.now();
	const id = btf.functionId("vfs_read");
	const indexMs = performance.now() - t1;
	console.log(
		`# vmlinux BTF: ${btf.count} types, parsed in ${parseMs.toFixed(0)} ms, function index in ${indexMs.toFixed(0)} ms`,
	);
	assert.ok(btf.count > 10_000, `${btf.count} types`);
	assert.ok(id !== undefined && id > 0);
	const f = btf.func(id);
	// ssize_t vfs_read(struct file *file, char __user *buf, size_t count, loff_t *pos)
	assert.deepEqual(
		f.params.map((p) => [p.name, p.size]),
		[
			["file", 8],
			["buf", 8],
			["count", 8],
			["pos", 8],
		],
	);
	assert.equal(f.params[0].typeName, "struct file *");
	assert.equal(f.params[2].typeName, "size_t");
	assert.equal(f.returnTypeName, "ssize_t");
	assert.equal(f.returnSize, 8);
	assert.equal(f.argSlots, 4);
	assert.ok(btf.functionNames().length > 10_000);
	assert.equal(vmlinuxBtf().functionId("ksys_read") !== undefined, true);
	assert.ok(parseMs < 5000, `parsed in ${parseMs.toFixed(0)} ms`);
});

test("every function of this kernel's BTF has a readable prototype", () => {
	const btf = vmlinuxBtf();
	let n = 0;
	let maxSlots = 0;
	// Empty structs passed by value (io_uring's io_tw_token_t) have size 0 and take no slot.
	let empty = 0;
	for (const name of btf.functionNames()) {
		const f = btf.findFunction(name)!;
		assert.equal(f.name, name);
		for (const p of f.params) {
			assert.ok(p.typeName.length > 0 && Number.isInteger(p.size), `${name}(${p.typeName} ${p.name})`);
			if (p.size === 0) empty++;
		}
		maxSlots = Math.max(maxSlots, f.argSlots);
		n++;
	}
	assert.ok(n > 10_000);
	assert.ok(maxSlots >= 6, "some kernel functions take six or more argument slots");
	console.log(`# ${n} functions, at most ${maxSlots} argument slots, ${empty} empty by-value arguments`);
});
