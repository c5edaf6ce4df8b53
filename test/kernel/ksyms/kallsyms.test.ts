import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { KernelSymbols } from "../../../kernel/ksyms/index.ts";
import { NotSupportedError } from "../../../kernel/sys/index.ts";

const SAMPLE = [
	"ffffffff81000000 T _stext",
	"ffffffff81000000 T _text",
	"ffffffff81001000 t helper_a",
	"ffffffff81002000 D some_data",
	"ffffffff81003000 T vfs_read",
	"ffffffff81003400 W weak_fn",
	"ffffffff81004000 T ksys_read",
	"ffffffffc0201000 t ext4_file_read_iter\t[ext4]",
	"ffffffffc0200000 t ext4_init\t[ext4]",
	"0000000000000000 A fixed_percpu_data",
	"",
].join("\n");

test("looks addresses up in a kallsyms text, modules included and out of order", () => {
	const k = KernelSymbols.parse(SAMPLE);
	assert.equal(k.restricted, false);
	assert.equal(k.size, 8, "text and weak symbols only");
	assert.equal(k.symbolize(0xffffffff81003000n), "vfs_read+0x0");
	assert.equal(k.symbolize(0xffffffff8100301an), "vfs_read+0x1a");
	assert.equal(k.symbolize(0xffffffff81003401n), "weak_fn+0x1");
	assert.equal(k.symbolize(0xffffffffc0201005n), "ext4_file_read_iter+0x5 [ext4]");
	assert.equal(k.symbolize(0xffffffffc0200010n), "ext4_init+0x10 [ext4]");
	// Data symbols are not indexed: an address after some_data belongs to helper_a.
	assert.equal(k.symbolize(0xffffffff81002008n), "helper_a+0x1008");
	// Aliases: the first listed wins.
	assert.equal(k.lookup(0xffffffff81000010n)?.name, "_stext");
	assert.equal(k.address("ksys_read"), 0xffffffff81004000n);
	assert.equal(k.address("some_data"), undefined);
	assert.equal(k.has("vfs_read"), true);
});

test("an address below every symbol, or far past the last one, stays a number", () => {
	const k = KernelSymbols.parse(SAMPLE);
	assert.equal(k.lookup(0x1000n), undefined);
	assert.equal(k.symbolize(0x1000n), "0x1000");
	assert.equal(k.symbolize(0xffffffffc0201000n + (1n << 21n)), `0x${(0xffffffffc0201000n + (1n << 21n)).toString(16)}`);
});

test("a kallsyms whose addresses are all hidden is reported as restricted", () => {
	const hidden = SAMPLE.replace(/^[0-9a-f]{16}/gm, "0000000000000000");
	const k = KernelSymbols.parse(hidden);
	assert.equal(k.restricted, true);
	assert.equal(k.has("vfs_read"), true, "names are still known");
	assert.equal(k.lookup(0xffffffff81003000n), undefined);
	assert.equal(k.address("vfs_read"), undefined);
});

test("garbage lines are ignored, not fatal", () => {
	const k = KernelSymbols.parse("junk\nzz T nothex\nffffffff81000000 T ok\n\n   \nffffffff81000010 T\n");
	assert.equal(k.size, 1);
	assert.equal(k.symbolize(0xffffffff81000004n), "ok+0x4");
});

test("an unreadable kallsyms is a NotSupportedError with the reason", () => {
	assert.throws(
		() => KernelSymbols.load("/nonexistent/kallsyms"),
		(e: unknown) => e instanceof NotSupportedError && /ENOENT/.test(e.reason),
	);
});

test("this kernel's /proc/kallsyms indexes quickly and resolves vfs_read", () => {
	const t0 = performance.now();
	const k = KernelSymbols.load();
	const ms = performance.now() - t0;
	assert.ok(k.size > 10_000, `${k.size} text symbols`);
	assert.equal(k.restricted, false, "running as root, addresses are visible");
	// scripts/vm-test runs this under software emulation, about ten times slower.
	const limit = process.env.DTOP_IN_VM === "1" ? 20_000 : 2000;
	assert.ok(ms < limit, `indexed in ${ms.toFixed(0)} ms`);
	const a = k.address("vfs_read");
	assert.ok(a !== undefined && a > 0n);
	assert.equal(k.symbolize(a), "vfs_read+0x0");
	assert.equal(k.symbolize(a + 3n), "vfs_read+0x3");
	// Cross-check with the file itself: every T symbol of a sample resolves to itself.
	const lines = readFileSync("/proc/kallsyms", "latin1").split("\n");
	let checked = 0;
	for (let i = 0; i < lines.length; i += 211) {
		const [hex, type, name, mod] = lines[i].split(/\s+/);
		if (type !== "T" || mod) continue;
		const hit = k.lookup(BigInt(`0x${hex}`));
		assert.ok(hit, `${name} resolves`);
		assert.equal(hit.offset, 0n);
		assert.equal(k.address(hit.name), BigInt(`0x${hex}`), `${name} and ${hit.name} share an address`);
		checked++;
	}
	assert.ok(checked > 20, `${checked} symbols cross-checked`);
});
