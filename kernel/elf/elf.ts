// An ELF64 reader that never trusts the file: every offset, size and count is
// checked against the file before use, so a truncated or corrupt object gives
// an ElfError naming the file and the problem, never a RangeError or a hang.
//
// Addresses and offsets are JavaScript numbers: user-space objects live below
// 2^47, far inside the 2^53 that numbers hold exactly.
import { readFileSync } from "node:fs";
import {
	DF_1_PIE,
	EM_AARCH64,
	EM_X86_64,
	ET_DYN,
	ET_EXEC,
	machineName,
	PN_XNUM,
	PT_INTERP,
	PT_LOAD,
	SHN_UNDEF,
	SHN_XINDEX,
	SHT_DYNSYM,
	SHT_NOBITS,
	SHT_SYMTAB,
	typeName,
} from "./constants.ts";
import { type DynamicInfo, readDynamic } from "./dynamic.ts";
import { ElfError, hex } from "./errors.ts";
import type { ElfHeader, OpenOptions, ProgramHeader, SectionHeader } from "./headers.ts";
import { readBuildId, readDebugLink } from "./identity.ts";
import { type ElfNote, parseNotes } from "./notes.ts";
import { BufferSource, type ByteSource, FileSource } from "./source.ts";
import { readUsdtProbes, type UsdtProbe } from "./stapsdt.ts";
import { type ElfSymbol, type Symbolized, SymbolTable } from "./symbols.ts";
import { readSymbolSection } from "./symtab.ts";

export type { ElfHeader, OpenOptions, ProgramHeader, SectionHeader } from "./headers.ts";
export type { UsdtProbe };

const EHDR_SIZE = 64;
const SHDR_SIZE = 64;
const PHDR_SIZE = 56;
const _SYM_SIZE = 24;
const _DYN_SIZE = 16;
const _SAFE = Number.MAX_SAFE_INTEGER;

export class ElfFile {
	/** The path (or the name given to fromBuffer) used in error messages. */
	readonly name: string;
	/** File size in bytes. */
	readonly size: number;
	readonly header: ElfHeader;
	/** Section headers in file order; index 0 is the null section, as in readelf. */
	readonly sections: readonly SectionHeader[];
	readonly programHeaders: readonly ProgramHeader[];

	private readonly source: ByteSource;
	private readonly le: boolean;
	private readonly lazy: boolean;
	private readonly byName = new Map<string, SectionHeader>();
	private readonly dataCache = new Map<number, Buffer>();
	private symbolTable: SymbolTable | undefined;
	private dynamicInfo: DynamicInfo | undefined;

	/** Reads and parses `path`. Throws ElfError when it cannot be read or is not a valid ELF64 object. */
	static open(path: string, options: OpenOptions = {}): ElfFile {
		if (options.lazy) return new ElfFile(path, new FileSource(path), true);
		let buf: Buffer;
		try {
			buf = readFileSync(path);
		} catch (err) {
			const code = (err as NodeJS.ErrnoException).code;
			const why =
				code === "ENOENT"
					? "no such file"
					: code === "EACCES" || code === "EPERM"
						? "permission denied"
						: code === "EISDIR"
							? "is a directory"
							: (code ?? String(err));
			throw new ElfError(path, `cannot read the file (${why})`);
		}
		return new ElfFile(path, new BufferSource(buf, path), false);
	}

	/** Parses an object already in memory; `name` is used in error messages. */
	static fromBuffer(buf: Buffer, name: string): ElfFile {
		return new ElfFile(name, new BufferSource(buf, name), false);
	}

	private constructor(name: string, source: ByteSource, lazy: boolean) {
		this.name = name;
		this.source = source;
		this.size = source.size;
		this.lazy = lazy;

		const identLen = Math.min(this.size, EHDR_SIZE);
		const eh = source.read(0, identLen);
		if (identLen < 4 || eh[0] !== 0x7f || eh[1] !== 0x45 || eh[2] !== 0x4c || eh[3] !== 0x46) {
			this.fail("not an ELF file (no \\x7fELF magic at the start)");
		}
		if (identLen < 16) this.fail(`the ELF header is truncated (file ${hex(this.size)} bytes)`);
		if (eh[4] === 1) this.fail("a 32-bit ELF file; dtop reads only 64-bit objects");
		if (eh[4] !== 2) this.fail(`unknown ELF class ${eh[4]}`);
		if (eh[5] !== 1 && eh[5] !== 2) this.fail(`unknown ELF byte order ${eh[5]}`);
		this.le = eh[5] === 1;
		if (identLen < EHDR_SIZE) this.fail(`the ELF header is truncated (file ${hex(this.size)} bytes, header 0x40)`);

		const type = this.u16(eh, 16);
		const machine = this.u16(eh, 18);
		this.header = {
			class: 64,
			endianness: this.le ? "little" : "big",
			osabi: eh[7],
			type,
			typeName: typeName(type),
			machine,
			machineName: machineName(machine),
			entry: this.u64(eh, 24),
			flags: this.u32(eh, 48),
		};
		const phoff = this.u64(eh, 32);
		const shoff = this.u64(eh, 40);
		const phentsize = this.u16(eh, 54);
		let phnum = this.u16(eh, 56);
		const shentsize = this.u16(eh, 58);
		let shnum = this.u16(eh, 60);
		let shstrndx = this.u16(eh, 62);

		// Section headers. With more than 0xff00 sections (or program headers),
		// the real counts live in section header 0 (gABI "extended numbering").
		const sections: SectionHeader[] = [];
		if (shoff !== 0) {
			if (shentsize < SHDR_SIZE) this.fail(`section header entries are ${shentsize} bytes; ELF64 needs ${SHDR_SIZE}`);
			this.checkRange(shoff, SHDR_SIZE, "the section header table");
			const first = source.read(shoff, SHDR_SIZE);
			if (shnum === 0) shnum = this.u64(first, 32);
			if (shstrndx === SHN_XINDEX) shstrndx = this.u32(first, 40);
			if (phnum === PN_XNUM) phnum = this.u32(first, 44);
			if (shnum > Math.floor(this.size / SHDR_SIZE)) {
				this.fail(`the section header table claims ${shnum} sections, more than the file can hold`);
			}
			this.checkRange(shoff, shnum * shentsize, "the section header table");
			const table = source.read(shoff, shnum * shentsize);
			for (let i = 0; i < shnum; i++) {
				const o = i * shentsize;
				sections.push({
					index: i,
					name: "",
					type: this.u32(table, o + 4),
					flags: this.u64(table, o + 8),
					addr: this.u64(table, o + 16),
					offset: this.u64(table, o + 24),
					size: this.u64(table, o + 32),
					link: this.u32(table, o + 40),
					info: this.u32(table, o + 44),
					addralign: this.u64(table, o + 48),
					entsize: this.u64(table, o + 56),
				});
			}
			if (shstrndx !== SHN_UNDEF && shnum > 0) {
				if (shstrndx >= shnum)
					this.fail(`the section name table index ${shstrndx} is not a section (there are ${shnum})`);
				const names = this.sectionData(sections[shstrndx]);
				for (let i = 0; i < shnum; i++) {
					sections[i].name = this.cstring(
						names,
						this.u32(table, i * shentsize),
						`the name of section header ${i}`,
						"the section name table",
					);
				}
			}
		}
		this.sections = sections;
		for (const s of sections) if (s.name && !this.byName.has(s.name)) this.byName.set(s.name, s);

		const segments: ProgramHeader[] = [];
		if (phoff !== 0 && phnum > 0) {
			if (phentsize < PHDR_SIZE) this.fail(`program header entries are ${phentsize} bytes; ELF64 needs ${PHDR_SIZE}`);
			if (phnum > Math.floor(this.size / PHDR_SIZE)) {
				this.fail(`the program header table claims ${phnum} entries, more than the file can hold`);
			}
			this.checkRange(phoff, phnum * phentsize, "the program header table");
			const table = source.read(phoff, phnum * phentsize);
			for (let i = 0; i < phnum; i++) {
				const o = i * phentsize;
				segments.push({
					index: i,
					type: this.u32(table, o),
					flags: this.u32(table, o + 4),
					offset: this.u64(table, o + 8),
					vaddr: this.u64(table, o + 16),
					paddr: this.u64(table, o + 24),
					filesz: this.u64(table, o + 32),
					memsz: this.u64(table, o + 40),
					align: this.u64(table, o + 48),
				});
			}
		}
		this.programHeaders = segments;
	}

	// ---- basics ---------------------------------------------------------------

	/** e_type: ET_EXEC (fixed addresses) or ET_DYN (PIE or shared object, loaded anywhere). */
	get type(): number {
		return this.header.type;
	}

	/** True when the object is loaded at an address chosen at run time (ET_DYN). */
	get isDynamic(): boolean {
		return this.header.type === ET_DYN;
	}

	/** kernel/sys's name for the architecture, or undefined for others. */
	get arch(): "x64" | "arm64" | undefined {
		if (this.header.machine === EM_X86_64) return "x64";
		if (this.header.machine === EM_AARCH64) return "arm64";
		return undefined;
	}

	/**
	 * A position-independent executable: ET_DYN marked DF_1_PIE, or (linkers
	 * before binutils 2.35 did not mark it) ET_DYN with an interpreter and no
	 * soname. libc.so.6 has an interpreter too, but also a soname.
	 */
	get isPie(): boolean {
		if (this.header.type !== ET_DYN) return false;
		const dyn = this.dynamic();
		if (dyn.flags1 & DF_1_PIE) return true;
		return this.programHeaders.some((p) => p.type === PT_INTERP) && dyn.soname === undefined;
	}

	get isExecutable(): boolean {
		return this.header.type === ET_EXEC || this.isPie;
	}

	section(name: string): SectionHeader | undefined {
		return this.byName.get(name);
	}

	/** The bytes of a section (empty for SHT_NOBITS). */
	sectionData(section: SectionHeader): Buffer {
		if (section.type === SHT_NOBITS || section.size === 0) return Buffer.alloc(0);
		const cached = this.dataCache.get(section.index);
		if (cached) return cached;
		if (section.offset > this.size || section.size > this.size - section.offset) {
			this.fail(
				`section header ${section.index}${section.name ? ` (${section.name})` : ""} points past the end of the file (offset ${hex(section.offset)}, size ${hex(section.size)}, file ${hex(this.size)} bytes)`,
			);
		}
		const data = this.source.read(section.offset, section.size);
		if (this.lazy) this.dataCache.set(section.index, data);
		return data;
	}

	// ---- addresses ------------------------------------------------------------

	/** The PT_LOAD segment whose file-backed part holds `vaddr`. */
	segmentFor(vaddr: number): ProgramHeader | undefined {
		for (const p of this.programHeaders) {
			if (p.type === PT_LOAD && vaddr >= p.vaddr && vaddr - p.vaddr < p.filesz) return p;
		}
		return undefined;
	}

	/** File offset of virtual address `vaddr` through the PT_LOAD segments, if the file backs it. */
	addressToOffset(vaddr: number): number | undefined {
		const p = this.segmentFor(vaddr);
		return p ? vaddr - p.vaddr + p.offset : undefined;
	}

	/** Virtual address of file offset `offset` through the PT_LOAD segments, if loaded. */
	offsetToAddress(offset: number): number | undefined {
		for (const p of this.programHeaders) {
			if (p.type === PT_LOAD && offset >= p.offset && offset - p.offset < p.filesz) return offset - p.offset + p.vaddr;
		}
		return undefined;
	}

	// ---- symbols --------------------------------------------------------------

	/** Function symbols of `.symtab` and `.dynsym`, deduplicated and sorted by address. */
	symbols(): SymbolTable {
		if (!this.symbolTable) {
			const out: ElfSymbol[] = [];
			for (const s of this.sections) if (s.type === SHT_SYMTAB || s.type === SHT_DYNSYM) this.readSymbols(s, out);
			this.symbolTable = new SymbolTable(out);
		}
		return this.symbolTable;
	}

	/** The function containing virtual address `vaddr`, as name and offset into it. */
	symbolize(vaddr: number): Symbolized | undefined {
		return this.symbols().symbolize(vaddr);
	}

	/**
	 * The functions containing each of `addresses` (undefined where none does),
	 * without building the whole table when it is not built yet: one pass over
	 * the symbol tables that decodes only the names of enclosing symbols. USDT
	 * discovery needs a handful of names per object, not tens of thousands.
	 */
	enclosingFunctions(addresses: readonly number[]): (string | undefined)[] {
		if (this.symbolTable || addresses.length === 0) {
			return addresses.map((a) => this.symbols().symbolize(a)?.name);
		}
		const sorted = Float64Array.from(addresses).sort();
		const want = (address: number, size: number): boolean => {
			// Size 0 means "extends to the next symbol", which needs the full table.
			if (size === 0) return address <= sorted[sorted.length - 1];
			let lo = 0;
			let hi = sorted.length;
			while (lo < hi) {
				const mid = (lo + hi) >>> 1;
				if (sorted[mid] < address) lo = mid + 1;
				else hi = mid;
			}
			return lo < sorted.length && sorted[lo] - address < size;
		};
		const found: ElfSymbol[] = [];
		for (const s of this.sections) if (s.type === SHT_SYMTAB || s.type === SHT_DYNSYM) this.readSymbols(s, found, want);
		const sized = new SymbolTable(found.filter((s) => s.size > 0));
		const names = addresses.map((a) => sized.symbolize(a)?.name);
		if (names.some((n) => n === undefined) && found.some((s) => s.size === 0)) {
			// An address outside every sized symbol may belong to a size-0 one.
			return addresses.map((a) => this.symbols().symbolize(a)?.name);
		}
		return names;
	}

	private readSymbols(sec: SectionHeader, out: ElfSymbol[], want?: (address: number, size: number) => boolean): void {
		readSymbolSection(this, sec, out, want);
	}

	// ---- notes ----------------------------------------------------------------

	/** Notes of one SHT_NOTE section. */
	sectionNotes(section: SectionHeader): ElfNote[] {
		return parseNotes(
			this.sectionData(section),
			section.addralign,
			this.le,
			`section ${section.index}${section.name ? ` (${section.name})` : ""}`,
			(p) => this.fail(p),
		);
	}

	/** Notes of one PT_NOTE segment. */
	segmentNotes(segment: ProgramHeader): ElfNote[] {
		const what = `program header ${segment.index} (PT_NOTE)`;
		if (segment.offset > this.size || segment.filesz > this.size - segment.offset) {
			this.fail(
				`${what} points past the end of the file (offset ${hex(segment.offset)}, size ${hex(segment.filesz)}, file ${hex(this.size)} bytes)`,
			);
		}
		const data = this.source.read(segment.offset, segment.filesz);
		return parseNotes(data, segment.align, this.le, what, (p) => this.fail(p));
	}

	/**
	 * The GNU build-id as lowercase hex (what `readelf -n` prints), from
	 * `.note.gnu.build-id`, any note section, or the PT_NOTE segments when the
	 * section headers are stripped.
	 */
	buildId(): string | undefined {
		return readBuildId(this);
	}

	/** `.gnu_debuglink`: the separate debug file's name and its CRC32. */
	debugLink(): { file: string; crc: number } | undefined {
		return readDebugLink(this);
	}

	/**
	 * USDT probes from `.note.stapsdt` (SystemTap SDT notes, type 3, owner
	 * "stapsdt"): pc, base and semaphore addresses, then provider, name and
	 * argument strings. If the object was relocated after linking (prelink), the
	 * `.stapsdt.base` section's address differs from the base each note recorded;
	 * the difference is added to pc and semaphore, as SystemTap specifies. The
	 * addresses then become file offsets through the PT_LOAD segments: a uprobe
	 * is placed by file offset, and the kernel increments the semaphore at its
	 * file offset (ref_ctr_offset, Linux 4.20+).
	 *
	 * With `functions: false` the enclosing function names are not looked up,
	 * which saves reading the symbol tables.
	 */
	usdtProbes(options: { functions?: boolean } = {}): UsdtProbe[] {
		return readUsdtProbes(this, options);
	}

	// ---- dynamic section ------------------------------------------------------

	/** DT_SONAME, if the object has one. */
	soname(): string | undefined {
		return this.dynamic().soname;
	}

	/** DT_NEEDED, DT_RPATH and DT_RUNPATH: what the dynamic loader reads to map its libraries. */
	loaderInfo(): Pick<DynamicInfo, "needed" | "rpath" | "runpath"> {
		const d = this.dynamic();
		return { needed: d.needed, rpath: d.rpath, runpath: d.runpath };
	}

	private dynamic(): DynamicInfo {
		this.dynamicInfo ??= readDynamic(this);
		return this.dynamicInfo;
	}

	/** Whether the file is little-endian. */
	get littleEndian(): boolean {
		return this.le;
	}

	/** `length` bytes of the file at `offset` (the caller checked the range). */
	readRange(offset: number, length: number): Buffer {
		return this.source.read(offset, length);
	}

	/** Throws the ElfError naming this file (for the readers of its parts). */
	fail(problem: string): never {
		throw new ElfError(this.name, problem);
	}

	private checkRange(offset: number, length: number, what: string): void {
		if (offset > this.size || length > this.size - offset) {
			this.fail(
				`${what} points past the end of the file (offset ${hex(offset)}, size ${hex(length)}, file ${hex(this.size)} bytes)`,
			);
		}
	}

	/** A NUL-terminated string at `at` in `buf`, checked. */
	cstring(buf: Buffer, at: number, what: string, table: string): string {
		if (at >= buf.length) this.fail(`${what} is at ${hex(at)}, past the end of ${table} (${hex(buf.length)} bytes)`);
		const end = buf.indexOf(0, at);
		if (end < 0) this.fail(`${what} at ${hex(at)} runs past the end of ${table} (no terminating NUL)`);
		return buf.toString("utf8", at, end);
	}

	// Callers have checked that the whole structure lies inside `b`.
	private u16(b: Buffer, o: number): number {
		return this.le ? b.readUInt16LE(o) : b.readUInt16BE(o);
	}
	u32(b: Buffer, o: number): number {
		return this.le ? b.readUInt32LE(o) : b.readUInt32BE(o);
	}
	/** A u64 as a number; values past 2^53 are approximate and fail every bounds check. */
	u64(b: Buffer, o: number): number {
		return this.le
			? b.readUInt32LE(o + 4) * 0x100000000 + b.readUInt32LE(o)
			: b.readUInt32BE(o) * 0x100000000 + b.readUInt32BE(o + 4);
	}
}
