// The consumer: turns D programs into loaded programs and links, toggles them,
// reads the per-CPU maps every tick, and keeps rolling windows per key. UI-free:
// batch mode and the interactive UI both sit on it. The work is in program-text.ts
// (parse and check), build.ts (match, plan, load, attach), rematch.ts (following
// the machine), reader.ts (per-CPU reads), view-builder.ts (the picture),
// process-maps.ts and holds.ts (processes); this class keeps the state.

import type { MappingEvent } from "../catalog/catalog-types.ts";
import type { Program as DProgram } from "../d/ast.ts";
import { print as printD, probeText } from "../d/index.ts";
import type { RuntimeFault } from "../output/diagnostics.ts";
import type { ProbeName } from "../output/model.ts";
import { needsAtomic, type TraceProbe } from "../providers/index.ts";
import { Attempts } from "../util/attempts.ts";
import { type BuildContext, type SkippedProbe, skippedProbes } from "./build.ts";
import type { DirectDrain } from "./direct-drain.ts";
import { type EnablingState, newEnabling, releaseEnabling } from "./enabling.ts";
import { explain, SessionError } from "./errors.ts";
import { type EventBatch, EventStream } from "./events.ts";
import { errorContext } from "./fault-records.ts";
import { Holds } from "./holds.ts";
import { usesUserAddresses } from "./lower-syms.ts";
import { SharedMaps } from "./maps.ts";
import { onFileIdentities } from "./on-file.ts";
import { ProbeCounters } from "./probe-counters.ts";
import type { ProbeSource } from "./probes.ts";
import { ProcessMaps } from "./process-maps.ts";
import { checkedProgram } from "./program-text.ts";
import { type ReadContext, readEnabling } from "./reader.ts";
import { recordSymbols } from "./record-syms.ts";
import { type FollowContext, followsNewProcesses, rematchEnablings } from "./rematch.ts";
import { attachEnabling, matchForEnable } from "./session-enable.ts";
import type { SessionOptions } from "./session-options.ts";
import { applySpeculations, Speculations, usesSpeculation } from "./speculation.ts";
import { Symbolizer } from "./symbolize.ts";
import { UnwoundProcesses } from "./unwinding.ts";
import { newVarState } from "./vars.ts";
import type { SessionView } from "./view.ts";
import { sameIdleView } from "./view.ts";
import { ViewBuilder } from "./view-builder.ts";

export { SessionError } from "./errors.ts";
export type { SessionOptions } from "./session-options.ts";

export class Session {
	tickMs: number;
	paused = false;
	/** Read every enabling's D variables at each tick, for the view (the UI's Detail pane). */
	showVariables = false;
	readonly target: number | undefined;
	/** Whether dtop's own process is traced (`--trace-self`); else every enabling leaves it out. */
	readonly traceSelf: boolean;
	private readonly nspec: number;
	private readonly specsize: number;
	private readonly probes: ProbeSource;
	private readonly now: () => number;
	private readonly started: number;
	private readonly maps: SharedMaps;
	private readonly events: EventStream;
	private readonly symbolizer: Symbolizer;
	/** Whether names are shown raw (mangled) now. */
	nodemangle: boolean;
	private readonly unwound: UnwoundProcesses;
	private readonly views: ViewBuilder;
	private readonly holds = new Holds(() => this.maps.env);
	private readonly build: BuildContext;
	private readonly reading: ReadContext;
	private enablings = new Map<number, EnablingState>();
	/** Disabled enablings whose links are still being detached. */
	private retiring = new Set<EnablingState>();
	private pending = new Set<Promise<void>>();
	/** Firings of each probe, per enabling (the tree's rates). */
	private readonly probeCounters = new ProbeCounters();
	private readonly follow: FollowContext;
	private readonly processMaps: ProcessMaps;
	private nextId = 1;
	private nextTls = 1;
	private tickNo = 0;
	private closed = false;
	private ended = false;
	private lastView: SessionView | undefined;

	constructor(opts: SessionOptions) {
		this.probes = opts.probes;
		this.now = opts.now ?? (() => performance.now());
		this.started = this.now();
		this.tickMs = opts.tickMs ?? 1000;
		this.target = opts.target;
		this.traceSelf = opts.traceSelf === true;
		this.nspec = opts.nspec ?? 1;
		this.specsize = opts.specsize ?? 4 << 20;
		this.maps = new SharedMaps(opts.bufsize);
		if (opts.cgroup !== undefined) this.maps.scopeToCgroup(opts.cgroup);
		this.events = new EventStream(
			this.maps,
			(id) => this.probeName(id),
			(enabling, name) => this.aggregationId(enabling, name),
			recordSymbols(() => this.symbolizer, this.maps),
		);
		this.symbolizer = new Symbolizer({ nodemangle: opts.nodemangle });
		this.nodemangle = opts.nodemangle === true;
		this.views = new ViewBuilder(this.probes, this.maps, this.symbolizer);
		this.unwound = new UnwoundProcesses(() => this.maps.unwinderIfMade, this.target);
		this.processMaps = new ProcessMaps(this.symbolizer, this.unwound, this.maps, this.target);
		this.build = {
			probes: this.probes,
			target: this.target,
			maxProbes: opts.maxProbesPerEnabling ?? 10_000,
			aggEntries: opts.aggEntries ?? 4096,
			maps: this.maps,
			nextTls: () => this.nextTls++,
			captureProcesses: (probes) => this.processMaps.captureFor(probes),
			countProbe: (st, id) => void this.probeCounters.of(st, id),
			// DTrace's strsize counts characters: a string holds that many and its NUL
			// (strlen("123456789") is 5 at strsize=5), so it takes one byte more.
			strsize: (opts.strsize ?? 256) + 1,
			dynvarsize: opts.dynvarsize ?? 1 << 20,
			registerRecord: (layout, enabling) => this.events.register(layout, enabling),
		};
		this.follow = { build: this.build, counters: this.probeCounters, exitedPids: new Set() };
		const self = this;
		this.reading = {
			maps: this.maps,
			get tickNo() {
				return self.tickNo;
			},
			probeCounter: (st, id) => this.probeCounters.of(st, id),
			sawUserStack: (pid) => this.symbolizer.capture(pid),
			symbols: recordSymbols(() => this.symbolizer, this.maps),
		};
	}

	/** Enable a D program (one or more clauses sharing aggregations). Returns its id. */
	enable(
		source: string | DProgram,
		label?: string,
		opts: { allowZero?: boolean; macroArgs?: readonly string[]; scriptName?: string; file?: boolean } = {},
	): number {
		if (this.closed) throw new SessionError("the session is closed.");
		const { program, varTypes } = checkedProgram(source, this.target, opts);
		const d = printD(program);
		let matched: TraceProbe[][];
		try {
			matched = program.clauses.map((c) => matchForEnable(this.build, c, opts.allowZero === true));
		} catch (e) {
			throw explain(e, d);
		}
		const st = newEnabling({
			id: this.nextId++,
			program,
			d,
			label: label ?? program.clauses[0].probes.map((p) => p.text || probeText(p)).join(", "),
			vars: newVarState(program, this.maps, varTypes, this.build.strsize),
			atomic: needsAtomic(matched),
			userStacks: program.clauses.some(usesUserAddresses),
		});
		try {
			if (usesSpeculation(program)) st.spec = new Speculations(this.maps, this.nspec, this.specsize);
			st.dropSlot = this.maps.allocSlot();
			st.truncSlot = this.maps.allocSlot();
			st.faultSlot = this.maps.allocSlot();
			attachEnabling(this.build, st, program, matched, this.traceSelf, () => this.run(st, "BEGIN"));
		} catch (e) {
			this.release(st);
			throw explain(e, d);
		}
		this.enablings.set(st.id, st);
		return st.id;
	}

	/** Check a program and match its probes, loading nothing (dtrace -e); how many probes it matched. */
	check(source: string | DProgram, opts: { allowZero?: boolean; macroArgs?: readonly string[] } = {}): number {
		const { program } = checkedProgram(source, this.target, opts);
		const d = printD(program);
		try {
			return program.clauses.reduce((n, c) => n + matchForEnable(this.build, c, opts.allowZero === true).length, 0);
		} catch (e) {
			throw explain(e, d);
		}
	}

	/** Run an enabling's BEGIN, END or ERROR programs, in clause order (BPF_PROG_TEST_RUN); `ctx` holds ERROR's arguments. */
	private run(st: EnablingState, which: "BEGIN" | "END" | "ERROR", ctx = Buffer.alloc(48)): void {
		for (const g of st.groups) if (g.run === which) g.program?.testRun({ ctx });
	}

	/**
	 * A runtime fault whose ERROR did not run in the kernel: the ERROR probe of
	 * the faulting enabling fires with DTrace's arguments, from here. Faults of
	 * programs that run ERROR inside the faulting firing (kernel/codegen/faults.ts,
	 * as DTrace does) fire nothing here; those of a program the kernel refused
	 * with ERROR inside, and strings the consumer could not decode, fire it later
	 * than DTrace would (when the consumer reads the fault), once per fault.
	 */
	fault(f: RuntimeFault): void {
		// A fault in ERROR's own clause does not fire ERROR again (DTrace counts it as a drop).
		if (this.closed || f.errorFired || (f.probe.provider === "dtrace" && f.probe.name === "ERROR")) return;
		const ctx = errorContext(f);
		for (const st of this.enablings.values())
			if (f.enabling === undefined || f.enabling === st.id) this.run(st, "ERROR", ctx);
	}

	private probeName(id: number): ProbeName {
		const p = this.probes.byId(id);
		return p
			? { id, provider: p.provider, module: p.module, function: p.function, name: p.name }
			: { id, provider: "?", module: "?", function: "?", name: "?" };
	}

	/**
	 * An aggregation's id as snapshots of the view number them (output/printa.ts):
	 * 1, 2, ... over the enablings' aggregations in order.
	 */
	aggregationId(enabling: number, name: string): number {
		let id = 0;
		for (const st of this.enablings.values())
			for (const a of st.aggs.values()) {
				id++;
				if (st.id === enabling && a.name === name) return id;
			}
		return 0;
	}

	/** Some enabling writes per-event records (the default action, trace, printf, exit). */
	get recording(): boolean {
		return this.events.active;
	}

	/** Per-event records, faults and drops since the last call, in output order. */
	pollEvents(): EventBatch {
		const batch = this.events.poll();
		batch.records = applySpeculations(
			batch.records,
			(id) => this.enablings.get(id ?? -1)?.spec,
			(f) => batch.faults.push(f),
		);
		return batch;
	}

	/** pollEvents()' fast path for batch output: text, not records (undefined: use pollEvents()). */
	pollEventText(direct: DirectDrain): ReturnType<EventStream["pollText"]> {
		return this.events.pollText(direct);
	}

	/** Whether exit() was called (or the session stopped), and exit()'s status. */
	exitState(): { stopped: boolean; status: number } {
		return this.maps.readState();
	}

	/**
	 * The end of tracing: every program stops recording (the state flag, as
	 * DTrace's draining state), then END's programs run. Idempotent for END.
	 */
	end(): void {
		if (this.closed || this.ended) return;
		this.ended = true;
		this.maps.stop();
		for (const st of this.enablings.values()) this.run(st, "END");
	}

	/**
	 * One enabling's END (the UI disabling it): its END clauses run now, while
	 * the others keep tracing; poll the events next to read what they wrote.
	 */
	endEnabling(id: number): void {
		const st = this.enablings.get(id);
		if (st && !this.closed && !this.ended) this.run(st, "END");
	}

	/** Undo exit()'s stop (the UI ends only the enabling that called it): every program records again. */
	clearExit(): void {
		if (!this.closed && !this.ended) this.maps.resume();
	}

	/** The program an enabling was made from (its options: quiet, ...). */
	programOf(id: number): DProgram | undefined {
		return this.enablings.get(id)?.program;
	}

	/**
	 * Follow the machine: attach every enabling to probes that appeared since it
	 * was enabled (a new process of a matching provider, a library loaded with
	 * dlopen), and release programs whose processes have all exited. Call when
	 * the probe catalog changes. Problems are recorded on the enabling, not thrown.
	 */
	rematch(exited: ReadonlySet<number> = new Set()): void {
		if (this.closed) return;
		rematchEnablings(this.follow, this.enablings, exited);
	}

	/**
	 * Whether some enabling could match a process that starts later: a probe
	 * description whose provider is empty or a glob ending in a wildcard
	 * (`simple*`, `*`), which the provider names of new processes can match.
	 */
	followsNewProcesses(): boolean {
		return followsNewProcesses(this.enablings.values());
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
		this.retire(st);
		return true;
	}

	/**
	 * Replace enabling `id` by another program, keeping its id, its place among
	 * the enablings and its firings so far (the UI's `k`, `s`, `l`). The new one
	 * is built first: if it cannot be, the error is thrown and the old one stays.
	 */
	replace(id: number, source: string | DProgram, label?: string): void {
		const old = this.enablings.get(id);
		if (!old) throw new SessionError(`there is no enabling ${id}.`);
		const fresh = this.enable(source, label);
		const st = this.enablings.get(fresh) as EnablingState;
		st.id = id;
		st.counter = old.counter;
		st.counter.restart();
		// The tree's rates go on too (a fresh counter would show 0/s for a tick).
		this.probeCounters.carryOver(old, st);
		this.enablings.delete(fresh);
		this.enablings = new Map([...this.enablings].map(([k, v]) => [k, k === id ? st : v]));
		this.retire(old);
	}

	/** Detach and free an enabling that has left the map. */
	private retire(st: EnablingState): void {
		this.probeCounters.forget(st);
		// The unwinder's fork and exec programs stay only while some enabling takes user stacks.
		if (st.userStacks && ![...this.enablings.values()].some((e) => e.userStacks))
			this.maps.unwinderIfMade?.stopFollowingForks();
		const links = st.groups.flatMap((g) => g.links);
		for (const g of st.groups) g.links = [];
		this.retiring.add(st);
		const done = Promise.allSettled(links.map((l) => l.closeAsync())).then(() => {
			this.retiring.delete(st);
			if (!this.closed) this.release(st);
		});
		this.pending.add(done);
		done.finally(() => this.pending.delete(done));
	}

	/** Resolves when every disable() has finished releasing. */
	async settled(): Promise<void> {
		while (this.pending.size) await Promise.all([...this.pending]);
	}

	private release(st: EnablingState): void {
		this.events.forget(st.id);
		this.probeCounters.forget(st);
		releaseEnabling(st, this.maps);
	}

	/** Read every map, roll the windows, and return the new picture. */
	tick(): SessionView {
		const now = this.now();
		this.tickNo++;
		if (this.tickNo % 60 === 0) this.symbolizer.prune();
		this.unwound.tick();
		this.maps.containersIfMade?.poll();
		for (const st of this.enablings.values()) readEnabling(this.reading, st, now);
		const view = this.buildView(now);
		// Nothing enabled and nothing else changed: the same view (the UI draws nothing new).
		if (!this.lastView || !sameIdleView(this.lastView, view)) this.lastView = view;
		return this.lastView;
	}

	private buildView(now: number): SessionView {
		return this.views.build(this.enablings.values(), {
			now,
			started: this.started,
			tickMs: this.tickMs,
			paused: this.paused,
			variables: this.showVariables,
		});
	}

	/** C++ and Rust names raw (as `-x nodemangle`) or demangled, in stacks and probefunc from now on. */
	setNodemangle(nodemangle: boolean): void {
		this.nodemangle = nodemangle;
		this.symbolizer.setNodemangle(nodemangle);
		this.views.forgetStacks();
		this.lastView = this.buildView(this.now());
	}

	view(): SessionView {
		return this.lastView ?? this.buildView(this.now());
	}

	/** Rolling counter of one probe (for the tree's live rate), if enabled. */
	probeRate(id: number): number | undefined {
		return this.probeCounters.rate(id);
	}

	isProbeEnabled(id: number): boolean {
		return this.probeCounters.has(id);
	}

	private onFile: Set<string> | undefined;
	/** Identities (probeKey) of the probes attached on the file for every process mapping it; computed once per task. */
	onFileProbes(): ReadonlySet<string> {
		if (!this.onFile) {
			this.onFile = onFileIdentities(this.enablings.values());
			queueMicrotask(() => {
				this.onFile = undefined;
			});
		}
		return this.onFile;
	}

	/** The ids of the probes an enabling is attached to now. */
	probeIdsOf(id: number): number[] {
		const st = this.enablings.get(id);
		if (!st) return [];
		return [...new Set(st.groups.flatMap((g) => g.probes.map((p) => p.id)))];
	}

	/** The probes of an enabling the kernel refused alone (skipped; the rest are attached). */
	skipped(id: number): readonly SkippedProbe[] {
		const st = this.enablings.get(id);
		return st ? skippedProbes(st) : [];
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
		this.probeCounters.clear();
	}

	/**
	 * Stop `pid` (SIGSTOP from a uprobe) whenever it calls `symbol` in `path`:
	 * libc's exit(), so its mappings can be read before they vanish, and the
	 * dynamic loader's _dl_debug_state(), called after every library it maps, so
	 * probes in a library loaded with dlopen are attached before it runs. The
	 * caller watches for the stop, does its work and sends SIGCONT. Best effort:
	 * returns false when the hold cannot be placed.
	 */
	holdAt(pid: number, path: string, symbol: string): boolean {
		return this.holds.place(pid, path, symbol);
	}

	/** How many times holds have stopped the target so far (resume only those stops). */
	holdStops(): number {
		return this.holds.stops();
	}

	/**
	 * The catalog saw processes start and exit. While an enabling takes user
	 * stacks, read each new process's mappings now, so its stacks symbolize even
	 * if it exits before the next tick.
	 */
	processesChanged(
		started: readonly number[],
		exited: readonly number[],
		remapped: readonly number[] = [],
		forks?: ReadonlyMap<number, number>,
		mappings?: readonly MappingEvent[],
	): void {
		const userStacks = () => [...this.enablings.values()].some((st) => st.userStacks);
		this.processMaps.changed(userStacks, started, exited, remapped, forks, mappings);
	}

	/** `sync` applies the kernel's process events queued so far: called before naming addresses recorded later. */
	followMappings(sync: () => void): void {
		this.symbolizer.sync = sync;
	}

	/** Read a (stopped) process's mappings now, for symbolizing its stacks after it exits. */
	captureProcess(pid: number): void {
		this.processMaps.capture(pid);
	}

	/** Release every program, link and map. Idempotent. */
	close(): void {
		if (this.closed) return;
		this.closed = true;
		const attempts = new Attempts();
		const attempt = attempts.run;
		for (const st of [...this.enablings.values(), ...this.retiring]) attempt(() => this.release(st));
		this.enablings.clear();
		this.retiring.clear();
		attempt(() => this.holds.close());
		attempt(() => this.events.close());
		attempt(() => this.maps.close());
		attempts.rethrow();
	}
}
