// profile-N and tick-N: a software CPU-clock perf event per CPU (profile) or on
// one CPU (tick), each probe its own program and links. Runs in NMI-like
// context, so it can interrupt any other probe's program on its CPU.
import { attachSampling } from "../../kernel/attach/index.ts";
import { ProgType } from "../../kernel/bpf/index.ts";
import { archFor } from "../../kernel/sys/index.ts";
import { reg, type TargetProvider } from "./types.ts";

export const profileProvider: TargetProvider<"profile"> = {
	kind: "profile",
	nesting: "profile",
	nests: true,
	identity: (p) => `${p.provider}:${p.module}:${p.function}:${p.name}`,
	groupKey: (p) => `prof:${p.id}`,
	context() {
		// arg0 and arg1 are the interrupted pc (DTrace: kernel pc and user pc).
		const arch = archFor();
		const pc = reg(arch.regs[arch.ipReg], false);
		return { ctx: "perf", args: [pc, pc] };
	},
	load: () => ({ type: ProgType.PERF_EVENT }),
	attach: (fd, probes, _env, cookie) => [
		attachSampling(fd, { hz: probes[0].target.hz, periodNs: probes[0].target.periodNs }, cookie(0)),
	],
};
