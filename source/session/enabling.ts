// What the session keeps per enabling: its groups (program + links per set of
// probes), aggregations, thread-local slots and counters; and its release.
import type { Link } from "../../kernel/attach/index.ts";
import type { BpfMap, Program } from "../../kernel/bpf/index.ts";
import type { AggFn, LQuantize } from "../../kernel/codegen/ir.ts";
import type { Clause, Program as DProgram } from "../d/ast.ts";
import type { TraceProbe } from "../providers/types.ts";
import { Attempts } from "../util/attempts.ts";
import type { RowState } from "./aggregation.ts";
import type { KeyDecode } from "./lower.ts";
import type { SharedMaps } from "./maps.ts";
import { RollingCounter } from "./rolling.ts";
import type { Speculations } from "./speculation.ts";
import { releaseVars, type VarState } from "./vars.ts";

export interface AggState {
	name: string;
	fn: AggFn;
	lq?: LQuantize;
	decode: KeyDecode[];
	keyText: string[];
	argText: string[];
	map: BpfMap;
	lru: boolean;
	insertSlot: number;
	rows: Map<string, RowState>;
	evictions: number;
}

/** Probes one program serves, through one kind of link. */
export interface Group {
	probes: TraceProbe[];
	program?: Program;
	links: Link[];
	hits: BpfMap;
	syscallMap?: BpfMap;
	/** A dtrace-provider program: run by the session (BEGIN, END), never attached. */
	run?: "BEGIN" | "END" | "ERROR";
	/** The program runs the enabling's ERROR clauses when it faults; their firings are the hits slot after the probes'. */
	errorProbe?: TraceProbe;
}

export interface EnablingState {
	id: number;
	program: DProgram;
	d: string;
	label: string;
	groups: Group[];
	aggs: Map<string, AggState>;
	tls: Map<string, number>;
	dropSlot: number;
	drops: number;
	/** Counter slot of strings cut at strsize, and their count. */
	truncSlot: number;
	truncated: number;
	/** Counter slot of runtime faults (kernel/codegen/faults.ts), and their count. */
	faultSlot: number;
	faults: number;
	/** The clauses that enable dtrace:::ERROR, with that probe: compiled into each program that can fault. */
	errorClauses?: { clause: Clause; probe: TraceProbe }[];
	/** Global, clause-local and associative variables. */
	vars: VarState;
	counter: RollingCounter;
	probeCount: number;
	/** Each clause and the probes it is attached to (by identity: a probe seen again under a new id is the same probe). */
	clauses: { clause: Clause; names: Set<string> }[];
	/** A problem met while following new processes (shown, not thrown). */
	error?: string;
	/** Firings counted by groups released since (their processes exited). */
	retired: number;
	/** Nested firings the kernel refused (recursion misses) of groups released since. */
	retiredMisses: number;
	/** Per-CPU updates must be atomic (see ClauseProgram.atomic). */
	atomic: boolean;
	/** Some clause aggregates by ustack(). */
	userStacks: boolean;
	/** The enabling's speculations, when it uses them. */
	spec?: Speculations;
}

/** A new enabling's state before anything is made for it: no groups, no slots, nothing counted. */
export function newEnabling(
	f: Pick<EnablingState, "id" | "program" | "d" | "label" | "vars" | "atomic" | "userStacks">,
): EnablingState {
	return {
		id: f.id,
		program: f.program,
		d: f.d,
		label: f.label,
		groups: [],
		aggs: new Map(),
		tls: new Map(),
		dropSlot: -1,
		drops: 0,
		truncSlot: -1,
		truncated: 0,
		faultSlot: -1,
		faults: 0,
		vars: f.vars,
		counter: new RollingCounter(),
		probeCount: 0,
		clauses: [],
		retired: 0,
		retiredMisses: 0,
		atomic: f.atomic,
		userStacks: f.userStacks,
	};
}

/** Aggregations print in the order the program names them (BEGIN's were made first). */
export function orderAggregations(st: EnablingState): void {
	const order = new Map<string, number>();
	for (const c of st.program.clauses)
		for (const s of c.statements) if (s.kind === "aggregate" && !order.has(s.name)) order.set(s.name, order.size);
	st.aggs = new Map([...st.aggs].sort((x, y) => (order.get(x[0]) ?? 0) - (order.get(y[0]) ?? 0)));
}

/**
 * Close a group's links and program, then (after `detached`, which may still
 * read them) its maps; failures go to `attempt`.
 */
export function closeGroup(
	g: Group,
	attempt: (f: () => void) => void = (f) => f(),
	detached: () => void = () => {},
): void {
	for (const l of g.links) attempt(() => l.close());
	g.links = [];
	if (g.program) attempt(() => g.program?.close());
	attempt(detached);
	attempt(() => g.hits.close());
	if (g.syscallMap) attempt(() => g.syscallMap?.close());
}

/** Release everything an enabling holds; the first failure is thrown after all were tried. */
export function releaseEnabling(st: EnablingState, maps: SharedMaps): void {
	const attempts = new Attempts();
	const attempt = attempts.run;
	for (const g of st.groups) closeGroup(g, attempt);
	for (const a of st.aggs.values()) {
		attempt(() => a.map.close());
		maps.freeSlot(a.insertSlot);
	}
	maps.freeSlot(st.dropSlot);
	if (st.truncSlot >= 0) maps.freeSlot(st.truncSlot);
	if (st.faultSlot >= 0) maps.freeSlot(st.faultSlot);
	releaseVars(st.vars, maps, attempt);
	if (st.spec) attempt(() => st.spec?.close());
	st.groups = [];
	st.aggs.clear();
	attempts.rethrow();
}
