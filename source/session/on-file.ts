// Which probes are attached on their file (no pid: session/widen.ts), so that
// every process mapping the file fires them. The tree marks a probe of any
// such process enabled, not only the one the enabling was made from.
import { isKind } from "../providers/index.ts";
import { probeKey } from "./build.ts";
import type { EnablingState } from "./enabling.ts";

/** The identities (probeKey) of the probes some enabling attached on the file. */
export function onFileIdentities(enablings: Iterable<EnablingState>): Set<string> {
	const out = new Set<string>();
	for (const st of enablings)
		for (const g of st.groups)
			for (const p of g.probes) if (isKind(p, "uprobe") && p.target.pid === undefined) out.add(probeKey(p));
	return out;
}
