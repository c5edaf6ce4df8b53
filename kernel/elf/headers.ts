// The parsed headers of an ELF64 object (kernel/elf/elf.ts reads them): the
// file header, section headers and program headers, and the options of open().

export interface ElfHeader {
	/** Always 64: 32-bit objects are refused. */
	class: 64;
	endianness: "little" | "big";
	osabi: number;
	/** e_type: ET_EXEC (2), ET_DYN (3), ... */
	type: number;
	/** "EXEC", "DYN", "REL", "CORE" or "type N". */
	typeName: string;
	/** e_machine: EM_X86_64 (62), EM_AARCH64 (183), ... */
	machine: number;
	/** "x86_64", "aarch64", ... */
	machineName: string;
	entry: number;
	flags: number;
}

export interface SectionHeader {
	index: number;
	name: string;
	type: number;
	flags: number;
	addr: number;
	offset: number;
	size: number;
	link: number;
	info: number;
	addralign: number;
	entsize: number;
}

export interface ProgramHeader {
	index: number;
	type: number;
	/** PF_X 1, PF_W 2, PF_R 4. */
	flags: number;
	offset: number;
	vaddr: number;
	paddr: number;
	filesz: number;
	memsz: number;
	align: number;
}

export interface OpenOptions {
	/**
	 * Read only what is asked for (headers at once; sections, notes and symbols
	 * on first use) instead of the whole file. For scanning many objects.
	 */
	lazy?: boolean;
}
