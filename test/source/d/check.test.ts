import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
	aggregate,
	assign,
	binary,
	builtin,
	type CheckedProgram,
	call,
	check,
	clause,
	constantValue,
	DSyntaxError,
	DTypeError,
	type Expr,
	int,
	parseExpression,
	parseProgram,
	probe,
	program,
	selfVar,
	str,
	unary,
} from "../../../source/d/index.ts";
import { assertDError } from "./helpers.ts";

const checkText = (text: string): CheckedProgram => check(parseProgram(text));
const R = "syscall::read:entry";

describe("types", () => {
	const cases: [string, string][] = [
		["pid", "int"],
		["tid", "int"],
		["ppid", "int"],
		["uid", "int"],
		["gid", "int"],
		["cpu", "int"],
		["timestamp", "int"],
		["vtimestamp", "int"],
		["walltimestamp", "int"],
		["arg3", "int"],
		["retval", "int"],
		["execname", "string"],
		["probeprov", "string"],
		["probemod", "string"],
		["probefunc", "string"],
		["probename", "string"],
		['"x"', "string"],
		["42", "int"],
		["copyinstr(arg0)", "string"],
		["copyinstr(arg0, 16)", "string"],
		["strlen(execname)", "int"],
		["strlen(copyinstr(arg1))", "int"],
		["ustack()", "ustack"],
		["ustack(3)", "ustack"],
		["kstack()", "kstack"],
		["kstack(1 + 1)", "kstack"],
		["-arg0", "int"],
		["!pid", "int"],
		["~pid", "int"],
		["arg0 + arg1 * 2", "int"],
		['execname == "bash"', "int"],
		["execname < probefunc", "int"],
		["execname != copyinstr(arg0)", "int"],
		["pid == 1 && tid != 2 || !cpu", "int"],
		["self->never_assigned", "int"],
	];
	for (const [text, type] of cases) {
		test(`${text} is ${type}`, () => {
			const c = checkText(`${R} { @[${text}] = count(); }`);
			const stmt = c.program.clauses[0]!.statements[0]!;
			assert.ok(stmt.kind === "aggregate");
			assert.equal(c.typeOf(stmt.keys[0]!), type);
		});
	}

	test("every expression node gets a type", () => {
		const c = checkText(
			`${R} /pid == 1 && execname != "x"/ { self->s = copyinstr(arg0, 8); @[self->s, strlen(self->s), -arg1] = sum(arg2 * 2); }`,
		);
		const seen: Expr[] = [];
		const walk = (e: Expr) => {
			seen.push(e);
			if (e.kind === "unary") walk(e.operand);
			if (e.kind === "binary") {
				walk(e.left);
				walk(e.right);
			}
			if (e.kind === "call") e.args.forEach(walk);
		};
		const cl = c.program.clauses[0]!;
		walk(cl.predicate!);
		for (const s of cl.statements) {
			if (s.kind === "assign") {
				walk(s.target);
				walk(s.value);
			} else if (s.kind === "aggregate") {
				s.keys.forEach(walk);
				s.args.forEach(walk);
			}
		}
		assert.equal(seen.length, 19);
		for (const e of seen) assert.ok(c.types.has(e), `no type for ${e.kind}`);
		assert.throws(() => c.typeOf(int(1n)), RangeError);
	});

	test("the type of a thread-local follows its assignments, even from later clauses", () => {
		const c = checkText(
			`${R} /self->name == "x"/ { @[self->name] = count(); } syscall::open:entry { self->name = copyinstr(arg0); self->n = 3; }`,
		);
		assert.deepEqual([...c.selfVars].sort(), [
			["n", "int"],
			["name", "string"],
		]);
	});

	test("thread-locals assigned from each other get a type", () => {
		const c = checkText(`${R} { self->a = self->b; self->c = self->a; } syscall::write:entry { self->b = execname; }`);
		assert.equal(c.selfVars.get("a"), "string");
		assert.equal(c.selfVars.get("b"), "string");
		assert.equal(c.selfVars.get("c"), "string");
		const d = checkText(`${R} { self->a = self->b; self->b = self->a; }`);
		assert.equal(d.selfVars.get("a"), "int");
	});
});

describe("the classic latency idiom", () => {
	test("parses and checks", () => {
		const c = checkText(
			"syscall::read:entry { self->ts = timestamp; } syscall::read:return /self->ts/ { @ = quantize(timestamp - self->ts); self->ts = 0; }",
		);
		assert.deepEqual([...c.selfVars], [["ts", "int"]]);
		const agg = c.aggregations.get("")!;
		assert.equal(agg.fn, "quantize");
		assert.deepEqual(agg.keys, []);
		assert.equal(agg.valueType, "int");
		assert.equal(agg.lquantize, null);
		assert.equal(agg.uses.length, 1);
		const [entry, ret] = c.clauses;
		assert.deepEqual([...entry!.builtins], ["timestamp"]);
		assert.deepEqual([...entry!.selfWrites], ["ts"]);
		assert.deepEqual([...entry!.selfReads], []);
		assert.deepEqual([...ret!.builtins], ["timestamp"]);
		assert.deepEqual([...ret!.selfReads], ["ts"]);
		assert.deepEqual([...ret!.selfWrites], ["ts"]);
		assert.deepEqual([...ret!.aggregations], [""]);
		assert.deepEqual([...entry!.aggregations], []);
	});
});

describe("aggregations", () => {
	test("are gathered with their function, key types and parameters", () => {
		const c = checkText(`
			${R} { @calls[execname, pid] = count(); @lat = lquantize(arg2, -10, 100, 5); @st[ustack(4), kstack()] = count(); }
			syscall::write:entry { @calls[probefunc, tid] = count(); @lat = lquantize(arg2, -10, 100, 5); @s = sum(arg2); }
		`);
		const calls = c.aggregations.get("calls")!;
		assert.equal(calls.fn, "count");
		assert.deepEqual(calls.keys, ["string", "int"]);
		assert.equal(calls.valueType, null);
		assert.equal(calls.uses.length, 2);
		assert.deepEqual([calls.pos.line, calls.pos.column], [2, 26]);
		assert.deepEqual(c.aggregations.get("lat")!.lquantize, { lo: -10, hi: 100, step: 5, levels: 22 });
		assert.deepEqual(c.aggregations.get("st")!.keys, ["ustack", "kstack"]);
		assert.equal(c.aggregations.get("s")!.valueType, "int");
		assert.deepEqual([...c.aggregations.keys()], ["calls", "lat", "st", "s"]);
		assert.deepEqual([...c.clauses[0]!.functions].sort(), ["kstack", "ustack"]);
		assert.deepEqual([...c.clauses[0]!.builtins].sort(), ["arg2", "execname", "pid"]);
	});

	test("lquantize step defaults to 1, constant expressions are allowed", () => {
		const c = checkText(`${R} { @a = lquantize(arg0, 0, 10); @b = lquantize(arg0, 1 << 2, 2 * 50 + 4, 100 / 10); }`);
		assert.deepEqual(c.aggregations.get("a")!.lquantize, { lo: 0, hi: 10, step: 1, levels: 10 });
		assert.deepEqual(c.aggregations.get("b")!.lquantize, { lo: 4, hi: 104, step: 10, levels: 10 });
	});

	test("every aggregating function with the right arity checks", () => {
		checkText(
			`${R} { @a = count(); @b = sum(arg0); @c = avg(arg0); @d = min(arg0); @e = max(arg0); @f = stddev(arg0); @g = quantize(arg0); @h = lquantize(arg0, 0, 10, 1); }`,
		);
	});
});

describe("type errors", () => {
	const cases: [string, string][] = [
		[`${R} /execname == 1/ {}`, 'line 1, column 31: operands have incompatible types: "string" == "int"'],
		[`${R} /1 < probefunc/ {}`, 'line 1, column 24: operands have incompatible types: "int" < "string"'],
		[
			`${R} /execname/ {}`,
			'line 1, column 22: the predicate is a string, not a condition; compare it, as in /execname == "bash"/',
		],
		[`${R} /!execname/ {}`, "line 1, column 22: operator ! needs an integer operand, not a string"],
		[`${R} { @ = sum(execname + 1); }`, "line 1, column 40: operator + needs integer operands, not a string"],
		[`${R} { @ = sum(1 * "x"); }`, "line 1, column 33: operator * needs integer operands, not a string"],
		[`${R} /execname && pid/ {}`, "line 1, column 31: operator && needs integer operands, not a string"],
		[`${R} { @ = sum(-probename); }`, "line 1, column 31: operator - needs an integer operand, not a string"],
		[`${R} { @ = sum(execname); }`, "line 1, column 31: sum() argument #1 must be an integer, not a string"],
		[`${R} { @ = quantize("x"); }`, "line 1, column 36: quantize() argument #1 must be an integer, not a string"],
		[`${R} { @ = count(1); }`, "line 1, column 27: count() prototype mismatch: 1 arg passed, 0 expected"],
		[`${R} { @ = sum(); }`, "line 1, column 27: sum() prototype mismatch: 0 args passed, 1 expected"],
		[`${R} { @ = avg(1, 2); }`, "line 1, column 27: avg() prototype mismatch: 2 args passed, 1 expected"],
		[
			`${R} { @ = lquantize(arg0, 0); }`,
			"line 1, column 27: lquantize() prototype mismatch: 2 args passed, 3 to 5 expected",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 10, 1, 1, 1); }`,
			"line 1, column 27: lquantize() prototype mismatch: 6 args passed, 3 to 5 expected",
		],
		[
			`${R} { @ = lquantize(arg0, 10, 0); }`,
			"line 1, column 27: lquantize() base (argument #2) must be less than limit (argument #3)",
		],
		[
			`${R} { @ = lquantize(arg0, 10, 10); }`,
			"line 1, column 27: lquantize() base (argument #2) must be less than limit (argument #3)",
		],
		[
			`${R} { @ = lquantize(arg0, pid, 10); }`,
			"line 1, column 43: lquantize() base (argument #2) must be an integer constant",
		],
		[
			`${R} { @ = lquantize(arg0, 0, "x"); }`,
			"line 1, column 46: lquantize() limit (argument #3) must be an integer constant",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 0x80000000); }`,
			"line 1, column 46: lquantize() limit (argument #3) must be a 32-bit quantity",
		],
		[
			`${R} { @ = lquantize(arg0, -0x80000001, 0); }`,
			"line 1, column 43: lquantize() base (argument #2) must be a 32-bit quantity",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 10, 0); }`,
			"line 1, column 50: lquantize() step (argument #4) must be a non-zero positive integer constant",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 10, -1); }`,
			"line 1, column 50: lquantize() step (argument #4) must be a non-zero positive integer constant",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 10, arg1); }`,
			"line 1, column 50: lquantize() step (argument #4) must be a non-zero positive integer constant",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 100000, 65536); }`,
			"line 1, column 54: lquantize() step (argument #4) must be a 16-bit quantity",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 10, 100); }`,
			"line 1, column 27: lquantize() step (argument #4) too large: must have at least one quantization level",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 1000000); }`,
			"line 1, column 27: lquantize() step (argument #4) too small: number of quantization levels must be a 16-bit quantity",
		],
		[
			`${R} { @ = lquantize(execname, 0, 10); }`,
			"line 1, column 37: lquantize() argument #1 must be an integer, not a string",
		],
		[
			`${R} { self->x = ustack(); }`,
			"line 1, column 33: ustack() can only be used as an aggregation key, as in @[ustack()] = count()",
		],
		[
			`${R} /kstack() == 1/ {}`,
			"line 1, column 22: kstack() can only be used as an aggregation key, as in @[kstack()] = count()",
		],
		[
			`${R} { @ = sum(ustack()); }`,
			"line 1, column 31: ustack() can only be used as an aggregation key, as in @[ustack()] = count()",
		],
		[
			`${R} { @[strlen(ustack())] = count(); }`,
			"line 1, column 32: ustack() can only be used as an aggregation key, as in @[ustack()] = count()",
		],
		[
			`${R} { @[ustack(0)] = count(); }`,
			"line 1, column 32: ustack() argument #1 must be a non-zero positive integer constant",
		],
		[
			`${R} { @[kstack(pid)] = count(); }`,
			"line 1, column 32: kstack() argument #1 must be a non-zero positive integer constant",
		],
		[
			`${R} { @[ustack(1, 2)] = count(); }`,
			"line 1, column 25: ustack() prototype mismatch: 2 args passed, 0 or 1 expected",
		],
		[
			`${R} { @[copyinstr()] = count(); }`,
			"line 1, column 25: copyinstr() prototype mismatch: 0 args passed, 1 or 2 expected",
		],
		[
			`${R} { @[copyinstr(execname)] = count(); }`,
			"line 1, column 35: copyinstr() argument #1 must be an integer address, not a string",
		],
		[
			`${R} { @[copyinstr(arg0, "x")] = count(); }`,
			"line 1, column 41: copyinstr() argument #2 must be an integer length, not a string",
		],
		[
			`${R} { @[copyinstr(arg0, 0)] = count(); }`,
			"line 1, column 41: copyinstr() argument #2 must be a positive length",
		],
		[`${R} { @[strlen(1)] = count(); }`, "line 1, column 32: strlen() argument #1 must be a string, not an integer"],
		[`${R} { @[strlen()] = count(); }`, "line 1, column 25: strlen() prototype mismatch: 0 args passed, 1 expected"],
		[`${R} { @[arg0 / 0] = count(); }`, "line 1, column 30: division by zero"],
		[`${R} { @[arg0 % (1 - 1)] = count(); }`, "line 1, column 30: modulus by zero"],
		[
			`${R} { @[pid] = count(); } syscall::write:entry { @[pid] = sum(arg2); }`,
			"line 1, column 75: aggregation redefined: @ = sum() here but @ = count() at line 1, column 23; use another name",
		],
		[
			`${R} { @x = count(); @x = quantize(1); }`,
			"line 1, column 42: aggregation redefined: @x = quantize() here but @x = count() at line 1, column 23; use another name",
		],
		[
			`${R} { @[pid] = count(); } syscall::write:entry { @[execname] = count(); }`,
			"line 1, column 68: @ key #1 is a string here but an integer at line 1, column 23",
		],
		[
			`${R} { @[ustack()] = count(); } syscall::write:entry { @[kstack()] = count(); }`,
			"line 1, column 73: @ key #1 is a kernel stack here but a user stack at line 1, column 23",
		],
		[
			`${R} { @[pid] = count(); } syscall::write:entry { @[pid, tid] = count(); }`,
			"line 1, column 66: @ has 2 keys here but 1 key at line 1, column 23",
		],
		[
			`${R} { @a[pid] = count(); @a = count(); }`,
			"line 1, column 42: @a has 0 keys here but 1 key at line 1, column 23",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 10) } syscall::write:entry { @ = lquantize(arg0, 0, 20) }`,
			"line 1, column 79: lquantize() limit (argument #3) doesn't match previous declaration at line 1, column 23: expected 10, found 20",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 10) } syscall::write:entry { @ = lquantize(arg0, 1, 11) }`,
			"line 1, column 79: lquantize() base (argument #2) doesn't match previous declaration at line 1, column 23: expected 0, found 1",
		],
		[
			`${R} { @ = lquantize(arg0, 0, 10, 2) } syscall::write:entry { @ = lquantize(arg0, 0, 10, 5) }`,
			"line 1, column 82: lquantize() step (argument #4) doesn't match previous declaration at line 1, column 23: expected 2, found 5",
		],
		[
			`${R} { self->x = 1; } syscall::write:entry { self->x = execname; }`,
			"line 1, column 61: self->x is assigned a string here but an integer at line 1, column 23; a variable keeps one type",
		],
		[
			`${R} { self->x = execname; self->x = self->x + 1; }`,
			"line 1, column 61: operator + needs integer operands, not a string",
		],
	];
	for (const [text, message] of cases) {
		test(text, () => assertDError(() => checkText(text), message, DTypeError));
	}

	test("errors in built clauses have no position prefix", () => {
		const p = program([clause([probe({ provider: "syscall", name: "entry" })], builtin("execname"), [])]);
		assertDError(
			() => check(p),
			'the predicate is a string, not a condition; compare it, as in /execname == "bash"/',
			DTypeError,
		);
		const q = program([
			clause([probe({ name: "a" })], null, [aggregate("x", [], "count")]),
			clause([probe({ name: "b" })], null, [aggregate("x", [], "sum", [int(1)])]),
		]);
		assertDError(
			() => check(q),
			"aggregation redefined: @x = sum() here but @x = count(); use another name",
			DTypeError,
		);
	});

	test("a DTypeError carries line, column and the bare reason", () => {
		try {
			checkText(`${R}\n/execname == 1/ {}`);
			assert.fail("no error");
		} catch (e) {
			assert.ok(e instanceof DTypeError);
			assert.equal(e.line, 2);
			assert.equal(e.column, 11);
			assert.equal(e.reason, 'operands have incompatible types: "string" == "int"');
		}
	});
});

describe("built programs check like parsed ones", () => {
	test("the latency idiom built from code", () => {
		const p = program([
			clause([probe({ provider: "syscall", function: "read", name: "entry" })], null, [
				assign("ts", builtin("timestamp")),
			]),
			clause([probe({ provider: "syscall", function: "read", name: "return" })], selfVar("ts"), [
				aggregate("", [], "quantize", [binary("-", builtin("timestamp"), selfVar("ts"))]),
				assign("ts", int(0)),
			]),
		]);
		const c = check(p);
		assert.equal(c.aggregations.get("")!.fn, "quantize");
		assert.equal(c.selfVars.get("ts"), "int");
	});

	test("probe descriptions built by hand are validated", () => {
		const good = probe({ provider: "syscall", name: "entry" });
		const withColon = program([clause([{ ...good, function: "x:y" }], null, [])]);
		assertDError(() => check(withColon), "probe description field \"x:y\" contains ':'", DSyntaxError);
		const badGlob = program([clause([{ ...good, function: "re[ad" }], null, [])]);
		assertDError(() => check(badGlob), "'[' in probe description has no matching ']'", DSyntaxError);
	});

	test("keys of every type", () => {
		const c = check(
			program([
				clause([probe({ name: "x" })], binary("==", builtin("execname"), str("a")), [
					aggregate("k", [builtin("pid"), call("copyinstr", [builtin("arg0")]), call("ustack", [int(8)])], "count"),
				]),
			]),
		);
		assert.deepEqual(c.aggregations.get("k")!.keys, ["int", "string", "ustack"]);
	});
});

describe("constant folding", () => {
	const cases: [string, bigint | undefined][] = [
		["42", 42n],
		["-42", -42n],
		["1 + 2 * 3", 7n],
		["(1 + 2) * 3", 9n],
		["10 / 3", 3n],
		["-10 / 3", -3n],
		["-10 % 3", -1n],
		["1 << 10", 1024n],
		["1 << 64", undefined],
		["-16 >> 2", -4n],
		["~0", -1n],
		["!0", 1n],
		["!5", 0n],
		["0xffffffffffffffff", -1n],
		["0x7fffffffffffffff + 1", -(2n ** 63n)],
		["6 & 3 | 8 ^ 1", 11n],
		["3 < 4 && 4 <= 4 && 5 > 4 && 4 >= 4 && 1 == 1 && 1 != 2", 1n],
		["0 || 0", 0n],
		["1 / 0", undefined],
		["1 % 0", undefined],
		["pid + 1", undefined],
		['"x"', undefined],
	];
	for (const [text, value] of cases) {
		test(`${text} = ${value}`, () => assert.equal(constantValue(parseExpression(text)), value));
	}
	test("unary minus of a built literal", () => assert.equal(constantValue(unary("-", int(5))), -5n));
});
