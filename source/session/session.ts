// The consumer: turns D programs into loaded programs and links, toggles them,
// reads the per-CPU maps every tick, and keeps rolling windows per key. UI-free:
// batch mode and the interactive UI both sit on it. The work is in build.ts
// (match, plan, load, attach), reader.ts (per-CPU reads), view-builder.ts
// (the picture), holds.ts (stopping processes); this class keeps the state.
import type { Program as DProgram } from "../d/ast.ts";
import { check, DError, parseProgram, print as printD, probeText } from "../d/index.ts";
import { isKind, needsAtomic, ofExited, type TraceProbe } from "../providers/index.ts";
import { Attempts } from "../util/attempts.ts";
import { attachProbes, type BuildContext, matchClause, probeKey, type SkippedProbe, skippedProbes } from "./build.ts";
import { closeGroup, type EnablingState, releaseEnabling } from "./enabling.ts";
import { explain, SessionError } from "./errors.ts";
import { Holds } from "./holds.ts";
import { SharedMaps } from "./maps.ts";
import type { ProbeSource } from "./probes.ts";
import { groupHits, type ReadContext, readEnabling } from "./reader.ts";
import { RollingCounter } from "./rolling.ts";
import { Symbolizer } from "./symbolize.ts";
import type { SessionView } from "./view.ts";
import { ViewBuilder } from "./view-builder.ts";

export { SessionError } from "./errors.ts";

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

export class Session {
	tickMs: number;
	paused = false;
	readonly target: number | undefined;
	private readonly probes: ProbeSource;
	private readonly now: () => number;
	private readonly started: number;
	private readonly maps = new SharedMaps();
	private readonly symbolizer = new Symbolizer();
	private readonly views: ViewBuilder;
	private readonly holds = new Holds(() => this.maps.env);
	private readonly build: BuildContext;
	private readonly reading: ReadContext;
	private enablings = new Map<number, EnablingState>();
	/** Disabled enablings whose links are still being detached. */
	private retiring = new Set<EnablingState>();
	private pending = new Set<Promise<void>>();
	private probeCounters = new Map<number, RollingCounter>();
	private nextId = 1;
	private nextTls = 1;
	private tickNo = 0;
	private closed = false;
	private lastView: SessionView | undefined;

	constructor(opts: SessionOptions) {
		this.probes = opts.probes;
		this.now = opts.now ?? (() => performance.now());
		this.started = this.now();
		this.tickMs = opts.tickMs ?? 1000;
		this.target = opts.target;
		this.views = new ViewBuilder(this.probes, this.maps, this.symbolizer);
		this.build = {
			probes: this.probes,
			target: this.target,
			maxProbes: opts.maxProbesPerEnabling ?? 10_000,
			aggEntries: opts.aggEntries ?? 4096,
			maps: this.maps,
			nextTls: () => this.nextTls++,
			captureProcesses: (probes) => this.captureProcesses(probes),
			countProbe: (id) => void this.probeCounter(id),
		};
		const self = this;
		this.reading = {
			maps: this.maps,
			get tickNo() {
				return self.tickNo;
			},
			probeCounter: (id) => this.probeCounter(id),
			sawUserStack: (pid) => this.symbolizer.capture(pid),
		};
	}

	/** Enable a D program (one or more clauses sharing aggregations). Returns its id. */
	enable(source: string | DProgram, label?: string, opts: { allowZero?: boolean } = {}): number {
		if (this.closed) throw new SessionError("the session is closed.");
		let program: DProgram;
		try {
			program = typeof source === "string" ? parseProgram(this.expandTarget(source)) : source;
			check(program);
		} catch (e) {
			if (e instanceof DError) throw new SessionError(e.message, { cause: e });
			throw e;
		}
		const d = printD(program);
		let matched: TraceProbe[][];
		try {
			matched = program.clauses.map((c) => this.matchForEnable(c, opts.allowZero === true));
		} catch (e) {
			throw explain(e, d);
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
			st.dropSlot = this.maps.allocSlot();
			program.clauses.forEach((clause, i) => {
				st.clauses.push({ clause, names: new Set(matched[i].map(probeKey)) });
				attachProbes(this.build, st, clause, matched[i]);
			});
		} catch (e) {
			this.release(st);
			throw explain(e, d);
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
		for (const p of probes) if (isKind(p, "uprobe") && p.target.pid) pids.add(p.target.pid);
		for (const pid of pids) this.symbolizer.capture(pid);
	}

	/** A clause's probes; with -Z, none yet is allowed (rematch() attaches them later). */
	private matchForEnable(clause: Parameters<typeof matchClause>[1], allowZero: boolean): TraceProbe[] {
		try {
			return matchClause(this.build, clause);
		} catch (e) {
			if (allowZero && e instanceof SessionError && e.message.startsWith("no probes match")) return [];
			throw e;
		}
	}

	private probeCounter(id: number): RollingCounter {
		let c = this.probeCounters.get(id);
		if (!c) this.probeCounters.set(id, (c = new RollingCounter()));
		return c;
	}

	/**
	 * Follow the machine: attach every enabling to probes that appeared since it
	 * was enabled (a new process of a matching provider, a library loaded with
	 * dlopen), and release programs whose processes have all exited. Call when
	 * the probe catalog changes. Problems are recorded on the enabling, not thrown.
	 */
	rematch(exited: ReadonlySet<number> = new Set()): void {
		if (this.closed) return;
		const gone = (p: TraceProbe) => isKind(p, "uprobe") && ofExited(p, exited);
		for (const st of this.enablings.values()) {
			for (const c of st.clauses) {
				let probes: TraceProbe[];
				try {
					probes = matchClause(this.build, c.clause);
				} catch {
					continue; // nothing matches right now
				}
				const fresh = probes.filter((p) => !c.names.has(probeKey(p)) && !gone(p));
				if (fresh.length === 0) continue;
				for (const p of fresh) c.names.add(probeKey(p));
				try {
					attachProbes(this.build, st, c.clause, fresh);
				} catch (e) {
					st.error = explain(e, st.d).message;
				}
			}
			if (exited.size) this.dropExited(st, gone);
		}
	}

	/**
	 * Whether some enabling could match a process that starts later: a probe
	 * description whose provider is empty or a glob ending in a wildcard
	 * (`simple*`, `*`), which the provider names of new processes can match.
	 */
	followsNewProcesses(): boolean {
		for (const st of this.enablings.values())
			for (const c of st.clauses)
				for (const d of c.clause.probes) if (d.provider === "" || /[*?\]]$/.test(d.provider)) return true;
		return false;
	}

	/** Release groups whose probes all belong to processes that have exited. */
	private dropExited(st: EnablingState, gone: (p: TraceProbe) => boolean): void {
		st.groups = st.groups.filter((g) => {
			if (!g.probes.every(gone)) return true;
			// Keep the firings counted so far: fold the group's hits into the enabling.
			closeGroup(g, undefined, () => {
				st.retired += groupHits(g);
			});
			return false;
		});
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

	private release(st: EnablingState): void {
		for (const g of st.groups) for (const p of g.probes) this.probeCounters.delete(p.id);
		releaseEnabling(st, this.maps);
	}

	/** Read every map, roll the windows, and return the new picture. */
	tick(): SessionView {
		const now = this.now();
		this.tickNo++;
		if (this.tickNo % 60 === 0) this.symbolizer.prune();
		for (const st of this.enablings.values()) readEnabling(this.reading, st, now);
		this.lastView = this.buildView(now);
		return this.lastView;
	}

	private buildView(now: number): SessionView {
		return this.views.build(this.enablings.values(), {
			now,
			started: this.started,
			tickMs: this.tickMs,
			paused: this.paused,
		});
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
		for (const c of this.probeCounters.values()) c.clear();
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
	processesChanged(started: readonly number[], exited: readonly number[], remapped: readonly number[] = []): void {
		if ((started.length || remapped.length) && [...this.enablings.values()].some((st) => st.userStacks)) {
			for (const pid of started) this.symbolizer.capture(pid, true);
			// exec'd or mapped new code: what was read before is stale
			for (const pid of remapped) this.symbolizer.capture(pid, true);
		}
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
		const attempts = new Attempts();
		const attempt = attempts.run;
		for (const st of [...this.enablings.values(), ...this.retiring]) attempt(() => this.release(st));
		this.enablings.clear();
		this.retiring.clear();
		attempt(() => this.holds.close());
		attempt(() => this.maps.close());
		attempts.rethrow();
	}
}
