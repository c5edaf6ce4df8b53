// The dynamic section (or PT_DYNAMIC segment when section headers are stripped):
// DT_SONAME, DT_FLAGS_1 and what the loader reads (DT_NEEDED, DT_RPATH, DT_RUNPATH), checked like everything the ELF reader reads.
import {
	DT_FLAGS_1,
	DT_NEEDED,
	DT_NULL,
	DT_RPATH,
	DT_RUNPATH,
	DT_SONAME,
	DT_STRTAB,
	PT_DYNAMIC,
	SHT_DYNAMIC,
	SHT_STRTAB,
} from "./constants.ts";
import type { ElfFile } from "./elf.ts";

const DYN_SIZE = 16;

export interface DynamicInfo {
	soname: string | undefined;
	flags1: number;
	/** DT_NEEDED: the libraries the loader maps for it, in order. */
	needed: string[];
	rpath: string | undefined;
	runpath: string | undefined;
}

export function readDynamic(elf: ElfFile): DynamicInfo {
	let data: Buffer | undefined;
	let strings: Buffer | undefined;
	const sec = elf.sections.find((s) => s.type === SHT_DYNAMIC);
	if (sec) {
		data = elf.sectionData(sec);
		const link = elf.sections[sec.link];
		if (link && link.type === SHT_STRTAB) strings = elf.sectionData(link);
	} else {
		const seg = elf.programHeaders.find((p) => p.type === PT_DYNAMIC);
		if (seg) {
			if (seg.offset > elf.size || seg.filesz > elf.size - seg.offset) {
				elf.fail(`program header ${seg.index} (PT_DYNAMIC) points past the end of the file`);
			}
			data = elf.readRange(seg.offset, seg.filesz);
		}
	}
	let sonameAt: number | undefined;
	const neededAt: number[] = [];
	let rpathAt: number | undefined;
	let runpathAt: number | undefined;
	let strtabAddr: number | undefined;
	let flags1 = 0;
	const count = data ? Math.floor(data.length / DYN_SIZE) : 0;
	for (let i = 0; i < count && data; i++) {
		const tag = elf.u64(data, i * DYN_SIZE);
		const val = elf.u64(data, i * DYN_SIZE + 8);
		if (tag === DT_NULL) break;
		if (tag === DT_SONAME) sonameAt = val;
		else if (tag === DT_FLAGS_1) flags1 = val % 0x100000000;
		else if (tag === DT_STRTAB) strtabAddr = val;
		else if (tag === DT_NEEDED) neededAt.push(val);
		else if (tag === DT_RPATH) rpathAt = val;
		else if (tag === DT_RUNPATH) runpathAt = val;
	}
	if (!strings && strtabAddr !== undefined && (sonameAt ?? rpathAt ?? runpathAt ?? neededAt[0]) !== undefined) {
		// No section headers: find the string table through its address.
		const off = elf.addressToOffset(strtabAddr);
		if (off !== undefined && off < elf.size) strings = elf.readRange(off, Math.min(elf.size - off, 1 << 20));
	}
	const str = (at: number | undefined, what: string) =>
		at === undefined || !strings ? undefined : elf.cstring(strings, at, what, "the dynamic string table");
	const needed: string[] = [];
	for (const at of neededAt) {
		const n = str(at, "DT_NEEDED");
		if (n) needed.push(n);
	}
	return {
		soname: str(sonameAt, "DT_SONAME"),
		flags1,
		needed,
		rpath: str(rpathAt, "DT_RPATH"),
		runpath: str(runpathAt, "DT_RUNPATH"),
	};
}
