// The registry: every provider, one line each. Adding a provider is a module in
// this folder and one line in `providers` (or registerProvider() from outside);
// the catalog lists, the session traces and the app describes and shows probes
// (the interactive tree too) only through kindOf() and providerOf().
import { preemptible } from "../../kernel/bpf/preemption.ts";
import type { Probe, ProbeKind } from "../catalog/probe.ts";
import { dtrace } from "./dtrace.ts";
import { fbt } from "./fbt.ts";
import { profile } from "./profile.ts";
import { syscall } from "./syscall.ts";
import { sdt } from "./tracepoint.ts";
import type { Described, ProbeKindModule, ProbeOf, Provider, TargetKind, TargetProvider, TraceProbe } from "./types.ts";
import { uprobe } from "./uprobe.ts";

export { ProgramLimitError } from "./refusal.ts";
export * from "./types.ts";
export { ofExited } from "./uprobe.ts";

const providers: Provider[] = [dtrace, syscall, sdt, profile, fbt, uprobe];
const kinds: ProbeKindModule[] = [];
const statics: string[] = [];
const byKind = new Map<string, ProbeKindModule>();
const byTarget = new Map<string, TargetProvider<TargetKind>>();

/** Every provider, in the order the catalog lists their probes (ids follow it) and shows their rows. */
export const PROVIDERS: readonly Provider[] = providers;

/** Every kind of catalog probe, in registry order. */
export const PROBE_KINDS: readonly ProbeKindModule[] = kinds;

/** The DTrace providers that list their own probes (not a process's: USDT, pid). */
export const STATIC_PROVIDERS: readonly string[] = statics;

function add(p: Provider): void {
	for (const k of p.probes as unknown as readonly ProbeKindModule[]) {
		if (byKind.has(k.kind)) throw new Error(`two providers describe ${k.kind} probes`);
		kinds.push(k);
		byKind.set(k.kind, k);
		if (k.provider) statics.push(k.provider);
	}
	if (p.target) byTarget.set(p.target.kind, p.target as unknown as TargetProvider<TargetKind>);
}
for (const p of providers) add(p);

/**
 * Adds a provider module from outside this folder (one a program embedding
 * dtop defines, or a test's), after the built-in ones; before any catalog is
 * made, since a catalog lists each provider's probes when it opens.
 */
export function registerProvider(p: Provider): void {
	add(p);
	providers.push(p);
}

/** Whether a description can name only probes their providers list themselves (none of a process's: USDT, pid). */
export function namesListedOnly(d: Described): boolean {
	return statics.includes(d.provider) || kinds.some((k) => k.claims?.(d) === true);
}

/** Whether a provider is one process's whose function probes the catalog makes when named (`pid4242`): no scan needed. */
export function madeWhenNamed(provider: string): boolean {
	return kinds.some((k) => {
		const row = k.tree?.lazy?.row;
		return row !== undefined && provider.startsWith(row) && /^\d+$/.test(provider.slice(row.length));
	});
}

/** What the registry knows of a catalog probe's kind. */
export function kindOf(p: Probe | ProbeKind): ProbeKindModule {
	const kind = typeof p === "string" ? p : p.kind;
	const k = byKind.get(kind);
	if (!k) throw new Error(`no provider describes ${kind} probes`);
	return k;
}

/** The provider of a probe's kind of target (typed for probes of any kind). */
export function providerOf(p: TraceProbe): TargetProvider<TargetKind> {
	const t = byTarget.get(p.target.kind);
	if (!t) throw new Error(`no provider attaches ${p.target.kind} probes`);
	return t;
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
