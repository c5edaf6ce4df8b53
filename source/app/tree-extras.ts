// Rows of the probe tree that are not simply the catalog's probes: the fbt
// provider when the kernel cannot give it (a row saying why, as -l does), the
// hint on the profile row, and profile/tick probes of any rate, made when a
// filter names one (`/profile-1234`, `/profile:::tick-3s`), as a D clause does.
import type { Catalog } from "../catalog/index.ts";
import { compileGlob, isGlob, parseDescription } from "../catalog/index.ts";
import type { TreeEntry } from "../ui/tree.ts";

export const PROFILE_NOTE = "other rates: / profile-N, tick-5s…";

/** The fbt row when fbt is unavailable (undefined when it is, or when the filter hides it). */
export function fbtReasonRow(catalog: Catalog, filter: string | undefined): TreeEntry | undefined {
	if (catalog.fbt.available) return undefined;
	const t = filter?.trim();
	if (t) {
		const shown = t.includes(":") ? compileGlob(t.split(":")[0] || "*")("fbt") : "fbt".includes(t);
		if (!shown) return undefined;
	}
	return {
		name: "fbt",
		childCount: 0,
		note: `unavailable: ${(catalog.fbt.reason ?? "").replace(/^.*? is not available on this kernel:\s*/, "") || "not on this kernel"}`,
		enabled: false,
	};
}

const named = new WeakMap<Catalog, Set<string>>();

/** Makes the profile/tick probe a filter names, if it names one; true when the catalog may have a new probe. */
export function makeNamedRate(catalog: Catalog, filter: string | undefined, target: number | undefined): boolean {
	const t = filter?.trim();
	if (!t) return false;
	let desc: string | undefined;
	if (/^(profile|tick)-\d+[a-z]*$/.test(t)) desc = `profile:::${t}`;
	else if (t.includes(":")) {
		try {
			const d = parseDescription(t, target);
			if (d.provider === "profile" && !d.module && !d.function && d.name && !isGlob(d.name)) desc = t;
		} catch {
			return false;
		}
	}
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
