// The BPF disassembler: instructions as text, close to the verifier's own log format.
import { AsmError, Op } from "./asm-defs.ts";
import { helperName } from "./helpers.ts";

const ALU_SYM: Record<number, string> = {
	[Op.ADD]: "+=",
	[Op.SUB]: "-=",
	[Op.MUL]: "*=",
	[Op.DIV]: "/=",
	[Op.OR]: "|=",
	[Op.AND]: "&=",
	[Op.LSH]: "<<=",
	[Op.RSH]: ">>=",
	[Op.MOD]: "%=",
	[Op.XOR]: "^=",
	[Op.MOV]: "=",
	[Op.ARSH]: "s>>=",
};
const JMP_SYM: Record<number, string> = {
	[Op.JEQ]: "==",
	[Op.JGT]: ">",
	[Op.JGE]: ">=",
	[Op.JSET]: "&",
	[Op.JNE]: "!=",
	[Op.JSGT]: "s>",
	[Op.JSGE]: "s>=",
	[Op.JLT]: "<",
	[Op.JLE]: "<=",
	[Op.JSLT]: "s<",
	[Op.JSLE]: "s<=",
};
const SIZE_NAME: Record<number, string> = { [Op.B]: "u8", [Op.H]: "u16", [Op.W]: "u32", [Op.DW]: "u64" };
const SSIZE_NAME: Record<number, string> = { [Op.B]: "s8", [Op.H]: "s16", [Op.W]: "s32" };
const ATOMIC_NAME: Record<number, string> = { [Op.ADD]: "add", [Op.OR]: "or", [Op.AND]: "and", [Op.XOR]: "xor" };

function signedOff(off: number): string {
	return off >= 0 ? `+${off}` : `${off}`;
}

function hex(v: number): string {
	return `0x${(v >>> 0).toString(16)}`;
}

/** The instruction at byte `at` (with its second slot, for ld_imm64) as text. */
export function formatInsn(b: Buffer, at: number): string {
	const op = b[at];
	const dst = b[at + 1] & 0x0f;
	const src = b[at + 1] >> 4;
	const off = b.readInt16LE(at + 2);
	const imm = b.readInt32LE(at + 4);
	const cls = op & 0x07;
	switch (cls) {
		case Op.ALU:
		case Op.ALU64: {
			const r = cls === Op.ALU64 ? "r" : "w";
			const code = op & 0xf0;
			const x = (op & Op.X) !== 0;
			if (code === Op.NEG) return `${r}${dst} = -${r}${dst}`;
			if (code === Op.END) {
				if (cls === Op.ALU64) return `r${dst} = bswap${imm} r${dst}`;
				return `r${dst} = ${x ? "be" : "le"}${imm} r${dst}`;
			}
			if (code === Op.MOV && x && off !== 0) return `${r}${dst} = (s${off})${r}${src}`;
			let sym = ALU_SYM[code];
			if (sym === undefined) return `invalid alu op ${hex(op)}`;
			if ((code === Op.DIV || code === Op.MOD) && off === 1) sym = `s${sym}`;
			return `${r}${dst} ${sym} ${x ? `${r}${src}` : imm}`;
		}
		case Op.JMP:
		case Op.JMP32: {
			const code = op & 0xf0;
			const r = cls === Op.JMP ? "r" : "w";
			if (cls === Op.JMP) {
				if (code === Op.JA) return `goto pc${signedOff(off)}`;
				if (code === Op.EXIT) return "exit";
				if (code === Op.CALL)
					return src === Op.PSEUDO_CALL ? `call pc${signedOff(imm)}` : `call ${helperName(imm)}#${imm}`;
			} else if (code === Op.JA) {
				return `gotol pc${signedOff(imm)}`;
			}
			const sym = JMP_SYM[code];
			if (sym === undefined) return `invalid jmp op ${hex(op)}`;
			const rhs = op & Op.X ? `${r}${src}` : hex(imm);
			return `if ${r}${dst} ${sym} ${rhs} goto pc${signedOff(off)}`;
		}
		case Op.LDX: {
			const mode = op & 0xe0;
			const size = op & 0x18;
			const t = mode === Op.MEMSX ? SSIZE_NAME[size] : SIZE_NAME[size];
			return `r${dst} = *(${t} *)(r${src} ${signedOff(off)})`;
		}
		case Op.ST:
			return `*(${SIZE_NAME[op & 0x18]} *)(r${dst} ${signedOff(off)}) = ${imm}`;
		case Op.STX: {
			const mode = op & 0xe0;
			const size = op & 0x18;
			const t = SIZE_NAME[size];
			const mem = `*(${t} *)(r${dst} ${signedOff(off)})`;
			if (mode === Op.MEM) return `${mem} = r${src}`;
			if (mode !== Op.ATOMIC) return `invalid stx mode ${hex(op)}`;
			// The verifier names registers rN even for 32-bit atomics; so do we.
			const r = "r";
			const a = size === Op.DW ? "atomic64" : "atomic";
			if (imm === Op.XCHG) return `${r}${src} = ${a}_xchg((${t} *)(r${dst} ${signedOff(off)}), ${r}${src})`;
			if (imm === Op.CMPXCHG) return `${r}0 = ${a}_cmpxchg((${t} *)(r${dst} ${signedOff(off)}), ${r}0, ${r}${src})`;
			const name = ATOMIC_NAME[imm & ~Op.FETCH];
			if (name === undefined) return `invalid atomic op ${hex(imm)}`;
			if (imm & Op.FETCH) return `${r}${src} = ${a}_fetch_${name}((${t} *)(r${dst} ${signedOff(off)}), ${r}${src})`;
			return `lock ${mem} ${ALU_SYM[imm]} ${r}${src}`;
		}
		case Op.LD: {
			if (op !== (Op.LD | Op.IMM | Op.DW)) return `legacy ld ${hex(op)}`;
			if (at + 16 > b.length) return "ld_imm64 cut short";
			const hi = b.readInt32LE(at + 12);
			if (src === Op.PSEUDO_MAP_FD) return `r${dst} = map[fd:${imm}]`;
			if (src === Op.PSEUDO_MAP_VALUE) return `r${dst} = map[fd:${imm}][0]+${hi}`;
			if (src === Op.PSEUDO_FUNC) return `r${dst} = func pc${signedOff(imm)}`;
			const v = (BigInt(hi >>> 0) << 32n) | BigInt(imm >>> 0);
			return `r${dst} = 0x${v.toString(16)}`;
		}
	}
	return `invalid ${hex(op)}`;
}

/** Program text, one `N: (op) text` line per instruction, like the verifier's log. */
export function disassemble(buf: Buffer, labels?: Map<number, string[]>): string {
	if (buf.length % 8 !== 0) throw new AsmError(`a BPF program is a multiple of 8 bytes, not ${buf.length}.`);
	const lines: string[] = [];
	for (let at = 0; at < buf.length; at += 8) {
		const slot = at / 8;
		for (const l of labels?.get(slot) ?? []) lines.push(`${l}:`);
		lines.push(`${slot}: (${buf[at].toString(16).padStart(2, "0")}) ${formatInsn(buf, at)}`);
		if (buf[at] === (Op.LD | Op.IMM | Op.DW)) at += 8;
	}
	return lines.join("\n");
}
