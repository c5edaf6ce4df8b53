// What names an object beyond its path: the GNU build-id note and the
// `.gnu_debuglink` of a stripped file (how its separate debug file is found).
import { NT_GNU_BUILD_ID, PT_NOTE, SHT_NOBITS, SHT_NOTE } from "./constants.ts";
import type { ElfFile } from "./elf.ts";
import type { ElfNote } from "./notes.ts";

/**
 * The GNU build-id as lowercase hex (what `readelf -n` prints), from
 * `.note.gnu.build-id`, any note section, or the PT_NOTE segments when the
 * section headers are stripped.
 */
export function readBuildId(elf: ElfFile): string | undefined {
	const pick = (notes: ElfNote[]) =>
		notes.find((n) => n.owner === "GNU" && n.type === NT_GNU_BUILD_ID && n.desc.length > 0)?.desc.toString("hex");
	const named = elf.section(".note.gnu.build-id");
	if (named && named.type === SHT_NOTE) {
		const id = pick(elf.sectionNotes(named));
		if (id) return id;
	}
	const noteSections = elf.sections.filter((s) => s.type === SHT_NOTE && s !== named);
	for (const s of noteSections) {
		const id = pick(elf.sectionNotes(s));
		if (id) return id;
	}
	if (named || noteSections.length > 0) return undefined;
	for (const p of elf.programHeaders) {
		if (p.type !== PT_NOTE) continue;
		const id = pick(elf.segmentNotes(p));
		if (id) return id;
	}
	return undefined;
}

/** `.gnu_debuglink`: the separate debug file's name and its CRC32. */
export function readDebugLink(elf: ElfFile): { file: string; crc: number } | undefined {
	const s = elf.section(".gnu_debuglink");
	if (!s || s.type === SHT_NOBITS) return undefined;
	const data = elf.sectionData(s);
	const file = elf.cstring(data, 0, "the debug link file name", ".gnu_debuglink");
	const crcAt = Math.ceil((Buffer.byteLength(file) + 1) / 4) * 4;
	if (crcAt + 4 > data.length) elf.fail(`.gnu_debuglink is truncated (no CRC after the file name)`);
	return { file, crc: elf.u32(data, crcAt) };
}
