// aarch64 fixtures on this x86_64 host: cross-built static, run under
// qemu-aarch64 user mode, their snapshots (registers and a copy of the stack,
// printed in hex) unwound by walk.ts with the binary's own tables.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { buildTable } from "../../../kernel/unwind/table.ts";
import { type MappedObject, MappingList, type Registers } from "../../../kernel/unwind/walk.ts";
import { FIXTURES_DIR } from "../../fixtures/fixtures.ts";

/** Where a static aarch64 program sits (ld's default base) and how far it may reach. */
const STATIC_BASE = 0x400000;
const STATIC_SPAN = 64 << 20;

/** Builds test/fixtures/unwind/NAME.c static, -O2 without frame pointers, plus `flags`, into `dir`. */
export function buildA64(dir: string, name: string, flags: string[] = [], out = name): string {
	const exe = join(dir, out);
	execFileSync("aarch64-linux-gnu-gcc", [
		"-static",
		"-O2",
		"-fomit-frame-pointer",
		"-Wall",
		...flags,
		"-o",
		exe,
		join(FIXTURES_DIR, `unwind/${name}.c`),
	]);
	return exe;
}

/** The program's stdout lines under qemu-aarch64. */
export function runA64(exe: string): string[] {
	return execFileSync("qemu-aarch64", [exe], { encoding: "utf8", maxBuffer: 1 << 26 }).split("\n");
}

export const hex = (s: string) => Number.parseInt(s, 16);

/** "pc sp x29 x30" in hex as walk registers. */
export function registers(fields: string[]): Registers {
	const [pc, sp, fp, lr] = fields.map(hex);
	return { pc, sp, fp, lr };
}

/** The static program's mapping, with its table, and any `extra` (a trampoline page). */
export function staticSpace(elf: ElfFile, extra: MappedObject[] = []): MappingList {
	const table = buildTable(elf);
	return new MappingList([{ start: STATIC_BASE, end: STATIC_BASE + STATIC_SPAN, bias: 0, table }, ...extra]);
}

/**
 * Function names of a walk's frames: frame 0 exactly, the others at pc - 1 (a
 * return address may end its function); `known` names addresses outside the binary.
 */
export function frameNames(elf: ElfFile, frames: number[], known: Map<number, string> = new Map()): string[] {
	const syms = elf.symbols();
	return frames.map((pc, i) => known.get(pc) ?? syms.symbolize(i === 0 ? pc : pc - 1)?.name ?? `0x${pc.toString(16)}`);
}

export { ElfFile };

export interface Snapshot {
	regs: Registers;
	/** The stack from regs.sp on. */
	stack: Buffer;
}

/** a64snap's output: per point "NAME pc sp x29 x30 size", then the stack in hex. */
export function snapSnapshots(exe: string): Map<string, Snapshot> {
	const out = runA64(exe);
	const snaps = new Map<string, Snapshot>();
	for (let i = 0; i + 1 < out.length; i += 2) {
		const [name, ...regs] = out[i].split(" ");
		snaps.set(name, { regs: registers(regs), stack: Buffer.from(out[i + 1], "hex") });
	}
	return snaps;
}

export interface SignalSnapshot extends Snapshot {
	/** The handler's return address: the trampoline. */
	tramp: number;
	/** The page holding it, and that page's bytes. */
	page: number;
	code: Buffer;
	/** Where the handler's siginfo and uc_mcontext were. */
	info: number;
	mcontext: number;
}

/** a64sig's output (see test/fixtures/unwind/a64sig.c). */
export function signalSnapshots(exe: string): Map<string, SignalSnapshot> {
	const out = runA64(exe);
	const snaps = new Map<string, SignalSnapshot>();
	for (let i = 0; i + 4 < out.length; i += 5) {
		const [snap, name, ...regs] = out[i].split(" ");
		const [tramp, tname, addr, page] = out[i + 2].split(" ");
		const [frame, fname, info, mcontext] = out[i + 4].split(" ");
		if (snap !== "snap" || tramp !== "tramp" || frame !== "frame" || tname !== name || fname !== name)
			throw new Error(`a64sig printed an unexpected snapshot: ${out[i]}`);
		snaps.set(name, {
			regs: registers(regs),
			stack: Buffer.from(out[i + 1], "hex"),
			tramp: hex(addr),
			page: hex(page),
			code: Buffer.from(out[i + 3], "hex"),
			info: hex(info),
			mcontext: hex(mcontext),
		});
	}
	return snaps;
}

/** The trampoline's page as a mapping without a table; with its code unless `withCode` is false. */
export function trampolinePage(s: SignalSnapshot, withCode = true): MappedObject {
	return { start: s.page, end: s.page + 4096, bias: 0, table: undefined, code: withCode ? s.code : undefined };
}
