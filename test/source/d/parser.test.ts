import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
	aggregate,
	assign,
	type BinaryExpr,
	binary,
	builtin,
	type Clause,
	call,
	check,
	clause,
	DSyntaxError,
	DTypeError,
	type Expr,
	int,
	type Program,
	parseExpression,
	parseProgram,
	probe,
	selfVar,
	str,
	unary,
} from "../../../source/d/index.ts";
import { assertDError, assertSameTree } from "./helpers.ts";

const read = probe({ provider: "syscall", function: "read", name: "entry" });

function only(text: string): Clause {
	const p = parseProgram(text);
	assert.equal(p.clauses.length, 1, `one clause in ${text}`);
	return p.clauses[0]!;
}

describe("expressions", () => {
	const cases: [string, Expr][] = [
		["42", int(42n)],
		["0", int(0n)],
		["0x1F", { ...int(31n), radix: 16 }],
		["0XfF", { ...int(255n), radix: 16 }],
		["017", { ...int(15n), radix: 8 }],
		["10u", { ...int(10n), suffix: "u" }],
		["10UL", { ...int(10n), suffix: "UL" }],
		["10ull", { ...int(10n), suffix: "ull" }],
		["0xffffffffffffffff", { ...int(0xffffffffffffffffn), radix: 16 }],
		["18446744073709551615", int(18446744073709551615n)],
		["'a'", int(97n)],
		["'\\n'", int(10n)],
		["'ab'", int(0x6162n)],
		['""', str("")],
		['"hello"', str("hello")],
		['"a\\tb\\nc\\\\d\\"e"', str('a\tb\nc\\d"e')],
		['"\\0\\101\\x41\\a\\b\\f\\v\\r\\?\\\'"', str("\0AA\x07\b\f\v\r?'")],
		['"héllo"', str("héllo")],
		["pid", builtin("pid")],
		["execname", builtin("execname")],
		["probefunc", builtin("probefunc")],
		["arg0", builtin("arg0")],
		["arg9", builtin("arg9")],
		["retval", builtin("retval")],
		["walltimestamp", builtin("walltimestamp")],
		["self->ts", selfVar("ts")],
		["self -> ts", selfVar("ts")],
		["copyinstr(arg0)", call("copyinstr", [builtin("arg0")])],
		["copyinstr(arg1, 64)", call("copyinstr", [builtin("arg1"), int(64n)])],
		["strlen(execname)", call("strlen", [builtin("execname")])],
		["ustack()", call("ustack")],
		["ustack(5)", call("ustack", [int(5n)])],
		["kstack()", call("kstack")],
		["kstack(10)", call("kstack", [int(10n)])],
		["!pid", unary("!", builtin("pid"))],
		["-1", unary("-", int(1n))],
		["~arg0", unary("~", builtin("arg0"))],
		["- -1", unary("-", unary("-", int(1n)))],
		["!!self->x", unary("!", unary("!", selfVar("x")))],
		["(pid)", builtin("pid")],
		["((((1))))", int(1n)],
		['execname == "bash"', binary("==", builtin("execname"), str("bash"))],
		["timestamp - self->ts", binary("-", builtin("timestamp"), selfVar("ts"))],
	];
	for (const [text, expected] of cases) {
		test(`parses ${text}`, () => assertSameTree(parseExpression(text), expected, text));
	}

	test("every binary operator", () => {
		for (const op of [
			"*",
			"/",
			"%",
			"+",
			"-",
			"<<",
			">>",
			"&",
			"^",
			"|",
			"<",
			"<=",
			">",
			">=",
			"==",
			"!=",
			"&&",
			"||",
		]) {
			const e = parseExpression(`arg0 ${op} arg1`) as BinaryExpr;
			assertSameTree(e, binary(op as BinaryExpr["op"], builtin("arg0"), builtin("arg1")), op);
		}
	});
});

describe("precedence and associativity follow C", () => {
	const a = builtin("arg0");
	const b = builtin("arg1");
	const c = builtin("arg2");
	const cases: [string, Expr][] = [
		["arg0 + arg1 * arg2", binary("+", a, binary("*", b, c))],
		["arg0 * arg1 + arg2", binary("+", binary("*", a, b), c)],
		["arg0 - arg1 - arg2", binary("-", binary("-", a, b), c)],
		["arg0 / arg1 / arg2", binary("/", binary("/", a, b), c)],
		["arg0 - (arg1 - arg2)", binary("-", a, binary("-", b, c))],
		["arg0 << arg1 + arg2", binary("<<", a, binary("+", b, c))],
		["arg0 < arg1 << arg2", binary("<", a, binary("<<", b, c))],
		["arg0 == arg1 < arg2", binary("==", a, binary("<", b, c))],
		["arg0 & arg1 == arg2", binary("&", a, binary("==", b, c))],
		["arg0 ^ arg1 & arg2", binary("^", a, binary("&", b, c))],
		["arg0 | arg1 ^ arg2", binary("|", a, binary("^", b, c))],
		["arg0 && arg1 | arg2", binary("&&", a, binary("|", b, c))],
		["arg0 || arg1 && arg2", binary("||", a, binary("&&", b, c))],
		["arg0 && arg1 || arg2", binary("||", binary("&&", a, b), c)],
		["-arg0 * arg1", binary("*", unary("-", a), b)],
		["!arg0 == arg1", binary("==", unary("!", a), b)],
		["~arg0 + arg1 % arg2", binary("+", unary("~", a), binary("%", b, c))],
		[
			'pid == 1 && execname != "x" || !arg0',
			binary(
				"||",
				binary("&&", binary("==", builtin("pid"), int(1n)), binary("!=", builtin("execname"), str("x"))),
				unary("!", a),
			),
		],
	];
	for (const [text, expected] of cases) {
		test(text, () => assertSameTree(parseExpression(text), expected, text));
	}
});

describe("clauses and statements", () => {
	const cases: [string, Clause][] = [
		[
			"syscall::read:entry { @[execname] = count(); }",
			clause([read], null, [aggregate("", [builtin("execname")], "count")]),
		],
		[
			"syscall::read:entry { @[execname] = count() }",
			clause([read], null, [aggregate("", [builtin("execname")], "count")]),
		],
		["syscall::read:entry {}", clause([read], null, [])],
		["syscall::read:entry { }", clause([read], null, [])],
		["syscall::read:entry { ;; }", clause([read], null, [])],
		["syscall::read:entry", clause([read], null, [])],
		["syscall::read:entry{@=count()}", clause([read], null, [aggregate("", [], "count")])],
		["syscall::read:entry { @ = count(); }", clause([read], null, [aggregate("", [], "count")])],
		["syscall::read:entry { @calls = count(); }", clause([read], null, [aggregate("calls", [], "count")])],
		[
			"syscall::read:entry { @bytes[pid, execname] = sum(arg2); }",
			clause([read], null, [aggregate("bytes", [builtin("pid"), builtin("execname")], "sum", [builtin("arg2")])]),
		],
		[
			"syscall::read:entry /pid == 42/ { @[execname] = count(); }",
			clause([read], binary("==", builtin("pid"), int(42n)), [aggregate("", [builtin("execname")], "count")]),
		],
		[
			"syscall::read:entry /arg2 / 2 > 10/ { @ = avg(arg2); }",
			clause([read], binary(">", binary("/", builtin("arg2"), int(2n)), int(10n)), [
				aggregate("", [], "avg", [builtin("arg2")]),
			]),
		],
		["syscall::read:entry /arg0/ /* comment */ { }", clause([read], builtin("arg0"), [])],
		[
			"syscall::read:entry { self->ts = timestamp; self->n = 1 }",
			clause([read], null, [assign("ts", builtin("timestamp")), assign("n", int(1n))]),
		],
		[
			"syscall::read:entry { @a = min(arg0); @b = max(arg0); @c = stddev(arg0); @d = quantize(arg0); @e = lquantize(arg0, 0, 100, 10); @f = lquantize(arg0, -5, 5); }",
			clause([read], null, [
				aggregate("a", [], "min", [builtin("arg0")]),
				aggregate("b", [], "max", [builtin("arg0")]),
				aggregate("c", [], "stddev", [builtin("arg0")]),
				aggregate("d", [], "quantize", [builtin("arg0")]),
				aggregate("e", [], "lquantize", [builtin("arg0"), int(0n), int(100n), int(10n)]),
				aggregate("f", [], "lquantize", [builtin("arg0"), unary("-", int(5n)), int(5n)]),
			]),
		],
		[
			"syscall::read:entry, syscall::write:entry { @[probefunc] = count(); }",
			clause([read, probe({ provider: "syscall", function: "write", name: "entry" })], null, [
				aggregate("", [builtin("probefunc")], "count"),
			]),
		],
		[
			"simple*:::saw-line /pid == 4242/ { @[ustack()] = count(); }",
			clause([probe({ provider: "simple*", name: "saw-line" })], binary("==", builtin("pid"), int(4242n)), [
				aggregate("", [call("ustack")], "count"),
			]),
		],
	];
	for (const [text, expected] of cases) {
		test(text, () => assertSameTree(only(text), expected, text));
	}

	test("the classic latency idiom parses into two clauses", () => {
		const p = parseProgram(
			"syscall::read:entry { self->ts = timestamp; } syscall::read:return /self->ts/ { @ = quantize(timestamp - self->ts); self->ts = 0; }",
		);
		assertSameTree(p.clauses, [
			clause([read], null, [assign("ts", builtin("timestamp"))]),
			clause([probe({ provider: "syscall", function: "read", name: "return" })], selfVar("ts"), [
				aggregate("", [], "quantize", [binary("-", builtin("timestamp"), selfVar("ts"))]),
				assign("ts", int(0n)),
			]),
		]);
	});

	test("clauses without a body, one after another", () => {
		const p = parseProgram("syscall::read:entry syscall::write:entry\nsyscall::open:entry { @ = count(); }");
		assert.deepEqual(
			p.clauses.map((c) => [c.probes[0]!.function, c.statements.length]),
			[
				["read", 0],
				["write", 0],
				["open", 1],
			],
		);
	});

	test("comments and whitespace anywhere", () => {
		const p = parseProgram(`
			// count reads
			syscall::read:entry /* by process */
			/pid != 0 // not the idle task
			/
			{
				@[execname] /* key */ = count(); // done
			}
		`);
		assertSameTree(
			p.clauses[0],
			clause([read], binary("!=", builtin("pid"), int(0n)), [aggregate("", [builtin("execname")], "count")]),
		);
	});

	test("a #! interpreter line is skipped, as in DTrace", () => {
		assert.equal(parseProgram("#!/usr/sbin/dtrace -s\nsyscall::read:entry {}").clauses.length, 1);
	});
});

describe("positions", () => {
	test("are 1-based lines and columns into the original text", () => {
		const text =
			"syscall::read:entry,\n  syscall::write:entry\n/pid == 42/\n{\n\t@x[execname] = sum(arg2);\n\tself->ts = timestamp;\n}";
		const p: Program = parseProgram(text);
		const c = p.clauses[0]!;
		assert.deepEqual(c.pos, { line: 1, column: 1, offset: 0 });
		assert.deepEqual(c.probes[1]!.pos, { line: 2, column: 3, offset: 23 });
		assert.equal(c.probes[1]!.text, "syscall::write:entry");
		const pred = c.predicate as BinaryExpr;
		assert.deepEqual([pred.pos.line, pred.pos.column], [3, 6]);
		assert.deepEqual([pred.left.pos.line, pred.left.pos.column], [3, 2]);
		assert.deepEqual([pred.right.pos.line, pred.right.pos.column], [3, 9]);
		const [agg, asg] = c.statements;
		assert.ok(agg?.kind === "aggregate" && asg?.kind === "assign");
		assert.deepEqual([agg.pos.line, agg.pos.column], [5, 2]);
		assert.deepEqual([agg.keys[0]!.pos.line, agg.keys[0]!.pos.column], [5, 5]);
		assert.deepEqual([agg.fnPos.line, agg.fnPos.column], [5, 17]);
		assert.deepEqual([agg.args[0]!.pos.line, agg.args[0]!.pos.column], [5, 21]);
		assert.deepEqual([asg.pos.line, asg.pos.column], [6, 2]);
		assert.deepEqual([asg.value.pos.line, asg.value.pos.column], [6, 13]);
		for (const n of [pred, pred.left, agg.keys[0]!, asg.value]) {
			const { line, column, offset } = n.pos;
			const before = text.slice(0, offset).split("\n");
			assert.equal(before.length, line);
			assert.equal(before.at(-1)!.length + 1, column);
		}
	});
});

describe("syntax errors", () => {
	const cases: [string, string][] = [
		["syscall::read:entry { @ = count()", "line 1, column 34: syntax error near end of input: expected ';' or '}'"],
		[
			"syscall::read:entry { @ = count() @b = count(); }",
			"line 1, column 35: syntax error near \"@b\": expected ';' or '}'",
		],
		["syscall::read:entry { @ = count() }}", 'line 1, column 36: syntax error near "}": expected a probe description'],
		["syscall::read:entry { @ = count() + 1; }", "line 1, column 35: syntax error near \"+\": expected ';' or '}'"],
		["syscall::read:entry { @x[] = count(); }", 'line 1, column 26: syntax error near "]": expected a key expression'],
		[
			"syscall::read:entry { @x[pid = count(); }",
			"line 1, column 30: syntax error near \"=\": assignment is only allowed as a statement (self->name = value); use '==' to compare",
		],
		[
			"syscall::read:entry /pid = 5/ { }",
			"line 1, column 26: syntax error near \"=\": assignment is only allowed as a statement (self->name = value); use '==' to compare",
		],
		[
			"syscall::read:entry /pid == 1/",
			"line 1, column 31: expected actions { } following probe description and predicate",
		],
		[
			"",
			"line 1, column 1: the program is empty; write a clause such as syscall::read:entry { @[execname] = count(); }",
		],
		[
			"  /* only a comment */ ",
			"line 1, column 24: the program is empty; write a clause such as syscall::read:entry { @[execname] = count(); }",
		],
		["syscall::read:entry /(pid == 1/ { }", "line 1, column 31: syntax error near \"/\": expected ')'"],
		[
			"syscall::read:entry { @ = count(); ",
			"line 1, column 36: syntax error near end of input: expected '}' to end the clause body",
		],
		["syscall::read:entry, {}", 'line 1, column 22: syntax error near "{": expected a probe description'],
		["syscall::read:entry { self->x }", "line 1, column 31: syntax error near \"}\": expected '=' after self->x"],
		["syscall::read:entry { self.x = 1 }", "line 1, column 27: syntax error near \".\": expected '->' after 'self'"],
		["syscall::read:entry { @x = count(; }", 'line 1, column 34: syntax error near ";": expected an expression'],
		["syscall::read:entry { @ = sum(1.5); }", "line 1, column 31: floating-point constants are not supported"],
		["syscall::read:entry { @ = sum(09); }", "line 1, column 31: constant 09 contains invalid digit 9"],
		["syscall::read:entry { @ = sum(0x); }", "line 1, column 31: constant 0x has no digits after 0x"],
		["syscall::read:entry { @ = sum(12ab); }", "line 1, column 31: constant 12ab contains invalid digit a"],
		[
			"syscall::read:entry { @ = sum(18446744073709551616); }",
			"line 1, column 31: constant 18446744073709551616 results in integer overflow",
		],
		['syscall::read:entry { @["abc] = count(); }', 'line 1, column 25: end-of-file encountered before matching "'],
		['syscall::read:entry { @["a\nb"] = count(); }', "line 1, column 25: newline encountered in string literal"],
		[
			'syscall::read:entry { @["\\q"] = count(); }',
			"line 1, column 25: unknown escape sequence '\\q' in string literal",
		],
		[
			'syscall::read:entry { @["\\xff"] = count(); }',
			"line 1, column 25: escape '\\xff' in string literal is not an ASCII character; write the character itself",
		],
		["syscall::read:entry { @[''] = count(); }", "line 1, column 25: empty character constant"],
		["syscall::read:entry /* unterminated", "line 1, column 21: end-of-file encountered before matching */"],
		[
			"syscall::read:entry { @[pid] = count(); } }",
			'line 1, column 43: syntax error near "}": expected a probe description',
		],
		[
			'syscall::read:entry { @ = count(); } "x"',
			"line 1, column 38: syntax error near '\"': expected a probe description",
		],
		[
			"syscall::read:entry { @[pid] = count();\n  @[pid] = sum(arg0 +); }",
			'line 2, column 22: syntax error near ")": expected an expression',
		],
		[
			"a:b:c:d:e {}",
			'line 1, column 8: probe description "a:b:c:d:e" has too many fields; write provider:module:function:name',
		],
		["sys[call::read:entry {}", "line 1, column 4: '[' in probe description has no matching ']'"],
		[
			"123 {}",
			"line 1, column 1: probe ids are not supported; name the probe as provider:module:function:name instead of 123",
		],
		[
			"syscall::read:entry { @[(((((((((((((((((((((((((((((((((((((((((((((1 }",
			"line 1, column 72: syntax error near \"}\": expected ')'",
		],
	];
	for (const [text, message] of cases) {
		test(JSON.stringify(text), () => assertDError(() => parseProgram(text), message, DSyntaxError));
	}

	test("deep nesting is an error, not a stack overflow", () => {
		assertDError(
			() => parseExpression(`${"(".repeat(5000)}1${")".repeat(5000)}`),
			"line 1, column 301: expression is nested too deeply",
		);
		assertDError(() => parseExpression(`${"- ".repeat(3000)}1`), "line 1, column 601: expression is nested too deeply");
		assert.throws(() => parseExpression(Array(5000).fill("1").join(" + ")), /expression is nested too deeply/);
		assert.equal(parseExpression(Array(100).fill("1").join(" + ")).kind, "binary");
	});

	test("an expression must be whole", () => {
		assertDError(
			() => parseExpression("pid pid"),
			'line 1, column 5: syntax error near "pid": expected an operator or the end of the expression',
		);
		assertDError(
			() => parseExpression("pid)"),
			'line 1, column 4: syntax error near ")": expected an operator or the end of the expression',
		);
	});
});

describe("unsupported D is named", () => {
	const cases: [string, string][] = [
		["syscall::read:entry { @c = count(); @d = sum(printa(@c)); }", "line 1, column 46: 'printa' is not supported"],
		["syscall::read:entry { breakpoint(); }", "line 1, column 23: 'breakpoint' is not supported"],
		['syscall::read:entry { x = printf("%d", 1); }', "line 1, column 27: 'printf' is not supported"],
		[
			"syscall::read:entry { this->x[1] = 1; }",
			"line 1, column 30: 'this->x[...]' (an array of this-> variables) is not supported",
		],
		[
			"syscall::read:entry { @[pid, 1 ? 2 : 3, x = 1] = count(); }",
			"line 1, column 43: syntax error near \"=\": assignment is only allowed as a statement (self->name = value); use '==' to compare",
		],
		[
			"syscall::read:entry { @[(char *)arg0] = count(); }",
			"line 1, column 25: a cast to 'char*' is not supported; only integer types",
		],
		["syscall::read:entry { @ = count(trace(1)); }", "line 1, column 33: 'trace' is not supported"],
		["syscall::read:entry { @[args[0]] = count(); }", "line 1, column 25: 'args[]' is not supported; use arg0 to arg9"],
		[
			"syscall::read:entry { @[curthread->t_pri] = count(); }",
			"line 1, column 34: struct task_struct has no member t_pri",
		],
		["syscall::read:entry { @[arg0->x] = count(); }", "line 1, column 29: '->' is not supported"],
		["syscall::read:entry { @[arg0.x] = count(); }", "line 1, column 29: member access ('.') is not supported"],
		[
			"syscall::read:entry { @[execname[0]] = count(); }",
			"line 1, column 33: array subscripts ('[') are not supported",
		],
		["syscall::read:entry { @[inet_ntoa6(arg0)] = count(); }", "line 1, column 25: 'inet_ntoa6' is not supported"],
		[
			"syscall::read:entry { @[sizeof(arg0)] = count(); }",
			"line 1, column 25: 'sizeof' is supported only for integer types (sizeof (int), sizeof (uint64_t), ...)",
		],
		["syscall::read:entry { @[*arg0] = count(); }", "line 1, column 25: pointer dereference ('*') is not supported"],
		["syscall::read:entry { @[&arg0] = count(); }", "line 1, column 25: taking an address ('&') is not supported"],
		["syscall::read:entry { @x += 1; }", "line 1, column 26: '+=' is not supported; write @x = count() or similar"],
		[
			"#pragma D depends_on module x\nsyscall::read:entry { }",
			"line 1, column 1: '#pragma D depends_on' is not supported",
		],
		[
			"syscall::read:entry {\n#define X 1\n}",
			"line 2, column 1: invalid control directive: #define; C preprocessor directives need -C",
		],
		[
			"int *x; BEGIN { trace(x); }",
			"line 1, column 23: x is of type 'int *': variables of that type can be declared (and measured with sizeof) but not used yet",
		],
		["int a[5];", "line 1, column 5: scalar arrays ('a[5]') are not supported; use an associative array"],
		["this int a[int];", "line 1, column 10: associative arrays may not be declared as local variables: a"],
		["inline int x = 1;", "line 1, column 1: 'inline' is not supported: dtop has no declarations"],
		[
			"syscall::read:entry { kstack(); }",
			"line 1, column 23: kstack() as a statement is not supported; use it as an aggregation key, as in @[kstack()] = count()",
		],
		[
			"syscall::read:entry { pid; }",
			"line 1, column 23: a statement must update an aggregation (@name[key] = count()) or a thread-local variable (self->name = value)",
		],
		["syscall::read:entry { pid = 1; }", "line 1, column 23: built-in variable 'pid' cannot be assigned"],
		["syscall::read:entry { @[foo(1)] = count(); }", "line 1, column 25: unknown function 'foo'"],
		[
			"syscall::read:entry { @[arg10] = count(); }",
			"line 1, column 25: 'arg10' is not available; the probe arguments are arg0 to arg9",
		],
		[
			"syscall::read:entry { @[ustak()] = count(); }",
			"line 1, column 25: unknown function 'ustak'; did you mean 'ustack'?",
		],
		[
			"syscall::read:entry { @[pid()] = count(); }",
			"line 1, column 28: 'pid' is a variable, not a function; remove the parentheses",
		],
		[
			"syscall::read:entry { @[sum(1)] = count(); }",
			"line 1, column 25: aggregating function sum() can only be assigned to an aggregation, as in @name[key] = sum(...)",
		],
		[
			"syscall::read:entry /@x > 1/ { }",
			"line 1, column 22: aggregation @x cannot be used in an expression; aggregations can only be assigned",
		],
		[
			"syscall::read:entry { @x = 1; }",
			"line 1, column 28: @x must be assigned the result of an aggregating function (count, sum, avg, min, max, stddev, quantize, lquantize, llquantize)",
		],
		[
			"syscall::read:entry { @x; }",
			"line 1, column 23: @x must be assigned the result of an aggregating function, such as @x = count()",
		],
		["syscall::read:entry /pid == $target/ {}", "line 1, column 29: macro variable $target is not defined"],
		["syscall::read:entry /pid == $1/ {}", "line 1, column 29: macro argument $1 is not defined"],
	];
	// What C types make a type error (a member no struct has, a pointer variable used) is a DTypeError.
	const typeErrors = new Set(["syscall::read:entry { @[curthread->t_pri] = count(); }", "int *x; BEGIN { trace(x); }"]);
	for (const [text, message] of cases) {
		test(text, () => assertDError(() => parseProgram(text), message, typeErrors.has(text) ? DTypeError : DSyntaxError));
	}
});

describe("names that no clause assigns are refused by the checker, with suggestions", () => {
	const cases: [string, string][] = [
		[
			"syscall::read:entry { @[foo] = count(); }",
			"line 1, column 25: unknown variable 'foo': no clause assigns it; use a built-in variable such as pid or execname, or assign it (foo = ...)",
		],
		[
			"syscall::read:entry { @[execnam] = count(); }",
			"line 1, column 25: unknown variable 'execnam'; did you mean 'execname'?",
		],
		["syscall::read:entry /PID == 1/ { }", "line 1, column 22: unknown variable 'PID'; did you mean 'pid'?"],
		[
			"syscall::read:entry /x[pid]/ { }",
			"line 1, column 22: unknown variable 'x': no clause assigns it; use a built-in variable such as pid or execname, or assign it (x = ...)",
		],
		["syscall::read:entry { @ = sum(this->t); }", "line 1, column 31: this->t is read but no clause assigns it"],
	];
	for (const [text, message] of cases) {
		test(text, () => assertDError(() => check(parseProgram(text)), message));
	}
});
