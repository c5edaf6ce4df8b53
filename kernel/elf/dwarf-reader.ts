// Reading DWARF's encoded values safely: a bounds-checked cursor (LEB128, fixed
// sizes, strings) and DW_EH_PE pointer encodings, for the call frame records of
// eh-frame.ts and the CFA programs of kernel/unwind/cfa.ts.
import { hex } from "./errors.ts";

// DW_EH_PE_* (LSB, "DWARF Extensions", 10.5.1).
export const PE = {
	absptr: 0x00,
	uleb128: 0x01,
	udata2: 0x02,
	udata4: 0x03,
	udata8: 0x04,
	sleb128: 0x09,
	sdata2: 0x0a,
	sdata4: 0x0b,
	sdata8: 0x0c,
	pcrel: 0x10,
	textrel: 0x20,
	datarel: 0x30,
	funcrel: 0x40,
	aligned: 0x50,
	indirect: 0x80,
	omit: 0xff,
} as const;

/** Thrown by Reader on a read past the end; turned into a FrameError by the walk. */
export class ShortRead extends Error {
	constructor(readonly at: number) {
		super(`truncated at ${hex(at)}`);
		this.name = "ShortRead";
	}
}

/** A cursor over a byte range that throws ShortRead instead of reading past `end`. */
export class Reader {
	pos: number;
	constructor(
		readonly buf: Buffer,
		pos: number,
		readonly end: number,
		readonly le: boolean,
	) {
		this.pos = pos;
		if (end > buf.length) this.end = buf.length;
	}
	private need(n: number): number {
		const at = this.pos;
		if (n > this.end - at || at < 0) throw new ShortRead(at);
		this.pos += n;
		return at;
	}
	get left(): number {
		return this.end - this.pos;
	}
	u8(): number {
		return this.buf[this.need(1)];
	}
	u16(): number {
		const at = this.need(2);
		return this.le ? this.buf.readUInt16LE(at) : this.buf.readUInt16BE(at);
	}
	u32(): number {
		const at = this.need(4);
		return this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at);
	}
	s16(): number {
		const at = this.need(2);
		return this.le ? this.buf.readInt16LE(at) : this.buf.readInt16BE(at);
	}
	s32(): number {
		const at = this.need(4);
		return this.le ? this.buf.readInt32LE(at) : this.buf.readInt32BE(at);
	}
	/** A u64 as a number; past 2^53 it is approximate (and no real address is). */
	u64(): number {
		const at = this.need(8);
		const lo = this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at + 4);
		const hi = this.le ? this.buf.readUInt32LE(at + 4) : this.buf.readUInt32BE(at);
		return hi * 0x100000000 + lo;
	}
	s64(): number {
		const at = this.need(8);
		const lo = this.le ? this.buf.readUInt32LE(at) : this.buf.readUInt32BE(at + 4);
		const hi = this.le ? this.buf.readInt32LE(at + 4) : this.buf.readInt32BE(at);
		return hi * 0x100000000 + lo;
	}
	/** Unsigned LEB128; at most 10 bytes (a u64), larger values saturate past 2^53. */
	uleb(): number {
		let v = 0;
		let mul = 1;
		for (let i = 0; ; i++) {
			const b = this.u8();
			if (i < 8) v += (b & 0x7f) * mul;
			else if ((b & 0x7f) !== 0) v = Number.MAX_VALUE;
			mul *= 128;
			if ((b & 0x80) === 0) return v;
			if (i >= 9) throw new ShortRead(this.pos);
		}
	}
	/** Signed LEB128. */
	sleb(): number {
		let v = 0;
		let mul = 1;
		for (let i = 0; ; i++) {
			const b = this.u8();
			if (i < 8) v += (b & 0x7f) * mul;
			mul *= 128;
			if ((b & 0x80) === 0) {
				if (b & 0x40) v -= mul;
				return v;
			}
			if (i >= 9) throw new ShortRead(this.pos);
		}
	}
	bytes(n: number): Buffer {
		const at = this.need(n);
		return this.buf.subarray(at, at + n);
	}
	cstring(): string {
		const end = this.buf.indexOf(0, this.pos);
		if (end < 0 || end >= this.end) throw new ShortRead(this.pos);
		const s = this.buf.toString("latin1", this.pos, end);
		this.pos = end + 1;
		return s;
	}
}

export interface PointerBases {
	/** Virtual address of buf[0]. */
	address: number;
	textAddress?: number;
	dataAddress?: number;
	funcAddress?: number;
	addressSize: number;
}

/**
 * Reads one DW_EH_PE-encoded pointer. Returns undefined for DW_EH_PE_omit;
 * throws FrameProblem for encodings that cannot be resolved here (indirect
 * pointers need the loaded image; a base the caller did not supply).
 */
export function readPointer(r: Reader, encoding: number, bases: PointerBases): number | undefined {
	if (encoding === PE.omit) return undefined;
	const fieldAddr = bases.address + r.pos;
	let v: number;
	switch (encoding & 0x0f) {
		case PE.absptr:
			v = bases.addressSize === 4 ? r.u32() : r.u64();
			break;
		case PE.uleb128:
			v = r.uleb();
			break;
		case PE.udata2:
			v = r.u16();
			break;
		case PE.udata4:
			v = r.u32();
			break;
		case PE.udata8:
			v = r.u64();
			break;
		case PE.sleb128:
			v = r.sleb();
			break;
		case PE.sdata2:
			v = r.s16();
			break;
		case PE.sdata4:
			v = r.s32();
			break;
		case PE.sdata8:
			v = r.s64();
			break;
		default:
			throw new FrameProblem(`unknown pointer format ${hex(encoding & 0x0f)} in encoding ${hex(encoding)}`);
	}
	switch (encoding & 0x70) {
		case PE.absptr:
			break;
		case PE.pcrel:
			v += fieldAddr;
			break;
		case PE.textrel:
			if (bases.textAddress === undefined) throw new FrameProblem("a text-relative pointer, but no .text address");
			v += bases.textAddress;
			break;
		case PE.datarel:
			if (bases.dataAddress === undefined) throw new FrameProblem("a data-relative pointer, but no data base");
			v += bases.dataAddress;
			break;
		case PE.funcrel:
			if (bases.funcAddress === undefined) throw new FrameProblem("a function-relative pointer outside an FDE");
			v += bases.funcAddress;
			break;
		default:
			throw new FrameProblem(`unsupported pointer application ${hex(encoding & 0x70)} in encoding ${hex(encoding)}`);
	}
	if (encoding & PE.indirect) throw new FrameProblem("an indirect pointer (needs the loaded image)");
	// 64-bit wrap-around of pc-relative arithmetic (negative offsets stored as u64).
	if (v >= 2 ** 64) v -= 2 ** 64;
	return v;
}

/** A record-level problem (the record is skipped, the walk goes on). */
export class FrameProblem extends Error {
	constructor(message: string) {
		super(message);
		this.name = "FrameProblem";
	}
}
