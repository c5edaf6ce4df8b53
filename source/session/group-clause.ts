// One clause lowered for a group of probes (build.ts): its statements,
// predicate and record layout, the aggregation maps it writes, and where
// ustack() finds the user registers.
import { BpfMap, MapType } from "../../kernel/bpf/index.ts";
import type { ClauseProgram, ContextKind, Stmt } from "../../kernel/codegen/ir.ts";
import { keySize, valueSize } from "../../kernel/codegen/layout.ts";
import { taskRegsSupported, type UserRegs } from "../../kernel/unwind/regs.ts";
import type { Clause, Expr, Statement } from "../d/ast.ts";
import { print as printD } from "../d/index.ts";
import { isKind, type TraceProbe } from "../providers/index.ts";
import type { BuildContext } from "./build.ts";
import type { AggState, EnablingState } from "./enabling.ts";
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
} from "./lower.ts";
import { SCRATCH_SIZE } from "./maps.ts";
import { clauseRecords, RecordBuilder, type RecordLayout } from "./records.ts";

/** One clause lowered for a group: its statements, predicate and record layout. */
export function lowerClause(
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

export function aggregation(
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
