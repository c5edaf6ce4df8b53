// From a D clause to programs in the kernel: match its probes, group them by
// provider, lower and compile per group, load, and attach. Every choice that
// depends on the kind of probe is the provider's (source/providers).
import { BPF_F_SLEEPABLE, BpfMap, JumpRangeError, MapType, Program, VerifierError } from "../../kernel/bpf/index.ts";
import { compileClauses } from "../../kernel/codegen/compile.ts";
import { canFault, type FaultPlan } from "../../kernel/codegen/faults.ts";
import type { ClauseProgram, Stmt } from "../../kernel/codegen/ir.ts";
import { DescriptionError } from "../catalog/description.ts";
import type { Clause, Statement } from "../d/ast.ts";
import { expandMacros, probeText } from "../d/index.ts";
import {
	type ClauseReads,
	isKind,
	type ProbeOf,
	ProgramLimitError,
	providerOf,
	type TraceProbe,
} from "../providers/index.ts";
import type { EnablingState, Group } from "./enabling.ts";
import { SessionError } from "./errors.ts";
import { lowerClause } from "./group-clause.ts";
import { clauseUsesStacks, type LowerEnv, lowerAggregate, lowerInt, usesArgs } from "./lower.ts";
import type { SharedMaps } from "./maps.ts";
import { noProbes } from "./no-match.ts";
import type { MatchRequest, ProbeSource } from "./probes.ts";
import { clauseRecords, RecordBuilder, type RecordLayout } from "./records.ts";
import { type SkippedProbe, skippedMapOf } from "./skipped.ts";
import { sleepablePrograms } from "./sleepable.ts";
import { varEnvOf } from "./vars.ts";
import { widen } from "./widen.ts";

export { unwindsAt } from "./group-clause.ts";
export { type SkippedProbe, skippedProbes, skippedSummary } from "./skipped.ts";

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
	/** Bytes a string takes, its NUL included: the strsize option + 1. */
	strsize: number;
	/** Bytes of dynamic variable space (the dynvarsize option): each associative array's budget. */
	dynvarsize: number;
	/** Remember a record layout for the consumer; returns its descriptor id (the record's first word). */
	registerRecord(layout: RecordLayout, enabling: number): number;
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
		const found = matchOrNone(cx, req, desc);
		if (found.length === 0) throw noProbes(desc.pos, desc.text, req, { why: cx.probes.whyNot?.(req) });
		for (const p of found) {
			// On the file when the description covers every process of the provider (widen.ts).
			const w = widen(p, req.provider);
			if (!seen.has(p.id) || w !== p) seen.set(p.id, w);
		}
	}
	return [...seen.values()];
}

/** The probes `req` matches; an unknown provider matches none, as in DTrace (dtop's sentence kept for -v). */
function matchOrNone(cx: BuildContext, req: MatchRequest, desc: Clause["probes"][number]): TraceProbe[] {
	try {
		return cx.probes.match(req);
	} catch (e) {
		if (e instanceof DescriptionError && e.message.startsWith("unknown provider"))
			throw noProbes(desc.pos, desc.text, req, { detail: e.message });
		throw e;
	}
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
	const skipped = skippedMapOf(st);
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

/**
 * Attach clauses to probes so that the clauses enabling a probe share one
 * program, which runs them in program order on each firing, as DTrace does:
 * after exit() the firing's later clauses still run, and one tick-N is one
 * timer. (Separate programs would not do: the kernel runs a uprobe's
 * programs newest first, and each would check the exit state anew.)
 */
export function attachTogether(
	cx: BuildContext,
	st: EnablingState,
	work: { clause: Clause; probes: TraceProbe[] }[],
): void {
	const byProbe = new Map<string, { probe: TraceProbe; clauses: number[] }>();
	work.forEach((w, i) => {
		for (const p of w.probes) {
			const k = probeKey(p);
			let e = byProbe.get(k);
			if (!e) byProbe.set(k, (e = { probe: p, clauses: [] }));
			if (!e.clauses.includes(i)) e.clauses.push(i);
		}
	});
	const bySet = new Map<string, { clauses: Clause[]; probes: TraceProbe[] }>();
	for (const e of byProbe.values()) {
		const key = e.clauses.join(",");
		let g = bySet.get(key);
		if (!g) bySet.set(key, (g = { clauses: e.clauses.map((i) => work[i].clause), probes: [] }));
		g.probes.push(e.probe);
	}
	for (const g of bySet.values()) attachProbes(cx, st, g.clauses, g.probes);
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
	const dtrace = isKind(probes[0], "dtrace");
	// The enabling's ERROR clauses run inside this program when one of its clauses faults (faults.ts).
	const errorOf = st.errorClauses ?? [];
	const inlineErrors =
		errorOf.length > 0 &&
		!(dtrace && (probes[0] as ProbeOf<"dtrace">).target.which === "ERROR") &&
		lowered.some((l) => st.faultSlot >= 0 && canFault(l));
	const hits = BpfMap.create({
		type: MapType.PERCPU_ARRAY,
		keySize: 4,
		valueSize: 8,
		// One more slot for ERROR's firings in this program.
		maxEntries: probes.length + (inlineErrors ? 1 : 0),
		name: "dtop_hits",
	});
	// The group is the enabling's from here, so a failure below releases what was made.
	const group: Group = { probes, links: [], hits };
	st.groups.push(group);
	const cookie = (i: number) => (BigInt(probes[i].id) << 32n) | BigInt(i);
	Object.assign(group, provider.groupMaps?.(probes, cookie));
	const load = provider.load(probes, maps.env, cookie, reads);
	const clauseProgram = (
		l: ReturnType<typeof lowerClause>,
		clause: Clause,
		ignoreState: boolean,
		args: ClauseProgram["args"],
	): ClauseProgram => ({
		name: st.d,
		ctx: plans.ctx,
		args,
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
		faults: faultPlan(cx, st, l, clauseIndex(st, clause)),
		stateFd: maps.state.fd,
		ignoreState,
		bufFd: maps.buf.fd,
		strsize: cx.strsize,
		truncSlot: st.truncSlot,
		globalsFd: st.vars.globalsMap?.fd,
		thisSize: st.vars.localsSize,
		dynDropSlot: st.vars.dynDropSlot,
		spec: st.spec?.plan,
	});
	const programs = lowered.map((l, i) => clauseProgram(l, clauses[i], dtrace, plans.args));
	const errors = inlineErrors ? errorPrograms(cx, st, errorOf, env, plans.ctx, clauseProgram) : undefined;
	if (errors) {
		group.errorProbe = errors.probe;
		programs[0] = {
			...programs[0],
			onError: { clauses: errors.programs, cookie: (BigInt(errors.probe.id) << 32n) | BigInt(probes.length) },
		};
	}
	group.run = dtrace ? (probes[0] as ProbeOf<"dtrace">).target.which : undefined;
	const { fixedCookie: _, ...spec } = load;
	const name = `dtop_${st.id}`;
	try {
		const sleepable = sleepablePrograms(probes, clauses, programs, maps);
		try {
			if (sleepable)
				group.program = Program.load({ ...spec, flags: BPF_F_SLEEPABLE, insns: compileClauses(sleepable), name });
		} catch (e) {
			// What the verifier refuses sleepable loads as before (reads of unmapped pages then fault).
			if (!(e instanceof VerifierError)) throw e;
		}
		group.program ??= loadWithErrors(spec, programs, name, () => {
			// The kernel refused the program with ERROR inside: ERROR runs from the consumer for its faults.
			group.errorProbe = undefined;
		});
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

/**
 * Load a program; when it carries ERROR's clauses and the verifier refuses it
 * (the stack the error block and an unwinder take together, a jump too long),
 * load it without them, and ERROR fires from the consumer (BPF_PROG_TEST_RUN).
 */
function loadWithErrors(
	spec: Omit<Parameters<typeof Program.load>[0], "insns" | "name">,
	programs: ClauseProgram[],
	name: string,
	without: () => void,
): Program {
	try {
		return Program.load({ ...spec, insns: compileClauses(programs), name });
	} catch (e) {
		if (!programs[0].onError || !(e instanceof VerifierError || e instanceof JumpRangeError)) throw e;
		without();
		const { onError: _, ...first } = programs[0];
		return Program.load({ ...spec, insns: compileClauses([first, ...programs.slice(1)]), name });
	}
}

/**
 * The enabling's ERROR clauses lowered for ERROR's probe but run in this
 * program: ERROR's arguments come from the fault handler's stack slots, and
 * everything else (pid, execname, tid, user registers and stacks) is the
 * faulting firing's, as in DTrace. Undefined, and ERROR fires from the
 * consumer, when one cannot run there: an ERROR clause that speculates (a
 * speculation's per-CPU state would be the faulting clause's), or one that
 * cannot be lowered for this probe's context (ustack() into an aggregation
 * the ERROR program fills by frame pointers and this one from .eh_frame).
 */
function errorPrograms(
	cx: BuildContext,
	st: EnablingState,
	errorOf: NonNullable<EnablingState["errorClauses"]>,
	env: LowerEnv,
	ctx: ClauseProgram["ctx"],
	make: (
		l: ReturnType<typeof lowerClause>,
		c: Clause,
		ignoreState: boolean,
		args: ClauseProgram["args"],
	) => ClauseProgram,
): { probe: TraceProbe; programs: ClauseProgram[] } | undefined {
	const probe = errorOf[0].probe;
	const args = [0, 1, 2, 3, 4, 5].map((n) => ({ k: "error-arg" as const, n }));
	const programs: ClauseProgram[] = [];
	for (const { clause } of errorOf) {
		let l: ReturnType<typeof lowerClause>;
		try {
			l = lowerClause(cx, st, clause, { ...env, probes: [probe] }, [probe], ctx);
		} catch (e) {
			if (e instanceof SessionError) return undefined;
			throw e;
		}
		if (JSON.stringify(l.statements, (_k, v) => (typeof v === "bigint" ? 0 : v)).includes('"k":"speculat'))
			return undefined;
		// ERROR's clauses check no state, as when the consumer runs them.
		programs.push(make(l, clause, true, args));
	}
	return { probe, programs };
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
