// USDT argument specs → how the generated program reads each argument.
import type { ArgPlan } from "../../kernel/codegen/ir.ts";
import type { ArchTable } from "../../kernel/sys/index.ts";
import { canonicalRegister } from "../../kernel/sys/index.ts";

/** Parse `-4@%edi 8@-80(%rbx) 8@$5` (x86_64) or `-4@x1 8@[sp, 16]` (aarch64). */
export function usdtArgPlans(specs: string, arch: ArchTable): (ArgPlan | undefined)[] {
	const out: (ArgPlan | undefined)[] = [];
	// aarch64 memory operands contain a space after the comma: split carefully.
	const parts = specs.trim() ? specs.trim().split(/\s+(?=-?\d+@)/) : [];
	for (const spec of parts) out.push(planOne(spec, arch));
	return out;
}

function planOne(spec: string, arch: ArchTable): ArgPlan | undefined {
	const m = /^(-?)(1|2|4|8)@(.+)$/.exec(spec);
	if (!m) return undefined;
	const signed = m[1] === "-";
	const size = Number(m[2]) as 1 | 2 | 4 | 8;
	const loc = m[3];
	let r: RegExpExecArray | null;
	if ((r = /^\$(-?\d+)$/.exec(loc)) || (arch.name === "arm64" && (r = /^(-?\d+)$/.exec(loc)))) {
		return { k: "const", v: BigInt(r[1]) };
	}
	if ((r = /^%(\w+)$/.exec(loc)) || (arch.name === "arm64" && (r = /^(\w+)$/.exec(loc)))) {
		const reg = canonicalRegister(arch, r[1]);
		if (!reg || arch.regs[reg] === undefined) return undefined;
		return { k: "ctx", offset: arch.regs[reg], size, signed };
	}
	if ((r = /^(-?\d+)?\(%(\w+)\)$/.exec(loc)) || (r = /^\[(\w+)(?:,\s*(-?\d+))?\]$/.exec(loc))) {
		const isX86 = loc.includes("(");
		const regName = isX86 ? r[2] : r[1];
		const off = Number((isX86 ? r[1] : r[2]) ?? 0);
		const reg = canonicalRegister(arch, regName);
		if (!reg || arch.regs[reg] === undefined || reg === "rip") return undefined;
		return { k: "mem", regOffset: arch.regs[reg], offset: off, size, signed };
	}
	return undefined;
}
