// What the compiler will generate for `@[ustack()] = count()`, written by hand
// for the unwinder's tests and benchmark: unwind, then count in a hash keyed by
// the stack id. Also: symbolizing frames through /proc/PID/maps and .symtab /
// .dynsym (enough for tests; the real symbolizer lives elsewhere).
import {
	Asm,
	BpfMap,
	Helper,
	MapType,
	Program,
	ProgType,
	R0,
	R1,
	R2,
	R3,
	R4,
	R6,
	R10,
} from "../../../kernel/bpf/index.ts";
import { ElfFile, fileOffsetOf, findMapping, type Mapping } from "../../../kernel/elf/index.ts";
import type { MissingStack, UserStack } from "../../../kernel/unwind/stacks.ts";
import type { Unwinder } from "../../../kernel/unwind/unwinder.ts";

export interface CountProgram {
	prog: Program;
	counts: BpfMap;
	close(): void;
}

/**
 * `@[ustack()] = count()`: a uprobe program (uprobe_multi unless `perfLink`)
 * that counts firings per stack id. With `stopAfterFirst`, the first firing
 * also sends SIGSTOP to the process, so gdb can be attached at the same site.
 */
export function countByStack(u: Unwinder, opts: { perfLink?: boolean; stopAfterFirst?: boolean } = {}): CountProgram {
	const counts = BpfMap.create({ type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 65536, name: "uw_count" });
	const code = u.code();
	const a = new Asm();
	a.mov(R6, R1);
	code.call(a, R6);
	a.stx(8, R10, -8, R0);
	a.ldMapFd(R1, counts.fd).mov(R2, R10).add(R2, -8).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, "new").mov(R1, 1).atomicAdd(8, R0, 0, R1).mov(R0, 0).exit();
	a.label("new").st(8, R10, -16, 1);
	a.ldMapFd(R1, counts.fd).mov(R2, R10).add(R2, -8).mov(R3, R10).add(R3, -16).mov(R4, 0);
	a.call(Helper.map_update_elem);
	if (opts.stopAfterFirst) a.mov(R1, 19).call(Helper.send_signal); // SIGSTOP
	a.mov(R0, 0).exit();
	code.emit(a);
	try {
		const prog = Program.load({
			type: ProgType.KPROBE,
			insns: a,
			name: "uw_count",
			expectedAttachType: opts.perfLink ? 0 : 48,
			license: "GPL",
		});
		return {
			prog,
			counts,
			close() {
				prog.close();
				counts.close();
			},
		};
	} catch (e) {
		counts.close();
		throw e;
	}
}

export interface Counted {
	id: bigint;
	count: number;
	stack: UserStack | MissingStack;
}

export function readCounts(p: CountProgram, u: Unwinder): Counted[] {
	return p.counts
		.batchLookup()
		.map((e) => {
			const id = e.key.readBigUInt64LE(0);
			return { id, count: Number(e.value.readBigUInt64LE(0)), stack: u.reader.read(id) };
		})
		.sort((a, b) => b.count - a.count);
}

export function isStack(s: UserStack | MissingStack): s is UserStack {
	return !("missing" in s);
}

const elves = new Map<string, ElfFile | undefined>();

/** `module`function+0xoff for each frame, through the process's mappings (read while it lives). */
export function symbolize(maps: readonly Mapping[], frames: readonly number[]): string[] {
	return frames.map((pc, i) => {
		const m = findMapping(maps, i === 0 ? pc : pc - 1);
		if (!m) return `0x${pc.toString(16)}`;
		const mod = m.path.split("/").pop() || "[anon]";
		if (!m.path.startsWith("/")) return `${mod}\`0x${pc.toString(16)}`;
		let elf = elves.get(m.path);
		if (!elves.has(m.path)) {
			try {
				elf = ElfFile.open(m.path);
			} catch {
				elf = undefined;
			}
			elves.set(m.path, elf);
		}
		const off = fileOffsetOf(m, pc);
		const vaddr = elf?.offsetToAddress(off);
		const back = i === 0 ? 0 : 1;
		const sym = vaddr === undefined ? undefined : elf?.symbolize(vaddr - back);
		if (!sym) return `${mod}\`0x${off.toString(16)}`;
		return `${mod}\`${sym.name}+0x${(sym.offset + back).toString(16)}`;
	});
}
