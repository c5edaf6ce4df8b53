// Holding a process at a function: a uprobe whose program sends SIGSTOP to
// the caller (compileStopProcess), for the -c/-p machinery (app/target.ts).
import { attachUprobeMulti, attachUprobePerf, type Link } from "../../kernel/attach/index.ts";
import { AttachType, BpfMap, MapType, Program, ProgType } from "../../kernel/bpf/index.ts";
import { compileStopProcess } from "../../kernel/codegen/hold.ts";
import { ElfFile } from "../../kernel/elf/index.ts";
import type { ProviderEnv } from "../providers/types.ts";

export class Holds {
	#holds: { program: Program; link: Link }[] = [];
	#stops: BpfMap | undefined;

	constructor(private readonly env: () => ProviderEnv) {}

	/**
	 * Stop `pid` whenever it calls `symbol` in `path`. Best effort: false when
	 * the hold cannot be placed (no such symbol, the file cannot be read, the
	 * kernel refuses).
	 */
	place(pid: number, path: string, symbol: string): boolean {
		try {
			const elf = ElfFile.open(path, { lazy: true });
			const sym = elf.symbols().byName(symbol);
			const offset = sym ? elf.addressToOffset(sym.address) : undefined;
			return offset !== undefined && this.placeAt(pid, path, offset);
		} catch {
			return false;
		}
	}

	/**
	 * Stop `pid` when it reaches the entry point of the executable `path`: by
	 * then the dynamic loader has mapped every library it links against (and
	 * nothing of the program's own has run). Best effort, like place().
	 */
	placeAtEntry(pid: number, path: string): boolean {
		try {
			const elf = ElfFile.open(path, { lazy: true });
			const offset = elf.addressToOffset(elf.header.entry);
			return offset !== undefined && this.placeAt(pid, path, offset);
		} catch {
			return false;
		}
	}

	private placeAt(pid: number, path: string, offset: number): boolean {
		const multi = this.env().uprobeMulti;
		const program = Program.load({
			type: ProgType.KPROBE,
			insns: compileStopProcess(this.stopsMap().fd),
			name: "dtop_hold",
			expectedAttachType: multi ? AttachType.BPF_TRACE_UPROBE_MULTI : undefined,
		});
		const spec = { path, pid, sites: [{ offset: BigInt(offset), cookie: 0n }] };
		try {
			const link = multi ? attachUprobeMulti(program.fd, spec) : attachUprobePerf(program.fd, spec);
			this.#holds.push({ program, link });
		} catch {
			program.close();
			return false;
		}
		return true;
	}

	private stopsMap(): BpfMap {
		this.#stops ??= BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: "dtop_stops" });
		return this.#stops;
	}

	/** How many times the holds have stopped a process so far. */
	stops(): number {
		if (!this.#stops) return 0;
		const v = this.#stops.lookup(Buffer.alloc(4));
		return v ? Number(v.readBigUInt64LE(0)) : 0;
	}

	/** Remove every hold; the first failure is thrown after all were tried. */
	close(): void {
		let first: unknown;
		for (const h of this.#holds) {
			try {
				h.link.close();
				h.program.close();
			} catch (e) {
				first ??= e;
			}
		}
		this.#holds = [];
		try {
			this.#stops?.close();
		} catch (e) {
			first ??= e;
		}
		this.#stops = undefined;
		if (first) throw first;
	}
}
