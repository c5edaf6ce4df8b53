// The aggregation keys `k` cycles through for one enabling: only those its
// probes have. Arguments as their provider knows them (a system call's and a
// tracepoint's fields from their tracefs formats, a USDT probe's argument specs,
// a function's argument registers: ProbeKindModule.args), copyinstr(argN) for
// each argument that can hold a string, ustack() and, where the probe runs in
// the kernel, kstack().
import type { Probe } from "../catalog/index.ts";
import { kindOf } from "../providers/index.ts";

const BASE = ["", "execname", "pid", "tid", "probefunc", "cgroup", "container"];
/** Probes looked at to find the keys of a large enabling (they are alike). */
const SAMPLE = 64;

/** The keys of one probe, in cycling order. */
export function probeKeys(p: Probe): string[] {
	const a = kindOf(p).args(p);
	return [
		...BASE,
		...a.args.map((i) => `arg${i}`),
		...a.strings.map((i) => `copyinstr(arg${i})`),
		"ustack()",
		...(a.kernel ? ["kstack()"] : []),
	];
}

/** The keys every probe of an enabling has (the keys of the first, kept where all the others have them too). */
export function keysFor(probes: readonly Probe[]): string[] {
	if (probes.length === 0) return BASE;
	const sample = probes.slice(0, SAMPLE).map((p) => new Set(probeKeys(p)));
	return probeKeys(probes[0]).filter((k) => sample.every((s) => s.has(k)));
}

/** The Detail pane's lines about a probe's arguments, as its provider describes them ([] when it does not). */
export function argNotes(p: Probe): string[] {
	return kindOf(p).argNotes?.(p) ?? [];
}
