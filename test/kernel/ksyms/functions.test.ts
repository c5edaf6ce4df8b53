import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
	functionsFromKallsyms,
	KernelSymbols,
	listKernelFunctions,
	parseFilterFunctions,
	readFilterFunctions,
} from "../../../kernel/ksyms/index.ts";
import { NotSupportedError } from "../../../kernel/sys/index.ts";
import { findTracefs } from "../../../kernel/tracefs/index.ts";

test("available_filter_functions lines become unique functions with their modules", () => {
	const text = [
		"vfs_read",
		"ksys_read",
		"free_one [e1000]",
		"free_one",
		"vfs_read",
		"__ftrace_invalid_address___828",
		"ext4_read [ext4] ",
		"",
	].join("\n");
	assert.deepEqual(parseFilterFunctions(text), [
		{ name: "vfs_read" },
		{ name: "ksys_read" },
		{ name: "free_one", module: "e1000" },
		{ name: "free_one" },
		{ name: "ext4_read", module: "ext4" },
	]);
});

test("kallsyms names become a sorted function list without __pfx_ padding labels", () => {
	const k = KernelSymbols.parse(
		[
			"ffffffff81000ff0 t __pfx_vfs_read",
			"ffffffff81001000 T vfs_read",
			"ffffffff81002000 t dup",
			"ffffffff81003000 t dup",
			"ffffffff81000000 T a_first",
		].join("\n"),
	);
	assert.deepEqual(functionsFromKallsyms(k), [{ name: "a_first" }, { name: "dup" }, { name: "vfs_read" }]);
});

test("no tracefs anywhere: the reason says to mount it", () => {
	assert.throws(
		() => readFilterFunctions(["/nonexistent/tracing"]),
		(e: unknown) => e instanceof NotSupportedError && /not mounted/.test(e.reason),
	);
});

test("this kernel's function list comes from tracefs when it lets us read it, else from kallsyms with the reason", () => {
	const root = findTracefs();
	let direct: string | undefined;
	let code: string | undefined;
	try {
		direct = readFileSync(`${root}/available_filter_functions`, "latin1");
	} catch (e) {
		code = (e as NodeJS.ErrnoException).code;
	}
	const list = listKernelFunctions({ roots: [root] });
	if (direct !== undefined) {
		assert.equal(list.source, "available_filter_functions");
		assert.equal(list.reason, undefined);
		assert.deepEqual(list.functions, parseFilterFunctions(direct));
	} else {
		// These development machines: the function tracer's list answers EPERM.
		assert.equal(list.source, "kallsyms");
		assert.ok(code);
		assert.ok(list.reason?.includes(code), `the reason names ${code}: ${list.reason}`);
	}
	assert.ok(list.functions.length > 10_000, `${list.functions.length} functions`);
	const names = new Set(list.functions.map((f) => f.name));
	for (const f of ["vfs_read", "ksys_read"]) assert.ok(names.has(f), `${f} is listed`);
});
