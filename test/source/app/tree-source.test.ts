// The interactive tree follows the catalog by its changes (probes added and
// removed), not by reading every probe again: the tree it keeps must be the one
// a fresh read of the catalog makes, while processes with USDT probes come and go.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { ProbeTree, type TreeMarks } from "../../../source/app/tree-source.ts";
import { Catalog } from "../../../source/catalog/index.ts";
import type { TreeEntry, TreeSource } from "../../../source/ui/tree.ts";
import { type Prefork, startPrefork } from "../../helpers/prefork.ts";

const marks: TreeMarks = {
	isProbeEnabled: () => false,
	probeRate: () => undefined,
	enablingOf: () => undefined,
	targetPid: undefined,
};

/** Every row below the USDT groups and the static providers' first two levels, as text. */
function rows(tree: TreeSource): string[] {
	const out: string[] = [];
	const walk = (path: string[], depth: number) => {
		for (const e of (tree.children(path) ?? []) as TreeEntry[]) {
			out.push(`${[...path, e.name].join(" > ")} ${JSON.stringify(e)}`);
			const group = (path[0] ?? e.name).startsWith("prefork") || e.countText !== undefined;
			if (e.childCount !== undefined && e.name !== "pid" && (group || depth < 1)) walk([...path, e.name], depth + 1);
		}
	};
	walk([], 0);
	return out;
}

let catalog: Catalog;
let kept: ProbeTree;
let server: Prefork | undefined;

before(() => {
	catalog = new Catalog().watch();
	kept = new ProbeTree(catalog, marks);
	catalog.subscribe((c) => kept.update(c.added, c.removed));
	rows(kept); // read once: from here on it changes by updates only
});

after(async () => {
	await server?.stop();
	catalog.close();
});

/** Until the catalog has seen what `done` waits for (its events are read now and then). */
async function until(done: () => boolean): Promise<void> {
	for (let i = 0; i < 500 && !done(); i++) {
		catalog.flushEvents();
		await new Promise((r) => setTimeout(r, 20));
	}
	assert.ok(done(), "the catalog did not see it within 10 s");
}

const has = (pid: number) => catalog.probes().some((p) => p.kind === "usdt" && p.provider === `prefork${pid}`);

test("the kept tree is the catalog's tree as processes with USDT probes start, exit and start again", async () => {
	server = await startPrefork(2);
	const s = server;
	await until(() => [s.pid, ...s.workers].every(has));
	const started = rows(kept);
	assert.ok(
		started.some((r) => r.startsWith(`prefork > prefork${s.workers[1]} >`)),
		started.join("\n"),
	);
	assert.deepEqual(started, rows(new ProbeTree(catalog, marks)));

	const gone = await s.endOldest();
	const born = await s.spawn();
	await until(() => !has(gone) && has(born));
	const later = rows(kept);
	assert.ok(!later.some((r) => r.includes(`prefork${gone}`)), `prefork${gone} is still in the tree`);
	assert.ok(later.some((r) => r.includes(`prefork${born} >`)));
	assert.deepEqual(later, rows(new ProbeTree(catalog, marks)));

	await s.stop();
	server = undefined;
	await until(() => !catalog.probes().some((p) => p.kind === "usdt" && p.provider.startsWith("prefork")));
	const ended = rows(kept);
	assert.ok(!ended.some((r) => r.startsWith("prefork")), "the prefork group is still in the tree");
	assert.deepEqual(ended, rows(new ProbeTree(catalog, marks)));
});
