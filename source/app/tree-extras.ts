// Rows of the probe tree that are not simply the catalog's probes, as each
// provider module says (ProbeKindModule.info, .onDemand, .tree): a provider the
// kernel cannot give is a row saying why (as -l does), and probes a provider
// makes when named (profile-N, tick-3s at any rate) are made when a filter names
// one (`/profile-1234`, `/profile:::tick-3s`), as a D clause does.
import type { Catalog } from "../catalog/index.ts";
import { compileGlob, isGlob, parseDescription } from "../catalog/index.ts";
import type { ProviderInfo } from "../catalog/probe.ts";
import { PROBE_KINDS } from "../providers/index.ts";
import type { TreeEntry } from "../ui/tree.ts";

/** The providers the kernel cannot give here, with the reason. */
function unavailable(catalog: Catalog): ProviderInfo[] {
	const env = catalog.env();
	return PROBE_KINDS.flatMap((k) => {
		const info = k.provider ? k.info?.(env) : undefined;
		return info && !info.available ? [info] : [];
	});
}

/** The provider a top-level row names, when the kernel cannot give it. */
export function unavailableProvider(catalog: Catalog, top: string): ProviderInfo | undefined {
	return unavailable(catalog).find((i) => i.name === top);
}

/** The rows of the providers the kernel cannot give (those the filter shows), each saying why. */
export function unavailableRows(catalog: Catalog, filter: string | undefined): TreeEntry[] {
	const t = filter?.trim();
	return unavailable(catalog)
		.filter((i) => !t || (t.includes(":") ? compileGlob(t.split(":")[0] || "*")(i.name) : i.name.includes(t)))
		.map((i) => ({
			name: i.name,
			childCount: 0,
			note: `unavailable: ${(i.reason ?? "").replace(/^.*? is not available on this kernel:\s*/, "") || "not on this kernel"}`,
			enabled: false,
		}));
}

const named = new WeakMap<Catalog, Set<string>>();

/** The description of an on-demand probe that the filter names, if it names one. */
function namedBy(t: string, target: number | undefined): string | undefined {
	let d: ReturnType<typeof parseDescription> | undefined;
	if (t.includes(":")) {
		try {
			d = parseDescription(t, target);
		} catch {
			return undefined;
		}
	}
	for (const k of PROBE_KINDS) {
		if (!k.onDemand) continue;
		if (!d) {
			const desc = k.onDemand.fromWord?.(t);
			if (desc) return desc;
		} else if (k.provider && d.provider === k.provider && !d.module && !d.function && d.name && !isGlob(d.name))
			return t;
	}
	return undefined;
}

/** Makes the on-demand probe a filter names, if it names one; true when the catalog may have a new probe. */
export function makeNamedRate(catalog: Catalog, filter: string | undefined, target: number | undefined): boolean {
	const t = filter?.trim();
	if (!t) return false;
	const desc = namedBy(t, target);
	if (!desc) return false;
	// Once per name: the tree asks again every tick, and a rebuild reads the whole catalog.
	let done = named.get(catalog);
	if (!done) named.set(catalog, (done = new Set()));
	if (done.has(desc)) return false;
	done.add(desc);
	try {
		return catalog.match(desc, { target }).length > 0;
	} catch {
		return false; // not a valid rate: the filter simply shows nothing
	}
}
