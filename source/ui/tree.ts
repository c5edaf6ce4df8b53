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
	/** What the children are, when not just counted: `3 processes`. */
	countText?: string;
	/** Shown dim after the name, raw (the UI escapes it): a process's command line. */
	note?: string;
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
	 * undefined: still reading (a filter searching many symbol tables, a slice at a
	 * time); ask again in the next slice.
	 */
	children(path: readonly string[], filter?: string): readonly TreeEntry[] | undefined;
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

interface Frame {
	path: string[];
	depth: number;
	/** Not read yet: the next step reads them. */
	entries?: readonly TreeEntry[];
	next: number;
}

/**
 * The visible rows, depth first, read a few nodes at a time: children are fetched
 * only for expanded nodes, and run() stops at a deadline between two reads of children, so a
 * large filtered tree never holds the UI's thread for long. Errors from the source
 * (a bad filter) are thrown by run().
 */
export class TreeWalk {
	readonly rows: TreeRow[] = [];
	private readonly stack: Frame[] = [{ path: [], depth: 0, next: 0 }];
	private readonly limit: number;

	constructor(
		private readonly source: TreeSource,
		private readonly opts: FlattenOptions,
	) {
		this.limit = opts.limit ?? 100_000;
	}

	/** Reads on until done (true) or until `deadline` (a performance.now() time) has passed (false). */
	run(deadline: number): boolean {
		const { stack, rows } = this;
		let reads = 0;
		while (stack.length > 0) {
			const frame = stack[stack.length - 1];
			if (frame.entries === undefined) {
				// At least one read per run, so every run makes progress.
				if (reads++ > 0 && performance.now() > deadline) return false;
				const entries = this.source.children(frame.path, this.opts.filter);
				if (entries === undefined) return false;
				frame.entries = entries;
			}
			if (frame.next >= frame.entries.length || rows.length >= this.limit) {
				stack.pop();
				continue;
			}
			const entry = frame.entries[frame.next++];
			const path = [...frame.path, entry.name];
			const key = pathKey(path);
			const expanded = !isLeaf(entry) && this.opts.isExpanded(key);
			rows.push({ path, key, depth: frame.depth, entry, expanded });
			if (expanded) stack.push({ path, depth: frame.depth + 1, next: 0 });
		}
		return true;
	}
}

/** The visible rows, depth first, all at once. */
export function flattenTree(source: TreeSource, opts: FlattenOptions): TreeRow[] {
	const walk = new TreeWalk(source, opts);
	while (!walk.run(Number.POSITIVE_INFINITY)) {
		// a source still reading: each call reads on
	}
	return walk.rows;
}

/** The first visible row index that keeps `selected` on screen, moving as little as possible. */
export function keepVisible(top: number, selected: number, height: number, total: number): number {
	if (height <= 0) return 0;
	let t = Math.min(top, Math.max(0, total - height));
	if (selected < t) t = selected;
	if (selected >= t + height) t = selected - height + 1;
	return Math.max(0, t);
}
