// Builds call frame information byte by byte for the parser's and the
// interpreter's unit tests: CIEs, FDEs and DW_CFA programs as gcc would emit
// them, and broken ones as no compiler would.

export function uleb(v: number): number[] {
	const out: number[] = [];
	do {
		let b = v % 128;
		v = Math.floor(v / 128);
		if (v > 0) b |= 0x80;
		out.push(b);
	} while (v > 0);
	return out;
}

export function sleb(v: number): number[] {
	const out: number[] = [];
	for (;;) {
		const b = v & 0x7f;
		v = Math.floor(v / 128);
		const done = (v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0);
		out.push(done ? b : b | 0x80);
		if (done) return out;
	}
}

export function u16(v: number): number[] {
	return [v & 0xff, (v >> 8) & 0xff];
}
export function u32(v: number): number[] {
	const b = Buffer.alloc(4);
	b.writeUInt32LE(v >>> 0);
	return [...b];
}
export function u64(v: number | bigint): number[] {
	const b = Buffer.alloc(8);
	b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)));
	return [...b];
}

/** DW_CFA_* instruction bytes. */
export const op = {
	advance: (d: number) => [0x40 | d],
	offset: (reg: number, n: number) => [0x80 | reg, ...uleb(n)],
	restore: (reg: number) => [0xc0 | reg],
	nop: () => [0x00],
	setLoc8: (a: number) => [0x01, ...u64(a)],
	advance1: (d: number) => [0x02, d],
	advance2: (d: number) => [0x03, ...u16(d)],
	advance4: (d: number) => [0x04, ...u32(d)],
	offsetExt: (reg: number, n: number) => [0x05, ...uleb(reg), ...uleb(n)],
	restoreExt: (reg: number) => [0x06, ...uleb(reg)],
	undefined: (reg: number) => [0x07, ...uleb(reg)],
	sameValue: (reg: number) => [0x08, ...uleb(reg)],
	register: (reg: number, other: number) => [0x09, ...uleb(reg), ...uleb(other)],
	remember: () => [0x0a],
	restoreState: () => [0x0b],
	defCfa: (reg: number, off: number) => [0x0c, ...uleb(reg), ...uleb(off)],
	defCfaRegister: (reg: number) => [0x0d, ...uleb(reg)],
	defCfaOffset: (off: number) => [0x0e, ...uleb(off)],
	defCfaExpr: (e: number[]) => [0x0f, ...uleb(e.length), ...e],
	expression: (reg: number, e: number[]) => [0x10, ...uleb(reg), ...uleb(e.length), ...e],
	offsetExtSf: (reg: number, n: number) => [0x11, ...uleb(reg), ...sleb(n)],
	defCfaSf: (reg: number, n: number) => [0x12, ...uleb(reg), ...sleb(n)],
	defCfaOffsetSf: (n: number) => [0x13, ...sleb(n)],
	valOffset: (reg: number, n: number) => [0x14, ...uleb(reg), ...uleb(n)],
	valOffsetSf: (reg: number, n: number) => [0x15, ...uleb(reg), ...sleb(n)],
	valExpression: (reg: number, e: number[]) => [0x16, ...uleb(reg), ...uleb(e.length), ...e],
	negateRaState: () => [0x2d],
	argsSize: (n: number) => [0x2e, ...uleb(n)],
	negativeOffsetExt: (reg: number, n: number) => [0x2f, ...uleb(reg), ...uleb(n)],
};

/** DW_OP_breg<reg> off. */
export function breg(reg: number, off: number): number[] {
	return [0x70 + reg, ...sleb(off)];
}
export const DW_OP_deref = 0x06;
export const DW_OP_plus_uconst = 0x23;
/** binutils' x86_64 PLT CFA expression (threshold 11). */
export const PLT_EXPR = [...breg(7, 8), ...breg(16, 0), 0x3f, 0x1a, 0x3b, 0x2a, 0x33, 0x24, 0x22];

/** The x86_64 CIE gcc emits: "zR", code 1, data -8, ra 16, pcrel|sdata4, CFA = rsp+8, ra at cfa-8. */
export const X64_CIE_INIT = [...op.defCfa(7, 8), ...op.offset(16, 1)];

export interface CieSpec {
	version?: number;
	augmentation?: string;
	codeAlign?: number;
	dataAlign?: number;
	ra?: number;
	/** Augmentation data bytes (after the length). */
	augData?: number[];
	initial?: number[];
}

/** Builds a `.eh_frame` at `address`: records in order, then a zero terminator. */
export class EhFrameBuilder {
	private readonly bytes: number[] = [];
	constructor(readonly address = 0x10000) {}

	/** Appends a CIE; returns its offset. */
	cie(spec: CieSpec = {}): number {
		const at = this.bytes.length;
		const aug = spec.augmentation ?? "zR";
		const body = [
			...u32(0),
			spec.version ?? 1,
			...Buffer.from(`${aug}\0`, "latin1"),
			...uleb(spec.codeAlign ?? 1),
			...sleb(spec.dataAlign ?? -8),
			...(spec.version === 3 ? uleb(spec.ra ?? 16) : [spec.ra ?? 16]),
		];
		if (aug.startsWith("z")) {
			const data = spec.augData ?? [0x1b];
			body.push(...uleb(data.length), ...data);
		}
		body.push(...(spec.initial ?? X64_CIE_INIT));
		this.record(body);
		return at;
	}

	/**
	 * Appends an FDE for [start, start+length) with pcrel|sdata4 addresses (the
	 * CIE's default augmentation data 0x1b), or absolute u64 ones (`abs8`, for a
	 * CIE with augmentation data 0x00); returns its offset.
	 */
	fde(
		cie: number,
		start: number,
		length: number,
		instructions: number[],
		opts: { augData?: number[]; abs8?: boolean } = {},
	): number {
		const at = this.bytes.length;
		const ciePtrField = at + 4;
		const pcField = at + 8;
		const range = opts.abs8
			? [...u64(start), ...u64(length)]
			: [...u32(start - (this.address + pcField)), ...u32(length)];
		const body = [
			...u32(ciePtrField - cie),
			...range,
			...uleb((opts.augData ?? []).length),
			...(opts.augData ?? []),
			...instructions,
		];
		this.record(body);
		return at;
	}

	/** Raw bytes (for broken records). */
	raw(bytes: number[]): number {
		const at = this.bytes.length;
		this.bytes.push(...bytes);
		return at;
	}

	private record(body: number[]): void {
		while ((body.length + 4) % 8 !== 0) body.push(0); // DW_CFA_nop padding, as gcc aligns
		this.bytes.push(...u32(body.length), ...body);
	}

	build(terminate = true): Buffer {
		return Buffer.from(terminate ? [...this.bytes, ...u32(0)] : this.bytes);
	}
}
