// Following the machine, for batch and interactive runs alike: processes that
// start (or libraries loaded with dlopen) get the enablings that match them;
// the programs of exited processes are released.

import type { FeedOptions } from "../catalog/feed.ts";
import type { Catalog, CatalogChange } from "../catalog/index.ts";
import type { Session } from "../session/session.ts";

/** Watch the catalog and keep the session's enablings on its probes; returns the function that stops. */
export function followMachine(
	session: Session,
	catalog: Catalog,
	after?: (change: CatalogChange) => void,
	feed: FeedOptions = {},
): () => void {
	// New processes need no hold: USDT and pid* probes of descriptions that
	// cover every process are attached to the object file (session/widen.ts),
	// so a process fires them from its first instruction.
	catalog.watch(500, feed);
	// Records name addresses by what was mapped when they fired: the events up to then first.
	session.followMappings(() => catalog.flushEvents());
	return catalog.subscribe((change) => {
		session.processesChanged(change.started, change.exited, change.remapped, change.forks, change.mappings);
		if (change.added.length || change.exited.length) session.rematch(new Set(change.exited));
		after?.(change);
	});
}
