// The assembler's last step: labels resolved to jump offsets and the instructions encoded
// in the kernel's wire format (8 bytes per slot, little-endian; ld_imm64 takes two slots).
import { AsmError, type Insn, JumpRangeError, Op } from "./asm-defs.ts";

/** A program as the assembler holds it: instructions, the slot of each, and label slots. */
export interface Unlinked {
	readonly insns: readonly Insn[];
	readonly slotOf: readonly number[];
	readonly labels: ReadonlyMap<string, number>;
	readonly slots: number;
}

/** Resolve labels and return the instructions, 8 bytes per slot. */
export function link(p: Unlinked): Buffer {
	const out = Buffer.alloc(p.slots * 8);
	for (const [name, slot] of p.labels) {
		if (slot >= p.slots) throw new AsmError(`label '${name}' is at the end of the program and marks no instruction.`);
	}
	for (let i = 0; i < p.insns.length; i++) {
		const insn = p.insns[i];
		const pc = p.slotOf[i];
		let { off, imm } = insn;
		if (insn.target !== undefined) {
			const t = p.labels.get(insn.target);
			if (t === undefined)
				throw new AsmError(`instruction ${pc} jumps to label '${insn.target}', which is not defined.`);
			const rel = t - (pc + 1);
			if ((insn.op & 0xf0) === Op.CALL || insn.op === (Op.LD | Op.IMM | Op.DW)) {
				imm = rel;
			} else {
				if (rel < -0x8000 || rel > 0x7fff) {
					throw new JumpRangeError(
						rel,
						`instruction ${pc} jumps ${rel} instructions to label '${insn.target}', beyond the 16-bit offset range (±32767).`,
					);
				}
				off = rel;
			}
		}
		encode(out, pc * 8, insn.op, insn.dst, insn.src, off, imm);
		if (insn.imm2 !== undefined) encode(out, pc * 8 + 8, 0, 0, 0, 0, insn.imm2);
	}
	return out;
}

/** Like link, but unresolved jumps keep offset 0 (for listings of unfinished programs). */
export function linkLoose(p: Unlinked): Buffer {
	try {
		return link(p);
	} catch {
		const out = Buffer.alloc(p.slots * 8);
		for (let i = 0; i < p.insns.length; i++) {
			const n = p.insns[i];
			encode(out, p.slotOf[i] * 8, n.op, n.dst, n.src, n.off, n.imm);
			if (n.imm2 !== undefined) encode(out, p.slotOf[i] * 8 + 8, 0, 0, 0, 0, n.imm2);
		}
		return out;
	}
}

function encode(out: Buffer, at: number, op: number, dst: number, src: number, off: number, imm: number): void {
	out[at] = op;
	out[at + 1] = (dst & 0x0f) | ((src & 0x0f) << 4);
	out.writeInt16LE(off, at + 2);
	out.writeInt32LE(imm | 0, at + 4);
}
