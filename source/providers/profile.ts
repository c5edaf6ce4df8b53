// profile-N and tick-N: a software CPU-clock perf event per CPU (profile) or on
// one CPU (tick), each probe its own program and links. Runs in NMI-like
// context, so it can interrupt any other probe's program on its CPU.
import { attachSampling } from "../../kernel/attach/index.ts";
import { ProgType } from "../../kernel/bpf/index.ts";
import type { ArgPlan } from "../../kernel/codegen/ir.ts";
import { archFor } from "../../kernel/sys/index.ts";
import { compileGlob, isGlob } from "../catalog/glob.ts";
import type { ProfileProbe } from "../catalog/probe.ts";
import { LISTED_PROFILE_NAMES, MIN_PERIOD_NS, parseProfileName } from "../catalog/profile.ts";
import { type ProbeKindModule, type Provider, type TargetProvider, traceBase } from "./types.ts";

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

const profileProbeKind: ProbeKindModule<"profile"> = {
	kind: "profile",
	provider: "profile",
	info: () => ({ name: "profile", kind: "profile", available: true }),
	// profile-N / tick-N: valid names are probes as soon as they are named.
	onDemand: {
		listed: LISTED_PROFILE_NAMES,
		named: (d) =>
			compileGlob(d.provider)("profile") && compileGlob(d.module)("") && compileGlob(d.function)("") && !isGlob(d.name)
				? d.name
				: undefined,
		fromWord: (w) => (/^(profile|tick)-\d+[a-z]*$/.test(w) ? `profile:::${w}` : undefined),
		make(name, id) {
			const spec = parseProfileName(name);
			if (!spec) return undefined;
			return { id: id(), provider: "profile", module: "", function: "", name, kind: "profile", ...spec };
		},
	},
	// A name of that shape that matched nothing has a rate dtop will not sample at.
	whyNot(d) {
		if (
			(d.provider === "" || compileGlob(d.provider)("profile")) &&
			/^(profile|tick)-\d+[a-z]*$/.test(d.name) &&
			!parseProfileName(d.name)
		)
			return `'${d.name}' is not a rate dtop samples at: profile-N and tick-N take N from 1 to ${1e9 / MIN_PERIOD_NS} Hz, or a period of at least ${MIN_PERIOD_NS / 1000}us with a suffix (profile-997, tick-10ms, tick-1s)`;
		return undefined;
	},
	targets: (p: ProfileProbe) => [
		{
			...traceBase(p),
			target: p.perCpu
				? { kind: "profile", hz: p.frequencyHz ?? Math.max(1, Math.round(1e9 / p.periodNs)) }
				: { kind: "profile", periodNs: BigInt(p.periodNs) },
		},
	],
	describe: (p) => [
		`${p.frequencyHz !== undefined ? `${p.frequencyHz} Hz` : `every ${p.periodNs} ns`}, ${p.perCpu ? "on every CPU" : "on one CPU"}`,
	],
	args: () => ({ args: [], strings: [], kernel: true }),
	tree: { hint: "other rates: / profile-N, tick-5s…" },
};

export const profile: Provider = { probes: [profileProbeKind], target: profileProvider };
