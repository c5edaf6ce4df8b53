// The BPF assembler's vocabulary: registers, opcodes, operand sizes, the instruction record
// and operand checks (used by the assembler in asm.ts and the disassembler in disasm.ts).

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
	// call source pseudo-register for a kernel function named by its BTF id
	PSEUDO_KFUNC_CALL: 2,
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

export const INT32_MIN = -0x80000000;
export const INT32_MAX = 0x7fffffff;
export const UINT32_MAX = 0xffffffff;

export function checkReg(r: Reg, what: string): number {
	if (!(r instanceof Reg)) throw new AsmError(`${what} must be a register (R0..R10), not ${String(r)}.`);
	return r.n;
}

/** A signed 32-bit immediate (sign-extended by 64-bit operations). */
export function imm32(v: number, what: string): number {
	if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
		throw new AsmError(`immediate ${v} of ${what} does not fit a signed 32-bit field; load it with ldImm64 instead.`);
	}
	return v;
}

/** A 32-bit immediate for 32-bit operations, where unsigned spellings are natural. */
export function imm32u(v: number, what: string): number {
	if (!Number.isInteger(v) || v < INT32_MIN || v > UINT32_MAX) {
		throw new AsmError(`immediate ${v} of ${what} does not fit 32 bits.`);
	}
	return v | 0;
}

export function off16(v: number, what: string): number {
	if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff) {
		throw new AsmError(`offset ${v} of ${what} does not fit the signed 16-bit offset field.`);
	}
	return v;
}

export function sizeCode(size: Size, what: string): number {
	const c = SIZE_CODE[size];
	if (c === undefined) throw new AsmError(`${what} size must be 1, 2, 4 or 8 bytes, not ${size}.`);
	return c;
}

/**
 * Builds a BPF program. Jumps name labels (`a.jeq(R0, 0, "out")` … `a.label("out")`);
 * labels may be defined before or after the jumps that use them.
 */
