// Following the machine, for batch and interactive runs alike: processes that
// start (or libraries loaded with dlopen) get the enablings that match them;
// the programs of exited processes are released.
import type { Catalog, CatalogChange } from "../catalog/index.ts";
import type { Session } from "../session/session.ts";

/** Watch the catalog and keep the session's enablings on its probes; returns the function that stops. */
export function followMachine(session: Session, catalog: Catalog, after?: (change: CatalogChange) => void): () => void {
	// New processes an enabling could match are held at exec until attached, but
	// only with DTOP_HOLD_NEW=1, an experiment: the hold stops every process the
	// machine starts (other users' too), and in a test run it left an unrelated
	// process stopped for minutes. Not for use on a shared machine; no test turns
	// it on. The safe design is attaching per object file (see catalog/feed.ts).
	const hold = process.env.DTOP_HOLD_NEW === "1";
	catalog.watch(500, { hold: hold ? () => session.followsNewProcesses() : undefined });
	return catalog.subscribe((change) => {
		session.processesChanged(change.started, change.exited, change.remapped);
		if (change.added.length || change.exited.length) session.rematch(new Set(change.exited));
		after?.(change);
	});
}
