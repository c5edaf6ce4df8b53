// The probe tree the interactive UI browses, read from the catalog, shaped as
// each provider module says (ProbeKindModule.tree): by default provider →
// module → function → name; a provider that groups its probes by program, then
// by process (USDT: `prefork (3 processes)` → `prefork4242` with its command
// line → module → function → name); one whose function probes of every process
// are listed lazily (the pid provider: pid-tree.ts); a hint on its row.
import type { Catalog, Probe } from "../catalog/index.ts";
import { kindOf, type LazyRows, PROBE_KINDS } from "../providers/index.ts";
import type { TreeEntry, TreeSource } from "../ui/tree.ts";
import { cmdlineOf } from "./cmdlines.ts";
import { ContainerOf, containerRow } from "./container-tree.ts";
import { PidTree } from "./pid-tree.ts";
import { isGroup } from "./tree-enable.ts";
import { makeNamedRate, unavailableRows } from "./tree-extras.ts";
import { treeFilter } from "./tree-filter.ts";

/** What the tree shows of the session: marks, rates and enablings of probes. */
export interface TreeMarks {
	isProbeEnabled(id: number): boolean;
	probeRate(id: number): number | undefined;
	enablingOf(probe: Probe): number | undefined;
	readonly targetPid: number | undefined;
}

interface Node {
	children: Map<string, Node>;
	probe?: Probe;
}

const node = (): Node => ({ children: new Map() });

/** The row a probe's provider is under when it is listed lazily. */
function lazyRow(p: Probe): string | undefined {
	return kindOf(p).tree?.lazy?.row;
}

/** Where a probe sits in the tree. */
export function treePath(p: Probe): string[] {
	const shape = kindOf(p).tree;
	const above = shape?.group?.(p).name ?? shape?.lazy?.row;
	const path = [p.provider, p.module, p.function, p.name];
	return above === undefined ? path : [above, ...path];
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
/** Processes by pid, not as text (prefork99 before prefork100). */
const byPid = (a: string, b: string) => pidOf(a) - pidOf(b) || byName(a, b);
const pidOf = (provider: string) => Number(/(\d+)$/.exec(provider)?.[1] ?? 0);

/** A command line cut to what a tree row can show: the program's base name, then its arguments. */
export function shortCommand(cmdline: string, max = 60): string {
	const [first = "", ...rest] = cmdline.split(" ");
	const program = first.startsWith("/") ? (first.split("/").at(-1) ?? first) : first;
	const line = [program, ...rest].join(" ");
	return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export class ProbeTree implements TreeSource {
	private root: Node = node();
	/** pid-provider probes made so far (for marks and rates; pid-tree.ts lists them). */
	private made: Node = node();
	private stale = true;
	/** Each lazily listed provider by its top-level row. */
	private readonly lazy = new Map<string, PidTree>();
	/** The hint on a top-level row, from the provider of its probes. */
	private hints = new Map<string, string>();
	/** The container view (the C key): USDT programs' processes under their container's row. */
	private byContainer = false;
	private readonly containerOf = new ContainerOf();
	/** Container row → the container's name and its own tree of programs (built by fresh()). */
	private containers = new Map<string, { name: string; root: Node; processes: number }>();

	constructor(
		private readonly catalog: Catalog,
		private readonly marks: TreeMarks,
	) {
		const made = (path: readonly string[]) => {
			this.fresh();
			let at: Node | undefined = this.made;
			for (const name of path) at = at?.children.get(name);
			return at ? this.leaves(at, undefined) : [];
		};
		// The lazily listed rows of the providers that have them (the pid provider's).
		const lazy: readonly LazyRows[] = PROBE_KINDS.flatMap((k) => (k.tree?.lazy ? [k.tree.lazy] : []));
		for (const rows of lazy) this.lazy.set(rows.row, new PidTree(catalog, marks, made, rows));
	}

	/** The catalog changed (probes came or went): read it again before the next use. */
	rebuild(): void {
		this.stale = true;
	}

	/**
	 * Probes came and went: the tree changes by them alone. (Read whole, a busy
	 * machine's tree of thousands of probes was rebuilt at every process with
	 * USDT probes that started or exited: ~1 MB of garbage a second, idle.)
	 */
	update(added: readonly Probe[], removed: readonly Probe[]): void {
		if (this.stale || this.byContainer) {
			this.stale = true;
			return;
		}
		for (const p of removed) this.remove(p.kind === "uprobe" ? this.made : this.root, treePath(p), 0, p);
		for (const p of added) {
			let at = p.kind === "uprobe" ? this.made : this.root;
			for (const name of treePath(p)) {
				let next = at.children.get(name);
				if (!next) at.children.set(name, (next = node()));
				at = next;
			}
			at.probe = p;
		}
	}

	/** Takes `p` from below `at` (path[i..]); true when `at` is left empty. */
	private remove(at: Node, path: readonly string[], i: number, p: Probe): boolean {
		if (i === path.length) {
			if (at.probe?.id === p.id) at.probe = undefined;
		} else {
			const name = path[i] as string;
			const next = at.children.get(name);
			if (next && this.remove(next, path, i + 1, p)) at.children.delete(name);
		}
		return at.probe === undefined && at.children.size === 0;
	}

	/** Regroup the tree by container (or not). */
	setByContainer(on: boolean): void {
		this.byContainer = on;
		this.stale = true;
	}

	/** A row's path as the machine-wide tree has it, and the container it is under (container view). */
	scope(path: readonly string[]): { path: readonly string[]; container?: string } {
		if (!this.byContainer || path.length === 0) return { path };
		this.fresh();
		const c = this.containers.get(path[0]);
		return c ? { path: path.slice(1), container: c.name } : { path };
	}

	/** The container of a process (container view), read once per process. */
	containerOfPid(pid: number): string | undefined {
		return this.containerOf.of(pid);
	}

	/** Each USDT program's processes, regrouped under their containers. */
	private byContainers(root: Node): void {
		this.containers = new Map();
		const pids = new Set<number>();
		for (const [group, g] of root.children) {
			if (!isGroup(group)) continue;
			for (const [proc, n] of g.children) {
				const pid = pidOf(proc);
				const name = this.containerOf.of(pid);
				if (name === undefined) continue;
				pids.add(pid);
				const row = containerRow(name);
				let c = this.containers.get(row);
				if (!c) this.containers.set(row, (c = { name, root: node(), processes: 0 }));
				let cg = c.root.children.get(group);
				if (!cg) c.root.children.set(group, (cg = node()));
				cg.children.set(proc, n);
			}
		}
		for (const c of this.containers.values()) {
			const ps = new Set<string>();
			for (const g of c.root.children.values()) for (const proc of g.children.keys()) ps.add(proc);
			c.processes = ps.size;
		}
		this.containerOf.keep(pids);
	}

	private fresh(): void {
		if (!this.stale) return;
		this.stale = false;
		const root = node();
		const made = node();
		const hints = new Map<string, string>();
		for (const p of this.catalog.probes()) {
			let at = lazyRow(p) !== undefined ? made : root;
			const path = treePath(p);
			const hint = kindOf(p).tree?.hint;
			if (hint !== undefined) hints.set(path[0], hint);
			for (const name of path) {
				let next = at.children.get(name);
				if (!next) at.children.set(name, (next = node()));
				at = next;
			}
			at.probe = p;
		}
		this.root = root;
		this.made = made;
		this.hints = hints;
		if (this.byContainer) this.byContainers(root);
	}

	private find(path: readonly string[]): Node | undefined {
		this.fresh();
		const c = this.byContainer ? this.containers.get(path[0] ?? "") : undefined;
		let at: Node | undefined = c ? c.root : this.root;
		for (const name of c ? path.slice(1) : path) at = at?.children.get(name);
		return at;
	}

	private leaves(n: Node, filter: ((p: Probe) => boolean) | undefined, out: Probe[] = []): Probe[] {
		if (n.probe && (!filter || filter(n.probe))) out.push(n.probe);
		for (const c of n.children.values()) this.leaves(c, filter, out);
		return out;
	}

	private any(n: Node, filter: (p: Probe) => boolean): boolean {
		if (n.probe && filter(n.probe)) return true;
		for (const c of n.children.values()) if (this.any(c, filter)) return true;
		return false;
	}

	/** Every probe below `path` that `filter` (the tree's filter text) shows; pid-provider ones are made now. */
	probesUnder(path: readonly string[], filter?: string): Probe[] {
		const f = treeFilter(filter, this.marks.targetPid);
		const lazy = this.lazy.get(path[0] ?? "");
		if (lazy) return lazy.probes(path, f);
		const n = this.find(path);
		return n ? this.leaves(n, f && ((p) => f.test(p))) : [];
	}

	children(path: readonly string[], filter?: string): readonly TreeEntry[] | undefined {
		const tf = treeFilter(filter, this.marks.targetPid);
		if (path.length === 0 && makeNamedRate(this.catalog, filter, this.marks.targetPid)) this.stale = true;
		// A filter searching the pid provider's functions reads their symbol tables first, in slices.
		const lazy = this.lazy.get(path[0] ?? "");
		if (path.length === 0 && ![...this.lazy.values()].every((l) => l.ready(tf))) return undefined;
		if (lazy) return lazy.ready(tf) ? lazy.children(path, tf) : undefined;
		const f = tf && ((p: Probe) => tf.test(p));
		const at = this.find(path);
		if (!at) return [];
		// Under a container's row the rows are the machine-wide tree's (of its processes).
		const sub = this.scope(path).path;
		const processes = sub.length === 1 && isGroup(sub[0]);
		const names = [...at.children.keys()].sort(processes ? byPid : byName);
		const out: TreeEntry[] = [];
		for (const name of names) {
			// The container view shows the programs under their containers instead.
			if (path.length === 0 && this.byContainer && isGroup(name)) continue;
			const child = at.children.get(name) as Node;
			const probes = this.leaves(child, f);
			if (probes.length === 0) continue;
			out.push(this.entry(sub, name, child, probes, f));
		}
		if (path.length === 0 && this.byContainer) {
			for (const [row, c] of [...this.containers].sort((a, b) => byName(a[0], b[0]))) {
				const probes = this.leaves(c.root, f);
				if (probes.length === 0) continue;
				const e = this.entry([], row, c.root, probes, f);
				e.countText = `${c.processes} process${c.processes === 1 ? "" : "es"}`;
				out.push(e);
			}
		}
		if (path.length === 0) {
			for (const l of this.lazy.values()) {
				const top = l.top(tf);
				if (!top) continue;
				const at = out.findIndex((e) => e.name > top.name);
				out.splice(at === -1 ? out.length : at, 0, top);
			}
			for (const row of unavailableRows(this.catalog, filter))
				out.splice(
					Math.max(
						0,
						out.findIndex((e) => e.name > row.name),
					),
					0,
					row,
				);
		}
		return out;
	}

	private entry(
		path: readonly string[],
		name: string,
		n: Node,
		probes: Probe[],
		f: ((p: Probe) => boolean) | undefined,
	): TreeEntry {
		const enabled = probes.filter((p) => this.marks.isProbeEnabled(p.id)).length;
		const rate = probes.reduce((sum, p) => sum + (this.marks.probeRate(p.id) ?? 0), 0);
		const leaf = n.probe !== undefined && n.children.size === 0;
		const childCount = leaf
			? undefined
			: f
				? [...n.children.values()].filter((c) => this.any(c, f)).length
				: n.children.size;
		const e: TreeEntry = {
			name,
			childCount,
			probeId: leaf ? n.probe?.id : undefined,
			enabled: enabled === 0 ? false : enabled === probes.length ? true : "partial",
			rate: enabled ? rate : undefined,
			enablingId: leaf && n.probe ? this.marks.enablingOf(n.probe) : undefined,
		};
		if (path.length === 0 && isGroup(name) && childCount !== undefined) {
			e.countText = `${childCount} process${childCount === 1 ? "" : "es"}`;
		}
		const hint = path.length === 0 ? this.hints.get(name) : undefined;
		if (hint !== undefined) e.note = hint;
		if (path.length === 1 && isGroup(path[0])) {
			const cmd = cmdlineOf(pidOf(name));
			e.note = cmd === undefined ? "(exited)" : shortCommand(cmd);
		}
		return e;
	}
}
