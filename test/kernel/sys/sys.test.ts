import assert from "node:assert/strict";
import { test } from "node:test";
import {
	archFor,
	canonicalRegister,
	FakeSys,
	NotSupportedError,
	SyscallError,
	setSys,
	sys,
} from "../../../kernel/sys/index.ts";

test("bpf(2) creates a real map and reports errno as a typed error", () => {
	const attr = Buffer.alloc(72);
	attr.writeUInt32LE(2, 0); // BPF_MAP_TYPE_ARRAY
	attr.writeUInt32LE(4, 4);
	attr.writeUInt32LE(8, 8);
	attr.writeUInt32LE(4, 12);
	const fd = sys().bpf(0, attr);
	assert.ok(fd > 2);
	sys().close(fd);
	attr.writeUInt32LE(0, 8); // value_size 0 is invalid for an array
	assert.throws(
		() => sys().bpf(0, attr),
		(e: unknown) => e instanceof SyscallError && e.errno === 22 && /BPF_MAP_CREATE.*EINVAL/.test(e.message),
	);
});

test("close of a bad descriptor is a SyscallError with EBADF", () => {
	assert.throws(
		() => sys().close(999999),
		(e: unknown) => e instanceof SyscallError && e.code === "EBADF",
	);
});

test("a fake Sys can stand in for the kernel", () => {
	const fake = new FakeSys();
	fake.bpfHandler = (cmd) => (cmd === 0 ? 42 : { errno: 1 });
	const prev = setSys(fake);
	try {
		assert.equal(sys().bpf(0, Buffer.alloc(8)), 42);
		assert.throws(() => sys().bpf(5, Buffer.alloc(8)), SyscallError);
		assert.equal(fake.calls.length, 2);
	} finally {
		setSys(prev);
	}
});

test("architecture tables", () => {
	const x = archFor("x64");
	assert.equal(x.syscalls.bpf, 321);
	assert.equal(x.syscalls.perf_event_open, 298);
	assert.equal(x.regs.rdi, 112);
	assert.equal(x.regs.rsp, 152);
	assert.equal(canonicalRegister(x, "%eax".slice(1)), "rax");
	assert.equal(canonicalRegister(x, "r12d"), "r12");
	const a = archFor("arm64");
	assert.equal(a.syscalls.bpf, 280);
	assert.equal(a.regs.sp, 248);
	assert.equal(canonicalRegister(a, "w1"), "x1");
	assert.throws(() => archFor("mips"), /x86_64 and aarch64/);
	const e = new NotSupportedError("kprobes", "CONFIG_KPROBES is off");
	assert.match(e.message, /kprobes is not available on this kernel: CONFIG_KPROBES is off/);
});
