// Which providers the catalog has (catalog.ts): the list dtop shows, the check
// that a probe description's provider can exist, and globs naming every pid provider.

import { type CatalogEnv, PROBE_KINDS, STATIC_PROVIDERS } from "../providers/index.ts";
import type { ProcState } from "./catalog-types.ts";
import { ProcessNotFoundError } from "./catalog-types.ts";
import { DescriptionError, type ProbeDescription } from "./description.ts";
import { compileGlob, isGlob } from "./glob.ts";
import type { ProviderInfo } from "./probe.ts";
import { readStat } from "./procfs.ts";

/** Every provider: the static ones (unavailable ones with the reason), then each USDT provider a process has. */
export function providerList(env: CatalogEnv, procs: Iterable<ProcState>): ProviderInfo[] {
	const out: ProviderInfo[] = PROBE_KINDS.flatMap((k) => (k.info ? [k.info(env)] : []));
	const usdt = new Map<string, number>();
	for (const s of procs) for (const p of s.usdt) usdt.set(p.provider, s.pid);
	for (const [name, pid] of [...usdt.entries()].sort()) out.push({ name, kind: "usdt", available: true, pid });
	return out;
}

/**
 * Checks that a description's provider can exist: throws DescriptionError
 * for an unknown provider and ProcessNotFoundError for a dead pid.
 */
export function checkProviderOf(d: ProbeDescription, procs: ReadonlyMap<number, ProcState>): void {
	const f = d.provider;
	if (f === "" || isGlob(f)) return;
	if (STATIC_PROVIDERS.includes(f)) return;
	const m = /^(.*?)(\d+)$/.exec(f);
	if (m && m[1] !== "") {
		const pid = Number(m[2]);
		if (!procs.has(pid) && !readStat(pid)) {
			throw new ProcessNotFoundError(pid, `provider '${f}' names process ${pid}, which does not exist`);
		}
		return;
	}
	const usdtNames = new Set<string>();
	for (const s of procs.values()) for (const p of s.usdt) usdtNames.add(p.usdtProvider);
	if (f === "pid" || usdtNames.has(f)) {
		throw new DescriptionError(`provider '${f}' needs a process id, like '${f}1234', '${f}$target' or '${f}*'`, f);
	}
	throw new DescriptionError(
		`unknown provider '${f}'; providers are ${STATIC_PROVIDERS.join(", ")}, pid<PID> and USDT providers like python<PID>`,
		f,
	);
}

/** A provider glob such as `pid*` that names the pid provider of every process (not an empty one: that is every provider). */
export function everyPid(glob: string): boolean {
	if (!glob.startsWith("pid") || !isGlob(glob)) return false;
	const m = compileGlob(glob);
	return ["pid1", "pid7", "pid4242", "pid4194303"].every((p) => m(p));
}
