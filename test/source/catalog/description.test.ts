import assert from "node:assert/strict";
import { test } from "node:test";
import {
	compileDescription,
	compileGlob,
	DescriptionError,
	globProblem,
	parseDescription,
} from "../../../source/catalog/index.ts";

const PROBES = [
	{ provider: "syscall", module: "vmlinux", function: "read", name: "entry" },
	{ provider: "syscall", module: "vmlinux", function: "read", name: "return" },
	{ provider: "syscall", module: "vmlinux", function: "readv", name: "entry" },
	{ provider: "syscall", module: "vmlinux", function: "pread64", name: "entry" },
	{ provider: "sdt", module: "sched", function: "", name: "sched_switch" },
	{ provider: "sdt", module: "sched", function: "", name: "sched_wakeup" },
	{ provider: "simple4242", module: "simple", function: "fire_line", name: "saw-line" },
	{ provider: "simple4242", module: "simple", function: "fire_word", name: "saw-word" },
	{ provider: "simplelib4242", module: "libsimple.so", function: "lib_work", name: "lib-call" },
	{ provider: "simple77", module: "simple", function: "fire_line", name: "saw-line" },
	{ provider: "profile", module: "", function: "", name: "profile-997" },
	{ provider: "profile", module: "", function: "", name: "tick-1s" },
];

const name = (p: (typeof PROBES)[number]) => `${p.provider}:${p.module}:${p.function}:${p.name}`;

const CASES: [string, number | undefined, string[]][] = [
	["syscall::read:entry", undefined, ["syscall:vmlinux:read:entry"]],
	["read:entry", undefined, ["syscall:vmlinux:read:entry"]],
	["read:", undefined, ["syscall:vmlinux:read:entry", "syscall:vmlinux:read:return"]],
	["entry", undefined, ["syscall:vmlinux:read:entry", "syscall:vmlinux:readv:entry", "syscall:vmlinux:pread64:entry"]],
	["syscall::read*:entry", undefined, ["syscall:vmlinux:read:entry", "syscall:vmlinux:readv:entry"]],
	[
		"syscall::*read*:entry",
		undefined,
		["syscall:vmlinux:read:entry", "syscall:vmlinux:readv:entry", "syscall:vmlinux:pread64:entry"],
	],
	["syscall::read?:", undefined, ["syscall:vmlinux:readv:entry"]],
	["syscall::[rp]read*:entry", undefined, ["syscall:vmlinux:pread64:entry"]],
	["syscall::[!p]read*:entry", undefined, []],
	["syscall::[!p]*:entry", undefined, ["syscall:vmlinux:read:entry", "syscall:vmlinux:readv:entry"]],
	["sdt:sched::sched_switch", undefined, ["sdt:sched::sched_switch"]],
	["sched::sched_switch", undefined, ["sdt:sched::sched_switch"]],
	["sched:sched_switch", undefined, []],
	["sdt:::sched_s*", undefined, ["sdt:sched::sched_switch"]],
	[":::sched_[sw]*", undefined, ["sdt:sched::sched_switch", "sdt:sched::sched_wakeup"]],
	["simple*:::saw-line", undefined, ["simple4242:simple:fire_line:saw-line", "simple77:simple:fire_line:saw-line"]],
	["simple*:::saw__line", undefined, ["simple4242:simple:fire_line:saw-line", "simple77:simple:fire_line:saw-line"]],
	["simple$target:::saw__*", 4242, ["simple4242:simple:fire_line:saw-line", "simple4242:simple:fire_word:saw-word"]],
	["simple$target:::", 77, ["simple77:simple:fire_line:saw-line"]],
	["*$target:libsimple.so::", 4242, ["simplelib4242:libsimple.so:lib_work:lib-call"]],
	["::lib_work:lib__call", undefined, ["simplelib4242:libsimple.so:lib_work:lib-call"]],
	[
		"simple4242:simple::saw-[lw]*",
		undefined,
		["simple4242:simple:fire_line:saw-line", "simple4242:simple:fire_word:saw-word"],
	],
	["profile:::tick-*", undefined, ["profile:::tick-1s"]],
	[":::", undefined, PROBES.map(name)],
	["*:*:*:*", undefined, PROBES.map(name)],
	["nosuch:::", undefined, []],
];

test("descriptions select exactly the expected probes", () => {
	for (const [text, target, want] of CASES) {
		const match = compileDescription(parseDescription(text, target));
		assert.deepEqual(PROBES.filter(match).map(name), want, text);
	}
});

test("fewer fields name the rightmost ones; empty fields stay empty", () => {
	assert.deepEqual(parseDescription("entry"), { provider: "", module: "", function: "", name: "entry" });
	assert.deepEqual(parseDescription("read:entry"), { provider: "", module: "", function: "read", name: "entry" });
	assert.deepEqual(parseDescription("vmlinux:read:entry"), {
		provider: "",
		module: "vmlinux",
		function: "read",
		name: "entry",
	});
	assert.deepEqual(parseDescription(" syscall::read: "), {
		provider: "syscall",
		module: "",
		function: "read",
		name: "",
	});
});

test("malformed descriptions throw DescriptionError naming the bad part", () => {
	const bad: [string, RegExp][] = [
		["a:b:c:d:e", /at most four/],
		["syscall::re ad:entry", /' '/],
		["syscall::read;:entry", /';'/],
		["syscall::[abc:entry", /without its closing/],
		["syscall::[]:entry", /empty character class|closing/],
		["syscall::[z-a]:entry", /invalid character range/],
		["syscall::read\\", /lone backslash/],
		["pid$target:::", /needs a process/],
		["syscall$foo:::", /unknown macro '\$foo'/],
		["", /empty probe description/],
	];
	for (const [text, re] of bad) {
		assert.throws(
			() => parseDescription(text),
			(e: unknown) => e instanceof DescriptionError && re.test(e.message),
			text,
		);
	}
});

test("globs: escapes, classes, anchoring", () => {
	assert.ok(compileGlob("a\\*b")("a*b"));
	assert.ok(!compileGlob("a\\*b")("axb"));
	assert.ok(compileGlob("[]x]")("]"));
	assert.ok(compileGlob("[a-c]")("b"));
	assert.ok(!compileGlob("[!a-c]")("b"));
	assert.ok(compileGlob("a.b")("a.b"));
	assert.ok(!compileGlob("a.b")("axb"), "dots are literal");
	assert.ok(!compileGlob("read")("readv"), "anchored");
	assert.ok(compileGlob("")("anything"));
	assert.equal(globProblem("ok*"), undefined);
	assert.match(globProblem("[x") ?? "", /closing/);
});
