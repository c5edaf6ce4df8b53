import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
	Asm,
	AsmError,
	BpfMap,
	disassemble,
	Helper,
	helperName,
	MapType,
	openObjectList,
	openObjects,
	Program,
	ProgType,
	R0,
	R1,
	R2,
	R3,
	R4,
	R6,
	R10,
	type Reg,
	VerifierError,
} from "../../../kernel/bpf/index.ts";
import { tracingFds } from "../../helpers/bpf-objects.ts";

const fdsAtStart = tracingFds();

after(() => {
	assert.equal(openObjects(), 0, `still open: ${JSON.stringify(openObjectList())}`);
	assert.deepEqual(tracingFds(), fdsAtStart);
});

const hex = (b: Buffer) => b.toString("hex");
const one = (f: (a: Asm) => unknown) => {
	const a = new Asm();
	f(a);
	return hex(a.assemble());
};

describe("encodings (BPF ISA, RFC 9669)", () => {
	test("well-known instructions have their documented bytes", () => {
		assert.equal(
			one((a) => a.mov(R0, 0)),
			"b700000000000000",
		);
		assert.equal(
			one((a) => a.exit()),
			"9500000000000000",
		);
		assert.equal(
			one((a) => a.mov(R1, R10)),
			"bfa1000000000000",
		); // dst in low nibble, src in high
		assert.equal(
			one((a) => a.add(R1, -8)),
			"07010000f8ffffff",
		);
		assert.equal(
			one((a) => a.stx(8, R10, -8, R1)),
			"7b1af8ff00000000",
		);
		assert.equal(
			one((a) => a.ldx(4, R0, R1, 4)),
			"6110040000000000",
		);
		assert.equal(
			one((a) => a.st(4, R10, -4, 1)),
			"620afcff01000000",
		);
		assert.equal(
			one((a) => a.call("map_lookup_elem")),
			"8500000001000000",
		);
		assert.equal(
			one((a) => a.call(Helper.get_attach_cookie)),
			"85000000ae000000",
		);
		assert.equal(
			one((a) => a.ldMapFd(R1, 5)),
			"18110000050000000000000000000000",
		);
		assert.equal(
			one((a) => a.ldMapValue(R2, 5, 16)),
			"18220000050000000000000010000000",
		);
		assert.equal(
			one((a) => a.ldImm64(R2, 0x1122334455667788n)),
			"18020000887766550000000044332211",
		);
		assert.equal(
			one((a) => a.ldImm64(R2, -1n)),
			"18020000ffffffff00000000ffffffff",
		);
		assert.equal(
			one((a) => a.atomicAdd(8, R1, 0, R2)),
			"db21000000000000",
		);
		assert.equal(
			one((a) => a.atomicAdd(4, R1, 8, R2, true)),
			"c321080001000000",
		);
		assert.equal(
			one((a) => a.atomicXchg(8, R1, 0, R2)),
			"db210000e1000000",
		);
		assert.equal(
			one((a) => a.atomicCmpXchg(8, R1, 0, R2)),
			"db210000f1000000",
		);
		assert.equal(
			one((a) => a.toBe(R1, 16)),
			"dc01000010000000",
		);
		assert.equal(
			one((a) => a.toLe(R1, 32)),
			"d401000020000000",
		);
		assert.equal(
			one((a) => a.bswap(R1, 64)),
			"d701000040000000",
		);
		assert.equal(
			one((a) => a.sdiv(R1, R2)),
			"3f21010000000000",
		); // off = 1 marks signed
		assert.equal(
			one((a) => a.movsx(R1, R2, 8)),
			"bf21080000000000",
		);
		assert.equal(
			one((a) => a.ldxs(2, R1, R2, 0)),
			"8921000000000000",
		);
	});

	test("every ALU operation has its opcode, for 64/32-bit and imm/reg forms", () => {
		const ops = ["add", "sub", "mul", "div", "or", "and", "lsh", "rsh", "mod", "xor", "mov", "arsh"] as const;
		const codes = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
		ops.forEach((op, i) => {
			const a = new Asm();
			a[op](R1, 3);
			a[op](R1, R2);
			a[`${op}32` as const](R1, 3);
			a[`${op}32` as const](R1, R2);
			const b = a.assemble();
			assert.deepEqual(
				[b[0], b[8], b[16], b[24]],
				[codes[i] | 0x07, codes[i] | 0x0f, codes[i] | 0x04, codes[i] | 0x0c],
				op,
			);
			assert.equal(b[9], 0x21);
		});
		assert.equal(
			one((a) => a.neg(R3)),
			"8703000000000000",
		);
		assert.equal(
			one((a) => a.neg32(R3)),
			"8403000000000000",
		);
	});

	test("every conditional jump has its opcode, for 64/32-bit and imm/reg forms", () => {
		const ops = ["jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge", "jlt", "jle", "jslt", "jsle"] as const;
		const codes = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
		ops.forEach((op, i) => {
			const a = new Asm();
			a[op](R1, 7, "t");
			a[op](R1, R2, "t");
			a[`${op}32` as const](R1, 7, "t");
			a[`${op}32` as const](R1, R2, "t");
			a.label("t").exit();
			const b = a.assemble();
			assert.deepEqual(
				[b[0], b[8], b[16], b[24]],
				[codes[i] | 0x05, codes[i] | 0x0d, codes[i] | 0x06, codes[i] | 0x0e],
				op,
			);
			assert.deepEqual([b.readInt16LE(2), b.readInt16LE(10), b.readInt16LE(18), b.readInt16LE(26)], [3, 2, 1, 0]);
			assert.equal(b.readInt32LE(4), 7);
		});
	});

	test("store/load sizes map to B, H, W, DW", () => {
		const b = Buffer.from(
			one((a) => {
				for (const s of [1, 2, 4, 8] as const) a.ldx(s, R0, R1, 0).stx(s, R1, 0, R0).st(s, R1, 0, 0);
			}),
			"hex",
		);
		const ops = [];
		for (let i = 0; i < b.length; i += 8) ops.push(b[i]);
		assert.deepEqual(ops, [0x71, 0x73, 0x72, 0x69, 0x6b, 0x6a, 0x61, 0x63, 0x62, 0x79, 0x7b, 0x7a]);
	});
});

describe("labels", () => {
	test("forward and backward jumps resolve relative to the next instruction", () => {
		const a = new Asm()
			.label("top") // 0
			.mov(R0, 0) // 0
			.jeq(R1, 0, "end") // 1 -> 5: off 3
			.ldImm64(R2, 1n) // 2,3 (two slots)
			.ja("top") // 4 -> 0: off -5
			.label("end")
			.exit(); // 5
		const b = a.assemble();
		assert.equal(a.length, 6);
		assert.equal(b.readInt16LE(8 + 2), 3);
		assert.equal(b.readInt16LE(32 + 2), -5);
		assert.match(a.listing(), /^top:\n0: \(b7\) r0 = 0\n1: \(15\) if r1 == 0x0 goto pc\+3\n/);
	});

	test("unknown, duplicate and dangling labels are errors", () => {
		assert.throws(() => new Asm().ja("nowhere").exit().assemble(), /label 'nowhere', which is not defined/);
		assert.throws(() => new Asm().label("x").exit().label("x"), /label 'x' is defined twice/);
		assert.throws(() => new Asm().exit().label("end").assemble(), /label 'end' is at the end/);
	});

	test("a jump beyond the 16-bit offset range is an error", () => {
		const a = new Asm().ja("far");
		for (let i = 0; i < 32768; i++) a.mov(R0, 0);
		a.label("far").exit();
		assert.throws(
			() => a.assemble(),
			(e: unknown) => e instanceof AsmError && /beyond the 16-bit offset range/.test(e.message),
		);
		const ok = new Asm().ja("far");
		for (let i = 0; i < 32767; i++) ok.mov(R0, 0);
		ok.label("far").exit();
		assert.equal(ok.assemble().readInt16LE(2), 32767);
	});

	test("bad operands are errors that say what to do", () => {
		assert.throws(() => new Asm().mov(R0, 0x80000000), /does not fit a signed 32-bit field; load it with ldImm64/);
		assert.doesNotThrow(() => new Asm().mov32(R0, 0xffffffff));
		assert.throws(() => new Asm().mov32(R0, 2 ** 32), /does not fit 32 bits/);
		assert.throws(() => new Asm().ldx(3 as 4, R0, R1, 0), /size must be 1, 2, 4 or 8/);
		assert.throws(() => new Asm().ldx(8, R0, R1, 40000), /16-bit offset/);
		assert.throws(() => new Asm().atomicAdd(2 as 4, R1, 0, R2), /4 or 8 bytes/);
		assert.throws(() => new Asm().mov(3 as unknown as Reg, 1), /must be a register/);
		assert.throws(() => new Asm().call("no_such_helper" as "loop"), /unknown BPF helper/);
		assert.throws(() => new Asm().ldImm64(R0, 2 ** 60), /not an exact integer; pass a bigint/);
		assert.throws(() => new Asm().ldImm64(R0, 1n << 64n), /does not fit 64 bits/);
		assert.throws(() => disassemble(Buffer.alloc(12)), /multiple of 8/);
	});
});

// --- running assembled code in the kernel ---------------------------------------

/** Load `body` (which leaves a 64-bit result in R0) as a socket filter and return R0 as the kernel computed it. */
function run64(body: (a: Asm) => void): bigint {
	const half = (shift: boolean): number => {
		const a = new Asm();
		body(a);
		if (shift) a.rsh(R0, 32);
		a.exit();
		const p = Program.load({ type: ProgType.SOCKET_FILTER, name: "asm_test", insns: a });
		try {
			return p.testRun({ data: Buffer.alloc(64) }).retval;
		} finally {
			p.close();
		}
	};
	return (BigInt(half(true)) << 32n) | BigInt(half(false));
}

const U64 = (v: bigint) => BigInt.asUintN(64, v);
const U32 = (v: bigint) => BigInt.asUintN(32, v);
const S64 = (v: bigint) => BigInt.asIntN(64, v);
const S32 = (v: bigint) => BigInt.asIntN(32, v);

describe("semantics on the real kernel (BPF_PROG_TEST_RUN)", () => {
	const A = 0xfedcba9876543210n;
	const B = 0x0000000300000007n;

	test("64-bit ALU, register and immediate forms", () => {
		const cases: [string, (a: Asm) => void, bigint][] = [
			["add", (a) => a.add(R0, R1), U64(A + B)],
			["sub", (a) => a.sub(R0, R1), U64(A - B)],
			["mul", (a) => a.mul(R0, R1), U64(A * B)],
			["div", (a) => a.div(R0, R1), A / B],
			["mod", (a) => a.mod(R0, R1), A % B],
			["or", (a) => a.or(R0, R1), A | B],
			["and", (a) => a.and(R0, R1), A & B],
			["xor", (a) => a.xor(R0, R1), A ^ B],
			["lsh", (a) => a.lsh(R0, 12), U64(A << 12n)],
			["rsh", (a) => a.rsh(R0, 12), A >> 12n],
			["arsh", (a) => a.arsh(R0, 12), U64(S64(A) >> 12n)],
			["neg", (a) => a.neg(R0), U64(-A)],
			["add imm (sign-extended)", (a) => a.add(R0, -1), U64(A - 1n)],
			["and imm (sign-extended)", (a) => a.and(R0, -256), A & ~0xffn],
			["mov imm", (a) => a.mov(R0, -2), U64(-2n)],
			["div by zero is 0", (a) => a.mov(R2, 0).div(R0, R2), 0n],
			["mod by zero keeps dst", (a) => a.mov(R2, 0).mod(R0, R2), A],
			["sdiv", (a) => a.sdiv(R0, -7), U64(S64(A) / -7n)],
			["smod", (a) => a.smod(R0, 1000), U64(S64(A) % 1000n)],
			["movsx 8", (a) => a.mov(R2, 0x80).movsx(R0, R2, 8), U64(-128n)],
			["movsx 32", (a) => a.movsx(R0, R0, 32), U64(S32(A))],
			["bswap64", (a) => a.bswap(R0, 64), 0x1032547698badcfen],
			["toBe16 truncates", (a) => a.toBe(R0, 16), 0x1032n],
			["toLe32 truncates", (a) => a.toLe(R0, 32), 0x76543210n],
		];
		for (const [name, op, want] of cases) {
			const got = run64((a) => {
				a.ldImm64(R0, A).ldImm64(R1, B);
				op(a);
			});
			assert.equal(got, want, name);
		}
	});

	test("32-bit ALU works on the low halves and zero-extends", () => {
		const a32 = U32(A);
		const b32 = U32(B);
		const cases: [string, (a: Asm) => void, bigint][] = [
			["add32", (a) => a.add32(R0, R1), U32(a32 + b32)],
			["sub32", (a) => a.sub32(R0, R1), U32(a32 - b32)],
			["mul32", (a) => a.mul32(R0, R1), U32(a32 * b32)],
			["div32", (a) => a.div32(R0, R1), a32 / b32],
			["mod32", (a) => a.mod32(R0, 1000), a32 % 1000n],
			["or32", (a) => a.or32(R0, 0xf0000000), a32 | 0xf0000000n],
			["and32", (a) => a.and32(R0, R1), a32 & b32],
			["xor32", (a) => a.xor32(R0, R1), a32 ^ b32],
			["lsh32", (a) => a.lsh32(R0, 4), U32(a32 << 4n)],
			["rsh32", (a) => a.rsh32(R0, 4), a32 >> 4n],
			["arsh32", (a) => a.ldImm64(R0, 0x80000000n).arsh32(R0, 4), 0xf8000000n],
			["neg32", (a) => a.neg32(R0), U32(-a32)],
			["mov32 zero-extends", (a) => a.mov32(R0, R0), a32],
			["mov32 imm -1", (a) => a.mov32(R0, -1), 0xffffffffn],
			["sdiv32", (a) => a.mov32(R0, -100).sdiv32(R0, 7), U32(-14n)],
			["smod32", (a) => a.mov32(R0, -100).smod32(R0, 7), U32(-2n)],
			["movsx32 16", (a) => a.mov(R2, 0x8000).movsx32(R0, R2, 16), 0xffff8000n],
		];
		for (const [name, op, want] of cases) {
			const got = run64((a) => {
				a.ldImm64(R0, A).ldImm64(R1, B);
				op(a);
			});
			assert.equal(got, want, name);
		}
	});

	test("every jump condition, signed and unsigned, 64- and 32-bit, imm and reg", () => {
		type J = "jeq" | "jne" | "jgt" | "jge" | "jlt" | "jle" | "jsgt" | "jsge" | "jslt" | "jsle" | "jset";
		const cond: Record<J, (x: bigint, y: bigint, bits: 32 | 64) => boolean> = {
			jeq: (x, y) => x === y,
			jne: (x, y) => x !== y,
			jgt: (x, y) => x > y,
			jge: (x, y) => x >= y,
			jlt: (x, y) => x < y,
			jle: (x, y) => x <= y,
			jsgt: (x, y, b) => sx(x, b) > sx(y, b),
			jsge: (x, y, b) => sx(x, b) >= sx(y, b),
			jslt: (x, y, b) => sx(x, b) < sx(y, b),
			jsle: (x, y, b) => sx(x, b) <= sx(y, b),
			jset: (x, y) => (x & y) !== 0n,
		};
		const sx = (v: bigint, bits: 32 | 64) => (bits === 64 ? S64(v) : S32(v));
		const pairs: [bigint, bigint][] = [
			[5n, 5n],
			[5n, 6n],
			[U64(-1n), 1n],
			[1n, U64(-1n)],
			[0x1_00000005n, 5n], // equal low halves, different high halves
		];
		// One program per (op, width, form) evaluates all pairs: R0 collects a bit per pair.
		for (const op of Object.keys(cond) as J[]) {
			for (const bits of [64, 32] as const) {
				for (const form of ["reg", "imm"] as const) {
					const a = new Asm().mov(R0, 0);
					let want = 0n;
					pairs.forEach(([x, y], i) => {
						const imm = form === "imm";
						const yv = imm && bits === 64 ? U64(S32(y)) : y; // a 64-bit compare sign-extends its imm
						a.ldImm64(R1, x).ldImm64(R2, y);
						const name = bits === 64 ? op : (`${op}32` as const);
						(a[name] as (d: Reg, s: Reg | number, t: string) => Asm)(R1, imm ? Number(S32(y)) : R2, `t${i}`);
						a.ja(`n${i}`)
							.label(`t${i}`)
							.or(R0, 1 << i)
							.label(`n${i}`);
						const X = bits === 64 ? x : U32(x);
						const Y = bits === 64 ? yv : U32(yv);
						if (cond[op](X, Y, bits)) want |= 1n << BigInt(i);
					});
					a.mov(R1, 0); // labels need an instruction after them
					assert.equal(
						run64((b) => copyInto(b, a)),
						want,
						`${op}${bits === 32 ? "32" : ""} ${form}`,
					);
				}
			}
		}
	});

	test("a backward jump loops (bounded loop: sum 1..10)", () => {
		const got = run64((a) =>
			a.mov(R0, 0).mov(R1, 10).label("loop").add(R0, R1).sub(R1, 1).jne(R1, 0, "loop").mov(R1, 0),
		);
		assert.equal(got, 55n);
	});

	test("a bpf-to-bpf call to a label", () => {
		const a = new Asm().mov(R1, 20).callLocal("double").add(R0, 2).exit();
		a.label("double").mov(R0, R1).mul(R0, 2).exit();
		const p = Program.load({ type: ProgType.SOCKET_FILTER, name: "asm_call", insns: a, license: "GPL" });
		try {
			assert.equal(p.testRun({ data: Buffer.alloc(64) }).retval, 42);
		} finally {
			p.close();
		}
	});

	test("loads and stores of every size are little-endian and zero- or sign-extend", () => {
		const V = 0x8182838485868788n;
		const st = (a: Asm) => a.ldImm64(R1, V).stx(8, R10, -8, R1);
		assert.equal(
			run64((a) => st(a).ldx(1, R0, R10, -8)),
			0x88n,
		);
		assert.equal(
			run64((a) => st(a).ldx(2, R0, R10, -8)),
			0x8788n,
		);
		assert.equal(
			run64((a) => st(a).ldx(4, R0, R10, -8)),
			0x85868788n,
		);
		assert.equal(
			run64((a) => st(a).ldx(8, R0, R10, -8)),
			V,
		);
		assert.equal(
			run64((a) => st(a).ldx(4, R0, R10, -4)),
			0x81828384n,
		);
		assert.equal(
			run64((a) => st(a).ldxs(1, R0, R10, -8)),
			U64(S64(0xffffffffffffff88n)),
		);
		assert.equal(
			run64((a) => st(a).ldxs(4, R0, R10, -4)),
			U64(-0x7e7d7c7cn),
		);
		assert.equal(
			run64((a) => st(a).st(2, R10, -8, 0xbeef).ldx(8, R0, R10, -8)),
			0x818283848586beefn,
		);
		assert.equal(
			run64((a) => st(a).st(8, R10, -8, -2).ldx(8, R0, R10, -8)),
			U64(-2n),
		);
		assert.equal(
			run64((a) => st(a).mov(R2, 0x11).stx(1, R10, -1, R2).ldx(8, R0, R10, -8)),
			0x1182838485868788n,
		);
	});

	test("atomics: add, fetch-add, or, and, xor, xchg, cmpxchg", () => {
		const init = (a: Asm, v: bigint) => a.ldImm64(R1, v).stx(8, R10, -8, R1).mov(R1, R10).add(R1, -8);
		const mem = (a: Asm) => a.ldx(8, R0, R10, -8);
		assert.equal(
			run64((a) => mem(init(a, 40n).mov(R2, 2).atomicAdd(8, R1, 0, R2))),
			42n,
		);
		assert.equal(
			run64((a) => init(a, 40n).mov(R2, 2).atomicAdd(8, R1, 0, R2, true).mov(R0, R2)),
			40n,
		);
		assert.equal(
			run64((a) => mem(init(a, 0x1_00000000n).mov(R2, 5).atomicAdd(4, R1, 0, R2))),
			0x1_00000005n,
		);
		assert.equal(
			run64((a) => mem(init(a, 0xf0n).mov(R2, 0x0f).atomicOr(8, R1, 0, R2))),
			0xffn,
		);
		assert.equal(
			run64((a) => mem(init(a, 0xf0n).mov(R2, 0x3c).atomicAnd(8, R1, 0, R2))),
			0x30n,
		);
		assert.equal(
			run64((a) => init(a, 0xf0n).mov(R2, 0x3c).atomicXor(8, R1, 0, R2, true).mov(R0, R2)),
			0xf0n,
		);
		assert.equal(
			run64((a) => mem(init(a, 0xf0n).mov(R2, 0x3c).atomicXor(8, R1, 0, R2))),
			0xccn,
		);
		assert.equal(
			run64((a) => init(a, 7n).mov(R2, 9).atomicXchg(8, R1, 0, R2).mov(R0, R2)),
			7n,
		);
		assert.equal(
			run64((a) => mem(init(a, 7n).mov(R2, 9).atomicXchg(8, R1, 0, R2))),
			9n,
		);
		// cmpxchg stores only when memory equals R0, and always returns the old value in R0.
		assert.equal(
			run64((a) => mem(init(a, 7n).mov(R0, 7).mov(R2, 9).atomicCmpXchg(8, R1, 0, R2))),
			9n,
		);
		assert.equal(
			run64((a) => mem(init(a, 7n).mov(R0, 6).mov(R2, 9).atomicCmpXchg(8, R1, 0, R2))),
			7n,
		);
		assert.equal(
			run64((a) => init(a, 7n).mov(R0, 6).mov(R2, 9).atomicCmpXchg(8, R1, 0, R2)),
			7n,
		);
	});

	test("ldMapValue and ldMapFd reach a real map", () => {
		const map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, name: "asm_direct" });
		try {
			map.update(Buffer.alloc(4), Buffer.from("0100000000000000efbeadde00000000", "hex"));
			assert.equal(
				run64((a) => a.ldMapValue(R1, map.fd, 8).ldx(8, R0, R1, 0)),
				0xdeadbeefn,
			);
			const got = run64((a) =>
				a
					.ldMapFd(R1, map.fd)
					.st(4, R10, -4, 0)
					.mov(R2, R10)
					.add(R2, -4)
					.call("map_lookup_elem")
					.jeq(R0, 0, "miss")
					.ldx(8, R0, R0, 0)
					.ja("out")
					.label("miss")
					.mov(R0, 99)
					.label("out")
					.mov(R1, 0),
			);
			assert.equal(got, 1n);
		} finally {
			map.close();
		}
	});
});

describe("disassembly", () => {
	test("matches the verifier's own listing of the same instructions", () => {
		const map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 64, maxEntries: 1, name: "asm_dis" });
		try {
			const a = new Asm()
				.mov(R0, 0)
				.mov(R6, R1)
				.mov32(R2, 7)
				.add(R2, -3)
				.sub(R2, R0)
				.mul(R2, 3)
				.div(R2, 2)
				.mod(R2, 5)
				.or(R2, 0x10)
				.and(R2, 0xff)
				.xor(R2, R0)
				.lsh(R2, 2)
				.rsh(R2, 1)
				.arsh(R2, 1)
				.neg(R2)
				.add32(R2, 1)
				.neg32(R2)
				.sdiv(R2, 3)
				.smod(R2, 3)
				.movsx(R3, R2, 8)
				.movsx32(R3, R2, 16)
				.toBe(R2, 16)
				.toLe(R2, 32)
				.bswap(R2, 64)
				.ldImm64(R3, 0x1122334455667788n)
				.st(8, R10, -8, 5)
				.stx(4, R10, -16, R2)
				.ldx(4, R3, R10, -16)
				.ldxs(2, R3, R10, -16)
				.ldMapValue(R1, map.fd, 8)
				.mov(R2, 1)
				.atomicAdd(8, R1, 0, R2)
				.atomicAdd(4, R1, 8, R2, true)
				.atomicOr(8, R1, 0, R2)
				.atomicXor(8, R1, 0, R2, true)
				.atomicXchg(8, R1, 0, R2)
				.mov(R0, 0)
				.atomicCmpXchg(8, R1, 0, R2)
				.jeq(R2, 0, "x")
				.jne32(R2, R3, "x")
				.jsgt(R2, -1, "x")
				.jset(R2, 4, "x")
				.label("x")
				.call("ktime_get_ns")
				.mov(R4, R0)
				.ldx(8, R0, R6, 10000) // an invalid context access: the verifier stops here with a log
				.exit();
			const code = a.assemble();
			let log = "";
			try {
				Program.load({ type: ProgType.SOCKET_FILTER, name: "asm_dis", insns: code }).close();
				assert.fail("the verifier accepted an invalid context access");
			} catch (e) {
				assert.ok(e instanceof VerifierError, String(e));
				log = e.log;
			}
			const kernel = new Map<number, string>();
			for (const line of log.split("\n")) {
				const m = /^(\d+): (\([0-9a-f]{2}\) .*?)(?:\s+;.*)?$/.exec(line);
				if (m) kernel.set(Number(m[1]), m[2]);
			}
			let compared = 0;
			for (const line of disassemble(code).split("\n")) {
				const m = /^(\d+): (.*)$/.exec(line)!;
				const n = Number(m[1]);
				if (/map\[fd:/.test(line)) continue; // the kernel prints the map's address instead
				if (!kernel.has(n)) continue; // not reached (exit after the failing insn)
				assert.equal(m[2], kernel.get(n), `instruction ${n}`);
				compared++;
			}
			assert.ok(compared >= 40, `compared ${compared} lines`);
		} finally {
			map.close();
		}
	});

	test("helper names", () => {
		assert.equal(helperName(1), "bpf_map_lookup_elem");
		assert.equal(helperName(174), "bpf_get_attach_cookie");
		assert.equal(helperName(9999), "helper#9999");
		assert.match(disassemble(Buffer.from("8500000005000000", "hex")), /call bpf_ktime_get_ns#5/);
	});
});

/** Append the instructions of `from` (already label-free after assembly) into `to`. */
function copyInto(to: Asm, from: Asm): void {
	const code = from.assemble();
	for (let at = 0; at < code.length; at += 8) {
		const wide = code[at] === 0x18;
		to.emit({
			op: code[at],
			dst: code[at + 1] & 0xf,
			src: code[at + 1] >> 4,
			off: code.readInt16LE(at + 2),
			imm: code.readInt32LE(at + 4),
			imm2: wide ? code.readInt32LE(at + 12) : undefined,
		});
		if (wide) at += 8;
	}
}
