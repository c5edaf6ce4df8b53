// USDT argument specs → how the generated program reads each argument
// (kernel/usdt parses the specs; unreadable ones become "not available").
import type { ArgPlan } from "../../kernel/codegen/ir.ts";
import type { ArchTable } from "../../kernel/sys/index.ts";
import { type ArgReadPlan, argumentReadPlan, splitUsdtArgs } from "../../kernel/usdt/index.ts";

function toPlan(p: ArgReadPlan): ArgPlan {
	switch (p.kind) {
		case "const":
			return { k: "const", v: p.value };
		case "reg":
			return { k: "ctx", offset: p.ptRegsOffset, size: p.size, signed: p.signed };
		case "mem":
			return { k: "mem", regOffset: p.ptRegsOffset, offset: p.offset, size: p.size, signed: p.signed };
	}
}

function planFor(spec: string, arch: ArchTable): ArgPlan | undefined {
	try {
		return toPlan(argumentReadPlan(spec, arch.name));
	} catch {
		return undefined;
	}
}

export function usdtArgPlans(specs: string, arch: ArchTable): (ArgPlan | undefined)[] {
	return splitUsdtArgs(specs).map((spec) => planFor(spec, arch));
}
