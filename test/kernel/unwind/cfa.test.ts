// The DW_CFA interpreter, instruction by instruction, on hand-built FDEs; and
// what it makes of programs that go wrong (the rows before the problem stay,
// the rest of the range is UNSUPPORTED).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseFrameSection } from "../../../kernel/elf/eh-frame.ts";
import {
	Base,
	CfaKind,
	fdeRows,
	RegKind,
	RuleFlags,
	type RuleRow,
	type UnwindArch,
	type UnwindRule,
} from "../../../kernel/unwind/cfa.ts";
import { breg, DW_OP_deref, DW_OP_plus_uconst, EhFrameBuilder, op, PLT_EXPR } from "./cfi.ts";

const START = 0x401000;

function rowsOf(
	instructions: number[],
	opts: { cie?: Parameters<EhFrameBuilder["cie"]>[0]; arch?: UnwindArch; abs8?: boolean } = {},
) {
	const b = new EhFrameBuilder();
	const cie = b.cie(opts.cie);
	b.fde(cie, START, 0x100, instructions, { abs8: opts.abs8 });
	const s = parseFrameSection(b.build(), { kind: "eh_frame", address: b.address });
	assert.deepEqual(s.errors, []);
	assert.equal(s.fdes.length, 1);
	return fdeRows(s.fdes[0], opts.arch ?? "x64");
}

function at(rows: RuleRow[], address: number): UnwindRule {
	let r: RuleRow | undefined;
	for (const row of rows) if (row.address <= address) r = row;
	assert.ok(r, `a row covers ${address.toString(16)}`);
	return r.rule;
}

const cfa = (r: UnwindRule) => [r.cfa, r.cfaBase, r.cfaOffset];
const fp = (r: UnwindRule) => [r.fp, r.fpBase, r.fpOffset];
const ra = (r: UnwindRule) => [r.ra, r.raBase, r.raOffset];

describe("DW_CFA instructions (x86_64)", () => {
	test("the CIE's initial rule: CFA = rsp+8, return address at CFA-8, rbp unchanged", () => {
		const { rows, problem } = rowsOf([]);
		assert.equal(problem, undefined);
		assert.equal(rows.length, 1);
		assert.deepEqual(cfa(rows[0].rule), [CfaKind.REG, Base.SP, 8]);
		assert.deepEqual(ra(rows[0].rule), [RegKind.AT, Base.CFA, -8]);
		assert.deepEqual(fp(rows[0].rule), [RegKind.SAME, 0, 0]);
	});

	test("a push-rbp prologue: advance_loc, def_cfa_offset, offset, def_cfa_register, then the epilogue", () => {
		const { rows } = rowsOf([
			...op.advance(1),
			...op.defCfaOffset(16),
			...op.offset(6, 2),
			...op.advance(3),
			...op.defCfaRegister(6),
			...op.advance1(0x40),
			...op.defCfa(7, 8),
		]);
		assert.deepEqual(cfa(at(rows, START)), [CfaKind.REG, Base.SP, 8]);
		assert.deepEqual(cfa(at(rows, START + 1)), [CfaKind.REG, Base.SP, 16]);
		assert.deepEqual(fp(at(rows, START + 1)), [RegKind.AT, Base.CFA, -16]);
		assert.deepEqual(cfa(at(rows, START + 4)), [CfaKind.REG, Base.FP, 16]);
		assert.deepEqual(cfa(at(rows, START + 0x44)), [CfaKind.REG, Base.SP, 8]);
		assert.deepEqual(fp(at(rows, START + 0x44)), [RegKind.AT, Base.CFA, -16], "rbp's rule outlives the CFA change");
	});

	test("advance_loc2 and advance_loc4, with a code alignment factor", () => {
		const { rows } = rowsOf(
			[...op.advance2(0x10), ...op.defCfaOffset(24), ...op.advance4(0x8), ...op.defCfaOffset(32)],
			{
				cie: { codeAlign: 2 },
			},
		);
		assert.deepEqual(
			rows.map((r) => [r.address - START, r.rule.cfaOffset]),
			[
				[0, 8],
				[0x20, 24],
				[0x30, 32],
			],
		);
	});

	test("set_loc moves to an absolute address; moving backwards is a problem", () => {
		const abs = { cie: { augData: [0x00] }, abs8: true };
		const ok = rowsOf([...op.setLoc8(START + 0x10), ...op.defCfaOffset(16)], abs);
		assert.equal(ok.problem, undefined);
		assert.deepEqual(cfa(at(ok.rows, START + 0x10)), [CfaKind.REG, Base.SP, 16]);
		const back = rowsOf([...op.advance(8), ...op.setLoc8(START + 4)], abs);
		assert.match(back.problem ?? "", /backwards/);
	});

	test("remember_state / restore_state restore the CFA and the registers", () => {
		const { rows } = rowsOf([
			...op.advance(1),
			...op.defCfaOffset(16),
			...op.offset(6, 2),
			...op.remember(),
			...op.advance(1),
			...op.defCfaOffset(8),
			...op.restore(6),
			...op.advance(1),
			...op.restoreState(),
		]);
		assert.deepEqual(cfa(at(rows, START + 2)), [CfaKind.REG, Base.SP, 8]);
		assert.deepEqual(fp(at(rows, START + 2)), [RegKind.SAME, 0, 0], "restore: back to the CIE's rule (none)");
		assert.deepEqual(cfa(at(rows, START + 3)), [CfaKind.REG, Base.SP, 16]);
		assert.deepEqual(fp(at(rows, START + 3)), [RegKind.AT, Base.CFA, -16]);
	});

	test("restore_state without remember_state stops the program there", () => {
		const { rows, problem } = rowsOf([
			...op.advance(2),
			...op.defCfaOffset(16),
			...op.advance(2),
			...op.restoreState(),
		]);
		assert.match(problem ?? "", /restore_state/);
		assert.deepEqual(cfa(at(rows, START + 2)), [CfaKind.REG, Base.SP, 16]);
		assert.equal(at(rows, START + 4).cfa, CfaKind.UNSUPPORTED);
	});

	test("offset_extended, offset_extended_sf, restore_extended, GNU_negative_offset_extended", () => {
		const { rows } = rowsOf([
			...op.offsetExt(6, 3),
			...op.advance(1),
			...op.offsetExtSf(6, 4),
			...op.advance(1),
			...op.restoreExt(6),
			...op.advance(1),
			...op.negativeOffsetExt(6, 1),
		]);
		assert.deepEqual(fp(at(rows, START)), [RegKind.AT, Base.CFA, -24]);
		assert.deepEqual(fp(at(rows, START + 1)), [RegKind.AT, Base.CFA, -32]);
		assert.deepEqual(fp(at(rows, START + 2)), [RegKind.SAME, 0, 0]);
		assert.deepEqual(fp(at(rows, START + 3)), [RegKind.AT, Base.CFA, 8]);
	});

	test("def_cfa_sf and def_cfa_offset_sf scale by the data alignment factor", () => {
		const { rows } = rowsOf([...op.defCfaSf(7, -3), ...op.advance(1), ...op.defCfaOffsetSf(-4)]);
		assert.deepEqual(cfa(at(rows, START)), [CfaKind.REG, Base.SP, 24]);
		assert.deepEqual(cfa(at(rows, START + 1)), [CfaKind.REG, Base.SP, 32]);
	});

	test("undefined return address: the outermost frame (_start, clone's child)", () => {
		const { rows } = rowsOf([...op.undefined(16)]);
		assert.equal(rows[0].rule.ra, RegKind.UNDEFINED);
	});

	test("same_value, register, val_offset(_sf), val_expression for the frame pointer", () => {
		const r = (ins: number[]) => fp(rowsOf(ins).rows[0].rule);
		assert.deepEqual(r(op.sameValue(6)), [RegKind.SAME, 0, 0]);
		assert.deepEqual(r(op.register(6, 3)), [RegKind.LOST, 0, 0]);
		assert.deepEqual(r(op.valOffset(6, 2)), [RegKind.VALUE, Base.CFA, -16]);
		assert.deepEqual(r(op.valOffsetSf(6, -2)), [RegKind.VALUE, Base.CFA, 16]);
		assert.deepEqual(r(op.valExpression(6, breg(7, 24))), [RegKind.VALUE, Base.SP, 24]);
		assert.deepEqual(r(op.expression(6, breg(6, 0))), [RegKind.AT, Base.FP, 0]);
		assert.deepEqual(r(op.expression(6, [...breg(6, 0), DW_OP_deref])), [RegKind.LOST, 0, 0]);
	});

	test("a return address kept in another register cannot be followed", () => {
		assert.equal(rowsOf(op.register(16, 5)).rows[0].rule.ra, RegKind.LOST);
	});

	test("the PLT's CFA expression, a CFA through memory, and one dtop does not evaluate", () => {
		const plt = rowsOf(op.defCfaExpr(PLT_EXPR)).rows[0].rule;
		assert.deepEqual([...cfa(plt), plt.extra], [CfaKind.PLT, Base.SP, 8, 11]);
		const deref = rowsOf(op.defCfaExpr([...breg(6, -8), DW_OP_deref])).rows[0].rule;
		assert.deepEqual([...cfa(deref), deref.extra], [CfaKind.DEREF, Base.FP, -8, 0]);
		const plus = rowsOf(op.defCfaExpr([...breg(7, 40), DW_OP_deref, DW_OP_plus_uconst, 8])).rows[0].rule;
		assert.deepEqual([...cfa(plus), plus.extra], [CfaKind.DEREF, Base.SP, 40, 8]);
		const other = rowsOf(op.defCfaExpr([...breg(7, 8), ...breg(9, 0), 0x22, DW_OP_deref])).rows[0].rule;
		assert.equal(other.cfa, CfaKind.UNSUPPORTED);
		assert.equal(rowsOf(op.defCfa(10, 0)).rows[0].rule.cfa, CfaKind.UNSUPPORTED, "CFA on r10 (stack realignment)");
	});

	test("a signal frame: CFA and registers in the saved context, sp agreeing with the CFA", () => {
		const { rows } = rowsOf(
			[
				...op.defCfaExpr([...breg(7, 160), DW_OP_deref]),
				...op.expression(6, breg(7, 120)),
				...op.expression(7, breg(7, 160)),
				...op.expression(16, breg(7, 168)),
			],
			{ cie: { augmentation: "zRS" } },
		);
		const r = rows[0].rule;
		assert.deepEqual(cfa(r), [CfaKind.DEREF, Base.SP, 160]);
		assert.deepEqual(fp(r), [RegKind.AT, Base.SP, 120]);
		assert.deepEqual(ra(r), [RegKind.AT, Base.SP, 168]);
		assert.equal(r.flags & RuleFlags.SIGNAL, RuleFlags.SIGNAL);
	});

	test("nop, GNU_args_size: no effect on the rule", () => {
		const { rows, problem } = rowsOf([...op.nop(), ...op.argsSize(16), ...op.nop()]);
		assert.equal(problem, undefined);
		assert.deepEqual(cfa(rows[0].rule), [CfaKind.REG, Base.SP, 8]);
	});

	test("an unknown instruction: rows so far, then UNSUPPORTED to the end of the FDE", () => {
		const { rows, problem } = rowsOf([...op.advance(4), ...op.defCfaOffset(16), ...op.advance(4), 0x3f]);
		assert.match(problem ?? "", /unknown call frame instruction 0x3f/);
		assert.deepEqual(cfa(at(rows, START + 4)), [CfaKind.REG, Base.SP, 16]);
		assert.equal(at(rows, START + 8).cfa, CfaKind.UNSUPPORTED);
	});

	test("advancing past the FDE's end, and an expression longer than the program, are problems", () => {
		assert.match(rowsOf([...op.advance4(0x1000)]).problem ?? "", /past the end/);
		assert.match(rowsOf([0x0f, 0x20, 0x77]).problem ?? "", /runs past|truncated/);
	});
});

describe("DW_CFA instructions (aarch64)", () => {
	const cie = { codeAlign: 4, dataAlign: -8, ra: 30, initial: op.defCfa(31, 0) };

	test("a leaf: the return address is still in x30", () => {
		const { rows } = rowsOf([], { cie, arch: "arm64" });
		assert.deepEqual(cfa(rows[0].rule), [CfaKind.REG, Base.SP, 0]);
		assert.equal(rows[0].rule.ra, RegKind.SAME);
	});

	test("stp x29, x30, [sp, #-16]! with pointer authentication (negate_ra_state)", () => {
		const { rows } = rowsOf(
			[...op.negateRaState(), ...op.advance(1), ...op.defCfaOffset(16), ...op.offset(29, 2), ...op.offset(30, 1)],
			{ cie, arch: "arm64" },
		);
		const r = at(rows, START + 4);
		assert.deepEqual(cfa(r), [CfaKind.REG, Base.SP, 16]);
		assert.deepEqual(fp(r), [RegKind.AT, Base.CFA, -16]);
		assert.deepEqual(ra(r), [RegKind.AT, Base.CFA, -8]);
		assert.equal(r.flags & RuleFlags.RA_SIGNED, RuleFlags.RA_SIGNED);
	});
});
