import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeFiltered, describePath } from "../../../source/app/tree-enable.ts";
import { compileDescription, parseDescription } from "../../../source/catalog/index.ts";

describe("what Space on a tree row enables", () => {
	it("a static provider's path names its fields, literally", () => {
		assert.equal(describePath(["syscall"]), "syscall:::");
		assert.equal(describePath(["syscall", "vmlinux", "read", "entry"]), "syscall:vmlinux:read:entry");
		assert.equal(describePath(["sdt", "sched", "", "sched_switch"]), "sdt:sched::sched_switch");
		assert.equal(describePath(["syscall", "vmlinux", "a*b"]), "syscall:vmlinux:a\\*b:");
	});
	it("a program's row covers every process of it, present and future, and no other program", () => {
		const d = describePath(["prefork"]);
		assert.equal(d, "prefork[0-9]*:::");
		const t = compileDescription(parseDescription(d));
		const probe = (provider: string) => ({ provider, module: "m", function: "f", name: "n" });
		assert.ok(t(probe("prefork1")) && t(probe("prefork424242")));
		assert.ok(!t(probe("preforklib12")) && !t(probe("prefork")));
		assert.equal(describePath(["prefork", "prefork42", "prefork", "handle_query"]), "prefork42:prefork:handle_query:");
	});
	it("a description filter narrows what the row leaves open", () => {
		assert.deepEqual(describeFiltered(["syscall"], "syscall::*read*:entry"), ["syscall::*read*:entry"]);
		assert.deepEqual(describeFiltered(["syscall", "vmlinux", "pread64"], "syscall::*read*:entry"), [
			"syscall:vmlinux:pread64:entry",
		]);
		assert.deepEqual(describeFiltered(["prefork"], ":::query-start"), ["prefork[0-9]*:::query-start"]);
		assert.deepEqual(describeFiltered(["prefork"], "prefork42:::"), ["prefork42:::"]);
	});
	it("a bare word gives one description per field it may match, or the whole row when the row matches", () => {
		assert.deepEqual(describeFiltered(["syscall"], "read"), [
			"syscall:*read*::",
			"syscall::*read*:",
			"syscall:::*read*",
		]);
		assert.deepEqual(describeFiltered(["syscall", "vmlinux", "read"], "read"), ["syscall:vmlinux:read:"]);
		assert.deepEqual(describeFiltered(["prefork"], "pre"), ["prefork[0-9]*:::"]);
		assert.deepEqual(describeFiltered(["prefork"], "query"), [
			"prefork*query*:::",
			"prefork[0-9]*:*query*::",
			"prefork[0-9]*::*query*:",
			"prefork[0-9]*:::*query*",
		]);
	});
	it("no filter: the row's description", () => {
		assert.deepEqual(describeFiltered(["syscall", "vmlinux"], undefined), ["syscall:vmlinux::"]);
		assert.deepEqual(describeFiltered(["syscall", "vmlinux"], "  "), ["syscall:vmlinux::"]);
	});
});
