// How Session.enable (session.ts) matches a new enabling's clauses and attaches
// its programs: BEGIN's first, run, then the others.

import type { Clause, Program } from "../d/ast.ts";
import { isKind, type TraceProbe } from "../providers/index.ts";
import { attachTogether, type BuildContext, checkUnmatched, matchClause, probeKey } from "./build.ts";
import { type EnablingState, orderAggregations } from "./enabling.ts";
import { SessionError } from "./errors.ts";
import { excludeProcess } from "./self.ts";

/** A clause's probes; with -Z, none yet is allowed (rematch() attaches them later). */
export function matchForEnable(build: BuildContext, clause: Clause, allowZero: boolean): TraceProbe[] {
	try {
		return matchClause(build, clause);
	} catch (e) {
		if (!(allowZero && e instanceof SessionError && e.message.startsWith("no probes match"))) throw e;
		checkUnmatched(clause, build.strsize);
		return [];
	}
}

/** Attach an enabling's clauses to their matched probes; `runBegin` runs its BEGIN programs. */
export function attachEnabling(
	build: BuildContext,
	st: EnablingState,
	program: Program,
	matched: TraceProbe[][],
	traceSelf: boolean,
	runBegin: () => void,
): void {
	// BEGIN fires before any other probe of the program can: its programs
	// are loaded and run first, then the others are attached.
	const own = (p: TraceProbe) => isKind(p, "dtrace");
	// Probes other than BEGIN/END/ERROR leave dtop's own process out (self.ts).
	const guarded = traceSelf ? program : excludeProcess(program, process.pid);
	guarded.clauses.forEach((clause, i) => {
		st.clauses.push({ clause, names: new Set(matched[i].map(probeKey)) });
	});
	// ERROR's clauses run inside the programs that fault (build.ts), unguarded: ERROR is never dtop's own firing.
	st.errorClauses = program.clauses.flatMap((clause, i) => {
		const probe = matched[i].find((p) => isKind(p, "dtrace") && p.target.which === "ERROR");
		return probe ? [{ clause, probe }] : [];
	});
	attachTogether(
		build,
		st,
		program.clauses.map((clause, i) => ({ clause, probes: matched[i].filter(own) })),
	);
	runBegin();
	attachTogether(
		build,
		st,
		guarded.clauses.map((clause, i) => ({ clause, probes: matched[i].filter((p) => !own(p)) })),
	);
	orderAggregations(st);
}
