// Runs inside scripts/vm-test's VM only: the stock kernel offers what fbt needs.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { sys } from "../../kernel/sys/index.ts";

test("runs inside the VM", () => {
	assert.equal(process.env.DTOP_IN_VM, "1", "run this file with scripts/vm-test");
});

test("the stock kernel has kprobes, BTF and tracefs", () => {
	assert.match(readFileSync("/sys/bus/event_source/devices/kprobe/type", "utf8"), /^\d+\n$/);
	assert.ok(existsSync("/sys/kernel/btf/vmlinux"));
	assert.ok(existsSync("/sys/kernel/tracing/available_filter_functions"));
});

test("koffi reaches bpf(2): a map can be created and closed", () => {
	const attr = Buffer.alloc(72);
	attr.writeUInt32LE(2, 0); // BPF_MAP_TYPE_ARRAY
	attr.writeUInt32LE(4, 4);
	attr.writeUInt32LE(8, 8);
	attr.writeUInt32LE(1, 12);
	const fd = sys().bpf(0, attr);
	assert.ok(fd > 0);
	sys().close(fd);
});
