// Probes on the object file, not on one process. The catalog names USDT and
// pid-provider probes per process (`simple4242:::saw-line`), but a description
// whose provider matches every process of that provider (`simple*`, `pid*`, an
// empty provider) means "wherever this file is mapped": such a probe is
// attached to the file's inode (uprobe_multi with pid 0, or a perf uprobe with
// pid -1), so every process that maps the file fires it from its first
// instruction, including processes started later, with no work per process.
// The kernel bumps a USDT semaphore (ref_ctr_offset) in each mm that maps the
// file, at attach time and at every later mmap (uprobe_mmap, Linux 4.20+).
//
// A description naming processes (`simple4242`, `$target` expanded, `pid1234`)
// keeps its per-process attachment (uprobe_multi's pid filter, in the kernel).
import { compileGlob } from "../catalog/glob.ts";
import type { TraceProbe } from "../providers/index.ts";

/** The provider name without the process id the catalog appended (`simple4242` → `simple`). */
function baseProvider(provider: string, pid: number): string | undefined {
	const tail = String(pid);
	return provider.endsWith(tail) ? provider.slice(0, -tail.length) : undefined;
}

/**
 * Whether a provider glob matches the provider `base` of any process: tried on
 * pids of several lengths and digits (a glob such as `simple1*` names some pids,
 * not all, and keeps per-process attachment).
 */
export function matchesEveryProcess(glob: string, base: string): boolean {
	const m = compileGlob(glob);
	return ["1", "7", "20", "4242", "98765", "4194303"].every((pid) => m(`${base}${pid}`));
}

/**
 * The probe as attached for a description with provider glob `glob`: on the
 * file (no pid) when the glob matches every process of its provider, else as
 * the catalog has it.
 */
export function widen(p: TraceProbe, glob: string): TraceProbe {
	const t = p.target;
	if (t.kind !== "uprobe" || !t.pid) return p;
	const base = baseProvider(p.provider, t.pid);
	if (base === undefined || !matchesEveryProcess(glob, base)) return p;
	return { ...p, target: { ...t, pid: undefined, seenIn: t.pid } };
}
