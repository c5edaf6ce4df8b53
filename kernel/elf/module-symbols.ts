// Every function name one ELF object has, from wherever it keeps them, loaded
// only when a lookup needs them:
//   - its own .symtab and .dynsym (an unstripped object needs nothing else);
//   - for a stripped object (no .symtab), whose static functions are not in
//     .dynsym: its separate debug file (debuginfo.ts), or else its
//     MiniDebugInfo (`.gnu_debugdata`, an xz-compressed ELF with a .symtab of
//     the functions .dynsym lacks, as Fedora builds them).
// An address .dynsym already names never causes a debug file to be read, so a
// stack through exported functions costs no more than before.
import { SHT_SYMTAB } from "./constants.ts";
import { type DebugSearch, findDebugFile, type Refusal } from "./debuginfo.ts";
import { ElfFile } from "./elf.ts";
import { type ElfSymbol, type Symbolized, SymbolTable } from "./symbols.ts";
import { xzDecompress } from "./xz.ts";

export type SymbolOrigin = "object" | "debug-file" | "minidebuginfo";

export interface ModuleSymbolsOptions extends DebugSearch {
	/** Look for debug files and MiniDebugInfo (default true). */
	debug?: boolean;
	/** Most bytes a MiniDebugInfo section may decompress to (default 64 MiB). */
	maxMiniDebugInfo?: number;
}

export class ModuleSymbols {
	private own: SymbolTable | undefined;
	/** The object's symbols plus the debug tier's; null when there is no debug tier. */
	private full: SymbolTable | null | undefined;
	private origin: SymbolOrigin = "object";
	private debugPath: string | undefined;
	private readonly refusals: Refusal[] = [];

	constructor(
		readonly elf: ElfFile,
		/** The object's path as the process sees it (for .gnu_debuglink's directories). */
		readonly objectPath: string,
		private readonly options: ModuleSymbolsOptions = {},
	) {}

	/** The function containing ELF virtual address `vaddr`, if any table names it. */
	lookup(vaddr: number): Symbolized | undefined {
		const hit = this.ownTable().symbolize(vaddr);
		if (hit) return hit;
		const full = this.debugTable();
		return full ? full.symbolize(vaddr) : undefined;
	}

	/** Where the names beyond the object's own tables came from (after a lookup needed them). */
	get source(): { origin: SymbolOrigin; path: string | undefined; refused: readonly Refusal[] } {
		return { origin: this.origin, path: this.debugPath, refused: this.refusals };
	}

	/** Symbols held in memory now (for the cache's bound). */
	get symbolCount(): number {
		return (this.own?.size ?? 0) + (this.full?.size ?? 0);
	}

	/** Load every tier now (for tests and for -l, which wants whole tables). */
	table(): SymbolTable {
		return this.debugTable() ?? this.ownTable();
	}

	private ownTable(): SymbolTable {
		if (!this.own) {
			try {
				this.own = this.elf.symbols();
			} catch (err) {
				// A corrupt symbol table in the object: no names from it, said once.
				this.refusals.push({ path: this.elf.name, reason: (err as Error).message });
				this.own = new SymbolTable([]);
			}
		}
		return this.own;
	}

	private debugTable(): SymbolTable | null {
		if (this.full !== undefined) return this.full;
		this.full = null;
		if (this.options.debug === false) return null;
		if (this.elf.sections.some((s) => s.type === SHT_SYMTAB)) return null; // not stripped
		const extra = this.fromDebugFile() ?? this.fromMiniDebugInfo();
		if (extra) this.full = new SymbolTable([...this.ownTable().symbols, ...extra]);
		return this.full;
	}

	private fromDebugFile(): readonly ElfSymbol[] | undefined {
		const { found, refused } = findDebugFile(this.elf, this.objectPath, this.options);
		this.refusals.push(...refused);
		if (!found) return undefined;
		try {
			const symbols = found.elf.symbols().symbols;
			this.origin = "debug-file";
			this.debugPath = found.path;
			return symbols;
		} catch (err) {
			this.refusals.push({ path: found.path, reason: `its symbol table is corrupt (${(err as Error).message})` });
			return undefined;
		}
	}

	private fromMiniDebugInfo(): readonly ElfSymbol[] | undefined {
		const sec = this.elf.section(".gnu_debugdata");
		if (!sec) return undefined;
		const where = `${this.elf.name} (.gnu_debugdata)`;
		try {
			const xz = this.elf.sectionData(sec);
			const inner = ElfFile.fromBuffer(
				xzDecompress(xz, { maxOutput: this.options.maxMiniDebugInfo ?? 64 << 20 }),
				where,
			);
			if (inner.header.machine !== this.elf.header.machine) {
				throw new Error(`it is for ${inner.header.machineName}, the object is ${this.elf.header.machineName}`);
			}
			const symbols = inner.symbols().symbols;
			this.origin = "minidebuginfo";
			this.debugPath = where;
			return symbols;
		} catch (err) {
			this.refusals.push({ path: where, reason: (err as Error).message });
			return undefined;
		}
	}
}
