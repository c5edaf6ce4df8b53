// Per-architecture facts: system call numbers and the layout of `struct pt_regs`
// as a BPF kprobe/uprobe program sees it (its context pointer).

export type ArchName = "x64" | "arm64";

export interface ArchTable {
	name: ArchName;
	syscalls: {
		bpf: number;
		perf_event_open: number;
		ioctl: number;
		close: number;
		mmap: number;
		munmap: number;
	};
	/** Byte offset of each register inside `struct pt_regs`. */
	regs: Record<string, number>;
	/** Registers holding function arguments 0..5, in order. */
	argRegs: string[];
	/** Register holding a function's return value. */
	retReg: string;
	ipReg: string;
	spReg: string;
	fpReg: string;
}

// arch/x86/include/asm/ptrace.h, struct pt_regs (x86_64).
const X64_REGS: Record<string, number> = {
	r15: 0,
	r14: 8,
	r13: 16,
	r12: 24,
	rbp: 32,
	rbx: 40,
	r11: 48,
	r10: 56,
	r9: 64,
	r8: 72,
	rax: 80,
	rcx: 88,
	rdx: 96,
	rsi: 104,
	rdi: 112,
	orig_rax: 120,
	rip: 128,
	cs: 136,
	eflags: 144,
	rsp: 152,
	ss: 160,
};

// arch/arm64/include/uapi/asm/ptrace.h, struct user_pt_regs at the head of pt_regs.
const ARM64_REGS: Record<string, number> = (() => {
	const r: Record<string, number> = {};
	for (let i = 0; i <= 30; i++) r[`x${i}`] = i * 8;
	r.fp = r.x29;
	r.lr = r.x30;
	r.sp = 248;
	r.pc = 256;
	r.pstate = 264;
	return r;
})();

export const ARCHES: Record<ArchName, ArchTable> = {
	x64: {
		name: "x64",
		syscalls: { bpf: 321, perf_event_open: 298, ioctl: 16, close: 3, mmap: 9, munmap: 11 },
		regs: X64_REGS,
		argRegs: ["rdi", "rsi", "rdx", "rcx", "r8", "r9"],
		retReg: "rax",
		ipReg: "rip",
		spReg: "rsp",
		fpReg: "rbp",
	},
	arm64: {
		name: "arm64",
		syscalls: { bpf: 280, perf_event_open: 241, ioctl: 29, close: 57, mmap: 222, munmap: 215 },
		regs: ARM64_REGS,
		argRegs: ["x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"],
		retReg: "x0",
		ipReg: "pc",
		spReg: "sp",
		fpReg: "x29",
	},
};

export function archFor(name: string = process.arch): ArchTable {
	if (name === "x64" || name === "arm64") return ARCHES[name];
	throw new Error(`dtop supports x86_64 and aarch64, not ${name}.`);
}

/**
 * Register names as they appear in USDT argument specs, mapped to the pt_regs
 * slot that holds the full 64-bit register. x86 sub-registers (`%eax`, `%ax`,
 * `%al`) live in the same slot.
 */
const X64_ALIASES: Record<string, string> = (() => {
	const a: Record<string, string> = {};
	const legacy: Record<string, string[]> = {
		rax: ["eax", "ax", "al", "ah"],
		rbx: ["ebx", "bx", "bl", "bh"],
		rcx: ["ecx", "cx", "cl", "ch"],
		rdx: ["edx", "dx", "dl", "dh"],
		rsi: ["esi", "si", "sil"],
		rdi: ["edi", "di", "dil"],
		rbp: ["ebp", "bp", "bpl"],
		rsp: ["esp", "sp", "spl"],
		rip: ["eip", "ip"],
	};
	for (const [full, subs] of Object.entries(legacy)) {
		a[full] = full;
		for (const s of subs) a[s] = full;
	}
	for (let i = 8; i <= 15; i++) {
		for (const suf of ["", "d", "w", "b"]) a[`r${i}${suf}`] = `r${i}`;
	}
	return a;
})();

export function canonicalRegister(arch: ArchTable, name: string): string | undefined {
	const n = name.toLowerCase();
	if (arch.name === "x64") return X64_ALIASES[n];
	if (/^[xw]([0-9]|[12][0-9]|30)$/.test(n)) return `x${n.slice(1)}`;
	if (n === "sp" || n === "wsp") return "sp";
	if (n === "fp") return "x29";
	if (n === "lr") return "x30";
	if (n === "pc") return "pc";
	return undefined;
}
