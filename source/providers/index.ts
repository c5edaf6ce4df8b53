// The providers by kind of target. Adding a kind of probe is a module here and
// one line in PROVIDERS; the session only ever calls through providerOf().
import { preemptible } from "../../kernel/bpf/preemption.ts";
import { dtraceProvider } from "./dtrace.ts";
import { fbtProvider } from "./fbt.ts";
import { profileProvider } from "./profile.ts";
import { syscallProvider } from "./syscall.ts";
import { tracepointProvider } from "./tracepoint.ts";
import type { ProbeOf, TargetKind, TargetProvider, TraceProbe } from "./types.ts";
import { uprobeProvider } from "./uprobe.ts";

export { ProgramLimitError } from "./refusal.ts";
export * from "./types.ts";
export { ofExited } from "./uprobe.ts";

const PROVIDERS: { [K in TargetKind]: TargetProvider<K> } = {
	syscall: syscallProvider,
	tracepoint: tracepointProvider,
	uprobe: uprobeProvider,
	profile: profileProvider,
	fbt: fbtProvider,
	dtrace: dtraceProvider,
};

/** The provider of a probe's kind of target (typed for probes of any kind). */
export function providerOf(p: TraceProbe): TargetProvider<TargetKind> {
	return PROVIDERS[p.target.kind] as unknown as TargetProvider<TargetKind>;
}

/** `p` as a probe of kind `K`, when it is one. */
export function isKind<K extends TargetKind>(p: TraceProbe, kind: K): p is ProbeOf<K> {
	return p.target.kind === kind;
}

/**
 * Whether an enabling's per-CPU updates must be atomic: its probes come from
 * more than one nesting class (one could interrupt another on a CPU), or from
 * a class that interrupts itself (sampling, trampolines), or the kernel
 * preempts programs (full, lazy or RT preemption: kernel/bpf/preemption.ts).
 */
export function needsAtomic(matched: readonly (readonly TraceProbe[])[]): boolean {
	// On a preemptible kernel a uprobe program can be preempted in the middle of
	// its read-modify-write by another task running it on the same CPU.
	if (preemptible()) return true;
	const classes = new Set<string>();
	let nests = false;
	for (const probes of matched)
		for (const p of probes) {
			const pr = providerOf(p);
			classes.add(pr.nesting);
			nests ||= pr.nests;
		}
	return classes.size !== 1 || nests;
}
