// ELF notes (SHT_NOTE sections, PT_NOTE segments): a run of records
// { namesz, descsz, type, name (padded), desc (padded) }.
import { hex } from "./errors.ts";

export interface ElfNote {
	/** The owner ("GNU", "stapsdt"), without its terminating NUL. */
	owner: string;
	type: number;
	desc: Buffer;
	/** Offset of the record inside the note area. */
	offset: number;
}

/**
 * Splits a note area into records. `align` is 8 for areas aligned to 8 (GNU
 * property notes, binutils 2.29+), 4 otherwise. `fail` throws the caller's ElfError; the loop
 * advances at least 12 bytes per record, so it ends on any input.
 */
export function parseNotes(
	data: Buffer,
	align: number,
	littleEndian: boolean,
	where: string,
	fail: (problem: string) => never,
): ElfNote[] {
	const a = align === 8 ? 8 : 4;
	const up = (n: number) => Math.ceil(n / a) * a;
	const notes: ElfNote[] = [];
	let off = 0;
	while (off + 12 <= data.length) {
		const namesz = littleEndian ? data.readUInt32LE(off) : data.readUInt32BE(off);
		const descsz = littleEndian ? data.readUInt32LE(off + 4) : data.readUInt32BE(off + 4);
		const type = littleEndian ? data.readUInt32LE(off + 8) : data.readUInt32BE(off + 8);
		const nameStart = off + 12;
		// Padding aligns the description's offset from the start of the area: with
		// 8-byte alignment the 12-byte header plus "GNU\0" ends at 16 and needs
		// none. (With 4-byte alignment this equals padding the name itself.)
		const descStart = up(nameStart + namesz);
		const descEnd = descStart + descsz;
		if (descEnd > data.length) {
			fail(
				`note at offset ${hex(off)} of ${where} runs past its end (name ${hex(namesz)} and description ${hex(descsz)} bytes, area ${hex(data.length)} bytes)`,
			);
		}
		let nameEnd = nameStart + namesz;
		if (namesz > 0 && data[nameEnd - 1] === 0) nameEnd--;
		notes.push({
			owner: data.toString("latin1", nameStart, nameEnd),
			type,
			desc: data.subarray(descStart, descEnd),
			offset: off,
		});
		off = up(descEnd);
	}
	return notes;
}
