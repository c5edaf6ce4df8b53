// Runs the DW_CFA_* programs of a CIE and an FDE (DWARF 5 §6.4.2) and turns the
// table they describe into compact unwind rules: for each address, how to find
// the canonical frame address (CFA), the return address and the saved frame
// pointer. Only those three matter to a stack walk; rules of other registers
// are parsed (so the program stays in step) and dropped.
//
// Every instruction gcc and clang emit on x86_64 and aarch64 is handled,
// including remember/restore_state, the GNU extensions (args_size,
// negative_offset_extended) and aarch64's negate_ra_state. DWARF expressions
// are recognised by shape, not evaluated: the PLT's CFA expression, a CFA
// loaded through a register (`breg N; deref`: stack realignment, signal frames)
// and "saved at register + offset" (`breg N`). Anything else makes the rule
// UNSUPPORTED for the addresses it covers.
import { type Cie, type Fde, FrameProblem, PE, Reader, readPointer, ShortRead } from "../elf/eh-frame.ts";

export type UnwindArch = "x64" | "arm64";

/** DWARF register numbers of the registers a walk needs. */
export interface ArchRegs {
	sp: number;
	fp: number;
	/** The instruction pointer (x86_64's rip column; aarch64 has none). */
	pc: number;
	/** The link register (aarch64 x30); -1 on x86_64. */
	lr: number;
}

export const DWARF_REGS: Record<UnwindArch, ArchRegs> = {
	// System V x86_64 psABI, figure 3.36: rbp 6, rsp 7, return address 16.
	x64: { sp: 7, fp: 6, pc: 16, lr: -1 },
	// DWARF for the Arm 64-bit Architecture: x29 (fp) 29, x30 (lr) 30, sp 31.
	arm64: { sp: 31, fp: 29, pc: 32, lr: 30 },
};

/** How the CFA is found. */
export const CfaKind = {
	/** No unwind information covers the address. */
	UNKNOWN: 0,
	/** CFA = base register + offset. */
	REG: 1,
	/** CFA = *(base register + offset) + extra (stack realignment, signal frames, OpenSSL). */
	DEREF: 2,
	/** x86_64 PLT stub: CFA = sp + offset + ((pc & 15) >= k ? 8 : 0). */
	PLT: 3,
	/** The information exists but uses a rule dtop does not evaluate. */
	UNSUPPORTED: 4,
} as const;

/** How a register (frame pointer, return address) of the caller is recovered. */
export const RegKind = {
	/** Unchanged: the caller's value is the current one. */
	SAME: 0,
	/** Saved in memory at base + offset. */
	AT: 1,
	/** The caller has no such value: for the return address, this is the outermost frame. */
	UNDEFINED: 2,
	/** A rule dtop does not evaluate (saved in another register, an expression). */
	LOST: 3,
	/** The value is base + offset itself (DW_CFA_val_offset). */
	VALUE: 4,
} as const;

/** Bases of AT/VALUE rules and of CFA rules. */
export const Base = { CFA: 0, SP: 1, FP: 2 } as const;

export const RuleFlags = {
	/** The frame is a signal trampoline's: the caller's pc is exact, not a return address. */
	SIGNAL: 1,
	/** aarch64: the return address is signed (pointer authentication); strip it. */
	RA_SIGNED: 2,
} as const;

/** One compact unwind rule. Plain numbers so that equal rules compare and pack easily. */
export interface UnwindRule {
	cfa: number;
	/** Base.SP or Base.FP (REG, DEREF); Base.SP for PLT. */
	cfaBase: number;
	cfaOffset: number;
	/** PLT: the threshold k of `(pc & 15) >= k`; DEREF: bytes added after the load (0..255). */
	extra: number;
	fp: number;
	fpBase: number;
	fpOffset: number;
	ra: number;
	raBase: number;
	raOffset: number;
	flags: number;
}

export const UNKNOWN_RULE: UnwindRule = Object.freeze({
	cfa: CfaKind.UNKNOWN,
	cfaBase: 0,
	cfaOffset: 0,
	extra: 0,
	fp: RegKind.SAME,
	fpBase: 0,
	fpOffset: 0,
	ra: RegKind.LOST,
	raBase: 0,
	raOffset: 0,
	flags: 0,
});

/** A rule identity for deduplication (same fields, same key). */
export function ruleKey(r: UnwindRule): string {
	return `${r.cfa},${r.cfaBase},${r.cfaOffset},${r.extra},${r.fp},${r.fpBase},${r.fpOffset},${r.ra},${r.raBase},${r.raOffset},${r.flags}`;
}

// ---- the interpreter's own state ---------------------------------------------

type Cfa = { reg: number; offset: number; expr?: undefined } | { expr: Buffer; reg?: undefined; offset?: undefined };

/** A register rule as DWARF states it. */
type Rule =
	| { k: "undefined" }
	| { k: "same" }
	| { k: "offset"; n: number }
	| { k: "val_offset"; n: number }
	| { k: "register"; r: number }
	| { k: "expression"; e: Buffer }
	| { k: "val_expression"; e: Buffer };

interface State {
	cfa: Cfa;
	fp: Rule | undefined;
	ra: Rule | undefined;
	raSigned: boolean;
	/** A rule for the stack pointer (normally none: the caller's sp is the CFA). */
	sp: Rule | undefined;
}

const copy = (s: State): State => ({ ...s });

/** Deepest DW_CFA_remember_state nesting accepted (real code nests 1 or 2). */
const MAX_REMEMBER = 64;

/** A row of the table an FDE describes: `rule` applies from `address` on. */
export interface RuleRow {
	address: number;
	rule: UnwindRule;
}

/**
 * Runs the CIE's initial instructions and the FDE's, returning one row per
 * address where the rule changes (the first at fde.start). A program that goes
 * wrong midway keeps the rows before the problem, and the rest of the range
 * becomes UNSUPPORTED; `problem` then says what went wrong.
 */
export function fdeRows(fde: Fde, arch: UnwindArch): { rows: RuleRow[]; problem?: string } {
	const regs = DWARF_REGS[arch];
	const cie = fde.cie;
	const rows: RuleRow[] = [];
	let loc = fde.start;
	let state: State = { cfa: { reg: regs.sp, offset: 0 }, fp: undefined, ra: undefined, raSigned: false, sp: undefined };
	const toRule = (s: State) => makeRule(s, arch, cie);
	const push = (current: State) => {
		const rule = toRule(current);
		const last = rows[rows.length - 1];
		if (last && last.address === loc) last.rule = rule;
		else if (!last || ruleKey(last.rule) !== ruleKey(rule)) rows.push({ address: loc, rule });
	};
	let initial: State = state;
	try {
		state = run(cie.initialInstructions, state, undefined, cie, regs, fde, () => {
			throw new FrameProblem("the CIE's initial instructions advance the location");
		});
		initial = copy(state);
		state = run(fde.instructions, state, initial, cie, regs, fde, (to, current) => {
			if (to < loc) throw new FrameProblem(`the location moves backwards to ${to.toString(16)}`);
			if (to > fde.end) throw new FrameProblem(`the location moves past the end of the FDE`);
			push(current);
			loc = to;
		});
		if (loc < fde.end) push(state);
		return { rows };
	} catch (e) {
		if (!(e instanceof FrameProblem || e instanceof ShortRead)) throw e;
		if (loc < fde.end) {
			const bad = { address: loc, rule: { ...UNKNOWN_RULE, cfa: CfaKind.UNSUPPORTED } };
			if (rows.length && rows[rows.length - 1].address === loc) rows[rows.length - 1] = bad;
			else rows.push(bad);
		}
		return { rows, problem: e instanceof ShortRead ? "an instruction is truncated" : e.message };
	}
}

function run(
	code: Buffer,
	start: State,
	initial: State | undefined,
	cie: Cie,
	regs: ArchRegs,
	fde: Fde,
	advance: (to: number, current: State) => void,
): State {
	const r = new Reader(code, 0, code.length, true);
	let s = copy(start);
	let loc = fde.start;
	const stack: State[] = [];
	const ca = cie.codeAlign;
	const da = cie.dataAlign;
	const set = (reg: number, rule: Rule | "restore") => {
		const pick = (which: "fp" | "ra") =>
			rule === "restore" ? (initial ? initial[which] : undefined) : (rule as Rule | undefined);
		if (reg === regs.fp) s.fp = pick("fp");
		else if (reg === cie.raRegister) s.ra = pick("ra");
		else if (reg === regs.sp) s.sp = rule === "restore" ? initial?.sp : rule;
	};
	const to = (delta: number) => {
		loc += delta * ca;
		advance(loc, s);
	};
	const needCfaReg = () => {
		if (s.cfa.expr !== undefined) throw new FrameProblem("a CFA offset change while the CFA is an expression");
	};
	while (r.left > 0) {
		const op = r.u8();
		const hi = op & 0xc0;
		const low = op & 0x3f;
		if (hi === 0x40)
			to(low); // DW_CFA_advance_loc
		else if (hi === 0x80)
			set(low, { k: "offset", n: r.uleb() * da }); // DW_CFA_offset
		else if (hi === 0xc0)
			set(low, "restore"); // DW_CFA_restore
		else
			switch (op) {
				case 0x00: // nop
					break;
				case 0x01: {
					// set_loc: an address in the FDE's encoding (gcc's unwinder reads it as the
					// FDE's own pc_begin, pc-relative to this operand).
					const v = readPointer(r, cie.fdeEncoding & ~PE.indirect, {
						address: fde.instructionsAddress,
						addressSize: cie.addressSize,
					});
					if (v === undefined) throw new FrameProblem("DW_CFA_set_loc without an address");
					loc = v;
					advance(loc, s);
					break;
				}
				case 0x02:
					to(r.u8());
					break;
				case 0x03:
					to(r.u16());
					break;
				case 0x04:
					to(r.u32());
					break;
				case 0x05: {
					const reg = r.uleb();
					set(reg, { k: "offset", n: r.uleb() * da });
					break;
				}
				case 0x06:
					set(r.uleb(), "restore");
					break;
				case 0x07:
					set(r.uleb(), { k: "undefined" });
					break;
				case 0x08:
					set(r.uleb(), { k: "same" });
					break;
				case 0x09: {
					const reg = r.uleb();
					set(reg, { k: "register", r: r.uleb() });
					break;
				}
				case 0x0a:
					if (stack.length >= MAX_REMEMBER) throw new FrameProblem("DW_CFA_remember_state nests too deep");
					stack.push(copy(s));
					break;
				case 0x0b: {
					const saved = stack.pop();
					if (!saved) throw new FrameProblem("DW_CFA_restore_state without a remembered state");
					// The CFA is restored too: gcc relies on it (DWARF 5 says so explicitly).
					s = saved;
					break;
				}
				case 0x0c: {
					const reg = r.uleb();
					s.cfa = { reg, offset: r.uleb() };
					break;
				}
				case 0x0d:
					needCfaReg();
					s.cfa = { reg: r.uleb(), offset: s.cfa.offset ?? 0 };
					break;
				case 0x0e:
					needCfaReg();
					s.cfa = { reg: s.cfa.reg ?? regs.sp, offset: r.uleb() };
					break;
				case 0x0f:
					s.cfa = { expr: r.bytes(checkLen(r, r.uleb())) };
					break;
				case 0x10: {
					const reg = r.uleb();
					set(reg, { k: "expression", e: r.bytes(checkLen(r, r.uleb())) });
					break;
				}
				case 0x11: {
					const reg = r.uleb();
					set(reg, { k: "offset", n: r.sleb() * da });
					break;
				}
				case 0x12: {
					const reg = r.uleb();
					s.cfa = { reg, offset: r.sleb() * da };
					break;
				}
				case 0x13:
					needCfaReg();
					s.cfa = { reg: s.cfa.reg ?? regs.sp, offset: r.sleb() * da };
					break;
				case 0x14: {
					const reg = r.uleb();
					set(reg, { k: "val_offset", n: r.uleb() * da });
					break;
				}
				case 0x15: {
					const reg = r.uleb();
					set(reg, { k: "val_offset", n: r.sleb() * da });
					break;
				}
				case 0x16: {
					const reg = r.uleb();
					set(reg, { k: "val_expression", e: r.bytes(checkLen(r, r.uleb())) });
					break;
				}
				case 0x1d: // DW_CFA_MIPS_advance_loc8
					to(r.u64());
					break;
				case 0x2c: // DW_CFA_AARCH64_negate_ra_state_with_pc (2024): the same toggle.
				case 0x2d:
					// DW_CFA_GNU_window_save on SPARC; on aarch64 DW_CFA_AARCH64_negate_ra_state.
					s.raSigned = !s.raSigned;
					break;
				case 0x2e: // DW_CFA_GNU_args_size: bytes of pushed arguments; the CFA rule already accounts for them.
					r.uleb();
					break;
				case 0x2f: {
					// DW_CFA_GNU_negative_offset_extended
					const reg = r.uleb();
					set(reg, { k: "offset", n: -r.uleb() * da });
					break;
				}
				default:
					throw new FrameProblem(`unknown call frame instruction 0x${op.toString(16)}`);
			}
	}
	return s;
}

function checkLen(r: Reader, n: number): number {
	if (n > r.left) throw new FrameProblem(`an expression of ${n} bytes runs past the instructions`);
	return n;
}

// ---- from DWARF rules to compact rules ------------------------------------------

/** DW_OP_breg0..31 (0x70..0x8f): register + sleb offset. */
function breg(e: Reader): { reg: number; offset: number } | undefined {
	const op = e.u8();
	if (op >= 0x70 && op <= 0x8f) return { reg: op - 0x70, offset: e.sleb() };
	if (op === 0x92) return { reg: e.uleb(), offset: e.sleb() }; // DW_OP_bregx
	return undefined;
}

function baseOf(reg: number, regs: ArchRegs): number | undefined {
	if (reg === regs.sp) return Base.SP;
	if (reg === regs.fp) return Base.FP;
	return undefined;
}

/** `breg N off` alone: an address (DW_CFA_expression) or a value (val_expression). */
function simpleBreg(expr: Buffer, regs: ArchRegs): { base: number; offset: number } | undefined {
	try {
		const r = new Reader(expr, 0, expr.length, true);
		const b = breg(r);
		if (!b || r.left !== 0) return undefined;
		const base = baseOf(b.reg, regs);
		return base === undefined ? undefined : { base, offset: b.offset };
	} catch {
		return undefined;
	}
}

function cfaExpression(expr: Buffer, regs: ArchRegs): Partial<UnwindRule> {
	const unsupported = { cfa: CfaKind.UNSUPPORTED };
	try {
		const r = new Reader(expr, 0, expr.length, true);
		const b = breg(r);
		if (!b) return unsupported;
		const base = baseOf(b.reg, regs);
		if (base !== undefined && r.left >= 1 && r.u8() === 0x06) {
			// breg; DW_OP_deref [; DW_OP_plus_uconst N]
			if (r.left === 0) return { cfa: CfaKind.DEREF, cfaBase: base, cfaOffset: b.offset };
			if (r.u8() === 0x23) {
				const add = r.uleb();
				if (r.left === 0 && add <= 255) return { cfa: CfaKind.DEREF, cfaBase: base, cfaOffset: b.offset, extra: add };
			}
			return unsupported;
		}
		// The x86_64 PLT (binutils' elf_x86_64 eh_frame_plt): breg7 (rsp) A; breg16 (rip) 0;
		// lit15; and; lit K; ge; lit3; shl; plus  →  rsp + A + ((rip & 15) >= K ? 8 : 0).
		r.pos = 0;
		const sp = breg(r);
		const ip = breg(r);
		if (sp?.reg !== regs.sp || ip?.reg !== regs.pc || ip.offset !== 0) return unsupported;
		const rest = [...expr.subarray(r.pos)];
		const [lit15, and, litK, ge, lit3, shl, plus] = rest;
		if (rest.length !== 7 || lit15 !== 0x3f || and !== 0x1a || ge !== 0x2a || lit3 !== 0x33) return unsupported;
		if (shl !== 0x24 || plus !== 0x22 || litK < 0x30 || litK > 0x4f) return unsupported;
		return { cfa: CfaKind.PLT, cfaBase: Base.SP, cfaOffset: sp.offset, extra: litK - 0x30 };
	} catch {
		return unsupported;
	}
}

/** A DWARF rule for the frame pointer or the return address, as kind/base/offset. */
function regRule(rule: Rule | undefined, isRa: boolean, arch: UnwindArch, regs: ArchRegs) {
	if (rule === undefined) {
		// No rule: on aarch64 the return address is still in the link register;
		// x86_64's CIEs always give one, so a missing one cannot be followed.
		if (isRa) return { kind: arch === "arm64" ? RegKind.SAME : RegKind.LOST, base: 0, offset: 0 };
		return { kind: RegKind.SAME, base: 0, offset: 0 };
	}
	switch (rule.k) {
		case "undefined":
			return { kind: RegKind.UNDEFINED, base: 0, offset: 0 };
		case "same":
			return { kind: RegKind.SAME, base: 0, offset: 0 };
		case "offset":
			return { kind: RegKind.AT, base: Base.CFA, offset: rule.n };
		case "val_offset":
			return { kind: RegKind.VALUE, base: Base.CFA, offset: rule.n };
		case "register":
			// aarch64 leaf functions keep the return address in x30 ("register 30").
			if (isRa && rule.r === regs.lr) return { kind: RegKind.SAME, base: 0, offset: 0 };
			return { kind: RegKind.LOST, base: 0, offset: 0 };
		case "expression":
		case "val_expression": {
			const b = simpleBreg(rule.e, regs);
			if (!b) return { kind: RegKind.LOST, base: 0, offset: 0 };
			return { kind: rule.k === "expression" ? RegKind.AT : RegKind.VALUE, base: b.base, offset: b.offset };
		}
	}
}

const I32 = 2 ** 31;

function spAgrees(sp: Rule, cfa: Partial<UnwindRule>, regs: ArchRegs): boolean {
	if (sp.k === "same") return false;
	if (sp.k === "val_offset") return sp.n === 0;
	if (sp.k !== "expression" || cfa.cfa !== CfaKind.DEREF) return false;
	const b = simpleBreg(sp.e, regs);
	return b !== undefined && b.base === cfa.cfaBase && b.offset === cfa.cfaOffset;
}

function makeRule(s: State, arch: UnwindArch, cie: Cie): UnwindRule {
	const regs = DWARF_REGS[arch];
	let cfa: Partial<UnwindRule>;
	if (s.cfa.expr !== undefined) cfa = cfaExpression(s.cfa.expr, regs);
	else {
		const base = baseOf(s.cfa.reg, regs);
		cfa =
			base === undefined ? { cfa: CfaKind.UNSUPPORTED } : { cfa: CfaKind.REG, cfaBase: base, cfaOffset: s.cfa.offset };
	}
	// A walk sets the caller's sp to the CFA: any other rule for sp cannot be followed.
	// Signal frames restore sp from the same slot the CFA expression loads: that agrees.
	if (s.sp && !spAgrees(s.sp, cfa, regs)) cfa = { cfa: CfaKind.UNSUPPORTED };
	const fp = regRule(s.fp, false, arch, regs);
	const ra = regRule(s.ra, true, arch, regs);
	const rule: UnwindRule = {
		...UNKNOWN_RULE,
		...cfa,
		fp: fp.kind,
		fpBase: fp.base,
		fpOffset: fp.offset,
		ra: ra.kind,
		raBase: ra.base,
		raOffset: ra.offset,
		flags: (cie.signalFrame ? RuleFlags.SIGNAL : 0) | (s.raSigned ? RuleFlags.RA_SIGNED : 0),
	};
	// Offsets beyond 32 bits (or a 16-bit return address offset) do not pack; no real frame has them.
	if (Math.abs(rule.cfaOffset) >= I32 || Math.abs(rule.fpOffset) >= I32) rule.cfa = CfaKind.UNSUPPORTED;
	if (Math.abs(rule.fpOffset) >= I32) {
		rule.fp = RegKind.LOST;
		rule.fpBase = 0;
		rule.fpOffset = 0;
	}
	if (Math.abs(rule.raOffset) >= 2 ** 15) {
		rule.ra = RegKind.LOST;
		rule.raBase = 0;
		rule.raOffset = 0;
	}
	if (rule.cfa === CfaKind.UNSUPPORTED) {
		rule.cfaBase = 0;
		rule.cfaOffset = 0;
		rule.extra = 0;
	}
	return rule;
}
