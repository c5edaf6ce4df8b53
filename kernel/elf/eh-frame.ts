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
import { FrameProblem, PE, type PointerBases, Reader, readPointer, ShortRead } from "./dwarf-reader.ts";
import { hex } from "./errors.ts";

export { FrameProblem, PE, type PointerBases, Reader, readPointer, ShortRead };

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
