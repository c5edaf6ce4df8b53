// Holding a process at a function: a uprobe whose program sends SIGSTOP to
// the caller (compileStopProcess), for the -c/-p machinery (app/target.ts).
import { attachUprobeMulti, attachUprobePerf, type Link } from "../../kernel/attach/index.ts";
import { AttachType, Program, ProgType } from "../../kernel/bpf/index.ts";
import { compileStopProcess } from "../../kernel/codegen/hold.ts";
import { ElfFile } from "../../kernel/elf/index.ts";
import type { ProviderEnv } from "../providers/types.ts";

export class Holds {
	#holds: { program: Program; link: Link }[] = [];

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
			if (offset === undefined) return false;
			const multi = this.env().uprobeMulti;
			const program = Program.load({
				type: ProgType.KPROBE,
				insns: compileStopProcess(),
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
		} catch {
			return false;
		}
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
		if (first) throw first;
	}
}
