// progenyof(pid) in today's subset: an integer of one pid_t argument, and the
// messages for the wrong number or kind of arguments (DTrace's funcs/ unit
// tests of progenyof describe the same cases).
import assert from "node:assert/strict";
import { test } from "node:test";
import { check, DTypeError, parseProgram } from "../../../source/d/index.ts";
import { assertDError } from "./helpers.ts";

const checkText = (text: string) => check(parseProgram(text));

test("progenyof(pid) is an integer usable in predicates, keys and values", () => {
	const c = checkText(
		"syscall::read:entry /progenyof(1234) && progenyof(pid)/ { @[progenyof(1)] = sum(progenyof(1) + 1); }",
	);
	assert.ok(c.clauses[0]?.functions.has("progenyof"));
});

test("progenyof() needs exactly one integer argument", () => {
	const R = "syscall::read:entry";
	assertDError(
		() => checkText(`${R} /progenyof()/ { @ = count(); }`),
		"line 1, column 22: progenyof() prototype mismatch: 0 args passed, 1 expected",
		DTypeError,
	);
	assertDError(
		() => checkText(`${R} /progenyof(1, 2)/ { @ = count(); }`),
		"line 1, column 22: progenyof() prototype mismatch: 2 args passed, 1 expected",
		DTypeError,
	);
	assertDError(
		() => checkText(`${R} /progenyof("init")/ { @ = count(); }`),
		"line 1, column 32: progenyof() argument #1 must be a process id, not a string",
		DTypeError,
	);
});
