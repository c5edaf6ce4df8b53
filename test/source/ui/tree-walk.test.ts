// The tree walk with a source that is still reading (a filter searching many
// symbol tables): it yields, and goes on where it stopped in the next slice.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { flattenTree, type TreeEntry, type TreeSource, TreeWalk } from "../../../source/ui/tree.ts";

/** Two providers of two probes each; children([]) is "still reading" the first `busy` times. */
class Busy implements TreeSource {
	calls = 0;
	constructor(private busy: number) {}
	children(path: readonly string[]): readonly TreeEntry[] | undefined {
		this.calls++;
		if (path.length === 0 && this.busy-- > 0) return undefined;
		if (path.length === 0) return ["a", "b"].map((name) => ({ name, childCount: 2, enabled: false }));
		if (path.length === 1) return ["entry", "return"].map((name, i) => ({ name, probeId: i, enabled: false }));
		return [];
	}
}

describe("TreeWalk with a source still reading", () => {
	it("yields while the source reads, then lists everything", () => {
		const source = new Busy(3);
		const walk = new TreeWalk(source, { isExpanded: () => true });
		for (let i = 0; i < 3; i++) assert.equal(walk.run(Number.POSITIVE_INFINITY), false, `slice ${i} yields`);
		assert.equal(walk.rows.length, 0);
		assert.equal(walk.run(Number.POSITIVE_INFINITY), true);
		assert.deepEqual(
			walk.rows.map((r) => r.path.join(":")),
			["a", "a:entry", "a:return", "b", "b:entry", "b:return"],
		);
	});
	it("flattenTree waits for it", () => {
		assert.equal(flattenTree(new Busy(5), { isExpanded: () => true }).length, 6);
	});
});
