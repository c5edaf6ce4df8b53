// USDT argument specs: the `.note.stapsdt` argument string, one spec per
// argument, `[-]SIZE@LOCATION`, where LOCATION is the assembler operand the
// compiler chose (AT&T syntax on x86_64: `-4@%edi`, `8@-80(%rbx)`, `8@$5`;
// GNU aarch64 syntax: `-4@x1`, `8@[sp, 16]`, `8@5`). A negative size means a
// signed value. This module parses specs and says how to read each argument
// from a probe's `struct pt_regs`; emitting the BPF is the code generator's job.
import { type ArchName, type ArchTable, archFor, canonicalRegister } from "../sys/index.ts";

export type ArgLocation =
	/** The value is in a register (`%edi`, `x1`). */
	| { kind: "reg"; reg: string }
	/** The value is in memory at register + offset (`-80(%rbx)`, `[sp, 16]`). */
	| { kind: "mem"; base: string; offset: number }
	/** x86 base + index * scale + offset (`8(%rax,%rdx,8)`); parsed, not readable yet. */
	| { kind: "indexed"; base: string | undefined; index: string; scale: number; offset: number }
	/** A constant (`$5`, `5`). */
	| { kind: "const"; value: bigint }
	/** x86 rip-relative (`foo+8(%rip)`): names a global; parsed, not readable yet. */
	| { kind: "rip"; symbol: string | undefined; offset: number };

export interface UsdtArg {
	/** The spec as written, e.g. `-4@112(%rsp)`. */
	spec: string;
	/** Bytes: 1, 2, 4 or 8. */
	size: 1 | 2 | 4 | 8;
	signed: boolean;
	location: ArgLocation;
}

/** How the code generator reads one argument from the probe's pt_regs. */
export type ArgReadPlan =
	/** Load `size` bytes' worth of the register at `ptRegsOffset` in pt_regs; truncate, then extend by `signed`. */
	| { kind: "reg"; ptRegsOffset: number; size: 1 | 2 | 4 | 8; signed: boolean }
	/** Read the register at `ptRegsOffset`, add `offset`, read `size` bytes of user memory there; extend by `signed`. */
	| { kind: "mem"; ptRegsOffset: number; offset: number; size: 1 | 2 | 4 | 8; signed: boolean }
	/** The argument is this constant (already truncated and extended to 64 bits). */
	| { kind: "const"; value: bigint };

/** A spec that cannot be parsed or cannot be read; the message names the spec. */
export class UsdtArgError extends Error {
	readonly spec: string;
	constructor(spec: string, problem: string) {
		super(`USDT argument spec "${spec}": ${problem}.`);
		this.name = "UsdtArgError";
		this.spec = spec;
	}
}

type ArchLike = ArchName | ArchTable;

function tableOf(arch: ArchLike): ArchTable {
	return typeof arch === "string" ? archFor(arch) : arch;
}

/**
 * Splits an argument string into specs. Specs are separated by blanks, but an
 * aarch64 memory operand has a blank inside its brackets (`8@[sp, 16]`).
 */
export function splitUsdtArgs(args: string): string[] {
	const out: string[] = [];
	let cur = "";
	let depth = 0;
	for (const ch of args) {
		if (ch === "[" || ch === "(") depth++;
		else if ((ch === "]" || ch === ")") && depth > 0) depth--;
		if (depth === 0 && (ch === " " || ch === "\t" || ch === "\n")) {
			if (cur) out.push(cur);
			cur = "";
		} else {
			cur += ch;
		}
	}
	if (cur) out.push(cur);
	return out;
}

const INT = /^[+-]?(?:0x[0-9a-f]+|[0-9]+)$/i;

function parseInteger(text: string): bigint | undefined {
	const t = text.trim();
	if (!INT.test(t)) return undefined;
	const neg = t.startsWith("-");
	const body = t.replace(/^[+-]/, "");
	const v = BigInt(body);
	return neg ? -v : v;
}

function smallInteger(spec: string, text: string, what: string): number {
	const v = parseInteger(text);
	if (v === undefined) throw new UsdtArgError(spec, `${what} "${text}" is not a number`);
	if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
		throw new UsdtArgError(spec, `${what} ${text} is out of range`);
	}
	return Number(v);
}

const HIGH_BYTE = new Set(["ah", "bh", "ch", "dh"]);

function register(spec: string, arch: ArchTable, name: string): string {
	const n = name.toLowerCase();
	if (arch.name === "x64" && HIGH_BYTE.has(n)) {
		throw new UsdtArgError(spec, `the high-byte register %${n} is not supported`);
	}
	const reg = canonicalRegister(arch, n);
	if (!reg || arch.regs[reg] === undefined) {
		throw new UsdtArgError(spec, `"${name}" is not a general-purpose register of ${arch.name}`);
	}
	return reg;
}

function parseX64Location(spec: string, arch: ArchTable, loc: string): ArgLocation {
	if (loc.startsWith("%")) return { kind: "reg", reg: register(spec, arch, loc.slice(1)) };
	if (loc.startsWith("$")) {
		const value = parseInteger(loc.slice(1));
		if (value === undefined) throw new UsdtArgError(spec, `constant "${loc}" is not a number`);
		return { kind: "const", value };
	}
	// [disp](base[,index[,scale]]), disp a number or a symbol (+/- number) when the base is %rip.
	const m = /^([^()]*)\(([^()]*)\)$/.exec(loc);
	if (!m) throw new UsdtArgError(spec, `"${loc}" is not a register, constant or memory operand`);
	const disp = m[1].trim();
	const parts = m[2].split(",").map((p) => p.trim());
	if (parts.length > 3) throw new UsdtArgError(spec, `memory operand "${loc}" has too many parts`);
	const reg = (p: string | undefined): string | undefined => {
		if (p === undefined || p === "") return undefined;
		if (!p.startsWith("%")) throw new UsdtArgError(spec, `"${p}" in "${loc}" is not a register`);
		return p.slice(1);
	};
	const baseName = reg(parts[0]);
	if (baseName !== undefined && /^(rip|eip)$/i.test(baseName) && parts.length === 1) {
		// sym(%rip), sym+8(%rip), sym-8(%rip) or 16(%rip).
		const r = /^([A-Za-z_.$][\w.$@]*)?\s*(?:([+-])\s*(0x[0-9a-f]+|[0-9]+))?$/i.exec(disp);
		if (r && (r[1] || r[3])) {
			const offset = r[3] ? smallInteger(spec, r[3], "offset") * (r[2] === "-" ? -1 : 1) : 0;
			return { kind: "rip", symbol: r[1], offset };
		}
		const n = parseInteger(disp);
		if (n !== undefined) return { kind: "rip", symbol: undefined, offset: smallInteger(spec, disp, "offset") };
		throw new UsdtArgError(spec, `"${disp}" is not a symbol or offset`);
	}
	const offset = disp === "" ? 0 : smallInteger(spec, disp, "offset");
	const base = baseName === undefined ? undefined : register(spec, arch, baseName);
	if (parts.length === 1) {
		if (base === undefined) throw new UsdtArgError(spec, `memory operand "${loc}" has no base register`);
		return { kind: "mem", base, offset };
	}
	const indexName = reg(parts[1]);
	if (indexName === undefined) throw new UsdtArgError(spec, `memory operand "${loc}" has no index register`);
	const index = register(spec, arch, indexName);
	const scale = parts[2] === undefined || parts[2] === "" ? 1 : smallInteger(spec, parts[2], "scale");
	if (![1, 2, 4, 8].includes(scale)) throw new UsdtArgError(spec, `scale ${scale} is not 1, 2, 4 or 8`);
	return { kind: "indexed", base, index, scale, offset };
}

function parseArm64Location(spec: string, arch: ArchTable, loc: string): ArgLocation {
	const mem = /^\[\s*([a-z0-9]+)\s*(?:,\s*#?\s*([+-]?(?:0x[0-9a-f]+|[0-9]+))\s*)?\]$/i.exec(loc);
	if (mem) {
		return {
			kind: "mem",
			base: register(spec, arch, mem[1]),
			offset: mem[2] ? smallInteger(spec, mem[2], "offset") : 0,
		};
	}
	if (loc.startsWith("[")) throw new UsdtArgError(spec, `"${loc}" is not a memory operand this parser knows`);
	const c = parseInteger(loc.replace(/^#/, ""));
	if (c !== undefined) return { kind: "const", value: c };
	if (/^[a-z][a-z0-9]*$/i.test(loc)) return { kind: "reg", reg: register(spec, arch, loc) };
	throw new UsdtArgError(spec, `"${loc}" is not a register, constant or memory operand`);
}

/** Parses one spec, e.g. `-4@%edi` (x64) or `8@[sp, 16]` (arm64). Throws UsdtArgError. */
export function parseUsdtArg(spec: string, arch: ArchLike): UsdtArg {
	const table = tableOf(arch);
	const s = spec.trim();
	if (s === "") throw new UsdtArgError(spec, "it is empty");
	// SystemTap's first note format had no size: `%edi`. Such values are taken
	// as unsigned 64-bit, which reads the whole register.
	const at = /^([+-]?\d+)@(.*)$/s.exec(s);
	let size = 8;
	let signed = false;
	let loc = s;
	if (at) {
		const n = Number(at[1]);
		signed = n < 0;
		size = Math.abs(n);
		loc = at[2].trim();
		if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
			throw new UsdtArgError(spec, `size ${at[1]} is not 1, 2, 4 or 8 bytes`);
		}
	}
	if (loc === "") throw new UsdtArgError(spec, "it has no location after the size");
	const location = table.name === "x64" ? parseX64Location(spec, table, loc) : parseArm64Location(spec, table, loc);
	return { spec, size: size as 1 | 2 | 4 | 8, signed, location };
}

/** Parses a whole argument string (`8@%rbp 8@%r12 -4@%eax`) into one UsdtArg per argument. */
export function parseUsdtArgs(args: string, arch: ArchLike): UsdtArg[] {
	return splitUsdtArgs(args).map((spec) => parseUsdtArg(spec, arch));
}

/** Truncates `value` to `size` bytes and extends it back to 64 bits as the spec says. */
function fit(value: bigint, size: number, signed: boolean): bigint {
	const bits = size * 8;
	const v = signed ? BigInt.asIntN(bits, value) : BigInt.asUintN(bits, value);
	return BigInt.asIntN(64, v);
}

/**
 * How to read an argument: which pt_regs slot, whether to dereference, how
 * many bytes, signed or not. Throws UsdtArgError for locations dtop cannot
 * read yet (rip-relative globals, indexed memory operands).
 */
export function argumentReadPlan(arg: UsdtArg | string, arch: ArchLike): ArgReadPlan {
	const table = tableOf(arch);
	const a = typeof arg === "string" ? parseUsdtArg(arg, table) : arg;
	const loc = a.location;
	switch (loc.kind) {
		case "reg":
			return { kind: "reg", ptRegsOffset: table.regs[loc.reg], size: a.size, signed: a.signed };
		case "mem":
			return { kind: "mem", ptRegsOffset: table.regs[loc.base], offset: loc.offset, size: a.size, signed: a.signed };
		case "const":
			return { kind: "const", value: fit(loc.value, a.size, a.signed) };
		case "rip":
			throw new UsdtArgError(a.spec, "arguments in rip-relative globals are not supported yet");
		case "indexed":
			throw new UsdtArgError(a.spec, "indexed memory operands are not supported yet");
	}
}
