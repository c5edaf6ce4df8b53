// The probe catalog: every provider's probes, with stable ids, a DTrace
// matcher, and live USDT discovery as processes come and go.
//
// Live discovery follows kernel events (feed.ts: exec, fork, exit, rename and
// executable mmap from a BPF ring buffer): /proc is read once at start-up, and
// again in full only when the ring overflowed. The events name the files
// mapped (event-maps.ts), so a process's /proc/PID/maps is read only when it
// maps a file not seen before. Without the feed (the kernel refuses it), a /proc rescan every
// 500 ms: stat for all (start time tells a reused pid, comm an exec) and maps
// only for new, young or exec'd processes, plus a rotating tenth of the others.

import { EventEmitter } from "node:events";
import { tracefs as defaultTracefs, type Tracefs } from "../../kernel/tracefs/index.ts";
import { type CatalogEnv, PROBE_KINDS, type ProbeKindModule } from "../providers/index.ts";
import { type CatalogChange, type CatalogOptions, ProcessNotFoundError, type ProcState } from "./catalog-types.ts";
import { compileDescription, type ProbeDescription, parseDescription } from "./description.ts";
import { EventMappings, mappedRange, rangeOf } from "./event-maps.ts";
import { type FbtAvailability, fbtAvailability } from "./fbt.ts";
import { type EventFeed, type FeedOptions, startFeed } from "./feed.ts";
import { compileGlob } from "./glob.ts";
import { compileModule } from "./module-match.ts";
import { ObjectCache } from "./objects.ts";
import type { PidProbe, Probe, ProviderInfo } from "./probe.ts";
import type { ProcEvent } from "./proc-events.ts";
import { listPids, readExecMappings, readStat } from "./procfs.ts";
import { checkProviderOf, everyPid, providerList } from "./providers.ts";
import { rebuildUsdt } from "./usdt-probes.ts";

export type { CatalogChange, CatalogOptions } from "./catalog-types.ts";
export { ProcessNotFoundError, STATIC_PROVIDERS } from "./catalog-types.ts";

const byId = (a: Probe, b: Probe) => a.id - b.id;

export class Catalog extends EventEmitter {
	readonly tracefs: Tracefs;
	readonly fbt: FbtAvailability;
	readonly #objects: ObjectCache;
	readonly #mappings: EventMappings;
	readonly #probes = new Map<number, Probe>();
	readonly #procs = new Map<number, ProcState>();
	/** Probes made when named (profile-N), by kind and name. */
	readonly #named = new Map<string, Probe>();
	readonly #usdtEnabled: boolean;
	readonly #self: number;
	readonly #live: boolean;
	#nextId = 1;
	#scans = 0;
	#timer: NodeJS.Timeout | undefined;
	#feed: EventFeed | undefined;

	constructor(options: CatalogOptions = {}) {
		super();
		this.#objects = new ObjectCache({ indexPath: options.objectIndex });
		this.#mappings = new EventMappings(this.#objects);
		this.tracefs = options.tracefs ?? defaultTracefs();
		this.#usdtEnabled = options.usdt !== false;
		this.#self = options.excludeSelf === false ? -1 : process.pid;
		this.#live = options.live !== false;
		this.fbt = options.fbt ?? fbtAvailability(this.tracefs.root);
		// Each provider's probes in registry order (dtrace's BEGIN, END, ERROR are 1, 2, 3).
		const env = this.env();
		for (const k of PROBE_KINDS) {
			for (const p of k.list?.(env, () => this.#id()) ?? []) this.#add(p);
			for (const n of k.onDemand?.listed ?? []) this.#make(k, n);
		}
		if (this.#usdtEnabled) this.refresh();
	}

	#id(): number {
		return this.#nextId++;
	}

	/** An id no probe of the catalog will have (for probes planned outside it, in objects not mapped yet). */
	reserveId(): number {
		return this.#id();
	}

	#add<P extends Probe>(p: P): P {
		this.#probes.set(p.id, p);
		return p;
	}

	/** What the providers are given: tracefs and what fbt can use. */
	env(): CatalogEnv {
		return { tracefs: this.tracefs, fbt: this.fbt };
	}

	/** The probe of kind `k` called `name`, made on first use; undefined if the name is not valid. */
	#make(k: ProbeKindModule, name: string): Probe | undefined {
		const key = `${k.kind}\0${name}`;
		const have = this.#named.get(key);
		if (have) return have;
		const p = k.onDemand?.make(name, () => this.#id());
		if (!p) return undefined;
		this.#named.set(key, this.#add(p));
		return p;
	}

	// ---- processes --------------------------------------------------------------

	/**
	 * Rescans processes: new ones get their USDT probes, exited ones lose them.
	 * Emits "change" when something changed; returns what changed.
	 */
	refresh(): CatalogChange {
		const change: CatalogChange = { added: [], removed: [], started: [], exited: [] };
		this.#scans++;
		this.#objects.beginScan();
		const alive = new Set<number>();
		for (const pid of listPids()) {
			if (pid === this.#self) continue;
			const st = this.#live ? readStat(pid) : { startTime: 0, comm: "" };
			if (!st) continue;
			alive.add(pid);
			let state = this.#procs.get(pid);
			if (state && state.startTime === 0) state.startTime = st.startTime; // learned from an event
			if (state && state.startTime !== st.startTime) {
				this.#drop(state, change);
				state = undefined;
			}
			if (!state) {
				state = {
					pid,
					startTime: st.startTime,
					comm: st.comm,
					objects: [],
					usdt: [],
					pidProbes: new Map(),
					young: 2,
				};
				this.#procs.set(pid, state);
				change.started.push(pid);
				this.#remap(state, change);
				continue;
			}
			if (state.comm !== st.comm || state.young > 0 || (pid + this.#scans) % 10 === 0) {
				if (state.young > 0) state.young--;
				state.comm = st.comm;
				this.#remap(state, change);
			}
		}
		for (const state of [...this.#procs.values()]) if (!alive.has(state.pid)) this.#drop(state, change);
		if (change.added.length || change.removed.length || change.started.length || change.exited.length) {
			this.emit("change", change);
		}
		return change;
	}

	/**
	 * Re-reads one process's maps now (a traced process stopped after its loader
	 * mapped a library); emits "change" when its probes changed.
	 */
	refreshProcess(pid: number): CatalogChange {
		const change: CatalogChange = { added: [], removed: [], started: [], exited: [] };
		const state = this.#procs.get(pid);
		if (!state) {
			try {
				this.#process(pid);
			} catch {
				return change;
			}
			return { ...change, started: [pid], added: this.#procs.get(pid)?.usdt.slice() ?? [] };
		}
		this.#objects.beginScan();
		this.#remap(state, change);
		if (change.added.length || change.removed.length) this.emit("change", change);
		return change;
	}

	/**
	 * Applies kernel process events (oldest first): a fork or exec starts or
	 * remaps the process, an executable mmap remaps it, an exit drops it. Maps
	 * are read once per process per batch, after the batch; emits "change".
	 */
	apply(events: readonly ProcEvent[]): CatalogChange {
		const change: CatalogChange = {
			added: [],
			removed: [],
			started: [],
			exited: [],
			remapped: [],
			forks: new Map(),
			mappings: [],
		};
		const touched = new Set<number>();
		const reread = new Set<number>();
		const changed = new Set<number>();
		// Re-check known objects against their files once a second, not per batch.
		this.#objects.beginScan(1000);
		for (const e of events) {
			if (e.pid === this.#self) continue;
			let state = this.#procs.get(e.pid);
			if (e.type === "exit") {
				if (state) this.#drop(state, change);
				for (const s of [touched, reread, changed]) s.delete(e.pid);
				continue;
			}
			if (e.type === "comm") {
				if (state && e.tid === e.pid) state.comm = e.comm;
				continue;
			}
			if (e.type === "munmap") {
				// A library unmapped (dlclose): its maps are read after the batch; others cost nothing.
				if (!state || !this.#mappings.unmaps(state, e)) continue;
				touched.add(e.pid);
				reread.add(e.pid);
				change.mappings?.push(rangeOf(e));
				continue;
			}
			if (e.type === "fork" && state) this.#drop(state, change); // a reused pid
			if (!state || e.type === "fork") {
				state = { pid: e.pid, startTime: 0, comm: e.comm ?? "", objects: [], usdt: [], pidProbes: new Map(), young: 0 };
				this.#procs.set(e.pid, state);
				change.started.push(e.pid);
				if (e.type === "fork") change.forks?.set(e.pid, e.parent);
				// First seen at an mmap: what it mapped before is not known.
				if (e.type === "mmap") reread.add(e.pid);
			} else if (e.type === "exec") state.comm = e.comm;
			if (e.type === "exec") change.forks?.delete(e.pid);
			touched.add(e.pid);
			// An exec replaces every mapping: what earlier events left unknown no longer matters.
			if (e.type === "exec") reread.delete(e.pid);
			const parent = e.type === "fork" ? this.#procs.get(e.parent) : undefined;
			const r = this.#mappings.follow(state, e, parent);
			if (r === "reread") reread.add(e.pid);
			else if (r === "changed") changed.add(e.pid);
			const mapped = mappedRange(state, e);
			if (mapped) change.mappings?.push(mapped);
		}
		for (const pid of touched) {
			const state = this.#procs.get(pid);
			if (!state) continue;
			if (!change.started.includes(pid)) change.remapped?.push(pid);
			if (state.comm === "") state.comm = readStat(pid)?.comm ?? "";
			if (reread.has(pid)) {
				this.#mappings.noteRead(pid);
				this.#remap(state, change);
			} else if (changed.has(pid)) this.#rebuildUsdt(state, change);
		}
		if (change.added.length || change.removed.length || change.started.length || change.exited.length || touched.size) {
			this.emit("change", change);
		}
		return change;
	}

	/** Maps reads the kernel's events avoided and needed so far (tests, benchmarks). */
	mapsReads(): { avoided: number; needed: number; parsed: number; pids: ReadonlySet<number> } {
		const m = this.#mappings;
		return { avoided: m.avoided, needed: m.needed, parsed: m.parsedFromEvents, pids: m.readFor };
	}

	/** Re-reads a process's maps; rebuilds its USDT probes if the set of objects changed. */
	#remap(state: ProcState, change: CatalogChange): void {
		const maps = readExecMappings(state.pid);
		if (!maps) return;
		const keys = maps.map((m) => `${m.dev}:${m.inode}`);
		if (keys.length === state.objects.length && keys.every((k, i) => state.objects[i]?.key === k)) return;
		const old = state.objects;
		state.objects = maps.map((m) => this.#objects.acquire(state.pid, m));
		for (const o of old) this.#objects.release(o);
		this.#rebuildUsdt(state, change);
	}

	#rebuildUsdt(state: ProcState, change: CatalogChange): void {
		const r = rebuildUsdt(state.pid, state.objects, state.usdt, () => this.#id());
		for (const p of r.added) change.added.push(this.#add(p));
		for (const p of r.removed) {
			this.#probes.delete(p.id);
			change.removed.push(p);
		}
		state.usdt = r.next;
	}

	#drop(state: ProcState, change: CatalogChange): void {
		this.#procs.delete(state.pid);
		for (const p of state.usdt) {
			this.#probes.delete(p.id);
			change.removed.push(p);
		}
		for (const p of state.pidProbes.values()) {
			this.#probes.delete(p.id);
			change.removed.push(p);
		}
		for (const o of state.objects) this.#objects.release(o);
		state.objects = [];
		change.exited.push(state.pid);
	}

	/** The state of `pid`, scanning it now if the catalog has not seen it yet. */
	#process(pid: number): ProcState {
		let state = this.#procs.get(pid);
		if (state) return state;
		const st = readStat(pid);
		if (!st) throw new ProcessNotFoundError(pid);
		const change: CatalogChange = { added: [], removed: [], started: [pid], exited: [] };
		state = { pid, startTime: st.startTime, comm: st.comm, objects: [], usdt: [], pidProbes: new Map(), young: 2 };
		this.#procs.set(pid, state);
		this.#remap(state, change);
		if (change.added.length) this.emit("change", change);
		return state;
	}

	/**
	 * Follows processes and emits "change": from kernel events where the kernel
	 * allows (see feed.ts), else by a rescan every `intervalMs` (default 500 ms).
	 * close() stops it.
	 */
	watch(intervalMs = 500, options: FeedOptions = {}): this {
		if (this.#timer || this.#feed) return this;
		this.#feed = startFeed(this, options);
		if (this.#feed) return this;
		this.#timer = setInterval(() => this.refresh(), intervalMs);
		this.#timer.unref();
		return this;
	}

	/** How processes are followed: kernel events (with overflows so far) or the rescan. */
	following(): { via: "events" | "rescan" | "none"; overflows: number; lost: number; held: number; reason?: string } {
		if (this.#feed) return { via: "events", ...this.#feed.stats() };
		return { via: this.#timer ? "rescan" : "none", overflows: 0, lost: 0, held: 0 };
	}

	/** Apply the process events queued so far now (a batch run's last print names stacks of processes just seen). */
	flushEvents(): void {
		this.#feed?.flush();
	}

	close(): void {
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = undefined;
		this.#feed?.close();
		this.#feed = undefined;
	}

	/** Subscribes to changes; returns the function that unsubscribes. */
	subscribe(listener: (change: CatalogChange) => void): () => void {
		this.on("change", listener);
		return () => this.off("change", listener);
	}

	// ---- queries ------------------------------------------------------------------

	/** Every probe the catalog has made so far (listed and on-demand), by id. */
	probes(): Probe[] {
		// Ids are given in insertion order and the Map keeps it: already sorted.
		return [...this.#probes.values()];
	}

	probe(id: number): Probe | undefined {
		return this.#probes.get(id);
	}

	/** Processes being tracked (with their comm), by pid. */
	processes(): { pid: number; comm: string; objects: number; usdt: number }[] {
		return [...this.#procs.values()]
			.sort((a, b) => a.pid - b.pid)
			.map((s) => ({ pid: s.pid, comm: s.comm, objects: s.objects.length, usdt: s.usdt.length }));
	}

	/** The objects a process maps (as last read; none when it is gone): the pid provider's modules. */
	processObjects(pid: number): { module: string; key: string }[] {
		return (this.#procs.get(pid)?.objects ?? []).filter((o) => !o.error).map((o) => ({ module: o.module, key: o.key }));
	}

	/** The function symbols of process `pid`'s objects called `module` (read on first use, shared by processes). */
	functionNames(pid: number, module: string): string[] {
		const names = new Set<string>();
		for (const o of this.#procs.get(pid)?.objects ?? []) {
			if (o.module === module && !o.error) for (const f of this.#objects.functions(o)) names.add(f.name);
		}
		return [...names];
	}

	/** Counts for tests and benchmarks: tracked processes, cached objects, ELF parses so far, index hits, probes. */
	stats(): { processes: number; objects: number; parses: number; indexHits: number; probes: number } {
		return {
			processes: this.#procs.size,
			objects: this.#objects.size,
			parses: this.#objects.parses,
			indexHits: this.#objects.indexHits,
			probes: this.#probes.size,
		};
	}

	/** Writes the object index given as `objectIndex`, if anything new was parsed. */
	saveIndex(): void {
		this.#objects.saveIndex();
	}

	providers(): ProviderInfo[] {
		return providerList(this.env(), this.#procs.values());
	}

	/** Probes of one process: its USDT probes and (made now) its whole pid provider. */
	processProbes(pid: number, options: { pidProvider?: boolean } = {}): Probe[] {
		const state = this.#process(pid);
		if (options.pidProvider !== false) this.#ensurePidProbes(state, "", "", "");
		return [...state.usdt, ...state.pidProbes.values()].sort(byId);
	}

	/**
	 * Checks that a description's provider can exist: throws DescriptionError
	 * for an unknown provider and ProcessNotFoundError for a dead pid.
	 */
	checkProvider(d: ProbeDescription): void {
		checkProviderOf(d, this.#procs);
	}

	/**
	 * Probes matching a description (text or parsed). Creates on-demand probes
	 * the description names concretely: `pid<PID>` functions and `profile-N`/`tick-N`.
	 * Throws DescriptionError (malformed, unknown provider) or ProcessNotFoundError.
	 */
	match(desc: string | ProbeDescription, options: { target?: number } = {}): Probe[] {
		const d = typeof desc === "string" ? parseDescription(desc, options.target) : desc;
		this.checkProvider(d);
		// Probes made when named (profile-N, tick-N): valid names are probes as soon as they are named.
		for (const k of PROBE_KINDS) {
			const name = k.onDemand?.named(d);
			if (name !== undefined) this.#make(k, name);
		}
		const pidMatch = /^pid(\d+)$/.exec(d.provider);
		if (pidMatch) this.#ensurePidProbes(this.#process(Number(pidMatch[1])), d.module, d.function, d.name);
		else if (everyPid(d.provider)) {
			// `pid*`: the function in every object any process maps, made once per object
			// (the session attaches it to the file: every process, later ones too).
			const covered = new Set<string>();
			for (const state of this.#procs.values()) this.#ensurePidProbes(state, d.module, d.function, d.name, covered);
		}
		const test = compileDescription(d);
		const out: Probe[] = [];
		for (const p of this.#probes.values()) if (test(p)) out.push(p);
		return out.sort(byId);
	}

	#ensurePidProbes(state: ProcState, module: string, fn: string, name: string, covered?: Set<string>): void {
		const mod = compileModule(module);
		const func = compileGlob(fn);
		const nm = compileGlob(name);
		const whiches = (["entry", "return"] as const).filter((w) => nm(w));
		if (whiches.length === 0) return;
		const added: Probe[] = [];
		for (const obj of state.objects) {
			if (!mod(obj.module) || obj.error || covered?.has(obj.key)) continue;
			covered?.add(obj.key);
			for (const sym of this.#objects.functions(obj)) {
				if (!func(sym.name)) continue;
				for (const which of whiches) {
					const key = `${obj.key}\0${sym.name}\0${which}`;
					if (state.pidProbes.has(key)) continue;
					const p = this.#add<PidProbe>({
						id: this.#id(),
						provider: `pid${state.pid}`,
						module: obj.module,
						function: sym.name,
						name: which,
						kind: "uprobe",
						pid: state.pid,
						which,
						path: obj.path,
						openPath: obj.openPath,
						dev: obj.dev,
						inode: obj.inode,
						offset: sym.offset,
						symbol: sym.name,
					});
					state.pidProbes.set(key, p);
					added.push(p);
				}
			}
		}
		if (added.length) this.emit("change", { added, removed: [], started: [], exited: [] } satisfies CatalogChange);
	}
}
