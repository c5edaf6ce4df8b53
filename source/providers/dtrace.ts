// The dtrace provider: BEGIN, END and ERROR are not attached anywhere. Their
// programs are raw tracepoint programs, which the kernel runs on demand with
// BPF_PROG_TEST_RUN (Linux 5.10+, so Debian 12's 6.1 too): the session runs
// BEGIN's before it attaches any other program of the enabling and END's after
// every other program has stopped recording (the state flag). They run in
// dtop's own process, as DTrace's do in dtrace's.
import { ProgType } from "../../kernel/bpf/index.ts";
import type { DtraceProbe } from "../catalog/probe.ts";
import { type ProbeKindModule, type Provider, reg, type TargetProvider, traceBase } from "./types.ts";

export const dtraceProvider: TargetProvider<"dtrace"> = {
	kind: "dtrace",
	// They run from a system call of dtop's, never nested in another program.
	nesting: "dtrace",
	nests: false,
	identity: (p) => `dtrace:::${p.target.which}`,
	groupKey: (p) => `dtrace:${p.target.which}`,
	// BEGIN and END have no arguments. ERROR's are DTrace's: arg1 the enabled
	// probe id, arg2 the clause, arg3 the action, arg4 the fault, arg5 the
	// address; the session passes them as the run's context (six u64s).
	context: (p) =>
		p.target.which === "ERROR"
			? { ctx: "run", args: [0, 1, 2, 3, 4, 5].map((i) => reg(8 * i, false)) }
			: { ctx: "run", args: [] },
	// A raw tracepoint program has no attach cookie (before 6.10): its probe is fixed at load.
	load: (_probes, _env, cookie) => ({ type: ProgType.RAW_TRACEPOINT, fixedCookie: cookie(0) }),
	attach: () => [],
};

const dtraceProbeKind: ProbeKindModule<"dtrace"> = {
	kind: "dtrace",
	provider: "dtrace",
	info: () => ({ name: "dtrace", kind: "dtrace", available: true }),
	// BEGIN, END and ERROR first, so they have DTrace's ids 1, 2 and 3.
	list: (_env, id) =>
		(["BEGIN", "END", "ERROR"] as const).map(
			(which): DtraceProbe => ({
				id: id(),
				provider: "dtrace",
				module: "",
				function: "",
				name: which,
				kind: "dtrace",
				which,
			}),
		),
	// As in DTrace, `BEGIN` alone is dtrace:::BEGIN: no other provider has a probe of that name with no module or function.
	claims: (d) => d.provider === "" && d.module === "" && d.function === "" && /^(BEGIN|END|ERROR)$/.test(d.name),
	targets: (p) => [{ ...traceBase(p), target: { kind: "dtrace", which: p.which } }],
	describe: (p) => [
		p.which === "ERROR"
			? "fired by runtime faults"
			: `fired by dtop ${p.which === "BEGIN" ? "before" : "after"} every other probe`,
	],
	// BEGIN, END, ERROR: no arguments, no stack of their own.
	args: () => ({ args: [], strings: [], kernel: false }),
};

export const dtrace: Provider = { probes: [dtraceProbeKind], target: dtraceProvider };
