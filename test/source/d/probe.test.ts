import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
	DSyntaxError,
	expandMacros,
	parseProbeDescription,
	parseProgram,
	probe,
	probeText,
} from "../../../source/d/index.ts";
import { assertDError } from "./helpers.ts";

function fields(text: string): [string, string, string, string] {
	const d = parseProbeDescription(text);
	return [d.provider, d.module, d.function, d.name];
}

describe("probe descriptions", () => {
	const cases: [string, [string, string, string, string]][] = [
		["syscall::read:entry", ["syscall", "", "read", "entry"]],
		["syscall:vmlinux:read:entry", ["syscall", "vmlinux", "read", "entry"]],
		["read:entry", ["", "", "read", "entry"]],
		["entry", ["", "", "", "entry"]],
		[":entry", ["", "", "", "entry"]],
		["::read:", ["", "", "read", ""]],
		[":::", ["", "", "", ""]],
		["syscall:::", ["syscall", "", "", ""]],
		["syscall::read*:", ["syscall", "", "read*", ""]],
		["sys?all::re[a-z]d:ent[!x]y", ["sys?all", "", "re[a-z]d", "ent[!x]y"]],
		["simple*:::saw-line", ["simple*", "", "", "saw-line"]],
		["simple1234:simple:main:saw-line", ["simple1234", "simple", "main", "saw-line"]],
		["pid1234:libc.so.6:malloc:entry", ["pid1234", "libc.so.6", "malloc", "entry"]],
		["python*:python3.11::function__entry", ["python*", "python3.11", "", "function__entry"]],
		["profile:::profile-997", ["profile", "", "", "profile-997"]],
		["profile:::tick-1s", ["profile", "", "", "tick-1s"]],
		["pid$target:::entry", ["pid$target", "", "", "entry"]],
		["sdt:$1::$2", ["sdt", "$1", "", "$2"]],
		["fbt:vmlinux:do_sys_open:entry", ["fbt", "vmlinux", "do_sys_open", "entry"]],
		["sdt:sched::sched_switch", ["sdt", "sched", "", "sched_switch"]],
		["usdt:lib\\*star:f:n", ["usdt", "lib\\*star", "f", "n"]],
		["  syscall::read:entry \n", ["syscall", "", "read", "entry"]],
		["1234", ["", "", "", "1234"]],
	];
	for (const [text, expected] of cases) {
		test(text.trim(), () => assert.deepEqual(fields(text), expected));
	}

	test("keeps the text and its position", () => {
		const d = parseProbeDescription("  \n  syscall::read:entry");
		assert.equal(d.text, "syscall::read:entry");
		assert.deepEqual(d.pos, { line: 2, column: 3, offset: 5 });
		assert.equal(d.kind, "probe");
	});

	const errors: [string, string][] = [
		["", "line 1, column 1: empty probe description"],
		["   ", "line 1, column 4: empty probe description"],
		[
			"a:b:c:d:e",
			'line 1, column 8: probe description "a:b:c:d:e" has too many fields; write provider:module:function:name',
		],
		[
			"a:b:c:d:e:f",
			'line 1, column 8: probe description "a:b:c:d:e:f" has too many fields; write provider:module:function:name',
		],
		["syscall::re[ad:entry", "line 1, column 12: '[' in probe description has no matching ']'"],
		["syscall::read]:entry", "line 1, column 14: ']' in probe description has no matching '['"],
		["syscall::re[]ad:entry", "line 1, column 12: empty '[]' in probe description"],
		["syscall::re[!]ad:entry", "line 1, column 12: empty '[!]' in probe description".replace("'[!]'", "'[]'")],
		[
			"syscall::re[z-a]d:entry",
			"line 1, column 13: bad range 'z-a' in probe description: the first character must come first",
		],
		["syscall::read:entry\\", "line 1, column 20: a probe description field cannot end with '\\'"],
		["syscall::read:entry;", 'line 1, column 20: probe description contains invalid character ";"'],
		["syscall:: read:entry", 'line 1, column 10: probe description contains invalid character " "'],
		["syscall::read:entry {}", 'line 1, column 20: probe description contains invalid character " "'],
	];
	for (const [text, message] of errors) {
		test(`rejects ${JSON.stringify(text)}`, () =>
			assertDError(() => parseProbeDescription(text), message, DSyntaxError));
	}

	test("a probe named BEGIN in another provider is an ordinary probe", () => {
		assert.deepEqual(fields("myapp:::BEGIN"), ["myapp", "", "", "BEGIN"]);
	});

	test("the dtrace provider's probes are descriptions like any other (the subset has them)", () => {
		assert.deepEqual(fields("BEGIN"), ["", "", "", "BEGIN"]);
		assert.deepEqual(fields("dtrace:::END"), ["dtrace", "", "", "END"]);
		assert.deepEqual(fields(":::ERROR"), ["", "", "", "ERROR"]);
		for (const text of ["BEGIN {}", ":::ERROR {}", "dtrace:::BEGIN {}", "dtrace::: {}"])
			assert.equal(parseProgram(text).clauses.length, 1);
	});

	test("descriptions inside a program are checked the same way", () => {
		assertDError(
			() => parseProgram("syscall::read:entry,\n  syscall::wr[ite:entry { }"),
			"line 2, column 14: '[' in probe description has no matching ']'",
		);
	});

	test("the builder fills missing fields and makes canonical text", () => {
		const d = probe({ provider: "syscall", function: "read", name: "entry" });
		assert.deepEqual(
			[d.provider, d.module, d.function, d.name, d.text],
			["syscall", "", "read", "entry", "syscall::read:entry"],
		);
		assert.equal(probe({ function: "read", name: "entry" }).text, "read:entry");
		assert.equal(probe({}).text, ":::");
		assert.equal(probeText({ provider: "", module: "", function: "", name: "entry" }), "entry");
		assert.throws(() => probe({ provider: "a:b" }), DSyntaxError);
		assert.throws(() => probe({ name: "x[" }), DSyntaxError);
		assert.equal(probe({ name: "BEGIN" }).text, "BEGIN");
	});
});

describe("macros", () => {
	test("$target in a probe description and a predicate", () => {
		assert.equal(
			expandMacros("pid$target:::entry /pid == $target/ { @[probefunc] = count(); }", { target: 4242 }),
			"pid4242:::entry /pid == 4242/ { @[probefunc] = count(); }",
		);
	});

	test("$1.. arguments: as text in descriptions, strings in expressions when not a number or name", () => {
		const out = expandMacros("$1:::$2 /execname == $3 && arg0 == $4/ { @[$$1, $5] = count(); } $6", {
			args: ["simple*", "saw-line", "/bin/bash", "0x10", "pid", "x:::y"],
		});
		assert.equal(
			out,
			'simple*:::saw-line /execname == "/bin/bash" && arg0 == 0x10/ { @["simple*", pid] = count(); } x:::y',
		);
		assert.equal(parseProgram(out).clauses.length, 2);
	});

	test("an argument that is a name stays a name, as in DTrace", () => {
		assert.equal(expandMacros("a:b /execname == $1/ {}", { args: ["bash"] }), "a:b /execname == bash/ {}");
	});

	test("an argument already in quotes is used as the string", () => {
		assert.equal(expandMacros("a:b /execname == $1/ {}", { args: ['"bash"'] }), 'a:b /execname == "bash"/ {}');
	});

	test("$$1 quotes and escapes the argument", () => {
		assert.equal(
			expandMacros("x { @[$$1] = count(); }", { args: ['a"b\\c\n'] }),
			'x { @["a\\"b\\\\c\\n"] = count(); }',
		);
	});

	test("string literals and comments are left alone", () => {
		const text = 'x /* $target */ { @["$target $1"] = count(); } // $2';
		assert.equal(expandMacros(text, {}), text);
	});

	test("$0 is the script and $pid & co are this process's, as DTrace's are dtrace(1)'s", () => {
		assert.equal(expandMacros("a { @[$0] = count(); }", { script: "x.d" }), 'a { @["x.d"] = count(); }');
		assert.equal(expandMacros("a { @[$pid] = count(); }"), `a { @[${process.pid}] = count(); }`);
		assert.equal(expandMacros("a { @[$uid] = count(); }", { variables: { uid: 7 } }), "a { @[7] = count(); }");
	});

	test("undefined macros are errors with positions", () => {
		assertDError(
			() => expandMacros("syscall::read:entry\n/pid == $target/ {}"),
			"line 2, column 9: macro variable $target is not defined; give a target process",
		);
		assertDError(
			() => expandMacros("a { @[$2] = count(); }", { args: ["x"] }),
			"line 1, column 7: macro argument $2 is not defined",
		);
		assertDError(
			() => expandMacros("a { @[$nosuch] = count(); }"),
			"line 1, column 7: macro variable $nosuch is not defined",
		);
		assertDError(
			() => expandMacros("a { @[$] = count(); }"),
			'line 1, column 7: syntax error near "$": expected a macro such as $target or $1',
		);
	});

	test("text without macros is unchanged", () => {
		const text = "syscall::read:entry /pid == 1/ { @[execname] = count(); }";
		assert.equal(expandMacros(text), text);
	});
});
