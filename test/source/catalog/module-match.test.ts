// A module field names a shared object with or without its version suffix, as DTrace's does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { compileModule, withoutVersion } from "../../../source/catalog/module-match.ts";

test("an object's name without its version suffix", () => {
	assert.equal(withoutVersion("libc.so.6"), "libc.so");
	assert.equal(withoutVersion("libstdc++.so.6.0.33"), "libstdc++.so");
	assert.equal(withoutVersion("libsimple.so"), "libsimple.so");
	assert.equal(withoutVersion("simple"), "simple");
	assert.equal(withoutVersion("ld-linux-x86-64.so.2"), "ld-linux-x86-64.so");
	assert.equal(withoutVersion("libfoo.so.6a"), "libfoo.so.6a", "only numeric components");
});

test("libc.so matches libc.so.6; libc, libc.so.7 and libc.so.6.1 do not; globs and full names still match", () => {
	assert.ok(compileModule("libc.so")("libc.so.6"));
	assert.ok(compileModule("libc.so.6")("libc.so.6"));
	assert.ok(compileModule("libc*")("libc.so.6"));
	assert.ok(compileModule("libstdc++.so")("libstdc++.so.6.0.33"));
	assert.ok(!compileModule("libc")("libc.so.6"));
	assert.ok(!compileModule("libc.so.7")("libc.so.6"));
	assert.ok(!compileModule("libc.so")("libcrypt.so.1"));
	assert.ok(!compileModule("vmlinux")("libc.so.6"));
});
