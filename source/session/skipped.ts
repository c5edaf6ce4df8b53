// The probes of an enabling the kernel refused alone (the rest are attached),
// kept per enabling, and the one line that tells how many and why.
import type { EnablingState } from "./enabling.ts";

/** A probe the kernel refused alone (the rest of its enabling is attached), and why. */
export interface SkippedProbe {
	probe: string;
	reason: string;
}

/** Per enabling, by probe name: a probe refused again (in each new process a clause follows) is one entry. */
const skippedBy = new WeakMap<EnablingState, Map<string, SkippedProbe>>();

/** The enabling's refused probes by name, made empty the first time. */
export function skippedMapOf(st: EnablingState): Map<string, SkippedProbe> {
	const skipped = skippedBy.get(st) ?? new Map<string, SkippedProbe>();
	skippedBy.set(st, skipped);
	return skipped;
}

/** The probes of an enabling the kernel refused, in the order met. */
export function skippedProbes(st: EnablingState): readonly SkippedProbe[] {
	return [...(skippedBy.get(st)?.values() ?? [])];
}

/** One line for skipped probes: how many and why, most common reason first. */
export function skippedSummary(skipped: readonly SkippedProbe[]): string | undefined {
	if (skipped.length === 0) return undefined;
	const reasons = new Map<string, string[]>();
	for (const s of skipped) {
		let names = reasons.get(s.reason);
		if (!names) reasons.set(s.reason, (names = []));
		names.push(s.probe);
	}
	const parts = [...reasons.entries()]
		.sort((a, b) => b[1].length - a[1].length)
		.map(([reason, names]) =>
			reasons.size === 1 && names.length <= 3
				? `${reason}: ${names.join(", ")}`
				: `${names.length} ${reason}${names.length <= 3 ? `: ${names.join(", ")}` : ""}`,
		);
	const n = skipped.length;
	return `${n} probe${n === 1 ? "" : "s"} skipped (${parts.join("; ")})`;
}
