// The probe tree's model: what the UI asks of the catalog (TreeSource) and the
// flat list of visible rows it draws. Levels are provider → module → function →
// probe; only expanded nodes are asked for their children, so a catalog with
// hundreds of thousands of uprobe sites costs what is on screen.

/** One node of the probe tree as the catalog reports it. */
export interface TreeEntry {
	/** Provider, module, function or probe name, raw (the UI escapes it). "" is shown as "(none)". */
	name: string;
	/** Children below this node; undefined for a probe (a leaf). */
	childCount?: number;
	/** The probe's id, for leaves. */
	probeId?: number;
	/** Whether the probe (or, for inner nodes, all/some probes below) is enabled. */
	enabled: boolean | "partial";
	/** Live firings per second when enabled. */
	rate?: number;
	/** The enabling that covers this node, if any (so `s`, `l`, `d` can act on it from the tree). */
	enablingId?: number;
}

/** What the probe tree needs from the catalog. */
export interface TreeSource {
	/**
	 * The children of the node at `path` ([] = the providers), in display order.
	 * With `filter` (a probe description with globs, e.g. `syscall::read*:entry`, or a
	 * bare word matched against any level), only nodes with at least one matching
	 * probe below them. May throw an Error whose message explains a bad filter.
	 */
	children(path: readonly string[], filter?: string): readonly TreeEntry[];
}

export interface TreeRow {
	path: string[];
	/** Stable identity of the node: its path joined by NUL. */
	key: string;
	depth: number;
	entry: TreeEntry;
	expanded: boolean;
}

export const pathKey = (path: readonly string[]): string => path.join("\0");

export function isLeaf(entry: TreeEntry): boolean {
	return entry.childCount === undefined;
}

export interface FlattenOptions {
	filter?: string;
	/** Whether the node is expanded (by key). */
	isExpanded(key: string): boolean;
	/** Stop after this many rows (a filter expands everything; keep that bounded). */
	limit?: number;
}

/** The visible rows, depth first. Children are fetched only for expanded nodes. */
export function flattenTree(source: TreeSource, opts: FlattenOptions): TreeRow[] {
	const rows: TreeRow[] = [];
	const limit = opts.limit ?? 100_000;
	const walk = (path: string[], depth: number): void => {
		for (const entry of source.children(path, opts.filter)) {
			if (rows.length >= limit) return;
			const childPath = [...path, entry.name];
			const key = pathKey(childPath);
			const expanded = !isLeaf(entry) && opts.isExpanded(key);
			rows.push({ path: childPath, key, depth, entry, expanded });
			if (expanded) walk(childPath, depth + 1);
		}
	};
	walk([], 0);
	return rows;
}

/** The first visible row index that keeps `selected` on screen, moving as little as possible. */
export function keepVisible(top: number, selected: number, height: number, total: number): number {
	if (height <= 0) return 0;
	let t = Math.min(top, Math.max(0, total - height));
	if (selected < t) t = selected;
	if (selected >= t + height) t = selected - height + 1;
	return Math.max(0, t);
}
