// The checker of the full language: D's types (sizes, signedness, DTrace's promotion),
// scopes, variables typed by declaration or first assignment in program order, and the
// errors of DTrace's types/, operators/, arithmetic/, variables/, scalars/, assocs/,
// arrays/, sizeof/, decls/, inline/ and scripting/ unit tests with their tags.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { check, DError, parseProgram } from "../../../source/d/index.ts";
import type { CheckOptions, FullCheckedProgram } from "../../../source/d/scope.ts";
import type { Expr } from "../../../source/d/syntax.ts";
import { typeName } from "../../../source/d/types.ts";

const FULL: CheckOptions = { language: "full" };

function checked(text: string, options: Partial<CheckOptions> = {}): FullCheckedProgram {
	return check(parseProgram(text, { language: "full" }), { ...FULL, ...options });
}

/** D's type of an expression, as its messages name it. */
function typeOf(e: string, decls = ""): string {
	const c = checked(`${decls}\nBEGIN { __t = ${e}; }`);
	return typeName(c.globals.get("__t")!.type);
}

function rejects(text: string, code: string, message?: RegExp, line?: number): DError {
	let err: unknown;
	try {
		checked(text);
	} catch (e) {
		err = e;
	}
	assert.ok(err instanceof DError, `expected ${code} for ${text}, got ${String(err)}`);
	assert.equal(err.code, code, err.message);
	if (message) assert.match(err.message, message);
	if (line !== undefined) assert.equal(err.line, line, err.message);
	return err;
}

describe("types of expressions", () => {
	const cases: [string, string][] = [
		// Constants: the first of int, unsigned int, long, unsigned long that holds the value;
		// hex and octal constants may be unsigned, decimal ones stay signed.
		["1", "int"],
		["2147483647", "int"],
		["2147483648", "long"],
		["0x7fffffff", "int"],
		["0x80000000", "unsigned int"],
		["0xffffffffffffffff", "unsigned long"],
		["037777777777", "unsigned int"],
		["1u", "unsigned int"],
		["1l", "long"],
		["1ul", "unsigned long"],
		["1ll", "long long"],
		["1ull", "unsigned long long"],
		["'a'", "int"],
		['"s"', "string"],
		// Built-in variables.
		["pid", "pid_t"],
		["tid", "id_t"],
		["uid", "uid_t"],
		["execname", "string"],
		["probefunc", "string"],
		["timestamp", "uint64_t"],
		["walltimestamp", "int64_t"],
		["arg0", "int64_t"],
		["errno", "int"],
		["id", "uint_t"],
		["epid", "uint64_t"],
		["caller", "uintptr_t"],
		["ucaller", "uint64_t"],
		["stackdepth", "uint32_t"],
		["uregs[R_PC]", "uint64_t"],
		["args[0]", "int64_t"],
		// DTrace's promotion: the operand of higher rank (bits + unsigned) wins; no promotion to int.
		["(char)1 + (char)2", "char"],
		["(short)1 * 2", "int"],
		["1 + 1u", "unsigned int"],
		["1u + 1l", "long"],
		["(uint32_t)1 + (int64_t)1", "int64_t"],
		["(int64_t)1 + (uint64_t)1", "uint64_t"],
		["timestamp - 1", "uint64_t"],
		["(uint8_t)1 << 40", "uint8_t"],
		["1 << 40ul", "int"],
		["-(unsigned char)1", "unsigned char"],
		["~0u", "unsigned int"],
		["!timestamp", "int"],
		["1 < 2u", "int"],
		['execname == "x"', "int"],
		["arg0 && arg1", "int"],
		["arg0 ^^ 1", "int"],
		["pid ? 1 : 2u", "unsigned int"],
		['pid ? "a" : execname', "string"],
		["(char *)arg0", "char *"],
		["(string)(char *)arg0", "string"],
		["sizeof (int)", "size_t"],
		["sizeof (uint64_t) + sizeof execname", "size_t"],
		["stringof(arg0)", "string"],
		["execname[0]", "char"],
		["strlen(execname)", "size_t"],
		['strjoin("a", "b")', "string"],
		['index(execname, "a")', "int"],
		["htons(1)", "uint16_t"],
		["htonl(1)", "uint32_t"],
		["rand()", "int"],
		["speculation()", "int"],
		["lltostr(1)", "string"],
		["copyinstr(arg0, 16)", "string"],
		["copyin(arg0, 4)", "void *"],
		["inet_ntoa((ipaddr_t *)arg0)", "string"],
		["progenyof(1)", "int"],
		["ufunc(arg1)", "_usymaddr"],
		["func(caller)", "_symaddr"],
		["ustack(5)", "stack"],
		["stack()", "stack"],
		["EINVAL + SIGKILL + R_SP", "int"],
		["NULL", "long"],
		['(1, "x")', "string"],
	];
	for (const [e, t] of cases) test(`${e}: ${t}`, () => assert.equal(typeOf(e), t));

	test("every expression node gets a type, every name a scope", () => {
		const c = checked(
			"int g; inline int N = 3; BEGIN { g = pid + N + EINVAL; self->s = execname; this->t = 1; @a = count(); printa(@a); }",
		);
		for (const [e, t] of c.types) assert.ok(t, (e as Expr).kind);
		const scopes = new Map<string, string>();
		for (const [e, s] of c.scopes) scopes.set((e as { name: string }).name, s);
		assert.deepEqual(Object.fromEntries(scopes), {
			g: "global",
			pid: "builtin",
			execname: "builtin",
			N: "inline",
			EINVAL: "constant",
			s: "self",
			t: "this",
			a: "aggregation",
		});
	});

	test("constants that came from macros have the scope 'macro'", () => {
		const c = checked("BEGIN { x = $1; y = $$1; }", { macros: { args: ["42"] } });
		assert.deepEqual([...c.scopes.values()].filter((s) => s === "macro").length, 2);
		assert.equal(typeName(c.globals.get("x")!.type), "int");
		assert.equal(typeName(c.globals.get("y")!.type), "string");
	});
});

describe("variables", () => {
	test("a variable takes the type of its first assignment in program order", () => {
		const c = checked('BEGIN { a = 1; b = timestamp; c = "s"; d[1, "k"] = 2u; self->e = stack(); this->f = 1ull; }');
		const t = (m: Map<string, { type: Parameters<typeof typeName>[0] }>, n: string) => typeName(m.get(n)!.type);
		assert.deepEqual(
			["a", "b", "c", "d"].map((n) => t(c.globals, n)),
			["int", "uint64_t", "string", "unsigned int"],
		);
		assert.deepEqual(c.globals.get("d")!.keys!.map(typeName), ["int", "string"]);
		assert.equal(t(c.selfVars, "e"), "stack");
		assert.equal(t(c.thisVars, "f"), "unsigned long long");
	});

	test("declared variables keep their declared types", () => {
		const c = checked(
			'uint8_t small; self string s; this int i; int a[int, string]; int v[5]; BEGIN { small = 300; self->s = "x"; a[1, "y"] = 2; v[4] = 1; }',
		);
		assert.equal(typeName(c.globals.get("small")!.type), "uint8_t");
		assert.ok(c.globals.get("small")!.declared);
		assert.equal(c.globals.get("v")!.dimension, 5n);
	});

	test("reading before the first assignment is an error, in program order", () => {
		rejects("BEGIN { trace(x); } END { x = 1; }", "D_IDENT_UNDEF", /failed to resolve x: Unknown variable name/);
		rejects(
			"BEGIN { trace(self->x); } END { self->x = 1; }",
			"D_VAR_UNDEF",
			/self->x has not yet been declared or assigned/,
		);
		rejects("BEGIN { trace(this->x); }", "D_VAR_UNDEF", /this->x has not yet been declared or assigned/);
		rejects("BEGIN { trace(a[1]); }", "D_VAR_UNDEF", /a has not yet been declared or assigned/);
		rejects("BEGIN { x = x + 1; }", "D_IDENT_UNDEF");
		assert.ok(checked("END { self->x = 1; } BEGIN { trace(self->x); }"));
	});

	test("statements are checked before the predicate, which is retried first if they read what it defines", () => {
		// DTrace's aggs/tst.llquantneg: the body creates i, the predicate reads it.
		assert.ok(checked("tick-1 /i % 2 == 0/ { @ = llquantize(i++, 10, 0, 6, 20); }"));
		// The predicate creates what the body reads.
		assert.ok(checked("tick-1 /(x = 1) && x/ { trace(x); }"));
	});

	test("++, -- and unary operators on a variable never assigned make it an int64_t", () => {
		const c = checked("BEGIN { i++; ++self->j; k[1]--; trace(!this->l); }");
		assert.deepEqual(
			[c.globals.get("i"), c.selfVars.get("j"), c.globals.get("k"), c.thisVars.get("l")].map((v) => typeName(v!.type)),
			["int64_t", "int64_t", "int64_t", "int64_t"],
		);
		rejects("BEGIN { trace(-x); }", "D_IDENT_UNDEF");
	});

	test("a variable keeps one type; 0 deletes dynamic variables; NULL is a string's zero", () => {
		rejects('BEGIN { x = 1; x = "s"; }', "D_OP_INCOMPAT", /operands have incompatible types: "int" = "string"/);
		rejects('this int x; BEGIN { this->x = "boo"; }', "D_OP_INCOMPAT", /"int" = "string"/);
		assert.ok(checked('BEGIN { self->s = "x"; self->s = 0; a["k"] = "v"; a["k"] = 0; }'));
		assert.ok(checked('BEGIN { s = "x"; s = NULL; trace(s == NULL); }'));
		assert.ok(checked("BEGIN { x = 1; x = 2ull; x = (char)3; }"));
	});

	test("associative arrays keep their key signature", () => {
		rejects('BEGIN { x[1, "a"] = 1; x[1] = 2; }', "D_PROTO_LEN", /x\[ \] prototype mismatch: 1 key passed, 2 expected/);
		rejects('BEGIN { x[1, "a"] = 1; x[1, "a", 3] = 2; }', "D_PROTO_LEN", /3 keys passed, 2 expected/);
		rejects(
			'BEGIN { x[1, "a"] = 1; x[1, 2] = 2; }',
			"D_PROTO_ARG",
			/x\[ \] key #2 is incompatible with prototype: prototype: string; key: int/,
		);
		rejects("BEGIN { x = 1; x[1] = 2; }", "D_ARR_BADREF", /cannot access scalar x as an associative array/);
		rejects("BEGIN { x[1] = 2; x = 1; }", "D_IDENT_BADREF", /associative array 'x' may not be referenced as scalar/);
		rejects("BEGIN { this->x[1] = 2; }", "D_ARR_LOCAL", /local variables may not be used as associative arrays: x/);
		rejects("BEGIN { x[trace(1)] = 1; }", "D_KEY_TYPE");
		assert.ok(checked('BEGIN { self->a[pid, execname] = timestamp; trace(self->a[1, "x"]); }'));
	});

	test("declared scalar arrays are bounds-checked", () => {
		rejects("int a[5]; BEGIN { a[5] = 1; }", "D_ARR_BOUNDS", /index outside array bounds: 5, max is 5/);
		rejects("int a[5]; BEGIN { trace(a[7]); }", "D_ARR_BOUNDS");
		assert.ok(checked("int a[5]; BEGIN { a[4] = 1; trace(a[0]); }"));
	});

	test("built-in variables and constants cannot be written", () => {
		rejects("BEGIN { pid = 1; }", "D_OP_WRITE", /operator = can only be applied to a writable variable/);
		rejects("BEGIN { pid++; }", "D_OP_WRITE", /operator \+\+ can only be applied to a writable variable/);
		rejects("BEGIN { args[0] = 1; }", "D_OP_WRITE");
		rejects("BEGIN { execname = 1; }", "D_OP_INCOMPAT");
		const c = () => checked("BEGIN { $pid++; }", { macros: {} });
		assert.throws(c, /operator \+\+ requires modifiable lvalue as an operand/);
		rejects("BEGIN { 1 = 2; }", "D_OP_LVAL");
		rejects("BEGIN { EINVAL = 2; }", "D_OP_LVAL");
	});

	test("declarations: redeclaration, void objects, builtins, dimensions", () => {
		rejects("int x; string x; BEGIN {}", "D_DECL_IDRED", /identifier redeclared: x/);
		assert.ok(checked("int x; int x; BEGIN {}"));
		rejects("int pid; BEGIN {}", "D_DECL_IDRED", /built-in identifier redeclared: pid/);
		rejects("void x; BEGIN {}", "D_DECL_VOIDOBJ", /cannot have void object: x/);
		rejects("int a[void]; BEGIN {}", "D_DECL_PROTO_TYPE");
		rejects("int a[99999999999]; BEGIN {}", "D_DECL_ARRBIG");
		rejects("signed unsigned x; BEGIN {}", "D_DECL_COMBO");
		rejects("short char x; BEGIN {}", "D_DECL_CHARATTR");
		rejects("short void x; BEGIN {}", "D_DECL_VOIDATTR");
		rejects("unsigned double x; BEGIN {}", "D_DECL_SIGNINT");
		rejects("short long x; BEGIN {}", "D_UNKNOWN");
	});

	test("inlines: typed, checked, usable as constants", () => {
		const c = checked(
			'inline int N = 4 * 8; inline string S = "x"; inline int P = pid; BEGIN { @[S] = lquantize(P, 0, N, 4); }',
		);
		assert.equal(c.inlines.size, 3);
		assert.equal(c.aggregations.get("")!.params?.kind, "lquantize");
		rejects(
			'inline int N = "x"; BEGIN {}',
			"D_OP_INCOMPAT",
			/inline N definition uses incompatible types: "int" = "string"/,
		);
		rejects("inline int N = 1; inline int N = 2; BEGIN {}", "D_DECL_IDRED");
		rejects("inline void N = 1; BEGIN {}", "D_DECL_VOIDOBJ");
		rejects("int N; inline int N = 1; BEGIN {}", "D_DECL_IDRED");
	});

	test("uregs[] and args[] take integer constants", () => {
		assert.ok(checked("BEGIN { trace(uregs[R_PC] + uregs[R_SP] + uregs[0]); }"));
		rejects(
			"BEGIN { trace(uregs[arg0]); }",
			"D_PROTO_ARG",
			/uregs\[ \] argument #1 is incompatible with prototype: prototype: integer constant/,
		);
		rejects("BEGIN { trace(uregs[42]); }", "D_UNKNOWN", /uregs\[\]: index out of bounds \(42\)/);
		rejects("BEGIN { trace(uregs[FOO]); }", "D_IDENT_UNDEF", /failed to resolve FOO/);
		rejects("BEGIN { trace(args[-1]); }", "D_ARGS_IDX");
		rejects("BEGIN { trace(args[0, 1]); }", "D_PROTO_LEN");
		rejects("inline int A = arg0; BEGIN {}", "D_ARGS_NONE");
		const c = checked("syscall::read:entry { trace(args[1]); }", {
			argType: (_c, n) => (n === 1 ? { k: "string" } : undefined),
		});
		assert.ok([...c.types.values()].some((t) => t.k === "string"));
	});
});

describe("operators", () => {
	const cases: [string, string, RegExp?][] = [
		['BEGIN { trace("char" & "foo"); }', "D_OP_INT", /operator & requires operands of integral type/],
		['BEGIN { trace("a" << 1); }', "D_OP_INT", /operator << requires operands of integral type/],
		['BEGIN { trace(~"a"); }', "D_OP_INT", /operator ~ requires an operand of integral type/],
		['BEGIN { trace(-"a"); }', "D_OP_ARITH", /operator - requires an operand of arithmetic type/],
		['BEGIN { trace("a" * 2); }', "D_OP_ARITH", /operator \* requires operands of arithmetic type/],
		['BEGIN { trace("a" && 1); }', "D_OP_SCALAR", /operator && requires operands of scalar type/],
		['BEGIN { trace(!"a"); }', "D_OP_SCALAR", /operator ! requires an operand of scalar type/],
		['BEGIN { trace("a" ? 1 : 2); }', "D_OP_SCALAR", /operator \?: expression must be of scalar type/],
		['BEGIN { x = "a"; x++; }', "D_OP_SCALAR", /operator \+\+ requires operand of scalar type/],
		['BEGIN { trace(1 == "a"); }', "D_OP_INCOMPAT", /operands have incompatible types: "int" == "string"/],
		['BEGIN { trace("a" + 1); }', "DTOP_UNSUPPORTED", /pointer arithmetic/],
		['BEGIN { trace("a" + "b"); }', "D_OP_INCOMPAT", /"string" \+ "string"/],
		['BEGIN { trace(pid ? 1 : "a"); }', "D_OP_INCOMPAT", /operator \?: operands must have compatible types/],
		['BEGIN { x = 1; x += "a"; }', "D_OP_INCOMPAT", /operands have incompatible types: "int" \+= "string"/],
		['BEGIN { x = 1; x *= "a"; }', "D_OP_ARITH"],
		['BEGIN { x = 1; x |= "a"; }', "D_OP_INT"],
		["BEGIN { x += 1; }", "D_VAR_UNDEF", /x has not yet been declared or assigned/],
		["BEGIN { trace(1 / 0); }", "D_DIV_ZERO", /expression contains division by zero/],
		["BEGIN { trace(arg0 % (2 - 2)); }", "D_DIV_ZERO"],
		["BEGIN { x = 1; x /= 0; }", "D_DIV_ZERO"],
		["inline int Z = 0; BEGIN { trace(arg0 / Z); }", "D_DIV_ZERO"],
		['BEGIN { trace((int)"a"); }', "D_CAST_INVAL", /invalid cast expression: "string" to "int"/],
		["BEGIN { trace((string)1); }", "D_CAST_INVAL"],
		["BEGIN { trace(sizeof (void)); }", "D_SIZEOF_TYPE", /cannot apply sizeof to an operand of unknown size/],
		["BEGIN { a[1] = 1; trace(sizeof a); }", "D_IDENT_BADREF", /associative array 'a' may not be referenced as scalar/],
		["BEGIN { trace(stringof(stack())); }", "D_STRINGOF_TYPE", /cannot apply stringof to a value of type stack/],
		["BEGIN /execname/ {}", "D_PRED_SCALAR", /predicate result must be of scalar type/],
		['BEGIN { c = 1 ? printf("x") : trace(1); }', "D_OP_ACT", /action cannot be used in a conditional context/],
		[
			'BEGIN { c = 1 ? printf("x") : trace(); }',
			"D_PROTO_LEN",
			/trace\( \) prototype mismatch: 0 args passed, 1 expected/,
		],
		["BEGIN { trace(*arg0); }", "D_DEREF_NONPTR", /cannot dereference non-pointer type/],
		["BEGIN { trace(&1); }", "D_ADDROF_LVAL", /unacceptable operand for unary & operator/],
		["BEGIN { trace(&self->x); }", "D_ADDROF_VAR"],
		["BEGIN { trace(1(2)); }", "D_FUNC_IDENT"],
	];
	for (const [text, code, message] of cases)
		test(text, () => {
			rejects(text, code, message);
		});

	test("strings compare with strings and NULL, by value", () => {
		assert.ok(
			checked('BEGIN { trace(execname < "m" && probefunc != execname && "a" >= (char *)arg0 && execname != NULL); }'),
		);
	});
});

describe("what dtop cannot do without the kernel's C types is named", () => {
	const cases: [string, RegExp][] = [
		["BEGIN { trace(curthread->pid); }", /'curthread->pid' needs the kernel's C type information/],
		["BEGIN { trace(curthread); }", /'curthread' \(a struct task_struct \*\) needs the kernel's C type information/],
		["BEGIN { trace(curpsinfo->pr_psargs); }", /curpsinfo->pr_psargs/],
		["syscall::read:entry { trace(args[0]->f_pos); }", /'args\[...\]->f_pos' \(a probe argument's members\)/],
		["BEGIN { trace(*(int *)arg0); }", /dereferencing a pointer \('\*'\) reads memory through C types/],
		["BEGIN { trace(((char *)arg0)[1]); }", /indexing a pointer reads memory/],
		["BEGIN { trace((char *)arg0 + 1); }", /pointer arithmetic \(char \* \+ int\)/],
		["BEGIN { x = (struct task_struct *)arg0; trace(x->pid); }", /the member access '->pid'/],
		["BEGIN { trace((struct foo)arg0); }", /'struct foo' needs the kernel's C type information/],
		["BEGIN { trace(offsetof(struct task_struct, pid)); }", /offsetof\(\) needs the kernel's C type information/],
		["BEGIN { trace(xlate <psinfo_t *> (curthread)); }", /xlate \(a translator\)/],
		["BEGIN { trace(`max_pfn); }", /the kernel symbol `max_pfn/],
		["BEGIN { trace(&g); } int g;", /taking the address of a variable/],
		["BEGIN { p = alloca(8); }", /'alloca' is not supported/],
		["BEGIN { trace(mutex_owned((void *)arg0)); }", /'mutex_owned' is not supported: it needs the kernel's C types/],
		["BEGIN { trace((float)1); }", /floating-point types are not supported/],
	];
	for (const [text, message] of cases) {
		test(text, () => {
			const e = rejects(text, "DTOP_UNSUPPORTED", message);
			assert.ok(e.line === 1 && e.column > 0);
		});
	}
});

describe("the subset stays as it was", () => {
	test("check() without options rejects the full language with today's messages", () => {
		const p = parseProgram('BEGIN { printf("x"); } inline int x = 1;', { language: "full" });
		assert.throws(() => check(p), /line 1, column 24: 'inline' is not supported: dtop has no declarations/);
		const q = parseProgram("syscall::read:entry { x = y; }", { language: "full" });
		assert.throws(() => check(q), /line 1, column 27: unknown variable 'y': no clause assigns it/);
		const r = parseProgram("syscall::read:entry { @ = count(); }", { language: "full" });
		assert.equal(check(r).aggregations.get("")!.fn, "count");
	});
});

describe("options", () => {
	test("the options in force: DTrace's defaults, then -x, then the program's pragmas", () => {
		const c = checked(
			"#pragma D option quiet\n#pragma D option bufsize=8m\n#pragma D option switchrate=10hz\nBEGIN {}\n",
			{
				options: new Map([
					["bufsize", 1024],
					["aggsize", 2048],
				]),
			},
		);
		assert.equal(c.options.get("quiet"), true);
		assert.equal(c.options.get("bufsize"), 8 * 1024 * 1024);
		assert.equal(c.options.get("aggsize"), 2048);
		assert.equal(c.options.get("switchrate"), 100_000_000);
		assert.equal(c.options.get("strsize"), 256);
		assert.equal(c.options.get("nspec"), 1);
	});

	test("strsize sets the size of strings", () => {
		assert.equal(typeOf("sizeof (string)"), "size_t");
		const c = checked(
			"#pragma D option strsize=32\nBEGIN { x = sizeof (string); @[x] = lquantize(1, 0, sizeof (string) + 1); }\n",
		);
		const params = c.aggregations.get("")!.params;
		assert.equal(params?.kind === "lquantize" ? params.limit : undefined, 33);
	});
});
