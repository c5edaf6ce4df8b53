// A BPF instruction assembler: build a program one instruction at a time, jump to
// named labels, and assemble to the kernel's wire format (8 bytes per slot,
// little-endian; `ld_imm64` takes two slots). Encodings follow the BPF ISA
// (RFC 9669, Documentation/bpf/standardization/instruction-set.rst).
import { Helper, type HelperName, helperName } from "./helpers.ts";

/** A BPF register. Use the R0..R10 constants; R10 is the read-only frame pointer. */
export class Reg {
	readonly n: number;
	private constructor(n: number) {
		this.n = n;
	}
	toString(): string {
		return `r${this.n}`;
	}
	/** @internal */
	static make(n: number): Reg {
		return new Reg(n);
	}
}

export const R0 = Reg.make(0);
export const R1 = Reg.make(1);
export const R2 = Reg.make(2);
export const R3 = Reg.make(3);
export const R4 = Reg.make(4);
export const R5 = Reg.make(5);
export const R6 = Reg.make(6);
export const R7 = Reg.make(7);
export const R8 = Reg.make(8);
export const R9 = Reg.make(9);
export const R10 = Reg.make(10);
/** The frame pointer (R10): the top of the program's 512-byte stack. */
export const FP = R10;
export const REGS: readonly Reg[] = [R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10];

/** Access width in bytes for loads, stores and atomics. */
export type Size = 1 | 2 | 4 | 8;
/** A register or a 32-bit immediate. */
export type Operand = Reg | number;

/** Opcode building blocks (instruction class, ALU/JMP operation, size, mode). */
export const Op = {
	// classes
	LD: 0x00,
	LDX: 0x01,
	ST: 0x02,
	STX: 0x03,
	ALU: 0x04,
	JMP: 0x05,
	JMP32: 0x06,
	ALU64: 0x07,
	// source
	K: 0x00,
	X: 0x08,
	// ALU operations
	ADD: 0x00,
	SUB: 0x10,
	MUL: 0x20,
	DIV: 0x30,
	OR: 0x40,
	AND: 0x50,
	LSH: 0x60,
	RSH: 0x70,
	NEG: 0x80,
	MOD: 0x90,
	XOR: 0xa0,
	MOV: 0xb0,
	ARSH: 0xc0,
	END: 0xd0,
	// JMP operations
	JA: 0x00,
	JEQ: 0x10,
	JGT: 0x20,
	JGE: 0x30,
	JSET: 0x40,
	JNE: 0x50,
	JSGT: 0x60,
	JSGE: 0x70,
	CALL: 0x80,
	EXIT: 0x90,
	JLT: 0xa0,
	JLE: 0xb0,
	JSLT: 0xc0,
	JSLE: 0xd0,
	// sizes
	W: 0x00,
	H: 0x08,
	B: 0x10,
	DW: 0x18,
	// modes
	IMM: 0x00,
	MEM: 0x60,
	MEMSX: 0x80,
	ATOMIC: 0xc0,
	// atomic operations (in imm)
	FETCH: 0x01,
	XCHG: 0xe1,
	CMPXCHG: 0xf1,
	// ld_imm64 source pseudo-registers
	PSEUDO_MAP_FD: 1,
	PSEUDO_MAP_VALUE: 2,
	// call source pseudo-register for bpf-to-bpf calls
	PSEUDO_CALL: 1,
	// ld_imm64 source pseudo-register: the address of a subprogram (bpf_loop callbacks, Linux 5.13+)
	PSEUDO_FUNC: 4,
} as const;

const SIZE_CODE: Record<Size, number> = { 1: Op.B, 2: Op.H, 4: Op.W, 8: Op.DW };

/** A mistake in the program being assembled (bad label, operand out of range). */
export class AsmError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "AsmError";
	}
}

/** A jump farther than a BPF jump's signed 16-bit offset reaches: the program is too long for its control flow. */
export class JumpRangeError extends AsmError {
	constructor(
		readonly distance: number,
		message: string,
	) {
		super(message);
		this.name = "JumpRangeError";
	}
}

/** One instruction before assembly; `target` names the label a jump or local call goes to. */
export interface Insn {
	op: number;
	dst: number;
	src: number;
	off: number;
	imm: number;
	/** ld_imm64 only: the upper 32 bits (second slot's imm). */
	imm2?: number;
	target?: string;
}

const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;
const UINT32_MAX = 0xffffffff;

function checkReg(r: Reg, what: string): number {
	if (!(r instanceof Reg)) throw new AsmError(`${what} must be a register (R0..R10), not ${String(r)}.`);
	return r.n;
}

/** A signed 32-bit immediate (sign-extended by 64-bit operations). */
function imm32(v: number, what: string): number {
	if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
		throw new AsmError(`immediate ${v} of ${what} does not fit a signed 32-bit field; load it with ldImm64 instead.`);
	}
	return v;
}

/** A 32-bit immediate for 32-bit operations, where unsigned spellings are natural. */
function imm32u(v: number, what: string): number {
	if (!Number.isInteger(v) || v < INT32_MIN || v > UINT32_MAX) {
		throw new AsmError(`immediate ${v} of ${what} does not fit 32 bits.`);
	}
	return v | 0;
}

function off16(v: number, what: string): number {
	if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) {
		throw new AsmError(`offset ${v} of ${what} does not fit the signed 16-bit offset field.`);
	}
	return v;
}

function sizeCode(size: Size, what: string): number {
	const c = SIZE_CODE[size];
	if (c === undefined) throw new AsmError(`${what} size must be 1, 2, 4 or 8 bytes, not ${size}.`);
	return c;
}

/**
 * Builds a BPF program. Jumps name labels (`a.jeq(R0, 0, "out")` … `a.label("out")`);
 * labels may be defined before or after the jumps that use them.
 */
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
		const out = Buffer.alloc(this.slots * 8);
		for (const [name, slot] of this.labels) {
			if (slot >= this.slots)
				throw new AsmError(`label '${name}' is at the end of the program and marks no instruction.`);
		}
		for (let i = 0; i < this.insns.length; i++) {
			const insn = this.insns[i];
			const pc = this.slotOf[i];
			let { off, imm } = insn;
			if (insn.target !== undefined) {
				const t = this.labels.get(insn.target);
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

	/** The program as text, with labels, for debugging. */
	listing(): string {
		const names = new Map<number, string[]>();
		for (const [name, slot] of this.labels) names.set(slot, [...(names.get(slot) ?? []), name]);
		const buf = this.assembleLoose();
		return disassemble(buf, names);
	}

	/** Like assemble, but unresolved jumps keep offset 0 (for listings of unfinished programs). */
	private assembleLoose(): Buffer {
		try {
			return this.assemble();
		} catch {
			const out = Buffer.alloc(this.slots * 8);
			for (let i = 0; i < this.insns.length; i++) {
				const n = this.insns[i];
				encode(out, this.slotOf[i] * 8, n.op, n.dst, n.src, n.off, n.imm);
				if (n.imm2 !== undefined) encode(out, this.slotOf[i] * 8 + 8, 0, 0, 0, 0, n.imm2);
			}
			return out;
		}
	}
}

function encode(out: Buffer, at: number, op: number, dst: number, src: number, off: number, imm: number): void {
	out[at] = op;
	out[at + 1] = (dst & 0x0f) | ((src & 0x0f) << 4);
	out.writeInt16LE(off, at + 2);
	out.writeInt32LE(imm | 0, at + 4);
}

// --- disassembly (close to the verifier's own log format) ----------------------

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
