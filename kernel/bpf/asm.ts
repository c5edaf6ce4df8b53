// A BPF instruction assembler: build a program one instruction at a time, jump to
// named labels, and assemble to the kernel's wire format (8 bytes per slot,
// little-endian; `ld_imm64` takes two slots). Encodings follow the BPF ISA
// (RFC 9669, Documentation/bpf/standardization/instruction-set.rst).

import {
	AsmError,
	checkReg,
	type Insn,
	imm32,
	imm32u,
	Op,
	type Operand,
	off16,
	Reg,
	type Size,
	sizeCode,
} from "./asm-defs.ts";
import { Helper, type HelperName } from "./helpers.ts";

export * from "./asm-defs.ts";

import { disassemble } from "./disasm.ts";
import { link, linkLoose, type Unlinked } from "./link.ts";

export { disassemble, formatInsn } from "./disasm.ts";

export class Asm {
	private readonly insns: Insn[] = [];
	/** Slot index (8-byte units) of each instruction in `insns`. */
	private readonly slotOf: number[] = [];
	private readonly labels = new Map<string, number>();
	private slots = 0;

	/** Number of 8-byte instruction slots so far (ld_imm64 counts two). */
	get length(): number {
		return this.slots;
	}

	/** Append one instruction as is (for encodings this class has no method for). */
	emit(insn: Insn): this {
		this.slotOf.push(this.slots);
		this.insns.push({ ...insn });
		this.slots += insn.imm2 !== undefined ? 2 : 1;
		return this;
	}

	/** Mark the next instruction with `name`. */
	label(name: string): this {
		if (this.labels.has(name)) throw new AsmError(`label '${name}' is defined twice.`);
		this.labels.set(name, this.slots);
		return this;
	}

	hasLabel(name: string): boolean {
		return this.labels.has(name);
	}

	/**
	 * Slots where subprograms start: 0 (the main program) and every target of
	 * callLocal or ldFunc, ascending. A program with callbacks (ldFunc) must
	 * describe each of them in BTF func_info when it is loaded.
	 */
	subprograms(): { starts: number[]; callbacks: boolean } {
		const starts = new Set<number>([0]);
		let callbacks = false;
		for (const insn of this.insns) {
			if (insn.target === undefined) continue;
			const isCall = insn.op === (Op.JMP | Op.CALL) && insn.src === Op.PSEUDO_CALL;
			const isFunc = insn.op === (Op.LD | Op.IMM | Op.DW) && insn.src === Op.PSEUDO_FUNC;
			if (!isCall && !isFunc) continue;
			callbacks ||= isFunc;
			const t = this.labels.get(insn.target);
			if (t === undefined) throw new AsmError(`a call to label '${insn.target}', which is not defined.`);
			starts.add(t);
		}
		return { starts: [...starts].sort((a, b) => a - b), callbacks };
	}

	// --- ALU -----------------------------------------------------------------

	private alu(cls: number, op: number, dst: Reg, src: Operand, name: string, off = 0): this {
		const d = checkReg(dst, `${name} destination`);
		if (src instanceof Reg) return this.emit({ op: cls | op | Op.X, dst: d, src: src.n, off, imm: 0 });
		const imm = cls === Op.ALU64 ? imm32(src, name) : imm32u(src, name);
		return this.emit({ op: cls | op | Op.K, dst: d, src: 0, off, imm });
	}

	add(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.ADD, dst, src, "add");
	}
	sub(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.SUB, dst, src, "sub");
	}
	mul(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.MUL, dst, src, "mul");
	}
	/** Unsigned division; division by zero yields 0 (the kernel defines it so). */
	div(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.DIV, dst, src, "div");
	}
	/** Unsigned modulo; modulo zero leaves dst unchanged. */
	mod(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.MOD, dst, src, "mod");
	}
	/** Signed division (BPF cpu v4, Linux 6.6+). */
	sdiv(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.DIV, dst, src, "sdiv", 1);
	}
	/** Signed modulo (BPF cpu v4, Linux 6.6+). */
	smod(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.MOD, dst, src, "smod", 1);
	}
	or(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.OR, dst, src, "or");
	}
	and(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.AND, dst, src, "and");
	}
	xor(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.XOR, dst, src, "xor");
	}
	lsh(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.LSH, dst, src, "lsh");
	}
	rsh(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.RSH, dst, src, "rsh");
	}
	arsh(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.ARSH, dst, src, "arsh");
	}
	mov(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU64, Op.MOV, dst, src, "mov");
	}
	/** dst = sign-extended low `bits` of src (BPF cpu v4, Linux 6.6+). */
	movsx(dst: Reg, src: Reg, bits: 8 | 16 | 32): this {
		checkReg(src, "movsx source");
		if (bits !== 8 && bits !== 16 && bits !== 32) throw new AsmError(`movsx takes 8, 16 or 32 bits, not ${bits}.`);
		return this.alu(Op.ALU64, Op.MOV, dst, src, "movsx", bits);
	}
	neg(dst: Reg): this {
		return this.emit({ op: Op.ALU64 | Op.NEG, dst: checkReg(dst, "neg destination"), src: 0, off: 0, imm: 0 });
	}

	add32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.ADD, dst, src, "add32");
	}
	sub32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.SUB, dst, src, "sub32");
	}
	mul32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.MUL, dst, src, "mul32");
	}
	div32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.DIV, dst, src, "div32");
	}
	mod32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.MOD, dst, src, "mod32");
	}
	sdiv32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.DIV, dst, src, "sdiv32", 1);
	}
	smod32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.MOD, dst, src, "smod32", 1);
	}
	or32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.OR, dst, src, "or32");
	}
	and32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.AND, dst, src, "and32");
	}
	xor32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.XOR, dst, src, "xor32");
	}
	lsh32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.LSH, dst, src, "lsh32");
	}
	rsh32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.RSH, dst, src, "rsh32");
	}
	arsh32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.ARSH, dst, src, "arsh32");
	}
	/** 32-bit move: the upper half of dst is zeroed. */
	mov32(dst: Reg, src: Operand): this {
		return this.alu(Op.ALU, Op.MOV, dst, src, "mov32");
	}
	/** 32-bit move of the sign-extended low 8 or 16 bits (cpu v4, Linux 6.6+). */
	movsx32(dst: Reg, src: Reg, bits: 8 | 16): this {
		checkReg(src, "movsx32 source");
		if (bits !== 8 && bits !== 16) throw new AsmError(`movsx32 takes 8 or 16 bits, not ${bits}.`);
		return this.alu(Op.ALU, Op.MOV, dst, src, "movsx32", bits);
	}
	neg32(dst: Reg): this {
		return this.emit({ op: Op.ALU | Op.NEG, dst: checkReg(dst, "neg32 destination"), src: 0, off: 0, imm: 0 });
	}

	private endian(cls: number, srcBit: number, dst: Reg, bits: 16 | 32 | 64, name: string): this {
		if (bits !== 16 && bits !== 32 && bits !== 64) throw new AsmError(`${name} takes 16, 32 or 64 bits, not ${bits}.`);
		return this.emit({
			op: cls | Op.END | srcBit,
			dst: checkReg(dst, `${name} destination`),
			src: 0,
			off: 0,
			imm: bits,
		});
	}
	/** Convert dst from host order to little-endian, truncating to `bits` (a no-op swap on x86). */
	toLe(dst: Reg, bits: 16 | 32 | 64): this {
		return this.endian(Op.ALU, 0x00, dst, bits, "toLe");
	}
	/** Convert dst from host order to big-endian, truncating to `bits`. */
	toBe(dst: Reg, bits: 16 | 32 | 64): this {
		return this.endian(Op.ALU, 0x08, dst, bits, "toBe");
	}
	/** Unconditional byte swap of the low `bits` (cpu v4, Linux 6.6+). */
	bswap(dst: Reg, bits: 16 | 32 | 64): this {
		return this.endian(Op.ALU64, 0x00, dst, bits, "bswap");
	}

	// --- jumps ---------------------------------------------------------------

	private jmp(cls: number, op: number, dst: Reg, src: Operand, target: string, name: string): this {
		const d = checkReg(dst, `${name} left operand`);
		if (typeof target !== "string" || target.length === 0) throw new AsmError(`${name} needs a label name to jump to.`);
		if (src instanceof Reg) return this.emit({ op: cls | op | Op.X, dst: d, src: src.n, off: 0, imm: 0, target });
		const imm = cls === Op.JMP ? imm32(src, name) : imm32u(src, name);
		return this.emit({ op: cls | op | Op.K, dst: d, src: 0, off: 0, imm, target });
	}

	/** Unconditional jump. */
	ja(target: string): this {
		if (typeof target !== "string" || target.length === 0) throw new AsmError("ja needs a label name to jump to.");
		return this.emit({ op: Op.JMP | Op.JA, dst: 0, src: 0, off: 0, imm: 0, target });
	}
	jeq(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JEQ, dst, src, target, "jeq");
	}
	jne(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JNE, dst, src, target, "jne");
	}
	jgt(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JGT, dst, src, target, "jgt");
	}
	jge(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JGE, dst, src, target, "jge");
	}
	jlt(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JLT, dst, src, target, "jlt");
	}
	jle(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JLE, dst, src, target, "jle");
	}
	jsgt(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JSGT, dst, src, target, "jsgt");
	}
	jsge(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JSGE, dst, src, target, "jsge");
	}
	jslt(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JSLT, dst, src, target, "jslt");
	}
	jsle(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JSLE, dst, src, target, "jsle");
	}
	/** Jump if (dst & src) != 0. */
	jset(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP, Op.JSET, dst, src, target, "jset");
	}
	jeq32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JEQ, dst, src, target, "jeq32");
	}
	jne32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JNE, dst, src, target, "jne32");
	}
	jgt32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JGT, dst, src, target, "jgt32");
	}
	jge32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JGE, dst, src, target, "jge32");
	}
	jlt32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JLT, dst, src, target, "jlt32");
	}
	jle32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JLE, dst, src, target, "jle32");
	}
	jsgt32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JSGT, dst, src, target, "jsgt32");
	}
	jsge32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JSGE, dst, src, target, "jsge32");
	}
	jslt32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JSLT, dst, src, target, "jslt32");
	}
	jsle32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JSLE, dst, src, target, "jsle32");
	}
	jset32(dst: Reg, src: Operand, target: string): this {
		return this.jmp(Op.JMP32, Op.JSET, dst, src, target, "jset32");
	}

	/** Call a kernel helper by id or name (`"map_lookup_elem"`); arguments in R1..R5, result in R0. */
	call(helper: number | HelperName): this {
		const id = typeof helper === "number" ? helper : Helper[helper];
		if (id === undefined) throw new AsmError(`unknown BPF helper '${String(helper)}'.`);
		return this.emit({ op: Op.JMP | Op.CALL, dst: 0, src: 0, off: 0, imm: imm32(id, "call") });
	}
	/** Call a kernel function (kfunc) by its type id in the kernel's BTF (Linux 5.13+). */
	callKfunc(btfId: number): this {
		return this.emit({
			op: Op.JMP | Op.CALL,
			dst: 0,
			src: Op.PSEUDO_KFUNC_CALL,
			off: 0,
			imm: imm32(btfId, "kfunc call"),
		});
	}
	/** Call a BPF subprogram starting at `target` (a bpf-to-bpf call). */
	callLocal(target: string): this {
		return this.emit({ op: Op.JMP | Op.CALL, dst: 0, src: Op.PSEUDO_CALL, off: 0, imm: 0, target });
	}
	exit(): this {
		return this.emit({ op: Op.JMP | Op.EXIT, dst: 0, src: 0, off: 0, imm: 0 });
	}

	// --- memory --------------------------------------------------------------

	/** dst = *(size *)(src + off), zero-extended. */
	ldx(size: Size, dst: Reg, src: Reg, off: number): this {
		return this.emit({
			op: Op.LDX | Op.MEM | sizeCode(size, "ldx"),
			dst: checkReg(dst, "ldx destination"),
			src: checkReg(src, "ldx source"),
			off: off16(off, "ldx"),
			imm: 0,
		});
	}
	/** dst = *(size *)(src + off), sign-extended (cpu v4, Linux 6.6+). */
	ldxs(size: 1 | 2 | 4, dst: Reg, src: Reg, off: number): this {
		if (size === (8 as Size)) throw new AsmError("ldxs loads 1, 2 or 4 bytes; use ldx for 8.");
		return this.emit({
			op: Op.LDX | Op.MEMSX | sizeCode(size, "ldxs"),
			dst: checkReg(dst, "ldxs destination"),
			src: checkReg(src, "ldxs source"),
			off: off16(off, "ldxs"),
			imm: 0,
		});
	}
	/** *(size *)(dst + off) = src. */
	stx(size: Size, dst: Reg, off: number, src: Reg): this {
		return this.emit({
			op: Op.STX | Op.MEM | sizeCode(size, "stx"),
			dst: checkReg(dst, "stx destination"),
			src: checkReg(src, "stx source"),
			off: off16(off, "stx"),
			imm: 0,
		});
	}
	/** *(size *)(dst + off) = imm (sign-extended to 64 bits for size 8). */
	st(size: Size, dst: Reg, off: number, imm: number): this {
		return this.emit({
			op: Op.ST | Op.MEM | sizeCode(size, "st"),
			dst: checkReg(dst, "st destination"),
			src: 0,
			off: off16(off, "st"),
			imm: size === 8 ? imm32(imm, "st") : imm32u(imm, "st"),
		});
	}

	private atomic(size: Size, dst: Reg, off: number, src: Reg, aop: number, name: string): this {
		if (size !== 4 && size !== 8) throw new AsmError(`${name} works on 4 or 8 bytes, not ${size}.`);
		return this.emit({
			op: Op.STX | Op.ATOMIC | sizeCode(size, name),
			dst: checkReg(dst, `${name} destination`),
			src: checkReg(src, `${name} source`),
			off: off16(off, name),
			imm: aop,
		});
	}
	/** *(dst + off) += src atomically; with `fetch`, src receives the old value (fetch: Linux 5.12+). */
	atomicAdd(size: 4 | 8, dst: Reg, off: number, src: Reg, fetch = false): this {
		return this.atomic(size, dst, off, src, Op.ADD | (fetch ? Op.FETCH : 0), "atomicAdd");
	}
	/** Atomic or (Linux 5.12+). */
	atomicOr(size: 4 | 8, dst: Reg, off: number, src: Reg, fetch = false): this {
		return this.atomic(size, dst, off, src, Op.OR | (fetch ? Op.FETCH : 0), "atomicOr");
	}
	/** Atomic and (Linux 5.12+). */
	atomicAnd(size: 4 | 8, dst: Reg, off: number, src: Reg, fetch = false): this {
		return this.atomic(size, dst, off, src, Op.AND | (fetch ? Op.FETCH : 0), "atomicAnd");
	}
	/** Atomic xor (Linux 5.12+). */
	atomicXor(size: 4 | 8, dst: Reg, off: number, src: Reg, fetch = false): this {
		return this.atomic(size, dst, off, src, Op.XOR | (fetch ? Op.FETCH : 0), "atomicXor");
	}
	/** src = xchg(*(dst + off), src) (Linux 5.12+). */
	atomicXchg(size: 4 | 8, dst: Reg, off: number, src: Reg): this {
		return this.atomic(size, dst, off, src, Op.XCHG, "atomicXchg");
	}
	/** R0 = cmpxchg(*(dst + off), R0, src): stores src if the memory equals R0; R0 gets the old value (5.12+). */
	atomicCmpXchg(size: 4 | 8, dst: Reg, off: number, src: Reg): this {
		return this.atomic(size, dst, off, src, Op.CMPXCHG, "atomicCmpXchg");
	}

	// --- 64-bit immediates ---------------------------------------------------

	/** dst = a 64-bit constant (two slots). Accepts signed or unsigned 64-bit values. */
	ldImm64(dst: Reg, value: bigint | number): this {
		if (typeof value === "number" && !Number.isSafeInteger(value)) {
			throw new AsmError(`ldImm64 value ${value} is not an exact integer; pass a bigint.`);
		}
		const big = BigInt(value);
		if (big > 0xffffffffffffffffn || big < -0x8000000000000000n) {
			throw new AsmError(`ldImm64 value ${value} does not fit 64 bits.`);
		}
		const v = BigInt.asUintN(64, big);
		return this.emit({
			op: Op.LD | Op.IMM | Op.DW,
			dst: checkReg(dst, "ldImm64 destination"),
			src: 0,
			off: 0,
			imm: Number(BigInt.asIntN(32, v)),
			imm2: Number(BigInt.asIntN(32, v >> 32n)),
		});
	}
	/** dst = pointer to the map whose fd is `fd` (the kernel rewrites the fd when loading). */
	ldMapFd(dst: Reg, fd: number): this {
		return this.emit({
			op: Op.LD | Op.IMM | Op.DW,
			dst: checkReg(dst, "ldMapFd destination"),
			src: Op.PSEUDO_MAP_FD,
			off: 0,
			imm: imm32(fd, "ldMapFd"),
			imm2: 0,
		});
	}
	/** dst = address of byte `offset` of an array map's single value (direct value access, Linux 5.2+). */
	ldMapValue(dst: Reg, fd: number, offset = 0): this {
		return this.emit({
			op: Op.LD | Op.IMM | Op.DW,
			dst: checkReg(dst, "ldMapValue destination"),
			src: Op.PSEUDO_MAP_VALUE,
			off: 0,
			imm: imm32(fd, "ldMapValue"),
			imm2: imm32(offset, "ldMapValue offset"),
		});
	}

	/**
	 * dst = address of the subprogram starting at label `target` (BPF_PSEUDO_FUNC,
	 * Linux 5.13+): the callback argument of bpf_loop and bpf_for_each_map_elem.
	 */
	ldFunc(dst: Reg, target: string): this {
		if (typeof target !== "string" || target.length === 0) throw new AsmError("ldFunc needs a label name.");
		return this.emit({
			op: Op.LD | Op.IMM | Op.DW,
			dst: checkReg(dst, "ldFunc destination"),
			src: Op.PSEUDO_FUNC,
			off: 0,
			imm: 0,
			imm2: 0,
			target,
		});
	}

	// --- output --------------------------------------------------------------

	/** Resolve labels and return the instructions, 8 bytes per slot. */
	assemble(): Buffer {
		return link(this.program());
	}

	/** The program as text, with labels, for debugging (unresolved jumps keep offset 0). */
	listing(): string {
		const names = new Map<number, string[]>();
		for (const [name, slot] of this.labels) names.set(slot, [...(names.get(slot) ?? []), name]);
		return disassemble(linkLoose(this.program()), names);
	}

	private program(): Unlinked {
		return { insns: this.insns, slotOf: this.slotOf, labels: this.labels, slots: this.slots };
	}
}
