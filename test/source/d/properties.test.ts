// Property tests: random valid trees print and parse back equal; random and mutated
// texts either parse (and check) or fail with a D error that points into the text.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
	AGG_FUNCTIONS,
	type AggregateStmt,
	aggregate,
	assign,
	BINARY_OPS,
	BUILTIN_VARIABLES,
	binary,
	builtin,
	type Clause,
	call,
	check,
	clause,
	constantValue,
	DError,
	type Expr,
	int,
	type ProbeDescription,
	type Program,
	parseExpression,
	parseProgram,
	print,
	probe,
	program,
	type Statement,
	selfVar,
	str,
	unary,
} from "../../../source/d/index.ts";
import { assertSameTree } from "./helpers.ts";

const SEED = 20240611;
const TIMEOUT = { timeout: 20_000 };

const ident = fc.stringMatching(/^[a-z_][a-z0-9_]{0,6}$/);

const leaf: fc.Arbitrary<Expr> = fc.oneof(
	fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => int(v)),
	fc.nat(1000).map((v) => int(v)),
	fc.string({ unit: "binary", maxLength: 8 }).map((s) => str(s)),
	fc.string({ maxLength: 8 }).map((s) => str(s)),
	fc.constantFrom(...BUILTIN_VARIABLES).map((n) => builtin(n)),
	ident.map((n) => selfVar(n)),
);

const { expr } = fc.letrec<{ expr: Expr; unary: Expr; binary: Expr; call: Expr }>((tie) => ({
	expr: fc.oneof({ maxDepth: 5, depthIdentifier: "expr" }, leaf, tie("unary"), tie("binary"), tie("call")),
	unary: fc
		.tuple(fc.constantFrom("!", "-", "~") as fc.Arbitrary<"!" | "-" | "~">, tie("expr"))
		.map(([op, e]) => unary(op, e)),
	binary: fc.tuple(fc.constantFrom(...BINARY_OPS), tie("expr"), tie("expr")).map(([op, l, r]) => binary(op, l, r)),
	call: fc.oneof(
		tie("expr").map((e) => call("copyinstr", [e])),
		fc.tuple(tie("expr"), tie("expr")).map(([a, b]) => call("copyinstr", [a, b])),
		tie("expr").map((e) => call("strlen", [e])),
		fc
			.tuple(fc.constantFrom("ustack", "kstack") as fc.Arbitrary<"ustack" | "kstack">, fc.option(tie("expr")))
			.map(([fn, n]) => call(fn, n ? [n] : [])),
	),
}));

// Non-empty fields start with a letter and end with a digit, so no field is a keyword,
// BEGIN/END/ERROR, "dtrace", or a bare probe id.
const field = fc.oneof(
	fc.constant(""),
	fc.stringMatching(/^[a-z][a-z0-9_.*?-]{0,6}[0-9]$/),
	fc.stringMatching(/^[a-z]{1,3}\[!?[a-c]{1,3}\][0-9]$/),
	fc.stringMatching(/^[a-z]{1,3}\[a-c\][0-9]$/),
);
const probeArb: fc.Arbitrary<ProbeDescription> = fc.oneof(
	fc
		.tuple(field, field, field, field)
		.map(([provider, module, f, name]) => probe({ provider, module, function: f, name })),
	fc.constantFrom(
		probe({ provider: "syscall", function: "read", name: "entry" }),
		probe({ provider: "simple*", name: "saw-line" }),
		probe({ provider: "pid1234", module: "libc.so.6", function: "malloc", name: "entry" }),
		probe({ provider: "python*", module: "python3.11", name: "gc__start" }),
		probe({ provider: "profile", name: "tick-1s" }),
	),
);

const aggArb: fc.Arbitrary<AggregateStmt> = fc
	.tuple(
		fc.oneof(fc.constant(""), ident),
		fc.array(expr, { maxLength: 3 }),
		fc.constantFrom(...AGG_FUNCTIONS),
		fc.array(expr, { maxLength: 4 }),
	)
	.map(([name, keys, fn, args]) => aggregate(name, keys, fn, args));
const statementArb: fc.Arbitrary<Statement> = fc.oneof(
	aggArb,
	fc.tuple(ident, expr).map(([n, e]) => assign(n, e)),
);
const clauseArb: fc.Arbitrary<Clause> = fc
	.tuple(
		fc.array(probeArb, { minLength: 1, maxLength: 3 }),
		fc.option(expr, { nil: null }),
		fc.array(statementArb, { maxLength: 4 }),
	)
	.map(([probes, predicate, statements]) => clause(probes, predicate, statements));
const programArb: fc.Arbitrary<Program> = fc.array(clauseArb, { minLength: 1, maxLength: 3 }).map((cs) => program(cs));

describe("printing random valid trees", () => {
	test("expressions parse back equal", TIMEOUT, () => {
		fc.assert(
			fc.property(expr, (e) => {
				assertSameTree(parseExpression(print(e)), e, print(e));
			}),
			{ seed: SEED, numRuns: 2000 },
		);
	});

	test("programs parse back equal, and printing is stable", TIMEOUT, () => {
		fc.assert(
			fc.property(programArb, (p) => {
				const text = print(p);
				const back = parseProgram(text);
				assertSameTree(back, p, text);
				assert.equal(print(back), text);
			}),
			{ seed: SEED, numRuns: 1000 },
		);
	});
});

// Well-typed programs, built by construction: integers and strings never mix, stacks
// appear only as keys, each aggregation keeps one function and key signature.
const INT_BUILTINS = BUILTIN_VARIABLES.filter(
	(b) => !["execname", "probeprov", "probemod", "probefunc", "probename", "execargs", "psargs"].includes(b),
);
const STR_BUILTINS = ["execname", "probeprov", "probemod", "probefunc", "probename"] as const;
const ARITH = ["*", "/", "%", "+", "-", "<<", ">>", "&", "^", "|", "&&", "||"] as const;
const COMPARE = ["<", "<=", ">", ">=", "==", "!="] as const;

const typed = fc.letrec<{ int: Expr; str: Expr }>((tie) => ({
	int: fc.oneof(
		{ maxDepth: 4, depthIdentifier: "typed" },
		fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v) => int(v)),
		fc.constantFrom(...INT_BUILTINS).map((n) => builtin(n)),
		fc.constantFrom("i0", "i1", "never").map((n) => selfVar(n)),
		tie("str").map((e) => call("strlen", [e])),
		fc
			.tuple(fc.constantFrom("!", "-", "~") as fc.Arbitrary<"!" | "-" | "~">, tie("int"))
			.map(([op, e]) => unary(op, e)),
		fc.tuple(fc.constantFrom(...ARITH), tie("int"), tie("int")).map(([op, l, r]) => {
			const zero = (op === "/" || op === "%") && constantValue(r) === 0n;
			return binary(zero ? "+" : op, l, r);
		}),
		fc.tuple(fc.constantFrom(...COMPARE), tie("int"), tie("int")).map(([op, l, r]) => binary(op, l, r)),
		fc.tuple(fc.constantFrom(...COMPARE), tie("str"), tie("str")).map(([op, l, r]) => binary(op, l, r)),
	),
	str: fc.oneof(
		{ maxDepth: 4, depthIdentifier: "typed" },
		fc.string({ maxLength: 6 }).map((v) => str(v)),
		fc.constantFrom(...STR_BUILTINS).map((n) => builtin(n)),
		fc.constantFrom("s0", "s1").map((n) => selfVar(n)),
		tie("int").map((e) => call("copyinstr", [e])),
		fc.tuple(tie("int"), fc.integer({ min: 1, max: 256 })).map(([e, n]) => call("copyinstr", [e, int(n)])),
	),
}));
const stack = (fn: "ustack" | "kstack") =>
	fc.option(fc.integer({ min: 1, max: 64 }), { nil: undefined }).map((n) => call(fn, n === undefined ? [] : [int(n)]));
const typedStatement: fc.Arbitrary<Statement> = fc.oneof(
	fc.tuple(typed.int).map(([k]) => aggregate("a", [k], "count")),
	fc.tuple(typed.str, typed.int, typed.int).map(([k1, k2, v]) => aggregate("b", [k1, k2], "sum", [v])),
	typed.int.map((v) => aggregate("c", [], "quantize", [v])),
	fc
		.tuple(stack("ustack"), typed.int)
		.map(([k, v]) => aggregate("d", [k], "lquantize", [v, unary("-", int(5)), int(100), int(5)])),
	fc.tuple(stack("kstack"), typed.str, typed.int).map(([k1, k2, v]) => aggregate("e", [k1, k2], "max", [v])),
	fc
		.tuple(fc.constantFrom("avg", "min", "stddev") as fc.Arbitrary<"avg" | "min" | "stddev">, typed.int)
		.map(([fn, v]) => aggregate(fn, [], fn, [v])),
	fc.constant(aggregate("", [], "count")),
	fc.tuple(fc.constantFrom("i0", "i1"), typed.int).map(([n, v]) => assign(n, v)),
	fc.tuple(fc.constantFrom("s0", "s1"), typed.str).map(([n, v]) => assign(n, v)),
);
const typedProgram: fc.Arbitrary<Program> = fc
	.array(
		fc
			.tuple(
				fc.array(probeArb, { minLength: 1, maxLength: 2 }),
				fc.option(typed.int, { nil: null }),
				fc.array(typedStatement, { maxLength: 5 }),
			)
			.map(([probes, predicate, statements]) => clause(probes, predicate, statements)),
		{ minLength: 1, maxLength: 4 },
	)
	// Give every thread-local a definite type (`self->s0 = self->s0` alone would make it an integer).
	.map((cs) =>
		program([
			clause([probe({ name: "init" })], null, [
				assign("s0", str("")),
				assign("s1", builtin("execname")),
				assign("i0", int(0)),
			]),
			...cs,
		]),
	);

describe("well-typed programs", () => {
	test("check, with the types they were built with", TIMEOUT, () => {
		const expectedKeys: Record<string, string[]> = {
			a: ["int"],
			b: ["string", "int"],
			c: [],
			d: ["ustack"],
			e: ["kstack", "string"],
			"": [],
		};
		fc.assert(
			fc.property(typedProgram, (p) => {
				const c = check(p);
				for (const [name, info] of c.aggregations) {
					if (name in expectedKeys) assert.deepEqual(info.keys, expectedKeys[name], name);
					assert.equal(info.valueType, info.fn === "count" ? null : "int");
				}
				for (const cl of p.clauses) if (cl.predicate) assert.equal(c.typeOf(cl.predicate), "int");
				for (const [name, t] of c.selfVars) assert.equal(t, name.startsWith("s") ? "string" : "int", name);
				// The printed text checks to the same aggregations.
				const again = check(parseProgram(print(p)));
				assert.deepEqual([...again.aggregations.keys()], [...c.aggregations.keys()]);
			}),
			{ seed: SEED, numRuns: 1000 },
		);
	});
});

/** Parse and check `text`; only success or a D error pointing into the text is allowed. */
function parseAndCheck(text: string): void {
	let p: Program;
	try {
		p = parseProgram(text);
		check(p);
	} catch (e) {
		if (!(e instanceof DError))
			throw new Error(`not a D error for ${JSON.stringify(text)}: ${String(e)}`, { cause: e });
		const m = /^line (\d+), column (\d+): \S/.exec(e.message);
		assert.ok(m, `message without a position: ${e.message}`);
		assert.equal(Number(m[1]), e.line);
		assert.equal(Number(m[2]), e.column);
		const lines = text.split("\n");
		assert.ok(e.line >= 1 && e.line <= lines.length, `line ${e.line} outside ${JSON.stringify(text)}`);
		assert.ok(e.column >= 1 && e.column <= lines[e.line - 1]!.length + 1, `column ${e.column} outside line ${e.line}`);
		assert.equal(e.message.includes("\n"), false, "one line");
		return;
	}
	// Whatever is accepted prints back to an equal program.
	assertSameTree(parseProgram(print(p)), p, text);
}

const TOKENS = [
	"syscall::read:entry",
	"syscall:::",
	"a:b",
	"simple*:::saw-line",
	"pid$target:::entry",
	"BEGIN",
	"END",
	"*",
	"/",
	"{",
	"}",
	"(",
	")",
	"[",
	"]",
	",",
	";",
	"@",
	"@x",
	"=",
	"==",
	"!=",
	"<",
	">=",
	"<<",
	"&&",
	"||",
	"^^",
	"+",
	"-",
	"!",
	"~",
	"&",
	"|",
	"^",
	"%",
	"?",
	":",
	"->",
	".",
	"++",
	"--",
	"+=",
	"self",
	"self->x",
	"self->ts",
	"this",
	"pid",
	"execname",
	"timestamp",
	"arg0",
	"probefunc",
	"count()",
	"count",
	"sum",
	"quantize",
	"lquantize",
	"ustack",
	"kstack",
	"copyinstr",
	"strlen",
	"printf",
	"if",
	"int",
	"args",
	"foo",
	'"str"',
	'"',
	"'c'",
	"'",
	"0",
	"1",
	"42",
	"0x1f",
	"09",
	"1.5",
	"99999999999999999999999",
	"$target",
	"$1",
	"$",
	"#pragma",
	"#",
	"/*",
	"*/",
	"//",
	"\\",
	"`",
	"[a-",
	"\n",
];

const soup = fc
	.array(
		fc.tuple(
			fc.oneof(
				{ weight: 6, arbitrary: fc.constantFrom(...TOKENS) },
				{ weight: 1, arbitrary: fc.string({ maxLength: 3 }) },
			),
			fc.constantFrom(" ", "", "\n", "\t"),
		),
		{ maxLength: 30 },
	)
	.map((parts) => parts.map(([t, s]) => t + s).join(""));

const mutation = fc.record({
	kind: fc.constantFrom("delete", "insert", "duplicate", "replace"),
	at: fc.nat(),
	length: fc.nat(8),
	token: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 2 })),
});

function mutate(text: string, m: { kind: string; at: number; length: number; token: string }): string {
	const at = text.length === 0 ? 0 : m.at % (text.length + 1);
	switch (m.kind) {
		case "delete":
			return text.slice(0, at) + text.slice(at + m.length);
		case "insert":
			return text.slice(0, at) + m.token + text.slice(at);
		case "duplicate":
			return text.slice(0, at + m.length) + text.slice(at, at + m.length) + text.slice(at + m.length);
		default:
			return text.slice(0, at) + m.token + text.slice(at + m.token.length);
	}
}

describe("the parser and checker never fail badly", () => {
	test("token soups", TIMEOUT, () => {
		fc.assert(fc.property(soup, parseAndCheck), { seed: SEED, numRuns: 5000 });
	});

	test("mutated valid programs", TIMEOUT, () => {
		fc.assert(
			fc.property(programArb, fc.array(mutation, { minLength: 1, maxLength: 4 }), (p, ms) => {
				parseAndCheck(ms.reduce(mutate, print(p)));
			}),
			{ seed: SEED, numRuns: 2000 },
		);
	});

	test("mutated hand-written programs", TIMEOUT, () => {
		const base = [
			"syscall::read:entry { self->ts = timestamp; } syscall::read:return /self->ts/ { @ = quantize(timestamp - self->ts); self->ts = 0; }",
			'syscall::read:entry,syscall::write:entry /pid == 42 && execname != "sh"/ { @bytes[execname, probefunc] = sum(arg2); }',
			"simple*:::saw-line /pid == 4242/ { @[ustack(8)] = count(); @l = lquantize(arg0, -10, 10, 2); }",
			"profile:::tick-1s { @[copyinstr(arg0, 32), strlen(execname)] = max(arg1 << 2); }",
		];
		fc.assert(
			fc.property(fc.constantFrom(...base), fc.array(mutation, { minLength: 1, maxLength: 3 }), (text, ms) => {
				parseAndCheck(ms.reduce(mutate, text));
			}),
			{ seed: SEED, numRuns: 5000 },
		);
	});

	test("arbitrary strings", TIMEOUT, () => {
		const chars = fc.constantFrom(..."syscal:/{}()@[]*;=-+!<>&|\"'\\ \n\t#$0x19aeglpt_>.,?~");
		fc.assert(
			fc.property(
				fc.oneof(fc.string({ unit: "binary", maxLength: 40 }), fc.string({ unit: chars, maxLength: 60 })),
				parseAndCheck,
			),
			{ seed: SEED, numRuns: 5000 },
		);
	});

	test("random valid trees check or fail with a type error", TIMEOUT, () => {
		fc.assert(
			fc.property(programArb, (p) => {
				try {
					check(p);
				} catch (e) {
					assert.ok(e instanceof DError, String(e));
				}
				parseAndCheck(print(p));
			}),
			{ seed: SEED, numRuns: 1000 },
		);
	});
});
