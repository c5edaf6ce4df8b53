// Where the session finds probes: the catalog (catalog-source.ts), or a fixed
// list in tests. The probes themselves are described in source/providers.
import type { TraceProbe } from "../providers/types.ts";

export interface MatchRequest {
	provider: string;
	module: string;
	function: string;
	name: string;
}

/** Where the session finds probes (the catalog, or a fixed list in tests). */
export interface ProbeSource {
	/** Probes matching a description (fields already macro-expanded); may create on-demand probes. */
	match(desc: MatchRequest): TraceProbe[];
	byId(id: number): TraceProbe | undefined;
	/** Why a description that matched nothing cannot match here (e.g. fbt on a kernel without kprobes). */
	whyNot?(desc: MatchRequest): string | undefined;
}
