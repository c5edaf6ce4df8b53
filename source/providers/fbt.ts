// Kernel functions: fentry/fexit trampolines where the kernel has them (one
// program per function, bound at load), else kprobes. Trampolines can run
// inside any other program's helpers, so their updates are atomic.
import { attachFentry, attachKprobe, fbtMode, fentryTarget } from "../../kernel/attach/index.ts";
import { ProgType } from "../../kernel/bpf/index.ts";
import type { ArgPlan } from "../../kernel/codegen/ir.ts";
import { archFor } from "../../kernel/sys/index.ts";
import { fbtFunctions } from "../catalog/fbt.ts";
import { compileGlob } from "../catalog/glob.ts";
import type { FbtProbe } from "../catalog/probe.ts";
import { escapeForTerminal } from "../util/escape.ts";
import { functionArgs, type ProbeKindModule, type Provider, reg, type TargetProvider, traceBase } from "./types.ts";

const kind = (ret: boolean) => (ret ? "return" : "entry");

export const fbtProvider: TargetProvider<"fbt"> = {
	kind: "fbt",
	nesting: "fbt",
	nests: true,
	identity: (p) => `${p.provider}:${p.module}:${p.function}:${p.name}`,
	groupKey: (p) => `fbt:${p.id}`,
	unavailable: (p) =>
		p.target.unavailable ? `fbt probes cannot be enabled on this kernel: ${p.target.unavailable}` : undefined,
	context({ target: t }) {
		if (fbtMode().mode === "kprobe") {
			const arch = archFor();
			const r = (name: string) => reg(arch.regs[name]);
			if (t.ret) return { ctx: "kprobe", args: [r(arch.retReg), r(arch.retReg)], retval: r(arch.retReg) };
			return { ctx: "kprobe", args: arch.argRegs.map(r) };
		}
		// fentry's context is the function's arguments as u64 slots; fexit adds the return value after them.
		const fn = fentryTarget(t.func, kind(t.ret)).function;
		const slot = (i: number): ArgPlan => reg(8 * i);
		if (t.ret) return { ctx: "fentry", args: [slot(fn.argSlots), slot(fn.argSlots)], retval: slot(fn.argSlots) };
		return { ctx: "fentry", args: Array.from({ length: Math.min(10, fn.argSlots) }, (_, i) => slot(i)) };
	},
	load(probes, _env, cookie) {
		if (fbtMode().mode === "kprobe") return { type: ProgType.KPROBE };
		const t = probes[0].target;
		// A trampoline program is bound to its function when loaded.
		return { ...fentryTarget(t.func, kind(t.ret)).load, fixedCookie: cookie(0) };
	},
	attach(fd, probes, _env, cookie) {
		const fentry = fbtMode().mode !== "kprobe";
		return probes.map((p, i) =>
			fentry
				? attachFentry(fd, { function: p.target.func, kind: kind(p.target.ret) })
				: attachKprobe(fd, { function: p.target.func, retprobe: p.target.ret, cookie: cookie(i) }),
		);
	},
};

const fbtProbeKind: ProbeKindModule<"fbt"> = {
	kind: "fbt",
	provider: "fbt",
	info: ({ fbt }) =>
		fbt.available
			? { name: "fbt", kind: "fbt", available: true }
			: { name: "fbt", kind: "fbt", available: false, reason: fbt.reason },
	// An entry and a return per traceable kernel function, where the kernel lets fbt attach.
	list(env, id) {
		if (!env.fbt.available) return [];
		const out: FbtProbe[] = [];
		for (const fn of fbtFunctions(env.tracefs.root))
			for (const which of ["entry", "return"] as const)
				out.push({
					id: id(),
					provider: "fbt",
					module: "vmlinux",
					function: fn,
					name: which,
					kind: "fbt",
					which,
					symbol: fn,
				});
		return out;
	},
	// fbt probes are named entry and return: only a description that could name one is told fbt is unavailable.
	whyNot(d, { fbt }) {
		const fbtReason = fbt.available ? undefined : fbt.reason;
		const could = (field: string, value: string) => field === "" || compileGlob(field)(value);
		if (fbtReason && could(d.provider, "fbt") && (could(d.name, "entry") || could(d.name, "return")))
			return `fbt probes are unavailable here (${fbtReason})`;
		return undefined;
	},
	targets: (p, { fbt }) => [
		{
			...traceBase(p),
			target: {
				kind: "fbt",
				func: p.symbol,
				ret: p.which === "return",
				unavailable: fbt.available ? undefined : fbt.reason,
			},
		},
	],
	describe: (p) => [`kernel function ${escapeForTerminal(p.symbol)}`],
	// DTrace's return probes: arg0 the offset, arg1 the return value.
	args: (p) =>
		p.which === "return"
			? { args: [1], strings: [], kernel: true }
			: { args: functionArgs(), strings: [], kernel: true },
};

export const fbt: Provider = { probes: [fbtProbeKind], target: fbtProvider };
