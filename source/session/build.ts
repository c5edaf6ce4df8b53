// From a D clause to programs in the kernel: match its probes, group them by
// provider, lower and compile per group, load, and attach. Every choice that
// depends on the kind of probe is the provider's (source/providers).
import { BpfMap, JumpRangeError, MapType, Program } from "../../kernel/bpf/index.ts";
import { compileClauses } from "../../kernel/codegen/compile.ts";
import { canFault, type FaultPlan } from "../../kernel/codegen/faults.ts";
import type { ClauseProgram, ContextKind, Stmt } from "../../kernel/codegen/ir.ts";
import { keySize, valueSize } from "../../kernel/codegen/layout.ts";
import { taskRegsSupported, type UserRegs } from "../../kernel/unwind/regs.ts";
import type { Clause, Expr, Statement } from "../d/ast.ts";
import { expandMacros, print as printD, probeText } from "../d/index.ts";
import {
	type ClauseReads,
	isKind,
	type ProbeOf,
	ProgramLimitError,
	providerOf,
	type TraceProbe,
} from "../providers/index.ts";
import type { AggState, EnablingState, Group } from "./enabling.ts";
import { SessionError } from "./errors.ts";
import {
	allStatements,
	clauseUsesStacks,
	forEachExpr,
	isStringVar,
	type LowerEnv,
	lowerAggregate,
	lowerAssign,
	lowerInt,
	lowerRef,
	lowerStr,
	usesArgs,
} from "./lower.ts";
import { SCRATCH_SIZE, type SharedMaps } from "./maps.ts";
import type { ProbeSource } from "./probes.ts";
import { clauseRecords, RecordBuilder, type RecordLayout } from "./records.ts";
import { varEnvOf } from "./vars.ts";
import { widen } from "./widen.ts";

export interface BuildContext {
	probes: ProbeSource;
	/** `$target` (the -c/-p process). */
	target: number | undefined;
	maxProbes: number;
	aggEntries: number;
	maps: SharedMaps;
	/** A new thread-local slot (slots are unique in the session: the map is shared). */
	nextTls(): number;
	/** Remember the mappings of the processes these probes fire in (a clause takes stacks). */
	captureProcesses(probes: TraceProbe[]): void;
	/** Start counting firings of a probe (the tree's live rate). */
	countProbe(st: EnablingState, id: number): void;
	/** Bytes a string takes in a record (the strsize option). */
	strsize: number;
	/** Bytes of dynamic variable space (the dynvarsize option): each associative array's budget. */
	dynvarsize: number;
	/** Remember a record layout for the consumer; returns its descriptor id (the record's first word). */
	registerRecord(layout: RecordLayout, enabling: number): number;
}

/** A probe the kernel refused alone (the rest of its enabling is attached), and why. */
export interface SkippedProbe {
	probe: string;
	reason: string;
}

/** Per enabling, by probe name: a probe refused again (in each new process a clause follows) is one entry. */
const skippedBy = new WeakMap<EnablingState, Map<string, SkippedProbe>>();

/** The probes of an enabling the kernel refused, in the order met. */
export function skippedProbes(st: EnablingState): readonly SkippedProbe[] {
	return [...(skippedBy.get(st)?.values() ?? [])];
}

/** One line for skipped probes: how many and why, most common reason first. */
export function skippedSummary(skipped: readonly SkippedProbe[]): string | undefined {
	if (skipped.length === 0) return undefined;
	const reasons = new Map<string, string[]>();
	for (const s of skipped) {
		let names = reasons.get(s.reason);
		if (!names) reasons.set(s.reason, (names = []));
		names.push(s.probe);
	}
	const parts = [...reasons.entries()]
		.sort((a, b) => b[1].length - a[1].length)
		.map(([reason, names]) =>
			reasons.size === 1 && names.length <= 3
				? `${reason}: ${names.join(", ")}`
				: `${names.length} ${reason}${names.length <= 3 ? `: ${names.join(", ")}` : ""}`,
		);
	const n = skipped.length;
	return `${n} probe${n === 1 ? "" : "s"} skipped (${parts.join("; ")})`;
}

/**
 * Does the clause take kernel stacks (kstack(), stack())? Searched through the
 * whole clause, so statements of any kind are seen.
 */
export function usesKernelStack(clause: Clause): boolean {
	const seen = (v: unknown): boolean => {
		if (Array.isArray(v)) return v.some(seen);
		if (v === null || typeof v !== "object") return false;
		const o = v as { kind?: unknown; fn?: unknown };
		if (o.kind === "call" && (o.fn === "kstack" || o.fn === "stack")) return true;
		return Object.values(o).some(seen);
	};
	return seen(clause.statements) || seen(clause.predicate);
}

/** What makes two probes the same attachment. */
export function probeKey(p: TraceProbe): string {
	return providerOf(p).identity(p);
}

/** The probes a clause's descriptions match (macros expanded); none is an error. */
export function matchClause(cx: BuildContext, clause: Clause): TraceProbe[] {
	const seen = new Map<number, TraceProbe>();
	for (const desc of clause.probes) {
		const expand = (s: string) => {
			if (s.includes("$target") && cx.target === undefined)
				throw new SessionError(`'${desc.text}' uses $target, but no -c or -p process was given.`);
			return expandMacros(s, { target: cx.target });
		};
		const req = {
			provider: expand(desc.provider),
			module: expand(desc.module),
			function: expand(desc.function),
			name: expand(desc.name),
		};
		const found = cx.probes.match(req);
		if (found.length === 0) {
			const why = cx.probes.whyNot?.(req);
			throw new SessionError(`no probes match '${desc.text || probeText(req)}'${why ? `: ${why}` : ""}.`);
		}
		for (const p of found) {
			// On the file when the description covers every process of the provider (widen.ts).
			const w = widen(p, req.provider);
			if (!seen.has(p.id) || w !== p) seen.set(p.id, w);
		}
	}
	return [...seen.values()];
}

/**
 * Lowers a clause that matched no probe yet (-Z), so that what cannot be
 * compiled is refused now, as it is when probes match, not when one appears.
 */
export function checkUnmatched(clause: Clause, strsize: number): void {
	// Without the enabling's variables (they are laid out when probes match):
	// what needs them is checked then; everything else now.
	const env: LowerEnv = { probes: [], tlsSlot: () => 0, strsize, epid: 0 };
	const rec = clauseRecords(clause) ? new RecordBuilder(env, strsize) : undefined;
	const tryLower = (f: () => void) => {
		try {
			f();
		} catch (e) {
			if (!(e instanceof Error && /variable/.test(e.message))) throw e;
		}
	};
	const walk = (ss: Statement[]): void => {
		for (const s of ss) {
			if (s.kind === "expr") tryLower(() => rec?.action(s.expr));
			else if (s.kind === "aggregate") tryLower(() => lowerAggregate(s, env));
			else if (s.kind === "if") {
				tryLower(() => lowerInt(s.cond, env));
				walk(s.body);
				walk(s.otherwise ?? []);
			}
		}
	};
	walk(clause.statements);
	if (clause.predicate) tryLower(() => lowerInt(clause.predicate!, env));
}

/**
 * Attach clauses of an enabling to more probes (at enable, and when new ones
 * appear): every probe given is enabled by every clause given, and each group
 * of probes gets one program running the clauses in program order.
 */
export function attachProbes(cx: BuildContext, st: EnablingState, clauses: Clause[], probes: TraceProbe[]): void {
	if (probes.length === 0 || clauses.length === 0) return;
	st.probeCount += new Set(probes.map((p) => p.id)).size * clauses.length;
	if (st.probeCount > cx.maxProbes)
		throw new SessionError(
			`the enabling matches ${st.probeCount} probes, more than the limit of ${cx.maxProbes}; narrow the description (or raise --max-probes).`,
		);
	for (const p of probes) {
		const why = providerOf(p).unavailable?.(p);
		if (why) throw new SessionError(`${why}.`);
	}
	if (clauses.some(clauseUsesStacks)) cx.captureProcesses(probes);
	const reads = { args: clauses.some(usesArgs), kernelStack: clauses.some(usesKernelStack) };
	const groups = new Map<string, TraceProbe[]>();
	for (const p of probes) {
		const key = `${p.target.kind}\0${providerOf(p).groupKey(p, reads)}`;
		let g = groups.get(key);
		if (!g) groups.set(key, (g = []));
		g.push(p);
	}
	const skipped = skippedBy.get(st) ?? new Map<string, SkippedProbe>();
	skippedBy.set(st, skipped);
	const refused: SkippedProbe[] = [];
	const chunks = mapChunks(clauses);
	for (const group of groups.values()) {
		// The kernel runs a uprobe's programs newest first: attach the chunks last to first.
		const ordered = isKind(group[0], "uprobe") ? [...chunks].reverse() : chunks;
		for (const chunk of ordered) enableGroup(cx, st, chunk, group, reads, (s) => refused.push(s));
	}
	for (const s of refused) skipped.set(s.probe, s);
	// Refusals are skipped while something else attaches; an enabling the kernel
	// refuses whole is an error.
	if (refused.length > 0 && st.groups.every((g) => g.links.length === 0))
		throw new SessionError(
			`the kernel refused ${refused.length === 1 ? "the probe" : `all ${refused.length} probes`} of the enabling: ${refused[0].probe}: ${refused[0].reason}.`,
		);
}

/** Maps a program may use besides its aggregations (hits, counters, zero, state, syscall filter, self->, stacks, ring, scratch). */
const FIXED_MAPS = 10;
/** The kernel's limit of maps one program uses (MAX_USED_MAPS). */
const MAX_USED_MAPS = 64;

/**
 * Clauses in program order, cut where one program would use more maps than the
 * kernel lets it (each aggregation is a map): usually one piece.
 */
function mapChunks(clauses: Clause[]): Clause[][] {
	const out: Clause[][] = [];
	let cur: Clause[] = [];
	let names = new Set<string>();
	for (const c of clauses) {
		const mine = new Set(c.statements.flatMap((s) => (s.kind === "aggregate" ? [s.name] : [])));
		const merged = new Set([...names, ...mine]);
		if (cur.length > 0 && merged.size + FIXED_MAPS > MAX_USED_MAPS) {
			out.push(cur);
			cur = [];
			names = mine;
		} else names = merged;
		cur.push(c);
	}
	if (cur.length) out.push(cur);
	return out;
}

/** One clause lowered for a group: its statements, predicate and record layout. */
function lowerClause(
	cx: BuildContext,
	st: EnablingState,
	clause: Clause,
	env: LowerEnv,
	probes: TraceProbe[],
	ctx: ContextKind,
) {
	const regs = usesStackFn(clause, "ustack") ? unwindsAt(ctx) : undefined;
	const unwind = regs !== undefined;
	// The record's layout is registered first: its id is the clause's epid.
	const records = clauseRecords(clause);
	const layout: RecordLayout = { size: 0, actions: [] };
	const epid = records || usesEpid(clause) ? cx.registerRecord(layout, st.id) : undefined;
	env = { ...env, epid };
	const rec = records ? new RecordBuilder(env, cx.strsize, unwind) : undefined;
	// Actions inside if/else: their record flags, cleared when the clause starts.
	const guards: Stmt[] = [];
	const lowerStatements = (ss: Statement[], guarded = false): Stmt[] => {
		const out: Stmt[] = [];
		for (const s of ss) lowerStatement(s, out, guarded);
		return out;
	};
	const lowerStatement = (s: Statement, statements: Stmt[], guarded: boolean): void => {
		if (s.kind === "expr" && s.expr.fn === "speculate") {
			statements.push({ k: "speculate", id: lowerInt(s.expr.args[0] as Expr, env) });
			return;
		}
		if (s.kind === "expr") {
			if (guarded) {
				const off = rec!.guard();
				guards.push({ k: "rec-int", off, e: { k: "const", v: 0n } });
				statements.push({ k: "rec-int", off, e: { k: "const", v: 1n } });
				rec!.action(s.expr);
				rec!.actions[rec!.actions.length - 1]!.guard = off;
			} else rec!.action(s.expr);
			statements.push(...rec!.stmts.splice(0));
			return;
		}
		if (s.kind === "assign") {
			if (isStringVar(s.target, env))
				statements.push({ k: "strstore", v: lowerRef(s.target, env), e: lowerStr(s.value, env) });
			else statements.push({ k: "eval", e: lowerAssign(s, env) });
			return;
		}
		if (s.kind === "if") {
			statements.push({
				k: "if",
				c: lowerInt(s.cond, env),
				yes: lowerStatements(s.body, true),
				no: lowerStatements(s.otherwise ?? [], true),
			});
			return;
		}
		const low = lowerAggregate(s, env);
		if (unwind) for (const d of low.decode) if (d.k === "stack" && d.user) d.unwound = true;
		const agg = aggregation(
			cx,
			st,
			low,
			s.keys.map((k) => printD(k)),
			s.args.map((x) => printD(x)),
		);
		statements.push({
			k: "agg",
			mapFd: agg.map.fd,
			fn: low.fn,
			keys: low.keys,
			value: low.value,
			lq: low.lq,
			weight: low.weight,
			insertSlot: agg.insertSlot,
		});
	};
	const body = lowerStatements(clause.statements);
	const statements = [...guards, ...body];
	const predicate = clause.predicate ? lowerInt(clause.predicate, env) : undefined;
	let record: ClauseProgram["record"];
	if (rec) {
		if (rec.size > SCRATCH_SIZE)
			throw new SessionError(
				`a firing of this clause records ${rec.size} bytes, more than the ${SCRATCH_SIZE} a record holds; print fewer or shorter strings (-x strsize=N).`,
			);
		const which = isKind(probes[0], "dtrace") ? probes[0].target.which : undefined;
		layout.size = rec.size;
		layout.actions = rec.actions;
		if (which === "BEGIN") layout.phase = "begin";
		if (which === "END") layout.phase = "end";
		const { maps } = cx;
		record = {
			ringFd: maps.ring.fd,
			scratchFd: maps.scratch.fd,
			size: rec.size,
			descId: epid!,
			dropSlot: maps.ringDropSlot,
		};
	}
	// The stack-trace map, unless the unwinder takes every stack of the clause.
	const stackMap = clauseUsesStacks(clause) && (!unwind || usesStackFn(clause, "kstack"));
	return { statements, predicate, record, regs, stackMap };
}

function enableGroup(
	cx: BuildContext,
	st: EnablingState,
	clauses: Clause[],
	probes: TraceProbe[],
	reads: ClauseReads,
	skipped: (s: SkippedProbe) => void,
): void {
	const { maps } = cx;
	const provider = providerOf(probes[0]);
	const plans = provider.context(probes[0], maps.env, reads);
	let usesTls = false;
	const env: LowerEnv = {
		probes,
		strsize: cx.strsize,
		vars: varEnvOf(st, cx.dynvarsize),
		containers: () => maps.containers,
		tlsSlot: (name) => {
			usesTls = true;
			let s = st.tls.get(name);
			if (s === undefined) {
				s = cx.nextTls();
				st.tls.set(name, s);
			}
			return s;
		},
	};
	const lowered = clauses.map((c) => lowerClause(cx, st, c, env, probes, plans.ctx));
	const hits = BpfMap.create({
		type: MapType.PERCPU_ARRAY,
		keySize: 4,
		valueSize: 8,
		maxEntries: probes.length,
		name: "dtop_hits",
	});
	// The group is the enabling's from here, so a failure below releases what was made.
	const group: Group = { probes, links: [], hits };
	st.groups.push(group);
	const cookie = (i: number) => (BigInt(probes[i].id) << 32n) | BigInt(i);
	Object.assign(group, provider.groupMaps?.(probes, cookie));
	const load = provider.load(probes, maps.env, cookie, reads);
	const dtrace = isKind(probes[0], "dtrace");
	const programs: ClauseProgram[] = lowered.map((l, i) => ({
		name: st.d,
		ctx: plans.ctx,
		args: plans.args,
		retval: plans.retval,
		syscallMapFd: group.syscallMap?.fd,
		cgroupScopeFd: maps.cgroupScopeFor(probes),
		hitsFd: hits.fd,
		countersFd: maps.counters.fd,
		dropSlot: st.dropSlot,
		tlsFd: usesTls ? maps.tls.fd : undefined,
		// The stack-trace map, unless the unwinder takes every stack of the clause.
		stackFd: l.stackMap ? maps.stacks.fd : undefined,
		ustack: l.regs !== undefined ? maps.unwinder.code() : undefined,
		ustackRegs: l.regs,
		zeroFd: maps.zero.fd,
		predicate: l.predicate,
		statements: l.statements,
		atomic: st.atomic,
		fixedCookie: load.fixedCookie,
		record: l.record,
		faults: faultPlan(cx, st, l, clauseIndex(st, clauses[i])),
		stateFd: maps.state.fd,
		ignoreState: dtrace,
		bufFd: maps.buf.fd,
		strsize: cx.strsize,
		truncSlot: st.truncSlot,
		globalsFd: st.vars.globalsMap?.fd,
		thisSize: st.vars.localsSize,
		dynDropSlot: st.vars.dynDropSlot,
		spec: st.spec?.plan,
	}));
	group.run = dtrace ? (probes[0] as ProbeOf<"dtrace">).target.which : undefined;
	const { fixedCookie: _, ...spec } = load;
	try {
		group.program = Program.load({ ...spec, insns: compileClauses(programs), name: `dtop_${st.id}` });
	} catch (e) {
		if (e instanceof JumpRangeError) {
			const what = clauses[0].probes.map((d) => d.text || probeText(d)).join(", ");
			throw new SessionError(
				`the clause for '${what}' is too long for one BPF program: a jump in it would span ${Math.abs(e.distance)} instructions and BPF jumps reach at most 32767; split its statements into several clauses on the same probes.`,
				{ cause: e },
			);
		}
		throw e;
	}
	for (const p of probes) cx.countProbe(st, p.id);
	const skip = (i: number, reason: string) => {
		const p = probes[i];
		skipped({ probe: `${p.provider}:${p.module}:${p.function}:${p.name}`, reason });
	};
	try {
		group.links.push(...provider.attach(group.program.fd, probes, maps.env, cookie, { reads, skip }));
	} catch (e) {
		if (e instanceof ProgramLimitError) throw new SessionError(e.message, { cause: e });
		throw e;
	}
}

/** A clause's index in its program (DTrace's clause number, the ERROR probe's arg2). */
function clauseIndex(st: EnablingState, c: Clause | undefined): number {
	const i = st.program.clauses.indexOf(c as Clause);
	return i >= 0
		? i
		: Math.max(
				0,
				st.clauses.findIndex((x) => x.clause === c),
			);
}

/**
 * Where a clause's runtime faults go: the enabling's fault counter and the
 * ring, under the clause's enabled probe id (its record's, or one of its own
 * when it records nothing). A clause that cannot fault has none.
 */
function faultPlan(
	cx: BuildContext,
	st: EnablingState,
	l: { statements: Stmt[]; predicate?: ClauseProgram["predicate"]; record?: ClauseProgram["record"] },
	clause: number,
): FaultPlan | undefined {
	if (st.faultSlot < 0 || !canFault(l)) return undefined;
	const epid = l.record?.descId ?? cx.registerRecord({ size: 0, actions: [] }, st.id);
	return { ringFd: cx.maps.ring.fd, epid, clause, slot: st.faultSlot, dropSlot: cx.maps.ringDropSlot };
}

/**
 * Where ustack() here finds the user registers for the .eh_frame unwinder: the
 * context's pt_regs at uprobes, the current task's elsewhere (where the kernel
 * allows it); undefined when it cannot unwind (no task registers), and
 * bpf_get_stackid walks frame pointers. x86_64 and aarch64.
 */
export function unwindsAt(ctx: ContextKind): UserRegs | undefined {
	if (process.arch !== "x64" && process.arch !== "arm64") return undefined;
	if (ctx === "uprobe" || ctx === "uprobe-multi") return "ctx";
	return taskRegsSupported() ? "task" : undefined;
}

function usesEpid(c: Clause): boolean {
	let found = false;
	forEachExpr(c, (e) => {
		if (e.kind === "builtin" && e.name === "epid") found = true;
	});
	return found;
}

function usesStackFn(c: Clause, fn: "ustack" | "kstack"): boolean {
	const is = (f: string) => f === fn || (fn === "kstack" && f === "stack");
	return allStatements(c.statements).some(
		(s) =>
			(s.kind === "aggregate" && s.keys.some((k) => k.kind === "call" && is(k.fn))) ||
			// ustack() as an action records the unwinder's walk (record-stack.ts)
			(fn === "ustack" && s.kind === "expr" && s.expr.fn === "ustack"),
	);
}

function aggregation(
	cx: BuildContext,
	st: EnablingState,
	low: ReturnType<typeof lowerAggregate>,
	keyText: string[],
	argText: string[],
): AggState {
	const have = st.aggs.get(low.name);
	if (have) {
		if (have.fn !== low.fn || have.decode.length !== low.decode.length)
			throw new SessionError(`@${low.name} is used with different functions or keys in one program.`);
		if (have.decode.some((d, i) => d.k === "stack" && d.unwound !== (low.decode[i] as typeof d).unwound))
			throw new SessionError(
				`@${low.name} takes ustack() at probes where the kernel lets dtop unwind from .eh_frame and at others (frame pointers only); use two aggregations.`,
			);
		return have;
	}
	// Keys that can take many values live in LRU maps (evictions are counted);
	// a keyless or probe-keyed aggregation cannot outgrow its map.
	const bounded = low.decode.every((d) => d.k === "probe");
	const lru = !bounded && low.decode.length > 0;
	// Keyless: a one-slot per-CPU array (its lookup is inlined by the verifier
	// and never misses; the generated key's first four bytes are the index 0).
	// Keyed by probe: room for every probe the enabling may match (preallocated
	// maps cost their size at creation). Anything else: an LRU hash.
	const keyless = low.decode.length === 0;
	const map = BpfMap.create({
		type: keyless ? MapType.PERCPU_ARRAY : lru ? MapType.LRU_PERCPU_HASH : MapType.PERCPU_HASH,
		keySize: keyless ? 4 : keySize(low.keys),
		valueSize: valueSize(low.fn, low.lq),
		maxEntries: keyless ? 1 : bounded ? Math.min(cx.maxProbes, Math.max(64, 4 * st.probeCount)) : cx.aggEntries,
		name: `dtop_${low.name || "agg"}`,
	});
	const a: AggState = {
		name: low.name,
		fn: low.fn,
		lq: low.lq,
		decode: low.decode,
		keyText,
		argText,
		map,
		lru,
		insertSlot: -1,
		rows: new Map(),
		evictions: 0,
	};
	st.aggs.set(low.name, a);
	a.insertSlot = cx.maps.allocSlot();
	return a;
}
