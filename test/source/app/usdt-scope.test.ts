// Which processes a batch run scans for USDT probes before matching: only those
// its clauses name (`simple$target`, `python4242`), none for kernel providers,
// every process when a provider could be any process's.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { usdtScope } from "../../../source/app/usdt-scope.ts";

describe("usdtScope", () => {
	test("a provider bound to $target or to a pid names that process only", () => {
		assert.deepEqual(usdtScope("simple$target:::saw-line { @ = count(); }", 4242), [4242]);
		assert.deepEqual(usdtScope("python77:::function-entry, simple$target:::saw-line {}", 9), [77, 9]);
	});
	test("kernel, profile, dtrace and pid providers need no scan", () => {
		assert.deepEqual(
			usdtScope("syscall::read:entry, fbt::vfs_read:entry, profile:::profile-97, profile:::tick-1s, BEGIN, END {}", 1),
			[],
		);
		assert.deepEqual(usdtScope("pid$target:libc.so.6:malloc:entry {}", 12), []);
		assert.deepEqual(usdtScope("dtrace:::BEGIN { exit(0); }", undefined), []);
	});
	test("a glob, an empty provider or a bare USDT name could be any process's", () => {
		assert.equal(usdtScope("simple*:::saw-line {}", 5), undefined);
		assert.equal(usdtScope(":::saw-line {}", 5), undefined);
		assert.equal(usdtScope("simple:::saw-line {}", 5), undefined);
		assert.equal(usdtScope("syscall::read:entry {} simple$target:::saw-line {} s?mple1::: {}", 5), undefined);
	});
	test("a program that does not parse scans everything (the session reports the error)", () => {
		assert.equal(usdtScope("simple$target:::saw-line { @ = count(; }", 5), undefined);
		assert.equal(usdtScope("", 5), undefined);
	});
});
