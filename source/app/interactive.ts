// Wires the interactive UI to a live session: the probe tree from the catalog,
// toggles turned into D enablings, a tick timer that reads the maps.
import type { Catalog, Probe } from "../catalog/index.ts";
import { compileGlob, isGlob, parseDescription } from "../catalog/index.ts";
import type { CatalogProbes } from "../session/catalog-source.ts";
import type { Session } from "../session/session.ts";
import type { SessionView } from "../session/view.ts";
import { ActionError, type Controller, type Outcome, type Target, type ToggleOutcome } from "../ui/controller.ts";
import { runInteractive } from "../ui/run.tsx";
import type { TreeEntry, TreeSource } from "../ui/tree.ts";
import type { Flags } from "./flags.ts";
import { followMachine } from "./follow.ts";
import type { Target as Proc } from "./process.ts";
import { Ticker } from "./ticker.ts";

/** The aggregation keys `k` cycles through. */
export const KEY_CYCLE = [
	"",
	"execname",
	"pid",
	"tid",
	"probefunc",
	"arg0",
	"arg1",
	"arg2",
	"copyinstr(arg0)",
	"ustack()",
	"kstack()",
] as const;

interface Meta {
	desc: string;
	key: number;
	stacks: boolean;
	latency: boolean;
	probeIds: number[];
}

/** The D clause(s) a UI enabling stands for. */
export function clauseFor(m: Meta): string {
	const keys = [KEY_CYCLE[m.key], m.stacks && KEY_CYCLE[m.key] !== "ustack()" ? "ustack()" : ""].filter(Boolean);
	const k = keys.length ? `[${keys.join(", ")}]` : "";
	if (m.latency) {
		const ret = m.desc.replace(/:entry$/, ":return");
		return `${m.desc} { self->dtop_ts = timestamp; } ${ret} /self->dtop_ts/ { @${k} = quantize(timestamp - self->dtop_ts); self->dtop_ts = 0; }`;
	}
	return `${m.desc} { @${k} = count(); }`;
}

function describePath(path: readonly string[]): string {
	const f = [...path, "", "", "", ""].slice(0, 4);
	return f.join(":");
}

class Tree implements TreeSource {
	private index = new Map<string, Map<string, Map<string, Probe[]>>>();
	constructor(
		private catalog: Catalog,
		private ctl: SessionController,
	) {
		this.rebuild();
	}
	rebuild(): void {
		const idx = new Map<string, Map<string, Map<string, Probe[]>>>();
		for (const p of this.catalog.probes()) {
			let m = idx.get(p.provider);
			if (!m) idx.set(p.provider, (m = new Map()));
			let f = m.get(p.module);
			if (!f) m.set(p.module, (f = new Map()));
			let l = f.get(p.function);
			if (!l) f.set(p.function, (l = []));
			l.push(p);
		}
		this.index = idx;
	}
	probesUnder(path: readonly string[], filter?: (p: Probe) => boolean): Probe[] {
		const out: Probe[] = [];
		for (const [prov, mods] of this.index) {
			if (path.length > 0 && prov !== path[0]) continue;
			for (const [mod, fns] of mods) {
				if (path.length > 1 && mod !== path[1]) continue;
				for (const [fn, ps] of fns) {
					if (path.length > 2 && fn !== path[2]) continue;
					for (const p of ps) if ((path.length < 4 || p.name === path[3]) && (!filter || filter(p))) out.push(p);
				}
			}
		}
		return out;
	}
	private filterFn(filter?: string): ((p: Probe) => boolean) | undefined {
		if (!filter?.trim()) return undefined;
		if (filter.includes(":")) {
			const d = parseDescription(filter, this.ctl.targetPid);
			const t = [d.provider, d.module, d.function, d.name].map((x) => (x ? compileGlob(x) : () => true));
			return (p) => t[0](p.provider) && t[1](p.module) && t[2](p.function) && t[3](p.name);
		}
		const g = isGlob(filter) ? compileGlob(filter) : (s: string) => s.includes(filter);
		return (p) => g(p.provider) || g(p.module) || g(p.function) || g(p.name);
	}
	children(path: readonly string[], filter?: string): readonly TreeEntry[] {
		const f = this.filterFn(filter);
		const under = this.probesUnder(path, f);
		const depth = path.length;
		const groups = new Map<string, Probe[]>();
		for (const p of under) {
			const name = [p.provider, p.module, p.function, p.name][depth];
			let g = groups.get(name);
			if (!g) groups.set(name, (g = []));
			g.push(p);
		}
		const out: TreeEntry[] = [];
		for (const [name, ps] of [...groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
			const enabled = ps.filter((p) => this.ctl.session.isProbeEnabled(p.id)).length;
			const leaf = depth === 3;
			const rate = ps.reduce((n, p) => n + (this.ctl.session.probeRate(p.id) ?? 0), 0);
			out.push({
				name,
				childCount: leaf
					? undefined
					: depth === 2
						? ps.length
						: new Set(ps.map((p) => [p.provider, p.module, p.function][depth + 1])).size,
				probeId: leaf ? ps[0].id : undefined,
				enabled: enabled === 0 ? false : enabled === ps.length ? true : "partial",
				rate: enabled ? rate : undefined,
				enablingId: leaf ? this.ctl.enablingOf(ps[0].id) : undefined,
			});
		}
		return out;
	}
}

export class SessionController implements Controller {
	readonly tree: Tree;
	private listeners = new Set<() => void>();
	private readonly ticker: Ticker;
	private metas = new Map<number, Meta>();
	private unsub: () => void;
	constructor(
		readonly session: Session,
		readonly catalog: Catalog,
		readonly targetPid: number | undefined,
		readonly notice?: string,
	) {
		this.tree = new Tree(catalog, this);
		this.unsub = followMachine(session, catalog, (change) => {
			// Processes without probes come and go all the time: redraw only when the tree changes.
			if (!change.added.length && !change.removed.length) return;
			this.tree.rebuild();
			this.emit();
		});
		this.ticker = new Ticker(session, () => this.emit()).start();
	}
	/** Read the maps now (after a change) and tell the UI. */
	refresh(): void {
		this.ticker.now();
	}
	private emit(): void {
		for (const l of this.listeners) l();
	}
	view(): SessionView {
		const overflows = this.catalog.following().overflows;
		return overflows ? { ...this.session.view(), processOverflows: overflows } : this.session.view();
	}
	subscribe(listener: () => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}
	enablingOf(probeId: number): number | undefined {
		for (const [id, m] of this.metas) if (m.probeIds.includes(probeId)) return id;
		return undefined;
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
		this.session.disable(id);
		this.metas.delete(id);
		try {
			this.enableMeta(next);
		} catch (e) {
			this.enableMeta(m);
			throw e;
		}
		return undefined;
	}
	toggle(path: readonly string[], opts?: { confirmed?: boolean }): ToggleOutcome {
		const probes = this.tree.probesUnder(path);
		const enabledBy = new Set(probes.map((p) => this.enablingOf(p.id)).filter((x): x is number => x !== undefined));
		if (enabledBy.size) {
			for (const id of enabledBy) this.disable(id);
			return undefined;
		}
		if (probes.length === 0) throw new ActionError("nothing to enable here.");
		if (probes.length > 100 && !opts?.confirmed) return { needsConfirm: probes.length };
		this.enableMeta({
			desc: describePath(path),
			key: 0,
			stacks: false,
			latency: false,
			probeIds: probes.map((p) => p.id),
		});
		return undefined;
	}
	disable(enablingId: number): Outcome {
		this.session.disable(enablingId);
		this.metas.delete(enablingId);
		this.ticker.now();
		return undefined;
	}
	cycleKey(enablingId: number): Outcome {
		return this.replace(enablingId, (m) => {
			m.key = (m.key + 1) % KEY_CYCLE.length;
		});
	}
	private idFor(target: Target): number {
		if ("enablingId" in target) return target.enablingId;
		const probes = this.tree.probesUnder(target.path);
		const existing = probes.map((p) => this.enablingOf(p.id)).find((x) => x !== undefined);
		if (existing !== undefined) return existing;
		return this.enableMeta({
			desc: describePath(target.path),
			key: 0,
			stacks: false,
			latency: false,
			probeIds: probes.map((p) => p.id),
		});
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
		if (!m || !/:entry$/.test(m.desc))
			throw new ActionError("latency needs an entry probe (one with a matching return).");
		return this.replace(id, (x) => {
			x.latency = !x.latency;
		});
	}
	enableClause(text: string): Outcome {
		this.session.enable(text);
		this.ticker.now();
		return undefined;
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
	quit(): void {
		this.close();
	}
	close(): void {
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
	const ctl = new SessionController(o.session, o.catalog, o.target?.pid, o.notice);
	try {
		if (o.initial.trim()) o.session.enable(o.initial, undefined, { allowZero: o.flags.zero });
	} catch (e) {
		// The controller's timers would keep dtop running after the error is printed.
		ctl.close();
		throw e;
	}
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
