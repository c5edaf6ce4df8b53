// The front end of C types (source/d/ctypes): layouts as C gives them on LP64,
// enum constants, typedefs, member access resolved to places, and DTrace's tags for
// bad declarations. (test/cli/ctypes.test.ts runs the same things in BPF.)
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DError, type Expr, parseProgram } from "../../../source/d/index.ts";

/** The value of `printf` argument #i of the only clause, as the front end leaves it. */
function args(text: string): Expr[] {
	const p = parseProgram(text);
	const s = p.clauses[0]!.statements[0]!;
	assert.equal(s.kind, "expr");
	return (s as { expr: { args: Expr[] } }).expr.args.slice(1);
}

const ints = (text: string) => args(text).map((e) => (e.kind === "int" ? Number(e.value) : e.kind));

describe("layouts", () => {
	test("padding, alignment, unions, arrays, nested and anonymous members", () => {
		assert.deepEqual(
			ints(`struct a { char c; int i; char d; };
			struct b { char c; struct a in; short s[3]; long l; };
			union u { char c[5]; int i; };
			struct n { int x; union { char p; long q; }; char z; };
			BEGIN { printf("", sizeof (struct a), offsetof(struct b, in), offsetof(struct b, s), offsetof(struct b, l),
			    sizeof (struct b), sizeof (union u), offsetof(struct n, q), offsetof(struct n, z), sizeof (struct n)); }`),
			[12, 4, 16, 24, 32, 8, 8, 16, 24],
		);
	});

	test("bit-fields pack into their base type's units", () => {
		assert.deepEqual(
			ints(`struct f { int a : 3; int b : 30; char c; };
			struct g { char a : 4; char b : 4; char c : 1; };
			struct h { unsigned long a : 60; int b : 8; };
			BEGIN { printf("", sizeof (struct f), offsetof(struct f, c), sizeof (struct g), sizeof (struct h)); }`),
			[12, 8, 2, 16],
		);
	});
});

describe("names", () => {
	test("enum constants are integers, typedefs resolve in casts and sizeof", () => {
		assert.deepEqual(
			ints(`enum e { A = 5, B, C = A * 3 }; typedef enum e e_t; typedef short s_t;
			BEGIN { printf("", A, B, C, sizeof (e_t), sizeof (s_t)); }`),
			[5, 6, 15, 4, 2],
		);
		const [cast] = args('typedef unsigned char b_t; BEGIN { printf("", (b_t)arg0); }');
		assert.equal(cast!.kind, "cast");
		assert.deepEqual((cast as { type: { words: string[] } }).type.words, ["unsigned", "char"]);
	});

	test("members of struct variables become fields with their place and type", () => {
		const [f, g] = args(`struct p { char c; struct { short x; int y : 4; } in; };
			struct p v; this struct p t;
			BEGIN { printf("", v.in.x, this->t.in.y); }`);
		assert.equal(f!.kind, "field");
		assert.deepEqual(
			{ ...(f as object), pos: undefined },
			{
				kind: "field",
				scope: "global",
				name: "v",
				varSize: 8,
				offset: 4,
				type: { k: "int", name: "short", size: 2, signed: true },
				text: "v.in.x",
				pos: undefined,
			},
		);
		assert.equal((g as { scope: string; bitOffset: number; bits: number }).scope, "this");
		assert.equal((g as { bitOffset: number }).bitOffset, 48);
		assert.equal((g as { bits: number }).bits, 4);
	});
});

describe("DTrace's errors", () => {
	const cases: [string, string, number][] = [
		["struct r { struct missing m; }; BEGIN {}", "D_DECL_INCOMPLETE", 1],
		["struct r { int a;\nchar a; }; BEGIN {}", "D_UNKNOWN", 2],
		["enum a { X };\nenum b { X }; BEGIN {}", "D_DECL_IDRED", 2],
		["typedef int t;\ntypedef int t; BEGIN {}", "D_DECL_IDRED", 2],
		["struct r { float f : 2; }; BEGIN {}", "D_DECL_BFTYPE", 1],
		["struct r { int a : -1; }; BEGIN {}", "D_DECL_BFCONST", 1],
		["struct r { long a : 65; }; BEGIN {}", "D_DECL_BFSIZE", 1],
		["struct r { int a : 1; } v; BEGIN { trace(sizeof (v.a)); }", "D_SIZEOF_BITFIELD", 1],
		["BEGIN { trace(offsetof(struct nothing, x)); }", "D_OFFSETOF_TYPE", 1],
		["struct r { int a; }; BEGIN { trace(offsetof(struct r, b)); }", "D_UNKNOWN", 1],
		["struct r { int a; }\nstruct q { int b; }; BEGIN {}", "D_DECL_COMBO", 2],
		["struct r { int a; } v; BEGIN { trace(v->a); }", "D_OP_PTR", 1],
		["struct r { int a; } v; BEGIN { trace(v); }", "D_OP_SCALAR", 1],
	];
	for (const [text, code, line] of cases) {
		test(`${JSON.stringify(text)}: ${code}`, () => {
			try {
				parseProgram(text);
			} catch (e) {
				assert.ok(e instanceof DError, String(e));
				assert.equal(e.code, code, e.message);
				assert.equal(e.line, line, e.message);
				return;
			}
			assert.fail(`no error for ${text}`);
		});
	}
});
