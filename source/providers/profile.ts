// profile-N and tick-N: a software CPU-clock perf event per CPU (profile) or on
// one CPU (tick), each probe its own program and links. Runs in NMI-like
// context, so it can interrupt any other probe's program on its CPU.
import { attachSampling } from "../../kernel/attach/index.ts";
import { ProgType } from "../../kernel/bpf/index.ts";
import type { ArgPlan } from "../../kernel/codegen/ir.ts";
import { archFor } from "../../kernel/sys/index.ts";
import type { TargetProvider } from "./types.ts";

export const profileProvider: TargetProvider<"profile"> = {
	kind: "profile",
	nesting: "profile",
	nests: true,
	identity: (p) => `${p.provider}:${p.module}:${p.function}:${p.name}`,
	groupKey: (p) => `prof:${p.id}`,
	context() {
		// DTrace: arg0 is the kernel pc (0 when the sample hit user mode), arg1
		// the user pc (0 in the kernel). The mode: x86_64's cs low bits are the
		// privilege level (3 = user); arm64's pstate mode bits are 0 at EL0.
		const arch = archFor();
		const offset = arch.regs[arch.ipReg]!;
		const mode =
			arch.name === "x64"
				? { modeOffset: arch.regs.cs!, mask: 3, userBits: 3 }
				: { modeOffset: arch.regs.pstate!, mask: 0xf, userBits: 0 };
		const pc = (user: boolean): ArgPlan => ({ k: "pc", offset, ...mode, user });
		return { ctx: "perf", args: [pc(false), pc(true)] };
	},
	load: () => ({ type: ProgType.PERF_EVENT }),
	attach: (fd, probes, _env, cookie) => [
		attachSampling(fd, { hz: probes[0].target.hz, periodNs: probes[0].target.periodNs }, cookie(0)),
	],
};
