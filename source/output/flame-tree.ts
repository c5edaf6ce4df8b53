// The tree both flame graphs draw (the SVG one in flamegraph-svg.ts, the
// terminal icicle in source/ui/flamegraph.tsx): stacks of an aggregation keyed
// by ustack()/kstack() merged from the outermost frame in, each node counting
// the firings whose stack passes through it.

export interface FlameRow {
	/** Frames innermost first, as aggregations hold them (`module`function+0xoff). */
	frames: readonly string[];
	count: number;
}

export interface FlameNode {
	/** The function (`module`function, offset dropped), or the frame as printed when nothing names it. */
	name: string;
	/** The object it is in (`libc.so.6`, `vmlinux`, `[jit]`), "" when unknown. */
	module: string;
	/** Firings whose stacks pass through here (self + children). */
	value: number;
	/** Firings whose stacks end here. */
	self: number;
	children: FlameNode[];
	parent: FlameNode | undefined;
}

/**
 * Merges by function: `libc.so.6`read+0x12` and `libc.so.6`read+0x20` are one
 * frame (`libc.so.6`read`), as flame graphs do; a frame no symbol names
 * (`libc.so.6+0x2724a`, `0x7f…`) keeps its address, which is all it has.
 */
export function frameName(frame: string): string {
	return frame.includes("`") ? frame.replace(/\+0x[0-9a-f]+$/, "") : frame;
}

export function frameModule(frame: string): string {
	const tick = frame.indexOf("`");
	if (tick > 0) return frame.slice(0, tick);
	const plus = frame.lastIndexOf("+0x");
	return plus > 0 ? frame.slice(0, plus) : "";
}

/** The tree of `rows`; the root ("all") counts every row. Children are sorted by name, as flame graphs are. */
export function flameTree(rows: readonly FlameRow[]): FlameNode {
	const root: FlameNode = { name: "all", module: "", value: 0, self: 0, children: [], parent: undefined };
	const index = new Map<FlameNode, Map<string, FlameNode>>();
	for (const row of rows) {
		if (!(row.count > 0)) continue;
		root.value += row.count;
		let node = root;
		for (let i = row.frames.length - 1; i >= 0; i--) {
			const name = frameName(row.frames[i]);
			let kids = index.get(node);
			if (!kids) {
				kids = new Map();
				index.set(node, kids);
			}
			let child = kids.get(name);
			if (!child) {
				child = { name, module: frameModule(row.frames[i]), value: 0, self: 0, children: [], parent: node };
				kids.set(name, child);
				node.children.push(child);
			}
			child.value += row.count;
			node = child;
		}
		node.self += row.count;
	}
	const sort = (n: FlameNode) => {
		n.children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
		for (const c of n.children) sort(c);
	};
	sort(root);
	return root;
}

/** The node at `path` (names from the root's child down), or the deepest node of it that exists. */
export function nodeAt(root: FlameNode, path: readonly string[]): FlameNode {
	let node = root;
	for (const name of path) {
		const next = node.children.find((c) => c.name === name);
		if (!next) break;
		node = next;
	}
	return node;
}

/** The names from the root's child down to `node` (the inverse of nodeAt). */
export function pathOf(node: FlameNode): string[] {
	const out: string[] = [];
	for (let n: FlameNode | undefined = node; n?.parent; n = n.parent) out.push(n.name);
	return out.reverse();
}

/** A stable hue (0–359) for a module, so one library keeps its colour from tick to tick. */
export function moduleHue(module: string): number {
	let h = 2166136261;
	for (let i = 0; i < module.length; i++) h = Math.imul(h ^ module.charCodeAt(i), 16777619);
	return (h >>> 0) % 360;
}
