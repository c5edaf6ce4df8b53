// The compact unwind table of one ELF object: sorted rows (address, rule), where
// a row's rule holds from its address to the next row's, neighbours with equal
// rules merged, gaps between FDEs marked UNKNOWN; the distinct rules of the
// object in a small side table (a few hundred per object: rows refer to them by
// index); and a page index (first row of each 4 KiB page) so that a lookup
// searches only the handful of rows of one page. The same layout is what
// kernel/unwind/maps.ts copies into BPF maps, and what lookup() here searches.
//
// Sources: `.eh_frame` (found through the section headers, or through
// PT_GNU_EH_FRAME and `.eh_frame_hdr` when they are stripped) and
// `.debug_frame`, which fills the addresses `.eh_frame` does not cover.
import { PT_GNU_EH_FRAME, PT_LOAD, SHT_NOBITS } from "../elf/constants.ts";
import { type Fde, FrameError, parseEhFrameHdr, parseFrameSection } from "../elf/eh-frame.ts";
import type { ElfFile } from "../elf/elf.ts";
import { CfaKind, fdeRows, ruleKey, UNKNOWN_RULE, type UnwindArch, type UnwindRule } from "./cfa.ts";

/** log2 of the page size of the page index. */
export const PAGE_SHIFT = 12;

export interface TableStats {
	/** FDEs read from each source. */
	fdes: { eh_frame: number; debug_frame: number };
	/** FDEs whose program stopped at an unsupported or broken instruction. */
	brokenPrograms: number;
	/** Rows with an UNSUPPORTED CFA rule (after merging). */
	unsupportedRows: number;
	/** FDEs that overlapped an earlier one and were clipped. */
	overlaps: number;
	/** Bytes of code covered by some rule other than UNKNOWN. */
	coveredBytes: number;
	/** Wall time spent building, in milliseconds. */
	buildMs: number;
}

export class UnwindTable {
	/** Lowest address described, rounded down to a page; row addresses are relative to it. */
	readonly base: number;
	/** Row addresses relative to base, ascending. */
	readonly addrs: Uint32Array;
	/** Index into `rules` of each row. */
	readonly ruleIds: Uint32Array;
	/** The object's distinct rules. */
	readonly rules: readonly UnwindRule[];
	/** pages[p] = first row whose range overlaps page p; length = page count + 1 (the last is rows). */
	readonly pages: Uint32Array;
	readonly errors: readonly FrameError[];
	readonly stats: TableStats;

	constructor(init: {
		base: number;
		addrs: Uint32Array;
		ruleIds: Uint32Array;
		rules: UnwindRule[];
		errors: FrameError[];
		stats: TableStats;
	}) {
		this.base = init.base;
		this.addrs = init.addrs;
		this.ruleIds = init.ruleIds;
		this.rules = init.rules;
		this.errors = init.errors;
		this.stats = init.stats;
		this.pages = pageIndex(init.addrs);
	}

	get rowCount(): number {
		return this.addrs.length;
	}

	get pageCount(): number {
		return this.pages.length - 1;
	}

	/** Bytes the table takes in BPF maps (8 per row, 8 per page, 16 per rule). */
	get bytes(): number {
		return this.rowCount * 8 + this.pages.length * 8 + this.rules.length * 16;
	}

	/** Index of the row in effect at `vaddr`, or -1 when the table does not reach it. */
	rowAt(vaddr: number): number {
		const rel = vaddr - this.base;
		if (rel < 0 || rel >= 2 ** 32) return -1;
		const page = Math.floor(rel / 2 ** PAGE_SHIFT);
		if (page >= this.pageCount) return -1;
		let lo = this.pages[page];
		let hi = this.pages[page + 1] + 1;
		if (hi > this.addrs.length) hi = this.addrs.length;
		if (lo >= hi || this.addrs[lo] > rel) return -1;
		// Invariant: addrs[lo] <= rel; answer in [lo, hi).
		while (hi - lo > 1) {
			const mid = (lo + hi) >>> 1;
			if (this.addrs[mid] <= rel) lo = mid;
			else hi = mid;
		}
		return lo;
	}

	/** The rule at `vaddr` (UNKNOWN where no information covers it). */
	lookup(vaddr: number): UnwindRule {
		const i = this.rowAt(vaddr);
		return i < 0 ? UNKNOWN_RULE : this.rules[this.ruleIds[i]];
	}
}

/** First row overlapping each page, plus a final entry equal to the row count. */
function pageIndex(addrs: Uint32Array): Uint32Array {
	const n = addrs.length;
	if (n === 0) return new Uint32Array(1);
	const pageCount = Math.floor(addrs[n - 1] / 2 ** PAGE_SHIFT) + 1;
	const pages = new Uint32Array(pageCount + 1);
	let row = 0;
	for (let p = 0; p < pageCount; p++) {
		const start = p * 2 ** PAGE_SHIFT;
		// The last row starting at or before the page start is in effect there.
		while (row + 1 < n && addrs[row + 1] <= start) row++;
		pages[p] = row;
	}
	pages[pageCount] = n;
	return pages;
}

interface Interval {
	start: number;
	end: number;
	fde: Fde;
	source: ".eh_frame" | ".debug_frame";
}

/** The FDEs of one source that do not overlap earlier ones (clipped where they do). */
function clip(fdes: Fde[], source: Interval["source"], stats: TableStats): Interval[] {
	const out: Interval[] = [];
	let reach = -1;
	for (const fde of fdes) {
		let start = fde.start;
		if (start < reach) {
			stats.overlaps++;
			start = reach;
		}
		if (start >= fde.end) continue;
		out.push({ start, end: fde.end, fde, source });
		reach = fde.end;
	}
	return out;
}

/** Intervals of `extra` (clipped) that fall where `have` (sorted, disjoint) has nothing. */
function fillGaps(have: Interval[], extra: Interval[]): Interval[] {
	const out: Interval[] = [];
	let i = 0;
	for (const e of extra) {
		let start = e.start;
		while (i < have.length && have[i].end <= start) i++;
		let j = i;
		while (start < e.end) {
			if (j >= have.length || have[j].start >= e.end) {
				out.push({ ...e, start });
				break;
			}
			if (have[j].start > start) out.push({ ...e, start, end: have[j].start });
			start = Math.max(start, have[j].end);
			j++;
		}
	}
	return out;
}

/** The bytes and address of `.eh_frame`, by section or (stripped headers) through PT_GNU_EH_FRAME. */
function ehFrameBytes(elf: ElfFile, errors: FrameError[]): { data: Buffer; address: number } | undefined {
	const sec = elf.section(".eh_frame");
	if (sec && sec.type !== SHT_NOBITS) return { data: elf.sectionData(sec), address: sec.addr };
	const hdrSeg = elf.programHeaders.find((p) => p.type === PT_GNU_EH_FRAME);
	if (!hdrSeg) return undefined;
	const hdrSec = elf.section(".eh_frame_hdr");
	try {
		const off = hdrSeg.offset;
		if (off > elf.size || hdrSeg.filesz > elf.size - off) throw new FrameError(".eh_frame_hdr", 0, "outside the file");
		const hdrData = hdrSec ? elf.sectionData(hdrSec) : readAt(elf, off, hdrSeg.filesz);
		const hdr = parseEhFrameHdr(hdrData, hdrSeg.vaddr, elf.header.endianness === "little");
		const load = elf.programHeaders.find(
			(p) => p.type === PT_LOAD && hdr.ehFrameAddress >= p.vaddr && hdr.ehFrameAddress < p.vaddr + p.filesz,
		);
		if (!load) throw new FrameError(".eh_frame_hdr", 0, "its .eh_frame pointer is outside every loaded segment");
		const start = hdr.ehFrameAddress - load.vaddr + load.offset;
		const len = load.offset + load.filesz - start;
		return { data: readAt(elf, start, Math.min(len, elf.size - start)), address: hdr.ehFrameAddress };
	} catch (e) {
		if (e instanceof FrameError) {
			errors.push(e);
			return undefined;
		}
		throw e;
	}
}

function readAt(elf: ElfFile, offset: number, length: number): Buffer {
	// A pseudo-section lets ElfFile's bounds-checked reader do the work.
	return elf.sectionData({
		index: -1,
		name: "",
		type: 1,
		flags: 0,
		addr: 0,
		offset,
		size: length,
		link: 0,
		info: 0,
		addralign: 1,
		entsize: 0,
	});
}

/**
 * Builds the table of an ELF object. Never throws for bad call frame data (it
 * becomes UNKNOWN or UNSUPPORTED ranges and entries in `errors`); an ElfError
 * from reading the file itself passes through.
 */
export function buildTable(elf: ElfFile): UnwindTable {
	const t0 = performance.now();
	const arch: UnwindArch = elf.arch === "arm64" ? "arm64" : "x64";
	const errors: FrameError[] = [];
	const stats: TableStats = {
		fdes: { eh_frame: 0, debug_frame: 0 },
		brokenPrograms: 0,
		unsupportedRows: 0,
		overlaps: 0,
		coveredBytes: 0,
		buildMs: 0,
	};
	const le = elf.header.endianness === "little";
	const textAddress = elf.section(".text")?.addr;
	const dataAddress = elf.section(".got")?.addr;

	let primary: Interval[] = [];
	const eh = ehFrameBytes(elf, errors);
	if (eh) {
		const s = parseFrameSection(eh.data, {
			kind: "eh_frame",
			address: eh.address,
			textAddress,
			dataAddress,
			littleEndian: le,
		});
		errors.push(...s.errors);
		stats.fdes.eh_frame = s.fdes.length;
		primary = clip(s.fdes, ".eh_frame", stats);
	}
	const dbg = elf.section(".debug_frame");
	let all = primary;
	if (dbg && dbg.type !== SHT_NOBITS && dbg.size > 0) {
		const s = parseFrameSection(elf.sectionData(dbg), { kind: "debug_frame", address: 0, littleEndian: le });
		errors.push(...s.errors);
		stats.fdes.debug_frame = s.fdes.length;
		const extra = fillGaps(primary, clip(s.fdes, ".debug_frame", stats));
		all = [...primary, ...extra].sort((a, b) => a.start - b.start);
	}

	const ruleIndex = new Map<string, number>();
	const rules: UnwindRule[] = [];
	const intern = (r: UnwindRule) => {
		const k = ruleKey(r);
		let i = ruleIndex.get(k);
		if (i === undefined) {
			i = rules.length;
			rules.push(r);
			ruleIndex.set(k, i);
		}
		return i;
	};
	const unknownId = intern(UNKNOWN_RULE);
	const base = all.length ? Math.floor(all[0].start / 2 ** PAGE_SHIFT) * 2 ** PAGE_SHIFT : 0;
	const addrs: number[] = [];
	const ids: number[] = [];
	const add = (address: number, id: number) => {
		const rel = address - base;
		if (ids.length && ids[ids.length - 1] === id) return;
		if (addrs.length && addrs[addrs.length - 1] === rel) {
			ids[ids.length - 1] = id;
			// Replacing may make it equal to the row before: merge again.
			if (ids.length > 1 && ids[ids.length - 2] === id) {
				ids.pop();
				addrs.pop();
			}
			return;
		}
		addrs.push(rel);
		ids.push(id);
	};
	let reach = base;
	for (const iv of all) {
		if (iv.end - base >= 2 ** 32) {
			errors.push(new FrameError(iv.source, iv.fde.offset, "covers addresses 4 GiB past the first; ignored"));
			continue;
		}
		if (iv.start > reach) add(reach, unknownId);
		const { rows, problem } = fdeRows(iv.fde, arch);
		if (problem) {
			stats.brokenPrograms++;
			errors.push(new FrameError(iv.source, iv.fde.offset, problem));
		}
		// Rows before the (possibly clipped) start collapse onto it.
		let first = 0;
		while (first + 1 < rows.length && rows[first + 1].address <= iv.start) first++;
		for (let i = first; i < rows.length; i++) {
			const r = rows[i];
			if (r.address >= iv.end) break;
			add(Math.max(r.address, iv.start), intern(r.rule));
		}
		if (rows.length === 0) add(iv.start, unknownId);
		reach = iv.end;
	}
	if (all.length) add(reach, unknownId);

	const addrArr = Uint32Array.from(addrs);
	const idArr = Uint32Array.from(ids);
	for (let i = 0; i < idArr.length; i++) {
		const kind = rules[idArr[i]].cfa;
		const len = i + 1 < addrArr.length ? addrArr[i + 1] - addrArr[i] : 0;
		if (kind === CfaKind.UNSUPPORTED) stats.unsupportedRows++;
		if (kind !== CfaKind.UNKNOWN) stats.coveredBytes += len;
	}
	stats.buildMs = performance.now() - t0;
	return new UnwindTable({ base, addrs: addrArr, ruleIds: idArr, rules, errors, stats });
}
