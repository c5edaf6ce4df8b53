// Call frame information: the CIE and FDE records of `.eh_frame` (the copy the
// C++ runtime unwinds exceptions with, kept in every Debian binary) and of
// `.debug_frame` (DWARF's own, in debug files and some objects), plus the
// binary-search table of `.eh_frame_hdr`. Formats: DWARF 5 §6.4, the LSB's
// "Exception Frames" chapter, and gcc's unwind-dw2-fde.c for the details the
// standards leave open (CIE id 0 vs 0xffffffff, relative CIE pointers).
//
// Nothing here trusts the bytes: every read is bounds-checked, every loop
// advances, and a bad record becomes a FrameError in `errors` while the rest of
// the section is still read (a record whose length is unreadable ends the walk:
// nothing after it can be located). The instructions themselves are run by
// kernel/unwind/cfa.ts.
import { hex } from "./errors.ts";

export type FrameSectionKind = "eh_frame" | "debug_frame";

/** A problem in one record (or the section), with where it is. */
export class FrameError extends Error {
	readonly section: string;
	/** Offset of the record (or field) in the section. */
	readonly offset: number;
	readonly problem: string;
	constructor(section: string, offset: number, problem: string, options?: { cause?: unknown }) {
		super(`${section} at ${hex(offset)}: ${problem}`, options);
		this.name = "FrameError";
		this.section = section;
		this.offset = offset;
		this.problem = problem;
	}
}

/** A Common Information Entry: what the FDEs that point at it share. */
export interface Cie {
	offset: number;
	version: number;
	augmentation: string;
	codeAlign: number;
	dataAlign: number;
	/** DWARF register number of the return address column (16 on x86_64, 30 on aarch64). */
	raRegister: number;
	/** DW_EH_PE_* encoding of the FDEs' addresses (`R`); absptr without it. */
	fdeEncoding: number;
	/** `L`: encoding of the FDEs' LSDA pointer, or DW_EH_PE_omit. */
	lsdaEncoding: number;
	/** `S`: the FDEs describe signal trampolines (the frame's pc is not a return address). */
	signalFrame: boolean;
	/** aarch64 `B`: return addresses are signed with the B key. */
	bKey: boolean;
	addressSize: number;
	initialInstructions: Buffer;
}

/** A Frame Description Entry: the unwind program of one address range. */
export interface Fde {
	offset: number;
	cie: Cie;
	/** First address covered. */
	start: number;
	/** One past the last address covered. */
	end: number;
	instructions: Buffer;
	/** Virtual address of instructions[0] (DW_CFA_set_loc may be pc-relative to it). */
	instructionsAddress: number;
}

export interface FrameSection {
	kind: FrameSectionKind;
	fdes: Fde[];
	errors: FrameError[];
}

export interface FrameParseOptions {
	kind: FrameSectionKind;
	/** Virtual address of the section's first byte (for pc-relative pointers). */
	address: number;
	/** `.text`'s address (DW_EH_PE_textrel), when known. */
	textAddress?: number;
	/** `.got`'s address (DW_EH_PE_datarel in .eh_frame), when known. */
	dataAddress?: number;
	littleEndian?: boolean;
	/** Bytes of an address: 8 for ELF64. */
	addressSize?: number;
	/** Name used in errors (default: the section name). */
	name?: string;
}

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

const MAX_ALIGN = 1 << 16;

/** A record's length field: where its body starts and ends (end may lie past the data). */
function recordHeader(
	data: Buffer,
	at: number,
	le: boolean,
): { len: number; dwarf64: boolean; body: number; end: number } | undefined {
	const r = new Reader(data, at, data.length, le);
	try {
		const len = r.u32();
		if (len === 0xffffffff) {
			const len64 = r.u64();
			return { len: len64, dwarf64: true, body: r.pos, end: r.pos + len64 };
		}
		if (len >= 0xfffffff0) return undefined; // reserved values
		return { len, dwarf64: false, body: r.pos, end: r.pos + len };
	} catch (e) {
		if (e instanceof ShortRead) return undefined;
		throw e;
	}
}

/** CIE ids: 0 in .eh_frame; all ones (32- or 64-bit) in .debug_frame. */
function isCieId(kind: FrameSectionKind, id: number, dwarf64: boolean): boolean {
	if (kind === "eh_frame") return id === 0;
	// A u64 read as a number rounds all ones up to 2^64; no real offset is ≥ 2^63.
	return dwarf64 ? id >= 2 ** 63 : id === 0xffffffff;
}

function parseCie(r: Reader, offset: number, kind: FrameSectionKind, addressSize: number): Cie {
	const version = r.u8();
	if (kind === "eh_frame" ? version !== 1 && version !== 3 : version !== 1 && version !== 3 && version !== 4) {
		throw new FrameProblem(`CIE version ${version} is not one dtop knows (1, 3 or 4)`);
	}
	const augmentation = r.cstring();
	let addrSize = addressSize;
	if (version === 4) {
		addrSize = r.u8();
		r.u8(); // segment selector size
		if (addrSize !== 4 && addrSize !== 8) throw new FrameProblem(`CIE address size ${addrSize}`);
	}
	// gcc's pre-"z" augmentation "eh" carried a pointer to the exception table here.
	if (augmentation.startsWith("eh")) r.bytes(addrSize);
	const codeAlign = r.uleb();
	const dataAlign = r.sleb();
	const raRegister = version === 1 ? r.u8() : r.uleb();
	if (codeAlign === 0 || codeAlign > MAX_ALIGN) throw new FrameProblem(`code alignment factor ${codeAlign}`);
	if (Math.abs(dataAlign) > MAX_ALIGN) throw new FrameProblem(`data alignment factor ${dataAlign}`);
	const cie: Cie = {
		offset,
		version,
		augmentation,
		codeAlign,
		dataAlign,
		raRegister,
		fdeEncoding: PE.absptr,
		lsdaEncoding: PE.omit,
		signalFrame: false,
		bKey: false,
		addressSize: addrSize,
		initialInstructions: Buffer.alloc(0),
	};
	let instrStart = r.pos;
	if (augmentation.startsWith("z")) {
		const len = r.uleb();
		if (len > r.left) throw new FrameProblem(`augmentation data of ${len} bytes runs past the CIE`);
		const aug = new Reader(r.buf, r.pos, r.pos + len, r.le);
		instrStart = r.pos + len;
		for (const c of augmentation.slice(1)) {
			if (c === "R") cie.fdeEncoding = aug.u8();
			else if (c === "L") cie.lsdaEncoding = aug.u8();
			else if (c === "P") {
				const enc = aug.u8();
				// The personality routine's address: not needed to unwind; skip it.
				readPointer(aug, enc & ~PE.indirect, { address: 0, addressSize: addrSize, textAddress: 0, dataAddress: 0 });
			} else if (c === "S") cie.signalFrame = true;
			else if (c === "B") cie.bKey = true;
			else if (c === "G") {
				// aarch64 MTE-tagged frames: nothing to do for unwinding.
			} else break; // Unknown letter: the rest of the data cannot be interpreted, but its length is known.
		}
	} else if (augmentation !== "" && !augmentation.startsWith("eh")) {
		// Without "z" an unknown augmentation has data of unknown length.
		throw new FrameProblem(`CIE augmentation '${augmentation}' is not understood`);
	}
	cie.initialInstructions = r.buf.subarray(instrStart, r.end);
	return cie;
}

/**
 * Every CIE and FDE of a `.eh_frame` or `.debug_frame` section. `data` is the
 * section's bytes (or, without section headers, the bytes from the start of
 * `.eh_frame` to the end of its segment: the walk stops at the terminator).
 */
export function parseFrameSection(data: Buffer, opts: FrameParseOptions): FrameSection {
	const kind = opts.kind;
	const name = opts.name ?? `.${kind}`;
	const le = opts.littleEndian ?? true;
	const addressSize = opts.addressSize ?? 8;
	const errors: FrameError[] = [];
	const fdes: Fde[] = [];
	const cies = new Map<number, Cie | FrameError>();
	const bases: PointerBases = {
		address: opts.address,
		textAddress: opts.textAddress,
		dataAddress: opts.dataAddress,
		addressSize,
	};

	const cieAt = (at: number): Cie => {
		const known = cies.get(at);
		if (known instanceof FrameError) throw new FrameProblem(`its CIE at ${hex(at)} is broken (${known.problem})`);
		if (known) return known;
		// A CIE that comes after its FDE (allowed in .debug_frame): read it now.
		const h = recordHeader(data, at, le);
		if (!h || h.end > data.length) throw new FrameProblem(`its CIE pointer ${hex(at)} is not a readable record`);
		const body = new Reader(data, h.body, h.end, le);
		const id = h.dwarf64 ? body.u64() : body.u32();
		if (!isCieId(kind, id, h.dwarf64)) throw new FrameProblem(`its CIE pointer ${hex(at)} points at an FDE`);
		const cie = parseCie(body, at, kind, addressSize);
		cies.set(at, cie);
		return cie;
	};

	let off = 0;
	while (off + 4 <= data.length) {
		const start = off;
		const h = recordHeader(data, off, le);
		if (h === undefined) {
			errors.push(new FrameError(name, start, "a record length is unreadable; the rest of the section is skipped"));
			break;
		}
		if (h.len === 0) {
			// A zero length ends .eh_frame (crtend's terminator); in .debug_frame it is padding.
			if (kind === "eh_frame") break;
			off += 4;
			continue;
		}
		if (h.end > data.length) {
			errors.push(
				new FrameError(name, start, `a record of ${hex(h.len)} bytes runs past the section; the rest is skipped`),
			);
			break;
		}
		const dwarf64 = h.dwarf64;
		const r = new Reader(data, h.body, h.end, le);
		const end = h.end;
		off = end;
		try {
			const idAt = r.pos;
			const body = new Reader(data, r.pos, end, le);
			const id = dwarf64 ? body.u64() : body.u32();
			if (isCieId(kind, id, dwarf64)) {
				if (!cies.has(start)) cies.set(start, parseCie(body, start, kind, addressSize));
				continue;
			}
			// .eh_frame: distance back from this field to the CIE; .debug_frame: offset in the section.
			const ciePos = kind === "eh_frame" ? idAt - id : id;
			if (!Number.isSafeInteger(ciePos) || ciePos < 0 || ciePos >= data.length) {
				throw new FrameProblem(`its CIE pointer ${hex(id)} points outside the section`);
			}
			const cie = cieAt(ciePos);
			const fb = { ...bases, addressSize: cie.addressSize };
			const enc = kind === "eh_frame" ? cie.fdeEncoding : PE.absptr;
			const pcStart = readPointer(body, enc, fb);
			// The range is a length: same format, never relative.
			const pcRange = readPointer(body, enc & 0x0f, fb);
			if (pcStart === undefined || pcRange === undefined) throw new FrameProblem("an omitted address range");
			if (cie.augmentation.startsWith("z")) {
				const alen = body.uleb();
				if (alen > body.left) throw new FrameProblem(`augmentation data of ${alen} bytes runs past the FDE`);
				body.pos += alen;
			}
			if (pcRange === 0) continue; // Discarded by the linker (COMDAT, --gc-sections): covers nothing.
			if (!Number.isSafeInteger(pcStart + pcRange) || pcRange > 2 ** 32) {
				throw new FrameProblem(`the address range ${hex(pcStart)}+${hex(pcRange)} is not plausible`);
			}
			fdes.push({
				offset: start,
				cie,
				start: pcStart,
				end: pcStart + pcRange,
				instructions: data.subarray(body.pos, end),
				instructionsAddress: opts.address + body.pos,
			});
		} catch (e) {
			if (e instanceof FrameProblem || e instanceof ShortRead) {
				const problem = e instanceof ShortRead ? "the record is truncated" : e.message;
				const err = new FrameError(name, start, problem, { cause: e });
				errors.push(err);
				if (!cies.has(start)) cies.set(start, err);
			} else throw e;
		}
	}
	fdes.sort((a, b) => a.start - b.start || a.end - b.end);
	return { kind, fdes, errors };
}

/** `.eh_frame_hdr`: where `.eh_frame` is and, usually, a sorted table of FDE start addresses. */
export interface EhFrameHdr {
	ehFrameAddress: number;
	/** Sorted (start address, FDE address) pairs; empty when the header has no table. */
	table: { start: number; fde: number }[];
}

/** Parses `.eh_frame_hdr` (version 1) at virtual address `address`. Throws FrameError on bad input. */
export function parseEhFrameHdr(
	data: Buffer,
	address: number,
	littleEndian = true,
	name = ".eh_frame_hdr",
): EhFrameHdr {
	const r = new Reader(data, 0, data.length, littleEndian);
	try {
		const version = r.u8();
		if (version !== 1) throw new FrameProblem(`version ${version} (only 1 exists)`);
		const ptrEnc = r.u8();
		const countEnc = r.u8();
		const tableEnc = r.u8();
		// datarel in this header means "relative to the header's start".
		const bases: PointerBases = { address, dataAddress: address, addressSize: 8 };
		const ehFrameAddress = readPointer(r, ptrEnc, bases);
		if (ehFrameAddress === undefined) throw new FrameProblem("no .eh_frame pointer");
		const table: { start: number; fde: number }[] = [];
		const count = countEnc === PE.omit ? 0 : (readPointer(r, countEnc, bases) ?? 0);
		if (count > 0 && tableEnc !== PE.omit) {
			// Each entry takes at least 2 bytes; a larger count is a lie.
			if (count > r.left / 2) throw new FrameProblem(`claims ${count} table entries in ${r.left} bytes`);
			for (let i = 0; i < count; i++) {
				const start = readPointer(r, tableEnc, bases);
				const fde = readPointer(r, tableEnc, bases);
				if (start === undefined || fde === undefined) throw new FrameProblem("an omitted table entry");
				table.push({ start, fde });
			}
		}
		return { ehFrameAddress, table };
	} catch (e) {
		if (e instanceof FrameProblem || e instanceof ShortRead) {
			throw new FrameError(name, r.pos, e instanceof ShortRead ? "the header is truncated" : e.message, {
				cause: e,
			});
		}
		throw e;
	}
}
