// The consumer: turns D programs into loaded programs and links, toggles them,
// reads the per-CPU maps every tick, and keeps rolling windows per key. UI-free:
// batch mode and the interactive UI both sit on it.
import { statSync } from "node:fs";
import { hostname, release } from "node:os";
import { attachFentry, fbtMode, fentryTarget } from "../../kernel/attach/fentry.ts";
import {
	attachSampling,
	attachTracepoint,
	attachUprobeMulti,
	attachUprobePerf,
	type Link,
} from "../../kernel/attach/index.ts";
import { attachKprobe } from "../../kernel/attach/kprobe.ts";
import { BpfMap, MapType, Program, ProgType, possibleCpuCount, probeFeature } from "../../kernel/bpf/index.ts";
import { CodegenError, compileClause } from "../../kernel/codegen/compile.ts";
import { compileStopProcess } from "../../kernel/codegen/hold.ts";
import type { AggFn, ArgPlan, ClauseProgram, ContextKind, LQuantize, Stmt } from "../../kernel/codegen/ir.ts";
import { STACK_DEPTH } from "../../kernel/codegen/ir.ts";
import { keySize, valueSize } from "../../kernel/codegen/layout.ts";
import { ElfFile } from "../../kernel/elf/index.ts";
import { archFor, NotSupportedError, SyscallError, VerifierError } from "../../kernel/sys/index.ts";
import { tracefs } from "../../kernel/tracefs/index.ts";
import type { Clause, Program as DProgram } from "../d/ast.ts";
import { check, DError, expandMacros, parseProgram, print as printD, probeText } from "../d/index.ts";
import { type DecodedKeyPart, decodeKey, displayValue, histogram, mergePerCpu, type RowState } from "./aggregation.ts";
import {
	clauseUsesStacks,
	type KeyDecode,
	type LowerEnv,
	LowerError,
	lowerAggregate,
	lowerInt,
	usesArgs,
} from "./lower.ts";
import type { ProbeSource, TraceProbe } from "./probes.ts";
import { RollingCounter } from "./rolling.ts";
import { Symbolizer } from "./symbolize.ts";
import { usdtArgPlans } from "./usdt-args.ts";
import type { AggRow, AggregationView, EnablingView, KeyPart, SessionView } from "./view.ts";

/** A problem the user can fix; the message is one sentence. */
export class SessionError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "SessionError";
	}
}

export interface SessionOptions {
	probes: ProbeSource;
	tickMs?: number;
	/** `$target` (the -c/-p process). */
	target?: number;
	maxProbesPerEnabling?: number;
	/** Keys per aggregation map before the oldest are evicted. */
	aggEntries?: number;
	now?: () => number;
}

interface AggState {
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

interface Group {
	probes: TraceProbe[];
	program: Program;
	links: Link[];
	hits: BpfMap;
	syscallMap?: BpfMap;
}

interface EnablingState {
	id: number;
	program: DProgram;
	d: string;
	label: string;
	groups: Group[];
	aggs: Map<string, AggState>;
	tls: Map<string, number>;
	dropSlot: number;
	drops: number;
	counter: RollingCounter;
	probeCount: number;
	/** Each clause and the probes it is attached to (by name: a probe seen again under a new id is the same probe). */
	clauses: { clause: Clause; names: Set<string> }[];
	/** A problem met while following new processes (shown, not thrown). */
	error?: string;
	/** Firings counted by groups released since (their processes exited). */
	retired: number;
	/** Per-CPU updates must be atomic (see ClauseProgram.atomic). */
	atomic: boolean;
	/** Some clause aggregates by ustack(). */
	userStacks: boolean;
}

const inodes = new Map<string, string>();

/**
 * What makes two probes the same attachment: for uprobes the file (device and
 * inode, whatever path or symlink named it), offset, direction and process —
 * a library's probe planned before exec and the one the catalog finds after it
 * are one probe; for the rest, the name.
 */
function probeKey(p: TraceProbe): string {
	const t = p.target;
	if (t.kind === "uprobe") {
		let file = inodes.get(t.path);
		if (file === undefined) {
			try {
				const st = statSync(t.path);
				file = `${st.dev}:${st.ino}`;
			} catch {
				file = t.path;
			}
			if (inodes.size > 10_000) inodes.clear();
			inodes.set(t.path, file);
		}
		return `u:${file}:${t.offset}:${t.ret}:${t.pid ?? 0}`;
	}
	return `${p.provider}:${p.module}:${p.function}:${p.name}`;
}

/**
 * Whether a program's per-CPU updates must be atomic: it samples (NMI context),
 * uses trampolines, or mixes probe kinds that could nest on one CPU.
 */
function needsAtomic(matched: TraceProbe[][]): boolean {
	const kinds = new Set<string>();
	for (const probes of matched)
		for (const p of probes) kinds.add(p.target.kind === "syscall" ? "tracepoint" : p.target.kind);
	return kinds.size !== 1 || kinds.has("profile") || kinds.has("fbt");
}

const COUNTER_SLOTS = 4096;
const ZERO_SIZE = 16384;

export class Session {
	private readonly probes: ProbeSource;
	private readonly now: () => number;
	private readonly started: number;
	tickMs: number;
	paused = false;
	readonly target: number | undefined;
	private readonly maxProbes: number;
	private readonly aggEntries: number;
	private enablings = new Map<number, EnablingState>();
	private nextId = 1;
	private nextSlot = 0;
	private freeSlots: number[] = [];
	private tickNo = 0;
	private shared:
		| { counters: BpfMap; zero: BpfMap; tls?: BpfMap; stacks?: BpfMap; cpus: number; multi: boolean }
		| undefined;
	private readonly symbolizer = new Symbolizer();
	private stackCache = new Map<string, string[]>();
	private probeCounters = new Map<number, RollingCounter>();
	private closed = false;
	private lastView: SessionView | undefined;

	constructor(opts: SessionOptions) {
		this.probes = opts.probes;
		this.now = opts.now ?? (() => performance.now());
		this.started = this.now();
		this.tickMs = opts.tickMs ?? 1000;
		this.target = opts.target;
		this.maxProbes = opts.maxProbesPerEnabling ?? 10_000;
		this.aggEntries = opts.aggEntries ?? 4096;
	}

	private sharedMaps() {
		if (!this.shared) {
			const made: BpfMap[] = [];
			try {
				const mk = (spec: Parameters<typeof BpfMap.create>[0]) => {
					const m = BpfMap.create(spec);
					made.push(m);
					return m;
				};
				const counters = mk({
					type: MapType.PERCPU_ARRAY,
					keySize: 4,
					valueSize: 8,
					maxEntries: COUNTER_SLOTS,
					name: "dtop_ctr",
				});
				const zero = mk({ type: MapType.ARRAY, keySize: 4, valueSize: ZERO_SIZE, maxEntries: 1, name: "dtop_zero" });
				this.shared = {
					counters,
					zero,
					cpus: possibleCpuCount(),
					multi: probeFeature("uprobeMulti").supported,
				};
			} catch (e) {
				for (const m of made) m.close();
				throw e;
			}
		}
		return this.shared;
	}

	// The thread-local and stack maps are big (a 65,536-entry LRU hash, ~16 MB of
	// stack slots): made on first use, not for every session.
	private tlsMap(): BpfMap {
		const sh = this.sharedMaps();
		sh.tls ??= BpfMap.create({
			type: MapType.LRU_HASH,
			keySize: 16,
			valueSize: 8,
			maxEntries: 65536,
			name: "dtop_self",
		});
		return sh.tls;
	}

	private stackMap(): BpfMap {
		const sh = this.sharedMaps();
		sh.stacks ??= BpfMap.createStackTrace({ maxEntries: 16384, maxDepth: STACK_DEPTH, name: "dtop_stacks" });
		return sh.stacks;
	}

	private allocSlot(): number {
		const s = this.freeSlots.pop() ?? this.nextSlot++;
		if (s >= COUNTER_SLOTS) throw new SessionError("too many aggregations are enabled; disable some first.");
		// Slots are reused: zero the counter so a new owner starts from 0.
		const { counters, cpus } = this.sharedMaps();
		const key = Buffer.alloc(4);
		key.writeUInt32LE(s);
		counters.update(
			key,
			Array.from({ length: cpus }, () => Buffer.alloc(8)),
		);
		return s;
	}

	private readCounter(slot: number): number {
		const key = Buffer.alloc(4);
		key.writeUInt32LE(slot);
		const v = this.sharedMaps().counters.lookupPerCpu(key);
		return v ? v.reduce((n, b) => n + Number(b.readBigUInt64LE(0)), 0) : 0;
	}

	/** Enable a D program (one or more clauses sharing aggregations). Returns its id. */
	enable(source: string | DProgram, label?: string, opts: { allowZero?: boolean } = {}): number {
		if (this.closed) throw new SessionError("the session is closed.");
		let program: DProgram;
		try {
			program = typeof source === "string" ? parseProgram(this.expandTarget(source)) : source;
			check(program);
		} catch (e) {
			if (e instanceof DError) throw new SessionError(e.message);
			throw e;
		}
		const d = printD(program);
		let matched: TraceProbe[][];
		try {
			matched = program.clauses.map((c) => this.matchForEnable(c, opts.allowZero === true));
		} catch (e) {
			throw this.explain(e, d);
		}
		const st: EnablingState = {
			id: this.nextId++,
			program,
			d,
			label: label ?? program.clauses[0].probes.map((p) => p.text || probeText(p)).join(", "),
			groups: [],
			aggs: new Map(),
			tls: new Map(),
			dropSlot: -1,
			drops: 0,
			counter: new RollingCounter(),
			probeCount: 0,
			clauses: [],
			retired: 0,
			atomic: needsAtomic(matched),
			userStacks: program.clauses.some((c) =>
				c.statements.some((x) => x.kind === "aggregate" && x.keys.some((k) => k.kind === "call" && k.fn === "ustack")),
			),
		};
		try {
			st.dropSlot = this.allocSlot();
			program.clauses.forEach((clause, i) => {
				this.enableClause(st, clause, matched[i]);
			});
		} catch (e) {
			this.release(st);
			throw this.explain(e, d);
		}
		this.enablings.set(st.id, st);
		return st.id;
	}

	/** `$target` is a macro: replace it in the text before parsing, as DTrace does. */
	private expandTarget(text: string): string {
		if (!text.includes("$target")) return text;
		if (this.target === undefined)
			throw new SessionError("the program uses $target, but no process was given with -c or -p.");
		return text.replace(/\$target\b/g, String(this.target));
	}

	/** Remember the mappings of a traced process now, so its stacks symbolize after it exits. */
	private captureProcesses(probes: TraceProbe[]): void {
		const pids = new Set<number>();
		if (this.target !== undefined) pids.add(this.target);
		for (const p of probes) if (p.target.kind === "uprobe" && p.target.pid) pids.add(p.target.pid);
		for (const pid of pids) this.symbolizer.capture(pid);
	}

	private explain(e: unknown, d: string): Error {
		if (e instanceof SessionError) return e;
		if (e instanceof LowerError || e instanceof CodegenError) return new SessionError(e.message);
		if (e instanceof DError) return new SessionError(e.message);
		if (e instanceof VerifierError)
			return new SessionError(`the kernel rejected the program for '${d}': ${VerifierError.reason(e.log)}`);
		if (e instanceof NotSupportedError) return new SessionError(e.message);
		if (e instanceof SyscallError) return new SessionError(`enabling '${d}' failed: ${e.message}`);
		return e instanceof Error ? e : new Error(String(e));
	}

	private matchClause(clause: Clause): TraceProbe[] {
		const seen = new Map<number, TraceProbe>();
		for (const desc of clause.probes) {
			const expand = (s: string) => {
				if (s.includes("$target") && this.target === undefined)
					throw new SessionError(`'${desc.text}' uses $target, but no -c or -p process was given.`);
				return expandMacros(s, { target: this.target });
			};
			const req = {
				provider: expand(desc.provider),
				module: expand(desc.module),
				function: expand(desc.function),
				name: expand(desc.name),
			};
			const found = this.probes.match(req);
			if (found.length === 0) {
				const why = this.probes.whyNot?.(req);
				throw new SessionError(`no probes match '${desc.text || probeText(req)}'${why ? `: ${why}` : ""}.`);
			}
			for (const p of found) seen.set(p.id, p);
		}
		return [...seen.values()];
	}

	/** A clause's probes; with -Z, none yet is allowed (rematch() attaches them later). */
	private matchForEnable(clause: Clause, allowZero: boolean): TraceProbe[] {
		try {
			return this.matchClause(clause);
		} catch (e) {
			if (allowZero && e instanceof SessionError && e.message.startsWith("no probes match")) return [];
			throw e;
		}
	}

	private enableClause(st: EnablingState, clause: Clause, probes: TraceProbe[]): void {
		const names = new Set(probes.map(probeKey));
		st.clauses.push({ clause, names });
		this.attachProbes(st, clause, probes);
	}

	private attachProbes(st: EnablingState, clause: Clause, probes: TraceProbe[]): void {
		if (probes.length === 0) return;
		st.probeCount += new Set(probes.map((p) => p.id)).size;
		if (st.probeCount > this.maxProbes)
			throw new SessionError(
				`the enabling matches ${st.probeCount} probes, more than the limit of ${this.maxProbes}; narrow the description (or raise --max-probes).`,
			);
		const unavailable = probes.find((p) => p.target.kind === "fbt" && p.target.unavailable);
		if (unavailable && unavailable.target.kind === "fbt")
			throw new SessionError(
				`fbt probes cannot be enabled on this kernel: ${unavailable.target.unavailable ?? "kprobes and fentry are unavailable"}.`,
			);
		if (clauseUsesStacks(clause)) this.captureProcesses(probes);
		const args = usesArgs(clause);
		for (const group of this.groupProbes(probes, args)) this.enableGroup(st, clause, group);
	}

	/** Split probes into sets that one program and one kind of link can serve. */
	private groupProbes(probes: TraceProbe[], byArgs: boolean): TraceProbe[][] {
		const groups = new Map<string, TraceProbe[]>();
		for (const p of probes) {
			const t = p.target;
			let key: string;
			switch (t.kind) {
				case "syscall":
					key = `sys:${t.ret}`;
					break;
				case "tracepoint":
					key = byArgs ? `tp:${t.group}:${t.event}` : "tp";
					break;
				case "uprobe":
					key = `u:${t.path}:${t.pid ?? 0}:${t.ret}:${byArgs ? (t.usdtArgs ?? "") : ""}`;
					break;
				case "profile":
					key = `prof:${p.id}`;
					break;
				case "fbt":
					key = `fbt:${p.id}`;
					break;
			}
			let g = groups.get(key);
			if (!g) groups.set(key, (g = []));
			g.push(p);
		}
		return [...groups.values()];
	}

	private argPlans(p: TraceProbe): { ctx: ContextKind; args: (ArgPlan | undefined)[]; retval?: ArgPlan } {
		const t = p.target;
		const arch = archFor();
		switch (t.kind) {
			case "syscall": {
				const args: ArgPlan[] = [];
				if (t.ret) {
					const rv: ArgPlan = { k: "ctx", offset: 16, size: 8, signed: true };
					return { ctx: "syscall-exit", args: [rv, rv], retval: rv };
				}
				for (let i = 0; i < 6; i++) args.push({ k: "ctx", offset: 16 + 8 * i, size: 8, signed: true });
				return { ctx: "syscall-enter", args };
			}
			case "tracepoint": {
				const fields = t.fields?.() ?? [];
				return {
					ctx: "tracepoint",
					args: fields.map((f) =>
						f.integer && [1, 2, 4, 8].includes(f.size)
							? { k: "ctx" as const, offset: f.offset, size: f.size as 1 | 2 | 4 | 8, signed: f.signed }
							: undefined,
					),
				};
			}
			case "uprobe": {
				const ctx: ContextKind = this.sharedMaps().multi ? "uprobe-multi" : "uprobe";
				const reg = (name: string): ArgPlan => ({ k: "ctx", offset: arch.regs[name], size: 8, signed: true });
				if (t.usdtArgs !== undefined) return { ctx, args: usdtArgPlans(t.usdtArgs, arch) };
				if (t.ret) return { ctx, args: [{ k: "const", v: 0n }, reg(arch.retReg)], retval: reg(arch.retReg) };
				return { ctx, args: arch.argRegs.map(reg) };
			}
			case "profile":
				return { ctx: "perf", args: [reg64(arch.regs[arch.ipReg]), reg64(arch.regs[arch.ipReg])] };
			case "fbt": {
				const mode = fbtMode().mode;
				if (mode === "kprobe") {
					const reg = (name: string): ArgPlan => ({ k: "ctx", offset: arch.regs[name], size: 8, signed: true });
					if (t.ret) return { ctx: "kprobe", args: [reg(arch.retReg), reg(arch.retReg)], retval: reg(arch.retReg) };
					return { ctx: "kprobe", args: arch.argRegs.map(reg) };
				}
				const fn = fentryTarget(t.func, t.ret ? "return" : "entry").function;
				const slot = (i: number): ArgPlan => ({ k: "ctx", offset: 8 * i, size: 8, signed: true });
				const args = Array.from({ length: Math.min(10, fn.argSlots) }, (_, i) => slot(i));
				if (t.ret) return { ctx: "fentry", args: [slot(fn.argSlots), slot(fn.argSlots)], retval: slot(fn.argSlots) };
				return { ctx: "fentry", args };
			}
		}
	}

	private enableGroup(st: EnablingState, clause: Clause, probes: TraceProbe[]): void {
		const sh = this.sharedMaps();
		const plans = this.argPlans(probes[0]);
		let usesTls = false;
		const env: LowerEnv = {
			probes,
			tlsSlot: (name) => {
				usesTls = true;
				let s = st.tls.get(name);
				if (s === undefined) {
					s = this.nextTls++;
					st.tls.set(name, s);
				}
				return s;
			},
		};
		const statements: Stmt[] = [];
		for (const s of clause.statements) {
			if (s.kind === "assign") {
				statements.push({ k: "tls", slot: env.tlsSlot(s.target.name), value: lowerInt(s.value, env) });
				continue;
			}
			const low = lowerAggregate(s, env);
			const agg = this.aggregation(
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
				insertSlot: agg.insertSlot,
			});
		}
		const predicate = clause.predicate ? lowerInt(clause.predicate, env) : undefined;
		const hits = BpfMap.create({
			type: MapType.PERCPU_ARRAY,
			keySize: 4,
			valueSize: 8,
			maxEntries: probes.length,
			name: "dtop_hits",
		});
		const group: Group = { probes, program: undefined as unknown as Program, links: [], hits };
		st.groups.push(group);
		const cookie = (i: number) => (BigInt(probes[i].id) << 32n) | BigInt(i);
		let syscallMapFd: number | undefined;
		if (plans.ctx === "syscall-enter" || plans.ctx === "syscall-exit") {
			group.syscallMap = BpfMap.create({
				type: MapType.HASH,
				keySize: 4,
				valueSize: 8,
				maxEntries: Math.max(1, probes.length),
				name: "dtop_sysnr",
			});
			probes.forEach((p, i) => {
				if (p.target.kind !== "syscall") return;
				const k = Buffer.alloc(4);
				k.writeUInt32LE(p.target.nr);
				const v = Buffer.alloc(8);
				v.writeBigUInt64LE(cookie(i));
				group.syscallMap!.update(k, v);
			});
			syscallMapFd = group.syscallMap.fd;
		}
		const cp: ClauseProgram = {
			name: st.d,
			ctx: plans.ctx,
			args: plans.args,
			retval: plans.retval,
			syscallMapFd,
			hitsFd: hits.fd,
			countersFd: sh.counters.fd,
			dropSlot: st.dropSlot,
			tlsFd: usesTls ? this.tlsMap().fd : undefined,
			stackFd: clauseUsesStacks(clause) ? this.stackMap().fd : undefined,
			zeroFd: sh.zero.fd,
			predicate,
			statements,
			atomic: st.atomic,
		};
		const type =
			plans.ctx === "tracepoint" || plans.ctx === "syscall-enter" || plans.ctx === "syscall-exit"
				? ProgType.TRACEPOINT
				: plans.ctx === "perf"
					? ProgType.PERF_EVENT
					: ProgType.KPROBE;
		let load: { type: number; expectedAttachType?: number; attachBtfId?: number } = {
			type,
			expectedAttachType: plans.ctx === "uprobe-multi" ? 48 : undefined,
		};
		const first = probes[0].target;
		if (plans.ctx === "fentry" && first.kind === "fbt") {
			// A trampoline program is bound to its function when loaded.
			load = fentryTarget(first.func, first.ret ? "return" : "entry").load;
			cp.fixedCookie = cookie(0);
		}
		group.program = Program.load({ ...load, insns: compileClause(cp), name: `dtop_${st.id}` });
		for (const p of probes) this.probeCounter(p.id);
		this.attachGroup(group, plans.ctx, cookie);
	}

	private nextTls = 1;

	private probeCounter(id: number): RollingCounter {
		let c = this.probeCounters.get(id);
		if (!c) this.probeCounters.set(id, (c = new RollingCounter()));
		return c;
	}

	private attachGroup(g: Group, ctx: ContextKind, cookie: (i: number) => bigint): void {
		const fd = g.program.fd;
		const first = g.probes[0].target;
		switch (first.kind) {
			case "syscall": {
				const tf = tracefs();
				const ev = first.ret ? "sys_exit" : "sys_enter";
				g.links.push(attachTracepoint(fd, { id: tf.eventId("raw_syscalls", ev), name: `raw_syscalls:${ev}` }, 0n));
				return;
			}
			case "tracepoint":
				g.probes.forEach((p, i) => {
					if (p.target.kind !== "tracepoint") return;
					g.links.push(
						attachTracepoint(fd, { id: p.target.id, name: `${p.target.group}:${p.target.event}` }, cookie(i)),
					);
				});
				return;
			case "uprobe": {
				const spec = {
					path: first.path,
					pid: first.pid,
					retprobe: first.ret,
					sites: g.probes.map((p, i) => ({
						offset: p.target.kind === "uprobe" ? p.target.offset : 0n,
						refCtrOffset: p.target.kind === "uprobe" ? p.target.refCtrOffset : undefined,
						cookie: cookie(i),
					})),
				};
				g.links.push(ctx === "uprobe-multi" ? attachUprobeMulti(fd, spec) : attachUprobePerf(fd, spec));
				return;
			}
			case "profile":
				g.links.push(attachSampling(fd, { hz: first.hz, periodNs: first.periodNs }, cookie(0)));
				return;
			case "fbt":
				g.probes.forEach((p, i) => {
					if (p.target.kind !== "fbt") return;
					const t = p.target;
					g.links.push(
						ctx === "fentry"
							? attachFentry(fd, { function: t.func, kind: t.ret ? "return" : "entry" })
							: attachKprobe(fd, { function: t.func, retprobe: t.ret, cookie: cookie(i) }),
					);
				});
				return;
		}
	}

	private aggregation(
		st: EnablingState,
		low: ReturnType<typeof lowerAggregate>,
		keyText: string[],
		argText: string[],
	): AggState {
		const have = st.aggs.get(low.name);
		if (have) {
			if (have.fn !== low.fn || have.decode.length !== low.decode.length)
				throw new SessionError(`@${low.name} is used with different functions or keys in one program.`);
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
			maxEntries: keyless ? 1 : bounded ? Math.min(this.maxProbes, Math.max(64, 4 * st.probeCount)) : this.aggEntries,
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
		a.insertSlot = this.allocSlot();
		return a;
	}

	/**
	 * Follow the machine: attach every enabling to probes that appeared since it
	 * was enabled (a new process of a matching provider, a library loaded with
	 * dlopen), and release programs whose processes have all exited. Call when
	 * the probe catalog changes. Problems are recorded on the enabling, not thrown.
	 */
	rematch(exited: ReadonlySet<number> = new Set()): void {
		if (this.closed) return;
		for (const st of this.enablings.values()) {
			for (const c of st.clauses) {
				let probes: TraceProbe[];
				try {
					probes = this.matchClause(c.clause);
				} catch {
					continue; // nothing matches right now
				}
				const fresh = probes.filter(
					(p) => !c.names.has(probeKey(p)) && !(p.target.kind === "uprobe" && p.target.pid && exited.has(p.target.pid)),
				);
				if (fresh.length === 0) continue;
				for (const p of fresh) c.names.add(probeKey(p));
				try {
					this.attachProbes(st, c.clause, fresh);
				} catch (e) {
					st.error = this.explain(e, st.d).message;
				}
			}
			if (exited.size) this.dropExited(st, exited);
		}
	}

	/** Release groups whose probes all belong to processes that have exited. */
	private dropExited(st: EnablingState, exited: ReadonlySet<number>): void {
		st.groups = st.groups.filter((g) => {
			const dead = g.probes.every(
				(p) => p.target.kind === "uprobe" && p.target.pid !== undefined && exited.has(p.target.pid),
			);
			if (!dead) return true;
			for (const l of g.links) l.close();
			g.program.close();
			// Keep the firings counted so far: fold the group's hits into the enabling.
			st.retired += this.groupHits(g);
			g.hits.close();
			g.syscallMap?.close();
			return false;
		});
	}

	/** Firings per slot of a group's hits map (one slot per probe site), summed over CPUs. */
	private readHits(g: Group): Map<number, number> {
		const raw = g.hits.batchLookupRaw();
		const cpus = raw.cpuStride ? raw.valueStride / raw.cpuStride : 1;
		const out = new Map<number, number>();
		for (let e = 0; e < raw.count; e++) {
			let n = 0;
			for (let c = 0; c < cpus; c++) n += Number(raw.values.readBigUInt64LE(e * raw.valueStride + c * raw.cpuStride));
			out.set(raw.keys.readUInt32LE(e * raw.keyStride), n);
		}
		return out;
	}

	private groupHits(g: Group): number {
		let n = 0;
		for (const v of this.readHits(g).values()) n += v;
		return n;
	}

	/**
	 * Disable an enabling. It leaves the view at once; its links are detached on
	 * a worker thread (the kernel's teardown waits for RCU grace periods, tens of
	 * milliseconds), then its programs and maps are freed. `settled()` waits.
	 */
	disable(id: number): boolean {
		const st = this.enablings.get(id);
		if (!st) return false;
		this.enablings.delete(id);
		for (const g of st.groups) for (const p of g.probes) this.probeCounters.delete(p.id);
		const links = st.groups.flatMap((g) => g.links);
		for (const g of st.groups) g.links = [];
		this.retiring.add(st);
		const done = Promise.allSettled(links.map((l) => l.closeAsync())).then(() => {
			this.retiring.delete(st);
			if (!this.closed) this.release(st);
		});
		this.pending.add(done);
		done.finally(() => this.pending.delete(done));
		return true;
	}

	/** Resolves when every disable() has finished releasing. */
	async settled(): Promise<void> {
		while (this.pending.size) await Promise.all([...this.pending]);
	}

	private retiring = new Set<EnablingState>();
	private pending = new Set<Promise<void>>();

	private release(st: EnablingState): void {
		let first: unknown;
		const attempt = (f: () => void) => {
			try {
				f();
			} catch (e) {
				first ??= e;
			}
		};
		for (const g of st.groups) {
			for (const l of g.links) attempt(() => l.close());
			if (g.program) attempt(() => g.program.close());
			attempt(() => g.hits.close());
			if (g.syscallMap) attempt(() => g.syscallMap!.close());
			for (const p of g.probes) this.probeCounters.delete(p.id);
		}
		for (const a of st.aggs.values()) {
			attempt(() => a.map.close());
			if (a.insertSlot >= 0) this.freeSlots.push(a.insertSlot);
		}
		if (st.dropSlot >= 0) this.freeSlots.push(st.dropSlot);
		st.groups = [];
		st.aggs.clear();
		if (first) throw first;
	}

	/** Read every map, roll the windows, and return the new picture. */
	tick(): SessionView {
		const now = this.now();
		this.tickNo++;
		if (this.tickNo % 60 === 0) this.symbolizer.prune();
		for (const st of this.enablings.values()) this.readEnabling(st, now);
		this.lastView = this.buildView(now);
		return this.lastView;
	}

	private readEnabling(st: EnablingState, now: number): void {
		let total = 0;
		// A probe may have several sites (and so several slots): sum them per probe.
		const perProbe = new Map<number, number>();
		for (const g of st.groups) {
			for (const [idx, n] of this.readHits(g)) {
				const p = g.probes[idx];
				if (p) perProbe.set(p.id, (perProbe.get(p.id) ?? 0) + n);
				total += n;
			}
		}
		for (const [id, n] of perProbe) this.probeCounter(id).observe(now, n);
		st.counter.observe(now, total + st.retired);
		st.drops = this.readCounter(st.dropSlot);
		for (const a of st.aggs.values()) this.readAggregation(a, now);
	}

	private readAggregation(a: AggState, now: number): void {
		const raw = a.map.batchLookupRaw();
		const cpus = raw.cpuStride ? raw.valueStride / raw.cpuStride : 1;
		for (let e = 0; e < raw.count; e++) {
			const keyHex = raw.keys.toString("hex", e * raw.keyStride, (e + 1) * raw.keyStride);
			const merged = mergePerCpu(a.fn, a.lq, raw.values, e * raw.valueStride, cpus, raw.cpuStride);
			// An array's slot exists before anything fired: no row until something did.
			if (merged.count === 0n) continue;
			let row = a.rows.get(keyHex);
			if (!row) {
				const parts = decodeKey(a.decode, raw.keys, e * raw.keyStride);
				for (const p of parts) if (p.kind === "stack" && p.user && p.pid > 0) this.symbolizer.capture(p.pid);
				row = { counter: new RollingCounter(), parts, merged, seenTick: this.tickNo };
				a.rows.set(keyHex, row);
			}
			row.merged = merged;
			row.seenTick = this.tickNo;
			row.counter.observe(now, Number(merged.count));
		}
		for (const [k, r] of a.rows) if (r.seenTick !== this.tickNo) a.rows.delete(k);
		if (a.lru) a.evictions = Math.max(0, this.readCounter(a.insertSlot) - raw.count);
	}

	private stackFrames(part: Extract<DecodedKeyPart, { kind: "stack" }>): string[] {
		if (part.id < 0) return [`<stack unavailable: error ${-part.id}>`];
		const raw = this.stackMap().lookup(Buffer.from(Uint32Array.of(part.id).buffer));
		if (!raw) return ["<stack evicted>"];
		const ck = `${part.user ? part.pid : "k"}:${raw.toString("hex")}`;
		let frames = this.stackCache.get(ck);
		if (!frames) {
			frames = [];
			for (let i = 0; i + 8 <= raw.length; i += 8) {
				const addr = raw.readBigUInt64LE(i);
				if (addr === 0n) break;
				frames.push(part.user ? this.symbolizer.userFrame(part.pid, addr) : this.symbolizer.kernelFrame(addr));
			}
			if (this.stackCache.size > 10_000) this.stackCache.clear();
			this.stackCache.set(ck, frames);
		}
		return frames;
	}

	private keyPart(a: AggState, i: number, p: DecodedKeyPart): KeyPart {
		const d = a.decode[i];
		if (p.kind === "stack") return { kind: "stack", frames: this.stackFrames(p), user: p.user };
		if (d.k === "probe" && p.kind === "int") {
			const probe = this.probes.byId(Number(p.value));
			return { kind: "string", value: probe ? probe[d.field] : `probe#${p.value}` };
		}
		return p;
	}

	private buildView(now: number): SessionView {
		const enablings: EnablingView[] = [];
		let rate = 0;
		let drops = 0;
		let evictions = 0;
		for (const st of this.enablings.values()) {
			const aggregations: AggregationView[] = [];
			let ev = 0;
			for (const a of st.aggs.values()) {
				const rows: AggRow[] = [];
				for (const r of a.rows.values()) {
					rows.push({
						key: r.parts.map((p, i) => this.keyPart(a, i, p)),
						value: displayValue(a.fn, r.merged),
						histogram: histogram(a.fn, a.lq, r.merged),
						rate: r.counter.rate,
						last10s: r.counter.window(10_000),
						last60s: r.counter.window(60_000),
						total: r.counter.total,
						history: [...r.counter.history],
					});
				}
				ev += a.evictions;
				aggregations.push({ name: a.name, fn: a.fn, keys: a.keyText, args: a.argText, rows, evictions: a.evictions });
			}
			enablings.push({
				id: st.id,
				d: st.d,
				label: st.label,
				probes: st.probeCount,
				rate: st.counter.rate,
				total: st.counter.total,
				history: [...st.counter.history],
				aggregations,
				drops: st.drops,
				...(st.error ? { error: st.error } : {}),
				evictions: ev,
			});
			rate += st.counter.rate;
			drops += st.drops;
			evictions += ev;
		}
		return {
			host: hostname(),
			kernel: release(),
			cpus: this.shared?.cpus ?? possibleCpuCount(),
			tickMs: this.tickMs,
			paused: this.paused,
			rate,
			drops,
			evictions,
			enablings,
			uptimeMs: now - this.started,
		};
	}

	view(): SessionView {
		return this.lastView ?? this.buildView(this.now());
	}

	/** Rolling counter of one probe (for the tree's live rate), if enabled. */
	probeRate(id: number): number | undefined {
		return this.probeCounters.get(id)?.rate;
	}

	isProbeEnabled(id: number): boolean {
		return this.probeCounters.has(id);
	}

	enablingIds(): number[] {
		return [...this.enablings.keys()];
	}

	/** Clear history (the `c` key): totals and windows restart from now. */
	clearHistory(): void {
		for (const st of this.enablings.values()) {
			st.counter.clear();
			for (const a of st.aggs.values()) for (const r of a.rows.values()) r.counter.clear();
		}
		for (const c of this.probeCounters.values()) c.clear();
	}

	private holds: { program: Program; link: Link }[] = [];

	/**
	 * Stop `pid` (SIGSTOP from a uprobe) whenever it calls `symbol` in `path`:
	 * libc's exit(), so its mappings can be read before they vanish, and the
	 * dynamic loader's _dl_debug_state(), called after every library it maps, so
	 * probes in a library loaded with dlopen are attached before it runs. The
	 * caller watches for the stop, does its work and sends SIGCONT. Best effort:
	 * returns false when the hold cannot be placed.
	 */
	holdAt(pid: number, path: string, symbol: string): boolean {
		try {
			const elf = ElfFile.open(path, { lazy: true });
			const sym = elf.symbols().byName(symbol);
			const offset = sym ? elf.addressToOffset(sym.address) : undefined;
			if (offset === undefined) return false;
			const multi = this.sharedMaps().multi;
			const program = Program.load({
				type: ProgType.KPROBE,
				insns: compileStopProcess(),
				name: "dtop_hold",
				expectedAttachType: multi ? 48 : undefined,
			});
			const spec = { path, pid, sites: [{ offset: BigInt(offset), cookie: 0n }] };
			try {
				const link = multi ? attachUprobeMulti(program.fd, spec) : attachUprobePerf(program.fd, spec);
				this.holds.push({ program, link });
			} catch {
				program.close();
				return false;
			}
			return true;
		} catch {
			return false;
		}
	}

	/**
	 * The catalog saw processes start and exit. While an enabling takes user
	 * stacks, read each new process's mappings now, so its stacks symbolize even
	 * if it exits before the next tick.
	 */
	processesChanged(started: readonly number[], exited: readonly number[]): void {
		if (started.length && [...this.enablings.values()].some((st) => st.userStacks))
			for (const pid of started) this.symbolizer.capture(pid);
		for (const pid of exited) this.symbolizer.exited(pid);
	}

	/** Read a (stopped) process's mappings now, for symbolizing its stacks after it exits. */
	captureProcess(pid: number): void {
		this.symbolizer.capture(pid, true);
	}

	/** Release every program, link and map. Idempotent. */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		let first: unknown;
		for (const st of [...this.enablings.values(), ...this.retiring]) {
			try {
				this.release(st);
			} catch (e) {
				first ??= e;
			}
		}
		this.enablings.clear();
		this.retiring.clear();
		for (const h of this.holds) {
			try {
				h.link.close();
				h.program.close();
			} catch (e) {
				first ??= e;
			}
		}
		this.holds = [];
		if (this.shared) {
			for (const m of [this.shared.counters, this.shared.zero, this.shared.tls, this.shared.stacks]) {
				if (!m) continue;
				try {
					m.close();
				} catch (e) {
					first ??= e;
				}
			}
			this.shared = undefined;
		}
		if (first) throw first;
	}
}

function reg64(offset: number): ArgPlan {
	return { k: "ctx", offset, size: 8, signed: false };
}
