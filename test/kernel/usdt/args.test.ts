import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { archFor } from "../../../kernel/sys/index.ts";
import {
	type ArgLocation,
	argumentReadPlan,
	parseUsdtArg,
	parseUsdtArgs,
	splitUsdtArgs,
	UsdtArgError,
} from "../../../kernel/usdt/index.ts";
import { buildFixtures, SIMPLE } from "../../fixtures/fixtures.ts";

const X64 = archFor("x64");
const ARM64 = archFor("arm64");

type Row = [spec: string, size: number, signed: boolean, location: ArgLocation];

const X64_ROWS: Row[] = [
	["-4@%edi", 4, true, { kind: "reg", reg: "rdi" }],
	["8@%rax", 8, false, { kind: "reg", reg: "rax" }],
	["8@%r12", 8, false, { kind: "reg", reg: "r12" }],
	["-4@%r12d", 4, true, { kind: "reg", reg: "r12" }],
	["2@%r9w", 2, false, { kind: "reg", reg: "r9" }],
	["1@%al", 1, false, { kind: "reg", reg: "rax" }],
	["-1@%sil", 1, true, { kind: "reg", reg: "rsi" }],
	["-2@%ax", 2, true, { kind: "reg", reg: "rax" }],
	["8@%RBX", 8, false, { kind: "reg", reg: "rbx" }],
	["8@-80(%rbx)", 8, false, { kind: "mem", base: "rbx", offset: -80 }],
	["-4@112(%rsp)", 4, true, { kind: "mem", base: "rsp", offset: 112 }],
	["8@(%rsp)", 8, false, { kind: "mem", base: "rsp", offset: 0 }],
	["4@0x10(%rbp)", 4, false, { kind: "mem", base: "rbp", offset: 16 }],
	["8@$5", 8, false, { kind: "const", value: 5n }],
	["-4@$-1", 4, true, { kind: "const", value: -1n }],
	["8@$0x7fffffffffffffff", 8, false, { kind: "const", value: 0x7fffffffffffffffn }],
	["8@foo(%rip)", 8, false, { kind: "rip", symbol: "foo", offset: 0 }],
	["4@counter+8(%rip)", 4, false, { kind: "rip", symbol: "counter", offset: 8 }],
	["4@_ZN3fooE-4(%rip)", 4, false, { kind: "rip", symbol: "_ZN3fooE", offset: -4 }],
	["8@16(%rip)", 8, false, { kind: "rip", symbol: undefined, offset: 16 }],
	["8@8(%rax,%rdx,8)", 8, false, { kind: "indexed", base: "rax", index: "rdx", scale: 8, offset: 8 }],
	["-4@(,%rcx,4)", 4, true, { kind: "indexed", base: undefined, index: "rcx", scale: 4, offset: 0 }],
	["%edi", 8, false, { kind: "reg", reg: "rdi" }],
];

const ARM64_ROWS: Row[] = [
	["-4@x1", 4, true, { kind: "reg", reg: "x1" }],
	["8@x30", 8, false, { kind: "reg", reg: "x30" }],
	["-4@w2", 4, true, { kind: "reg", reg: "x2" }],
	["8@sp", 8, false, { kind: "reg", reg: "sp" }],
	["8@[sp, 16]", 8, false, { kind: "mem", base: "sp", offset: 16 }],
	["8@[sp,16]", 8, false, { kind: "mem", base: "sp", offset: 16 }],
	["-4@[x29, -20]", 4, true, { kind: "mem", base: "x29", offset: -20 }],
	["8@[x0, #8]", 8, false, { kind: "mem", base: "x0", offset: 8 }],
	["8@[x0]", 8, false, { kind: "mem", base: "x0", offset: 0 }],
	["8@5", 8, false, { kind: "const", value: 5n }],
	["-4@-1", 4, true, { kind: "const", value: -1n }],
	["4@#7", 4, false, { kind: "const", value: 7n }],
];

describe("parseUsdtArg", () => {
	for (const [arch, rows] of [
		[X64, X64_ROWS],
		[ARM64, ARM64_ROWS],
	] as const) {
		for (const [spec, size, signed, location] of rows) {
			test(`${arch.name} ${spec}`, () => {
				assert.deepEqual(parseUsdtArg(spec, arch), { spec, size, signed, location });
			});
		}
	}

	test("accepts the architecture by name", () => {
		assert.deepEqual(parseUsdtArg("-4@%edi", "x64").location, { kind: "reg", reg: "rdi" });
		assert.deepEqual(parseUsdtArg("-4@w0", "arm64").location, { kind: "reg", reg: "x0" });
	});

	const BAD: [arch: typeof X64, spec: string, message: RegExp][] = [
		[X64, "", /it is empty/],
		[X64, "3@%eax", /size 3 is not 1, 2, 4 or 8 bytes/],
		[X64, "16@%rax", /size 16/],
		[X64, "4@", /no location/],
		[X64, "4@%xmm0", /"xmm0" is not a general-purpose register of x64/],
		[X64, "-1@%ah", /high-byte register %ah is not supported/],
		[X64, "8@foo", /"foo" is not a register, constant or memory operand/],
		[X64, "4@$abc", /constant "\$abc" is not a number/],
		[X64, "8@12(%rbx", /is not a register, constant or memory operand/],
		[X64, "8@x(%rbx)", /offset "x" is not a number/],
		[X64, "8@(%rax,%rbx,3)", /scale 3 is not 1, 2, 4 or 8/],
		[X64, "8@(rax)", /"rax" in "\(rax\)" is not a register/],
		[X64, "8@%fs:8", /not a general-purpose register/],
		[ARM64, "8@[x0, y]", /not a memory operand/],
		[ARM64, "8@x31", /"x31" is not a general-purpose register of arm64/],
		[ARM64, "8@%rax", /not a register, constant or memory operand/],
	];
	for (const [arch, spec, message] of BAD) {
		test(`${arch.name} rejects ${JSON.stringify(spec)} naming the spec`, () => {
			assert.throws(
				() => parseUsdtArg(spec, arch),
				(e: unknown) => {
					assert.ok(e instanceof UsdtArgError);
					assert.equal(e.spec, spec);
					assert.ok(e.message.startsWith(`USDT argument spec "${spec}": `), e.message);
					assert.match(e.message, message);
					assert.ok(e.message.endsWith("."));
					return true;
				},
			);
		});
	}
});

describe("splitUsdtArgs and parseUsdtArgs", () => {
	test("blanks separate specs, except inside brackets", () => {
		assert.deepEqual(splitUsdtArgs("8@%rbp 8@%r12 -4@%eax"), ["8@%rbp", "8@%r12", "-4@%eax"]);
		assert.deepEqual(splitUsdtArgs("  -4@x1   8@[sp, 16] 8@[x0]\t-4@w2 8@5 "), [
			"-4@x1",
			"8@[sp, 16]",
			"8@[x0]",
			"-4@w2",
			"8@5",
		]);
		assert.deepEqual(splitUsdtArgs(""), []);
	});

	test("all arguments of an aarch64 probe", () => {
		assert.deepEqual(
			parseUsdtArgs("-4@x1 8@[sp, 16] 8@[x0] -4@w2 8@5", ARM64).map((a) => a.location.kind),
			["reg", "mem", "mem", "reg", "const"],
		);
	});
});

describe("argumentReadPlan", () => {
	test("registers: pt_regs offsets from the architecture table", () => {
		assert.deepEqual(argumentReadPlan("-4@%edi", X64), { kind: "reg", ptRegsOffset: 112, size: 4, signed: true });
		assert.deepEqual(argumentReadPlan("8@%r12", X64), { kind: "reg", ptRegsOffset: 24, size: 8, signed: false });
		assert.deepEqual(argumentReadPlan("1@%al", X64), { kind: "reg", ptRegsOffset: 80, size: 1, signed: false });
		assert.deepEqual(argumentReadPlan("-4@x1", ARM64), { kind: "reg", ptRegsOffset: 8, size: 4, signed: true });
		assert.deepEqual(argumentReadPlan("8@sp", ARM64), { kind: "reg", ptRegsOffset: 248, size: 8, signed: false });
		assert.equal((argumentReadPlan("8@%rax", X64) as { ptRegsOffset: number }).ptRegsOffset, X64.regs.rax);
	});

	test("memory: base register slot plus offset", () => {
		assert.deepEqual(argumentReadPlan("8@-80(%rbx)", X64), {
			kind: "mem",
			ptRegsOffset: 40,
			offset: -80,
			size: 8,
			signed: false,
		});
		assert.deepEqual(argumentReadPlan("-4@112(%rsp)", X64), {
			kind: "mem",
			ptRegsOffset: 152,
			offset: 112,
			size: 4,
			signed: true,
		});
		assert.deepEqual(argumentReadPlan("8@[sp, 16]", ARM64), {
			kind: "mem",
			ptRegsOffset: 248,
			offset: 16,
			size: 8,
			signed: false,
		});
		assert.deepEqual(argumentReadPlan("8@[x0]", ARM64), {
			kind: "mem",
			ptRegsOffset: 0,
			offset: 0,
			size: 8,
			signed: false,
		});
	});

	test("constants are truncated to their size and extended as the sign says", () => {
		assert.deepEqual(argumentReadPlan("8@$5", X64), { kind: "const", value: 5n });
		assert.deepEqual(argumentReadPlan("-4@$-1", X64), { kind: "const", value: -1n });
		assert.deepEqual(argumentReadPlan("4@$-1", X64), { kind: "const", value: 0xffffffffn });
		assert.deepEqual(argumentReadPlan("-1@$255", X64), { kind: "const", value: -1n });
		assert.deepEqual(argumentReadPlan("8@5", ARM64), { kind: "const", value: 5n });
	});

	test("a parsed UsdtArg works as well as its text", () => {
		const arg = parseUsdtArg("-4@%r12d", X64);
		assert.deepEqual(argumentReadPlan(arg, "x64"), argumentReadPlan("-4@%r12d", "x64"));
	});

	test("rip-relative and indexed operands are refused with the spec named", () => {
		assert.throws(() => argumentReadPlan("8@foo(%rip)", X64), {
			name: "UsdtArgError",
			message: 'USDT argument spec "8@foo(%rip)": arguments in rip-relative globals are not supported yet.',
		});
		assert.throws(() => argumentReadPlan("8@8(%rax,%rdx,8)", X64), /indexed memory operands are not supported yet/);
	});
});

describe("real binaries", () => {
	before(() => buildFixtures());

	test("every argument of Debian's python3.11 and libstdc++ parses and has a read plan", () => {
		const seen = new Set<string>();
		for (const path of ["/usr/bin/python3.11", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6"]) {
			const probes = ElfFile.open(path, { lazy: true }).usdtProbes({ functions: false });
			assert.ok(probes.length > 0);
			for (const p of probes) {
				for (const arg of parseUsdtArgs(p.args, X64)) {
					seen.add(arg.spec);
					const plan = argumentReadPlan(arg, X64);
					assert.ok(plan.kind === "reg" || plan.kind === "mem", `${p.name}: ${arg.spec}`);
				}
			}
		}
		for (const spec of ["8@%rbp", "8@%r12", "-4@%eax", "-4@112(%rsp)", "8@-80(%rbx)", "-8@%r12", "-4@%ebp"]) {
			assert.ok(seen.has(spec), spec);
		}
	});

	test("python3.11's specs, as read from its notes", () => {
		const probes = ElfFile.open("/usr/bin/python3.11", { lazy: true }).usdtProbes({ functions: false });
		const byName = Object.fromEntries(probes.map((p) => [p.name, parseUsdtArgs(p.args, X64)]));
		assert.deepEqual(
			byName.function__entry.map((a) => argumentReadPlan(a, X64)),
			[
				{ kind: "reg", ptRegsOffset: X64.regs.rbp, size: 8, signed: false },
				{ kind: "reg", ptRegsOffset: X64.regs.r12, size: 8, signed: false },
				{ kind: "reg", ptRegsOffset: X64.regs.rax, size: 4, signed: true },
			],
		);
		assert.deepEqual(argumentReadPlan(byName.gc__start[0], X64), {
			kind: "mem",
			ptRegsOffset: X64.regs.rsp,
			offset: 112,
			size: 4,
			signed: true,
		});
	});

	test("the fixture's probes", () => {
		const probes = ElfFile.open(SIMPLE).usdtProbes();
		const args = Object.fromEntries(probes.map((p) => [p.name, parseUsdtArgs(p.args, X64)]));
		assert.deepEqual(args.saw__line, [
			{ spec: "-4@%edi", size: 4, signed: true, location: { kind: "reg", reg: "rdi" } },
		]);
		assert.equal(args.args.length, 2);
		assert.equal(args.args[0].size, 8);
		assert.equal(args.args[1].signed, true);
		assert.deepEqual(args.sema__probe, []);
	});
});
