// ELF constants (from the System V gABI and <elf.h>) that the reader uses.

export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;

export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_XINDEX = 0xffff;
export const PN_XNUM = 0xffff;

export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;

export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const STT_FUNC = 2;
export const STT_GNU_IFUNC = 10;
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;

export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_RPATH = 15;
export const DT_RUNPATH = 29;
export const DT_STRTAB = 5;
export const DT_SONAME = 14;
export const DT_FLAGS_1 = 0x6ffffffb;
export const DF_1_PIE = 0x08000000;

export const NT_GNU_BUILD_ID = 3;
export const NT_STAPSDT = 3;

export const EM_386 = 3;
export const EM_ARM = 40;
export const EM_PPC64 = 21;
export const EM_S390 = 22;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
export const EM_RISCV = 243;
export const EM_BPF = 247;

const MACHINE_NAMES: Record<number, string> = {
	[EM_386]: "i386",
	[EM_ARM]: "arm",
	[EM_PPC64]: "ppc64",
	[EM_S390]: "s390",
	[EM_X86_64]: "x86_64",
	[EM_AARCH64]: "aarch64",
	[EM_RISCV]: "riscv",
	[EM_BPF]: "bpf",
};

export function machineName(machine: number): string {
	return MACHINE_NAMES[machine] ?? `machine ${machine}`;
}

const TYPE_NAMES: Record<number, string> = {
	[ET_REL]: "REL",
	[ET_EXEC]: "EXEC",
	[ET_DYN]: "DYN",
	[ET_CORE]: "CORE",
};

export function typeName(type: number): string {
	return TYPE_NAMES[type] ?? `type ${type}`;
}
