import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
	aggregate,
	assign,
	binary,
	builtin,
	call,
	clause,
	equalIgnoringPositions,
	int,
	parseExpression,
	parseProbeDescription,
	parseProgram,
	print,
	probe,
	program,
	quoteString,
	selfVar,
	str,
	unary,
} from "../../../source/d/index.ts";
import { assertSameTree } from "./helpers.ts";

describe("printing reads like hand-written D", () => {
	const cases: [string, string][] = [
		["syscall::read:entry/pid==42/{@[execname]=count()}", "syscall::read:entry /pid == 42/ { @[execname] = count(); }"],
		["syscall::read:entry { @[execname] = count(); }", "syscall::read:entry { @[execname] = count(); }"],
		["syscall::read:entry", "syscall::read:entry {}"],
		["syscall::read:entry { ; }", "syscall::read:entry {}"],
		[
			"syscall::read:entry,syscall::write:entry{@bytes[pid,execname]=sum(arg2);self->ts=timestamp}",
			"syscall::read:entry, syscall::write:entry { @bytes[pid, execname] = sum(arg2); self->ts = timestamp; }",
		],
		[
			"syscall::read:entry { self->ts = timestamp; }\nsyscall::read:return /self->ts/ { @ = quantize(timestamp - self->ts); self->ts = 0; }",
			"syscall::read:entry { self->ts = timestamp; }\nsyscall::read:return /self->ts/ { @ = quantize(timestamp - self->ts); self->ts = 0; }",
		],
		[
			"simple*:::saw-line /pid == 4242/ { @[ustack()] = count(); }",
			"simple*:::saw-line /pid == 4242/ { @[ustack()] = count(); }",
		],
		["a:b { @x = lquantize(arg0, -10, 10, 2); }", "a:b { @x = lquantize(arg0, -10, 10, 2); }"],
		// Hex and octal stay as written (D types a constant by its radix); a character constant is its value.
		["a:b { @[0x10, 010, 'A', 10ul] = count(); }", "a:b { @[0x10, 010, 65, 10ul] = count(); }"],
		['a:b { @["tab\\there", "q\\"", "\\x01"] = count(); }', 'a:b { @["tab\\there", "q\\"", "\\001"] = count(); }'],
		["a:b /(pid)/ {}", "a:b /pid/ {}"],
		["a:b /((pid == 1)) && ((tid == 2))/ {}", "a:b /pid == 1 && tid == 2/ {}"],
		["a:b /(arg0 + arg1) * arg2/ {}", "a:b /(arg0 + arg1) * arg2/ {}"],
		["a:b /arg0 - (arg1 - arg2)/ {}", "a:b /arg0 - (arg1 - arg2)/ {}"],
		["a:b /(arg0 - arg1) - arg2/ {}", "a:b /arg0 - arg1 - arg2/ {}"],
		["a:b /arg0 / 2 / 2/ {}", "a:b /arg0 / 2 / 2/ {}"],
		["a:b /-(-arg0)/ {}", "a:b /-(-arg0)/ {}"],
		["a:b /- -arg0/ {}", "a:b /-(-arg0)/ {}"],
		["a:b /-(arg0 + 1)/ {}", "a:b /-(arg0 + 1)/ {}"],
		["a:b /!(pid == 1)/ {}", "a:b /!(pid == 1)/ {}"],
		["a:b /~-!arg0/ {}", "a:b /~-!arg0/ {}"],
		["a:b /(1 || 0) && 1/ {}", "a:b /(1 || 0) && 1/ {}"],
		["  syscall:::  /* c */ { }", "syscall::: {}"],
		["read:entry {}", "read:entry {}"],
		["entry {}", "entry {}"],
		["::read:entry {}", "::read:entry {}"],
	];
	for (const [text, expected] of cases) {
		test(text, () => {
			const p = parseProgram(text);
			assert.equal(print(p), expected);
			assertSameTree(parseProgram(print(p)), p, text);
		});
	}

	test("statements, expressions and probe descriptions print on their own", () => {
		const c = parseProgram("a:b /pid == 1/ { @x[execname] = count(); self->t = timestamp - 1; }").clauses[0]!;
		assert.equal(print(c.statements[0]!), "@x[execname] = count()");
		assert.equal(print(c.statements[1]!), "self->t = timestamp - 1");
		assert.equal(print(c.predicate!), "pid == 1");
		assert.equal(print(c.probes[0]!), "a:b");
		assert.equal(print(parseProbeDescription("syscall::read:entry")), "syscall::read:entry");
	});

	test("built clauses print as D", () => {
		const c = clause(
			[probe({ provider: "syscall", function: "read", name: "entry" })],
			binary("==", builtin("pid"), int(42)),
			[aggregate("", [builtin("execname")], "count")],
		);
		assert.equal(print(c), "syscall::read:entry /pid == 42/ { @[execname] = count(); }");
		const p = program([
			c,
			clause([probe({ function: "read", name: "return" })], selfVar("ts"), [
				aggregate("lat", [call("ustack", [int(5)])], "quantize", [binary("-", builtin("timestamp"), selfVar("ts"))]),
				assign("ts", int(0)),
			]),
		]);
		assert.equal(
			print(p),
			"syscall::read:entry /pid == 42/ { @[execname] = count(); }\nread:return /self->ts/ { @lat[ustack(5)] = quantize(timestamp - self->ts); self->ts = 0; }",
		);
		assertSameTree(parseProgram(print(p)), p);
	});

	test("a description whose text no longer matches its fields prints from the fields", () => {
		const d = { ...parseProbeDescription("syscall::read:entry"), function: "write" };
		assert.equal(print(d), "syscall::write:entry");
		assert.equal(print({ ...d, text: "" }), "syscall::write:entry");
		assert.equal(print(probe({})), ":::");
	});

	test("strings are escaped so they read back the same", () => {
		const s = 'a"b\\c\nd\te\rf\x00g\x1fh\x7fi é';
		assert.equal(quoteString(s), '"a\\"b\\\\c\\nd\\te\\rf\\000g\\037h\\177i é"');
		assertSameTree(parseExpression(quoteString(s)), str(s));
	});

	test("negative literals are built as unary minus and print back", () => {
		assert.throws(() => int(-1), RangeError);
		assert.throws(() => int(1n << 64n), RangeError);
		const e = unary("-", int(5));
		assert.equal(print(e), "-5");
		assertSameTree(parseExpression(print(e)), e);
	});
});

describe("equalIgnoringPositions", () => {
	test("ignores positions, fnPos and description text, nothing else", () => {
		const a = parseProgram("syscall::read:entry { @x[pid] = count(); }");
		const b = parseProgram("\n\n   syscall::read:entry   {\n@x[ pid ]=count()  }");
		assert.ok(equalIgnoringPositions(a, b));
		const c = parseProgram("read:entry { @x[pid] = count(); }");
		const d = parseProgram("::read:entry { @x[pid] = count(); }");
		assert.ok(equalIgnoringPositions(c, d));
		assert.ok(!equalIgnoringPositions(a, c));
		assert.ok(!equalIgnoringPositions(a, parseProgram("syscall::read:entry { @y[pid] = count(); }")));
		assert.ok(!equalIgnoringPositions(a, parseProgram("syscall::read:entry { @x[tid] = count(); }")));
		assert.ok(!equalIgnoringPositions(a, parseProgram("syscall::read:entry { @x[pid, tid] = count(); }")));
		assert.ok(!equalIgnoringPositions(int(1), int(2)));
		assert.ok(!equalIgnoringPositions(int(1), str("1")));
		assert.ok(!equalIgnoringPositions([int(1)], int(1)));
		assert.ok(equalIgnoringPositions(parseExpression("1 + 2"), binary("+", int(1), int(2))));
	});
});
