// USDT probes from an object's SystemTap SDT notes (`.note.stapsdt`), checked
// like everything else the ELF reader reads.
import { NT_STAPSDT, PF_X, SHT_NOTE } from "./constants.ts";
import type { ElfFile } from "./elf.ts";
import { hex } from "./errors.ts";

const SAFE = Number.MAX_SAFE_INTEGER;

export interface UsdtProbe {
	provider: string;
	name: string;
	/** Argument specs as written by the compiler, e.g. `-4@%edi 8@-80(%rbx)`. */
	args: string;
	/** Address of the probe's nop, adjusted for `.stapsdt.base` (see usdtProbes). */
	pc: number;
	/** `.stapsdt.base` as recorded in the note (before adjustment). */
	base: number;
	/** Address of the semaphore (adjusted like pc), 0 when the probe has none. */
	semaphore: number;
	/** File offset of the probe: what a uprobe is attached to. */
	pcOffset: number;
	/** File offset of the semaphore (a uprobe's ref_ctr_offset), 0 when none. */
	semaphoreOffset: number;
	/** The function containing the probe, when the symbol tables say. */
	function: string | undefined;
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
export function readUsdtProbes(elf: ElfFile, options: { functions?: boolean } = {}): UsdtProbe[] {
	const notesSec = elf.section(".note.stapsdt");
	if (!notesSec || notesSec.type !== SHT_NOTE) return [];
	const baseSec = elf.section(".stapsdt.base");
	const actualBase = baseSec && baseSec.type !== SHT_NOTE ? baseSec.addr : 0;
	const probes: UsdtProbe[] = [];
	for (const note of elf.sectionNotes(notesSec)) {
		if (note.owner !== "stapsdt" || note.type !== NT_STAPSDT) continue;
		const at = `the USDT note at offset ${hex(note.offset)} of .note.stapsdt`;
		const d = note.desc;
		if (d.length < 24) elf.fail(`${at} is too short (${d.length} bytes; addresses alone take 24)`);
		let pc = elf.u64(d, 0);
		const base = elf.u64(d, 8);
		let semaphore = elf.u64(d, 16);
		if (pc > SAFE || base > SAFE || semaphore > SAFE) elf.fail(`${at} has an address beyond 2^53`);
		const provider = elf.cstring(d, 24, `the provider in ${at}`, "the note");
		const nameAt = 24 + Buffer.byteLength(provider) + 1;
		const name = elf.cstring(d, nameAt, `the probe name in ${at}`, "the note");
		const argsAt = nameAt + Buffer.byteLength(name) + 1;
		// Notes with no arguments may end right after the name.
		const args = argsAt < d.length ? elf.cstring(d, argsAt, `the arguments in ${at}`, "the note") : "";
		if (provider === "" || name === "") elf.fail(`${at} has an empty provider or probe name`);
		const probe = `USDT probe ${provider}:${name}`;

		if (actualBase !== 0 && base !== 0 && actualBase !== base) {
			const delta = actualBase - base;
			pc += delta;
			if (semaphore !== 0) semaphore += delta;
		}
		const seg = elf.segmentFor(pc);
		if (!seg || !(seg.flags & PF_X)) {
			elf.fail(`${probe} is at ${hex(pc)}, which is not inside an executable loadable segment`);
		}
		const pcOffset = pc - seg.vaddr + seg.offset;
		if (pcOffset >= elf.size) elf.fail(`${probe} is at file offset ${hex(pcOffset)}, past the end of the file`);
		let semaphoreOffset = 0;
		if (semaphore !== 0) {
			const sseg = elf.segmentFor(semaphore);
			if (!sseg || sseg.flags & PF_X) {
				elf.fail(`the semaphore of ${probe} is at ${hex(semaphore)}, which is not inside a loadable data segment`);
			}
			semaphoreOffset = semaphore - sseg.vaddr + sseg.offset;
		}
		probes.push({ provider, name, args, pc, base, semaphore, pcOffset, semaphoreOffset, function: undefined });
	}
	if (options.functions !== false && probes.length > 0) {
		const names = elf.enclosingFunctions(probes.map((p) => p.pc));
		probes.forEach((p, i) => {
			p.function = names[i];
		});
	}
	return probes;
}
