// Reading one ELF symbol table section (.symtab or .dynsym): its function
// symbols, names decoded only for the symbols wanted, every entry checked.
import { SHT_STRTAB, STT_FUNC, STT_GNU_IFUNC } from "./constants.ts";
import type { ElfFile, SectionHeader } from "./elf.ts";
import type { ElfSymbol } from "./symbols.ts";

const SYM_SIZE = 24;
const SAFE = Number.MAX_SAFE_INTEGER;

export function readSymbolSection(
	elf: ElfFile,
	sec: SectionHeader,
	out: ElfSymbol[],
	want?: (address: number, size: number) => boolean,
): void {
	const label = `section ${sec.index} (${sec.name || "symbols"})`;
	const entsize = sec.entsize === 0 ? SYM_SIZE : sec.entsize;
	if (entsize < SYM_SIZE) elf.fail(`${label} has ${entsize}-byte entries; ELF64 symbols take ${SYM_SIZE}`);
	if (sec.link >= elf.sections.length) elf.fail(`${label} links to string table ${sec.link}, which does not exist`);
	const strSec = elf.sections[sec.link];
	if (strSec.type !== SHT_STRTAB) elf.fail(`${label} links to section ${sec.link}, which is not a string table`);
	const data = elf.sectionData(sec);
	const strings = elf.sectionData(strSec);
	const count = Math.floor(data.length / entsize);
	// Hot loop (tens of thousands of symbols in big binaries): constants are
	// copied to locals and only function symbols have their names decoded.
	const le = elf.littleEndian;
	const FUNC = STT_FUNC;
	const IFUNC = STT_GNU_IFUNC;
	for (let i = 0; i < count; i++) {
		const o = i * entsize;
		const info = data[o + 4];
		const kind = info & 0xf;
		if (kind !== FUNC && kind !== IFUNC) continue;
		if ((le ? data.readUInt16LE(o + 6) : data.readUInt16BE(o + 6)) === 0) continue; // SHN_UNDEF
		const address = elf.u64(data, o + 8);
		if (address === 0 || address > SAFE) continue;
		const size = elf.u64(data, o + 16);
		if (want && !want(address, size > SAFE ? 0 : size)) continue;
		const nameAt = le ? data.readUInt32LE(o) : data.readUInt32BE(o);
		if (nameAt === 0) continue;
		const name = elf.cstring(strings, nameAt, `the name of symbol ${i} in ${label}`, "its string table");
		const bind = info >> 4;
		out.push({
			name,
			address,
			size: size > SAFE ? 0 : size,
			binding: bind === 1 ? "global" : bind === 2 ? "weak" : "local", // STB_GLOBAL, STB_WEAK
		});
	}
}
