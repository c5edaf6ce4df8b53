// A lazily listed provider in the probe tree (ProbeKindModule.tree.lazy; the pid
// provider): `pid` → each process (`pid4242` and its command line) → the
// objects it maps → their functions → entry/return. Nothing
// is listed before it is expanded: a process's modules when it is opened, a
// module's functions (its symbol table) when that is, and the entry/return
// probes themselves only for a function on screen. A description filter
// (`pid*::malloc:entry`) searches the functions of every process; a bare word
// does not (it would read every symbol table of the machine).
import type { Catalog, Probe } from "../catalog/index.ts";
import type { LazyRows } from "../providers/index.ts";
import { ActionError } from "../ui/controller.ts";
import type { TreeEntry } from "../ui/tree.ts";
import { cmdlineOf } from "./cmdlines.ts";
import { literal } from "./tree-enable.ts";
import type { TreeFilter } from "./tree-filter.ts";
import { shortCommand, type TreeMarks } from "./tree-source.ts";

/** Made pid-provider probes below a tree path (for marks and rates; not a listing). */
export type MadeUnder = (path: readonly string[]) => Probe[];

export class PidTree {
	/** Functions of an object (by its key) that the current filter lets through, with their probe names. */
	private matches = new Map<string, Map<string, string[]>>();
	private matchesFor = "";
	/** Modules whose probes the current filter shows were made already (`pid\0module`). */
	private madeFor = new Set<string>();

	constructor(
		private readonly catalog: Catalog,
		private readonly marks: TreeMarks,
		private readonly made: MadeUnder,
		/** Its row (also its providers' prefix: `pid` and `pid4242`) and its probe names. */
		private readonly rows: LazyRows,
	) {}

	private provider(pid: number): string {
		return `${this.rows.row}${pid}`;
	}

	/**
	 * Reads, for a filter, the symbol tables it searches, for at most `budgetMs`;
	 * true once all are read. The first search of every process's functions reads
	 * hundreds of symbol tables (seconds): in slices, so keys are answered meanwhile.
	 */
	ready(f: TreeFilter | undefined, budgetMs = 15): boolean {
		if (!f || !this.searches(f)) return true;
		const end = performance.now() + budgetMs;
		for (const pid of this.processes()) {
			if (!f.provider(this.provider(pid))) continue;
			for (const o of this.catalog.processObjects(pid)) {
				if (this.matchesFor === f.text && this.matches.has(o.key)) continue;
				if (performance.now() > end) return false;
				if (f.module(o.module)) this.functions(pid, o.module, f);
			}
		}
		return true;
	}

	/** Whether a filter can show pid-provider probes at all. */
	private searches(f: TreeFilter | undefined): boolean {
		return !f || (f.description && this.rows.names.some((n) => f.name(n)));
	}

	private processes(): number[] {
		return this.catalog
			.processes()
			.filter((p) => p.objects > 0)
			.map((p) => p.pid);
	}

	/** The functions of `pid`'s module that `f` lets through, each with the probe names it lets through. */
	private functions(pid: number, module: string, f: TreeFilter | undefined): Map<string, string[]> {
		if (!f) return new Map(this.catalog.functionNames(pid, module).map((n) => [n, [...this.rows.names]]));
		if (this.matchesFor !== f.text) {
			this.matches.clear();
			this.madeFor.clear();
			this.matchesFor = f.text;
		}
		const out = new Map<string, string[]>();
		if (!f.module(module)) return out;
		for (const o of this.catalog.processObjects(pid)) {
			if (o.module !== module) continue;
			let m = this.matches.get(o.key);
			if (!m) {
				m = new Map();
				const names = this.rows.names.filter((w) => f.name(w));
				for (const fn of this.catalog.functionNames(pid, module)) if (f.fn(fn) && names.length) m.set(fn, names);
				this.matches.set(o.key, m);
			}
			for (const [k, v] of m) out.set(k, v);
		}
		return out;
	}

	private modules(pid: number, f: TreeFilter | undefined): string[] {
		const names = [...new Set(this.catalog.processObjects(pid).map((o) => o.module))].sort();
		return f ? names.filter((m) => this.functions(pid, m, f).size > 0) : names;
	}

	private shown(pid: number, f: TreeFilter | undefined): boolean {
		if (!f) return true;
		return f.provider(this.provider(pid)) && this.modules(pid, f).length > 0;
	}

	private marked(path: readonly string[], e: TreeEntry): TreeEntry {
		const made = this.made(path);
		const on = made.filter((p) => this.marks.isProbeEnabled(p.id));
		if (on.length === 0) return e;
		const rate = on.reduce((n, p) => n + (this.marks.probeRate(p.id) ?? 0), 0);
		return { ...e, enabled: "partial", rate };
	}

	/** The `pid` row at the top of the tree (undefined when the filter shows none of it). */
	top(f: TreeFilter | undefined): TreeEntry | undefined {
		if (!this.searches(f)) return undefined;
		const pids = this.processes().filter((p) => this.shown(p, f));
		if (pids.length === 0) return undefined;
		const n = pids.length;
		return this.marked([this.rows.row], {
			name: this.rows.row,
			childCount: n,
			countText: `${n} process${n === 1 ? "" : "es"}`,
			enabled: false,
		});
	}

	children(path: readonly string[], f: TreeFilter | undefined): TreeEntry[] {
		if (!this.searches(f)) return [];
		const pid = path.length > 1 ? Number(path[1].slice(this.rows.row.length)) : 0;
		switch (path.length) {
			case 1:
				return this.processes()
					.filter((p) => this.shown(p, f))
					.map((p) => {
						const cmd = cmdlineOf(p);
						const name = this.provider(p);
						return this.marked([this.rows.row, name], {
							name,
							childCount: this.modules(p, undefined).length,
							note: cmd === undefined ? "(exited)" : shortCommand(cmd),
							enabled: false,
						});
					});
			case 2:
				// A module's functions are counted only when it is opened (or a filter searched them).
				return this.modules(pid, f).map((m) =>
					this.marked([...path, m], {
						name: m,
						childCount: f ? this.functions(pid, m, f).size : 0,
						countText: f ? undefined : "",
						enabled: false,
					}),
				);
			case 3: {
				const fns = this.functions(pid, path[2], f);
				// The probes of what a filter shows are made at once (one match per module).
				if (f && fns.size) this.make(pid, path[2], f);
				return [...fns.keys()]
					.sort()
					.map((fn) => this.marked([...path, fn], { name: fn, childCount: fns.get(fn)?.length, enabled: false }));
			}
			case 4:
				return this.leaves(pid, path[2], path[3], f);
			default:
				return [];
		}
	}

	/** Makes the probes of what `f` shows in one module. */
	private make(pid: number, module: string, f: TreeFilter): void {
		const key = `${pid}\0${module}`;
		if (this.madeFor.has(key)) return;
		this.madeFor.add(key);
		const d = f.text.split(":");
		while (d.length < 4) d.unshift("");
		this.catalog.match({ provider: this.provider(pid), module: literal(module), function: d[2], name: d[3] });
	}

	private leaves(pid: number, module: string, fn: string, f: TreeFilter | undefined): TreeEntry[] {
		const want: string[] = this.rows.names.filter((w) => !f || f.name(w));
		// Made before (by a filter, an expansion, an enabling): no need to match the whole catalog again.
		let probes = this.made([this.rows.row, this.provider(pid), module, fn]).filter((p) => want.includes(p.name));
		if (probes.length < want.length) {
			const name = want.length === 1 ? want[0] : "";
			probes = this.catalog
				.match({ provider: this.provider(pid), module: literal(module), function: literal(fn), name })
				.filter((p) => want.includes(p.name));
		}
		probes.sort((a, b) => (a.name < b.name ? -1 : 1));
		return probes.map((p) => {
			const on = this.marks.isProbeEnabled(p.id);
			return {
				name: p.name,
				probeId: p.id,
				enabled: on,
				rate: on ? (this.marks.probeRate(p.id) ?? 0) : undefined,
				enablingId: this.marks.enablingOf(p),
			};
		});
	}

	/** The probes Space below `path` stands for (made now). */
	probes(path: readonly string[], f: TreeFilter | undefined): Probe[] {
		if (path.length === 1 && !f) {
			throw new ActionError(
				`the ${this.rows.row} provider of every process is too many probes: open one process, or filter (${this.rows.row}*::malloc:entry).`,
			);
		}
		const pids = path.length > 1 ? [Number(path[1].slice(this.rows.row.length))] : this.processes();
		const d = f?.description ? f.text.split(":") : ["", "", "", ""];
		while (d.length < 4) d.unshift("");
		const out: Probe[] = [];
		for (const pid of pids) {
			if (f && !f.provider(this.provider(pid))) continue;
			const module = path.length > 2 ? literal(path[2]) : d[1];
			const fn = path.length > 3 ? literal(path[3]) : d[2];
			const name = path.length > 4 ? literal(path[4]) : d[3];
			try {
				out.push(...this.catalog.match({ provider: this.provider(pid), module, function: fn, name }));
			} catch {
				// The process exited meanwhile.
			}
		}
		return out;
	}
}
