// kernel/elf: reading ELF objects (headers, symbols, build-id, USDT notes) and
// the memory maps of processes that load them.
export * from "./constants.ts";
export {
	ElfFile,
	type ElfHeader,
	type OpenOptions,
	type ProgramHeader,
	type SectionHeader,
	type UsdtProbe,
} from "./elf.ts";
export { ElfError, ProcessGoneError } from "./errors.ts";
export type { ElfNote } from "./notes.ts";
export * from "./procmaps.ts";
export { type ElfSymbol, type SymbolBinding, type Symbolized, SymbolTable } from "./symbols.ts";
