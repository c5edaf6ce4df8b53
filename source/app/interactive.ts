// Wires the interactive UI to a live session: the probe tree from the catalog,
// toggles turned into D enablings, a tick timer that reads the maps.
import { setFlagsFromString } from "node:v8";
import type { Catalog, Probe } from "../catalog/index.ts";
import { compileDescription, parseDescription, probeName } from "../catalog/index.ts";
import { programOptions } from "../d/options.ts";
import { kindOf } from "../providers/index.ts";
import type { CatalogProbes } from "../session/catalog-source.ts";
import { clauseRecords } from "../session/records.ts";
import type { Session } from "../session/session.ts";
import type { EnablingView, SessionView } from "../session/view.ts";
import { ActionError, type Controller, type Outcome, type Target, type ToggleOutcome } from "../ui/controller.ts";
import type { EventsView } from "../ui/events-model.ts";
import { runInteractive } from "../ui/run.tsx";
import { EventFeed, POLL_MS } from "./event-feed.ts";
import type { Flags } from "./flags.ts";
import { followMachine } from "./follow.ts";
import { coveredOnFile } from "./on-file-marks.ts";
import { argNotes, keysFor } from "./probe-keys.ts";
import type { Target as Proc } from "./process.ts";
import { programFromPromptLine } from "./prompt-program.ts";
import { skippedLines } from "./skipped-lines.ts";
import { Ticker } from "./ticker.ts";
import { describeFiltered, describePath } from "./tree-enable.ts";
import { unavailableProvider } from "./tree-extras.ts";
import { ProbeTree } from "./tree-source.ts";

interface Meta {
	/** The probe descriptions, comma-separated. */
	desc: string;
	/** Whether a probe is one this enabling was made for (the tree's marks, also for probes that appear later). */
	covers: (p: Probe) => boolean;
	/** The aggregation key (D text, "" for none); `k` steps through keysFor() of the probes. */
	key: string;
	stacks: boolean;
	latency: boolean;
	probeIds: number[];
	/** A predicate every clause has: `container == "NAME"` for a row under a container (the C view). */
	predicate?: string;
}

/** The D clause(s) a UI enabling stands for. */
export function clauseFor(m: Meta): string {
	const keys = [m.key, m.stacks && m.key !== "ustack()" ? "ustack()" : ""].filter(Boolean);
	const k = keys.length ? `[${keys.join(", ")}]` : "";
	const when = m.predicate ? ` /${m.predicate}/` : "";
	if (m.latency) {
		const ret = m.desc.replace(/:entry$/, ":return");
		return `${m.desc}${when} { self->dtop_ts = timestamp; } ${ret} /self->dtop_ts/ { @${k} = quantize(timestamp - self->dtop_ts); self->dtop_ts = 0; }`;
	}
	return `${m.desc}${when} { @${k} = count(); }`;
}

export class SessionController implements Controller {
	readonly tree: ProbeTree;
	private listeners = new Set<() => void>();
	private readonly ticker: Ticker;
	private metas = new Map<number, Meta>();
	/** The last view and what view() made of it (read every frame). */
	private seen: { raw: SessionView; view: SessionView; overflows: number } | undefined;
	private argumentNotes = new Map<string, string[]>();
	private unsub: () => void;
	/** Per-event output for the Events pane, read every POLL_MS. */
	readonly feed: EventFeed;
	private eventListeners = new Set<() => void>();
	/** Runs only once some enabling records events: an idle UI makes no wake-ups for it. */
	private pollTimer: NodeJS.Timeout | undefined;
	private lastRoll = performance.now();
	private lastPollError = "";
	/** The view of the last tick, and whether the tree changed since (an idle tick with neither draws nothing). */
	private ticked: SessionView | undefined;
	private treeChanged = false;
	constructor(
		readonly session: Session,
		readonly catalog: Catalog,
		readonly targetPid: number | undefined,
		readonly notice?: string,
	) {
		this.tree = new ProbeTree(catalog, this);
		this.unsub = followMachine(
			session,
			catalog,
			(change) => {
				// Processes without probes come and go all the time: redraw only when the tree changes.
				if (!change.added.length && !change.removed.length) return;
				this.tree.update(change.added, change.removed);
				this.treeChanged = true;
				// Processes that came or went show at the next tick (a busy machine must not
				// redraw at every event poll); probes the tree made itself (pid-provider rows
				// on screen) right after this frame: not now, it is being drawn.
				const machine = change.started.length || change.exited.length || change.remapped !== undefined;
				if (!machine) setImmediate(() => this.emit());
				// The tick reads the process events (one wake-up a second idle, not two).
			},
			{ idleMs: 1000 },
		);
		session.showVariables = true;
		this.feed = new EventFeed({
			get recording() {
				return session.recording;
			},
			pollEvents: () => session.pollEvents(),
			fault: (f) => session.fault(f),
			view: () => session.view(),
			quiet: (id) => {
				const p = session.programOf(id);
				return p !== undefined && programOptions(p).get("quiet") === true;
			},
		});
		this.syncPolling();
		this.ticker = new Ticker(session, (view) => {
			this.syncPolling();
			const now = performance.now();
			// A tick after a change comes early: rates are counted over whole ticks.
			if (now - this.lastRoll >= session.tickMs / 2) {
				this.feed.roll(now - this.lastRoll);
				this.lastRoll = now;
			}
			// An idle tick (nothing enabled, the same view, the tree as it was) draws nothing.
			const overflows = this.catalog.following().overflows;
			if (view !== this.ticked || this.treeChanged || overflows !== this.seen?.overflows || view.enablings.length)
				this.emit();
			this.ticked = view;
			this.treeChanged = false;
			// The process events, read after the frame (they show at the next).
			catalog.flushEvents();
		}).start();
	}

	/** Poll the ring buffer every POLL_MS while some enabling records events, else not at all. */
	private syncPolling(): void {
		if (this.session.recording) this.pollTimer ??= setInterval(() => this.pollEvents(), POLL_MS);
	}

	/** Read the ring buffer: new lines go to the Events pane; an exit() ends its enabling. */
	private pollEvents(): void {
		if (this.session.paused) return;
		try {
			if (this.feed.poll()) this.emitEvents();
			for (const x of this.feed.takeExits()) {
				this.feed.note(`dtop: enabling ${x.enabling} called exit(${x.status}): disabled`);
				this.session.clearExit();
				if (this.session.programOf(x.enabling)) this.disable(x.enabling);
				this.emitEvents();
			}
			this.lastPollError = "";
		} catch (e) {
			const text = `dtop: reading the events failed: ${(e as Error).message}`;
			if (text !== this.lastPollError) this.feed.note(text);
			this.lastPollError = text;
			this.emitEvents();
		}
	}

	private emitEvents(): void {
		for (const l of this.eventListeners) l();
	}

	events(): EventsView {
		return this.feed.view();
	}

	subscribeEvents(listener: () => void): () => void {
		this.eventListeners.add(listener);
		return () => this.eventListeners.delete(listener);
	}
	/** Read the maps now (after a change) and tell the UI. */
	refresh(): void {
		this.ticker.now();
	}
	private emit(): void {
		for (const l of this.listeners) l();
	}
	view(): SessionView {
		const v = this.session.view();
		const overflows = this.catalog.following().overflows;
		if (v === this.seen?.raw && overflows === this.seen.overflows) return this.seen.view;
		const view = {
			...v,
			enablings: v.enablings.map((e) => this.withArguments(e)),
			...(overflows ? { processOverflows: overflows } : {}),
		};
		this.seen = { raw: v, view, overflows };
		return view;
	}
	/** The enabling with its probes' argument notes (as their provider describes them), for the Detail pane. */
	private withArguments(e: EnablingView): EnablingView {
		const ids = this.session.probeIdsOf(e.id);
		const key = `${e.id}:${ids.length}`;
		let lines = this.argumentNotes.get(key);
		if (lines === undefined) {
			const first = ids.map((id) => this.catalog.probe(id)).find((p) => p && kindOf(p).argNotes);
			lines = first ? argNotes(first) : [];
			if (lines.length && ids.length > 1) lines = [`of ${probeName(first as Probe)}:`, ...lines];
			this.argumentNotes.set(key, lines);
		}
		const eventRate = this.feed.rate(e.id);
		const skipped = skippedLines(this.session.skipped(e.id));
		if (!lines.length && eventRate === undefined && !skipped.length) return e;
		return {
			...e,
			...(lines.length ? { arguments: lines } : {}),
			...(eventRate !== undefined ? { eventRate } : {}),
			...(skipped.length ? { skipped } : {}),
		};
	}
	subscribe(listener: () => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}
	isProbeEnabled(id: number): boolean {
		if (this.session.isProbeEnabled(id)) return true;
		const onFile = this.session.onFileProbes();
		return onFile.size > 0 && coveredOnFile(this.catalog.probe(id), onFile);
	}
	probeRate(id: number): number | undefined {
		return this.session.probeRate(id);
	}
	enablingOf(probe: Probe): number | undefined {
		for (const [id, m] of this.metas) if (m.covers(probe)) return id;
		return undefined;
	}
	/** The UI's enabling of `descs`, made for `probes`. */
	private metaFor(descs: string[], probes: Probe[], container?: string): Meta {
		const tests = descs.map((d) => compileDescription(parseDescription(d, this.targetPid)));
		const ids = new Set(probes.map((p) => p.id));
		const inside = (p: Probe) => {
			if (container === undefined) return true;
			const group = kindOf(p).tree?.group?.(p);
			return group !== undefined && this.tree.containerOfPid(group.pid) === container;
		};
		return {
			desc: descs.join(", "),
			covers: (p) => ids.has(p.id) || (inside(p) && tests.some((t) => t(p))),
			key: "",
			stacks: false,
			latency: false,
			probeIds: [...ids],
			...(container === undefined ? {} : { predicate: `container == ${JSON.stringify(container)}` }),
		};
	}
	/** A tree row's path as descriptions see it, and its container (the C view); a container's own row is refused. */
	private scoped(path: readonly string[]): { path: readonly string[]; container?: string } {
		const s = this.tree.scope(path);
		if (s.container !== undefined && s.path.length === 0)
			throw new ActionError("open the container and choose a program or process in it.");
		return s;
	}
	private enableMeta(m: Meta): number {
		const id = this.session.enable(clauseFor(m), m.desc);
		this.metas.set(id, m);
		this.ticker.now();
		return id;
	}
	private replace(id: number, change: (m: Meta) => void): Outcome {
		const m = this.metas.get(id);
		if (!m) throw new ActionError("this enabling was typed as D; edit it with ':' instead.");
		const next = { ...m };
		change(next);
		// In place: the same id, the same row in the table; on failure the old one stays.
		this.session.replace(id, clauseFor(next), next.desc);
		this.metas.set(id, next);
		this.ticker.now();
		return undefined;
	}
	toggle(path: readonly string[], opts?: { confirmed?: boolean; filter?: string }): ToggleOutcome {
		const off = path.length ? unavailableProvider(this.catalog, path[0]) : undefined;
		if (off) throw new ActionError(off.reason ?? `${off.name} is not available.`);
		const probes = this.tree.probesUnder(path, opts?.filter);
		const enabledBy = new Set(probes.map((p) => this.enablingOf(p)).filter((x): x is number => x !== undefined));
		if (enabledBy.size) {
			for (const id of enabledBy) this.disable(id);
			return undefined;
		}
		if (probes.length === 0) throw new ActionError("nothing to enable here.");
		const scope = this.scoped(path);
		if (probes.length > 100 && !opts?.confirmed) return { needsConfirm: probes.length };
		this.enableMeta(this.metaFor(describeFiltered(scope.path, opts?.filter, this.targetPid), probes, scope.container));
		return undefined;
	}
	disable(enablingId: number): Outcome {
		// Its END clauses run first, and what they print is read before it goes.
		if (this.session.programOf(enablingId)) {
			this.session.endEnabling(enablingId);
			if (this.feed.poll()) this.emitEvents();
			this.feed.finish(enablingId);
		}
		this.session.disable(enablingId);
		this.metas.delete(enablingId);
		this.ticker.now();
		return undefined;
	}
	/** The keys `k` offers for an enabling: those its probes have. */
	keysOf(enablingId: number): string[] {
		const m = this.metas.get(enablingId);
		if (!m) return [];
		return keysFor(m.probeIds.map((id) => this.catalog.probe(id)).filter((p): p is Probe => p !== undefined));
	}
	/** `k`: the next key that works for this enabling; keys that cannot be built are skipped, and said so. */
	cycleKey(enablingId: number): Outcome {
		const m = this.metas.get(enablingId);
		if (!m) throw new ActionError("this enabling was typed as D; edit it with ':' instead.");
		const keys = this.keysOf(enablingId);
		const at = keys.indexOf(m.key);
		const skipped: string[] = [];
		for (let step = 1; step < keys.length; step++) {
			const key = keys[(at + step) % keys.length];
			try {
				this.replace(enablingId, (x) => {
					x.key = key;
				});
			} catch (e) {
				skipped.push(`${key} (${(e as Error).message.replace(/\.$/, "")})`);
				continue;
			}
			return skipped.length ? { message: `Skipped ${skipped.join(", ")}.` } : undefined;
		}
		throw new ActionError(`no other key works for this probe: ${skipped.join(", ")}.`);
	}
	private idFor(target: Target): number {
		if ("enablingId" in target) return target.enablingId;
		const probes = this.tree.probesUnder(target.path);
		const existing = probes.map((p) => this.enablingOf(p)).find((x) => x !== undefined);
		if (existing !== undefined) return existing;
		const scope = this.scoped(target.path);
		return this.enableMeta(this.metaFor([describePath(scope.path)], probes, scope.container));
	}
	toggleStacks(target: Target): Outcome {
		const id = this.idFor(target);
		return this.replace(id, (m) => {
			m.stacks = !m.stacks;
		});
	}
	latency(target: Target): Outcome {
		const id = this.idFor(target);
		const m = this.metas.get(id);
		if (!m || !/:entry$/.test(m.desc) || m.desc.includes(","))
			throw new ActionError("latency needs an entry probe (one with a matching return).");
		return this.replace(id, (x) => {
			x.latency = !x.latency;
		});
	}
	enableClause(text: string): Outcome {
		const id = this.session.enable(programFromPromptLine(text));
		this.ticker.now();
		const program = this.session.programOf(id);
		if (!program?.clauses.some(clauseRecords)) return undefined;
		this.syncPolling();
		// What BEGIN printed, at once; the Events pane opens on it.
		this.pollEvents();
		return { showEvents: true };
	}
	d(enablingId: number): string {
		return this.session.view().enablings.find((e) => e.id === enablingId)?.d ?? "";
	}
	setTick(ms: number): void {
		this.ticker.setInterval(ms);
		this.emit();
	}
	pause(paused: boolean): void {
		this.session.paused = paused;
		this.emit();
	}
	clear(): void {
		this.session.clearHistory();
		this.emit();
	}
	get rawNamesAtStart(): boolean {
		return this.session.nodemangle;
	}
	rawNames(raw: boolean): void {
		this.session.setNodemangle(raw);
		this.emit();
	}
	byContainer(on: boolean): void {
		this.tree.setByContainer(on);
		this.emit();
	}
	quit(): void {
		this.close();
	}
	close(): void {
		if (this.pollTimer) clearInterval(this.pollTimer);
		this.ticker.stop();
		this.unsub();
	}
}

export async function runInteractiveSession(o: {
	session: Session;
	catalog: Catalog;
	probes: CatalogProbes;
	flags: Flags;
	target: Proc | undefined;
	initial: string;
	cleanup: () => void;
	/** Shown on the status line at start. */
	notice?: string;
}): Promise<number> {
	// No incremental marking: once the idle UI stops allocating, V8 finishes a major GC
	// in small steps, each a task posted to the main loop (an eventfd write and read):
	// ~120 system calls a second for as long as it lasts. One short atomic pause instead.
	setFlagsFromString("--no-incremental-marking");
	// The -n clause first: refused, it ends dtop with its error before anything runs.
	if (o.initial.trim()) o.session.enable(o.initial, undefined, { allowZero: o.flags.zero });
	const ctl = new SessionController(o.session, o.catalog, o.target?.pid, o.notice);
	o.target?.resume();
	ctl.refresh();
	await runInteractive(ctl, {
		cleanup: () => {
			ctl.close();
			o.cleanup();
		},
		color: o.flags.color ? undefined : false,
		mouse: o.flags.mouse,
	});
	return 0;
}
