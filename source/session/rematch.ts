// Following the machine (Session.rematch): enablings attach to probes that
// appeared since they were enabled, and release groups whose processes exited.
import type { Clause as DClause } from "../d/ast.ts";
import { isKind, ofExited, type TraceProbe } from "../providers/index.ts";
import { attachTogether, type BuildContext, matchClause, probeKey } from "./build.ts";
import { closeGroup, type EnablingState } from "./enabling.ts";
import { explain } from "./errors.ts";
import type { ProbeCounters } from "./probe-counters.ts";
import { groupHits, groupMisses } from "./reader.ts";

export interface FollowContext {
	build: BuildContext;
	counters: ProbeCounters;
	/**
	 * Processes that exited while some group still has probes in them: a group
	 * may hold several processes' probes (those found in one rescan), and is
	 * released once all of them are gone, whichever rescans saw them go.
	 */
	exitedPids: Set<number>;
}

/** Attach every enabling to new probes and drop what exited (Session.rematch); problems go on the enabling. */
export function rematchEnablings(
	cx: FollowContext,
	enablings: ReadonlyMap<number, EnablingState>,
	exited: ReadonlySet<number>,
): void {
	for (const pid of exited) cx.exitedPids.add(pid);
	const all = cx.exitedPids;
	const gone = (p: TraceProbe) => isKind(p, "uprobe") && ofExited(p, all);
	for (const st of enablings.values()) {
		const work: { clause: DClause; probes: TraceProbe[] }[] = [];
		for (const c of st.clauses) {
			let probes: TraceProbe[];
			try {
				probes = matchClause(cx.build, c.clause);
			} catch {
				continue; // nothing matches right now
			}
			const fresh = probes.filter((p) => !c.names.has(probeKey(p)) && !gone(p));
			if (fresh.length === 0) continue;
			for (const p of fresh) c.names.add(probeKey(p));
			work.push({ clause: c.clause, probes: fresh });
		}
		try {
			attachTogether(cx.build, st, work);
		} catch (e) {
			st.error = explain(e, st.d).message;
		}
		if (exited.size) dropExited(cx.counters, st, gone);
	}
	if (exited.size) forgetExited(enablings, cx.exitedPids);
}

/** Keep only the exited pids some group still has probes in (pids are reused). */
function forgetExited(enablings: ReadonlyMap<number, EnablingState>, exitedPids: Set<number>): void {
	const held = new Set<number>();
	for (const st of enablings.values())
		for (const g of st.groups)
			for (const p of g.probes) if (isKind(p, "uprobe") && p.target.pid) held.add(p.target.pid);
	for (const pid of exitedPids) if (!held.has(pid)) exitedPids.delete(pid);
}

/** Release groups whose probes all belong to processes that have exited. */
function dropExited(counters: ProbeCounters, st: EnablingState, gone: (p: TraceProbe) => boolean): void {
	st.groups = st.groups.filter((g) => {
		if (!g.probes.every(gone)) return true;
		// Keep the firings counted so far: fold the group's hits into the enabling.
		st.retiredMisses += groupMisses(g);
		for (const p of g.probes) {
			counters.forgetProbe(st, p.id);
			// Its probes are gone with their processes: a clause no longer needs to remember them.
			const key = probeKey(p);
			for (const c of st.clauses) c.names.delete(key);
		}
		closeGroup(g, undefined, () => {
			st.retired += groupHits(g);
		});
		return false;
	});
}

/**
 * Whether some enabling could match a process that starts later: a probe
 * description whose provider is empty or a glob ending in a wildcard
 * (`simple*`, `*`), which the provider names of new processes can match.
 */
export function followsNewProcesses(enablings: Iterable<EnablingState>): boolean {
	for (const st of enablings)
		for (const c of st.clauses)
			for (const d of c.clause.probes) if (d.provider === "" || /[*?\]]$/.test(d.provider)) return true;
	return false;
}
