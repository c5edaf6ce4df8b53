import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UNICODE } from "../../../source/ui/charset.ts";
import { Effects, SLICE_MS, TreeReader } from "../../../source/ui/effects.ts";
import { createState } from "../../../source/ui/reduce.ts";
import type { Action, Effect, TreeQuery } from "../../../source/ui/state.ts";
import { Store } from "../../../source/ui/store.ts";
import type { TreeEntry, TreeSource } from "../../../source/ui/tree.ts";
import { FakeController, FakeTree, SAMPLE_TREE, sessionView } from "./helpers.tsx";

/** A tree of `n` providers × 10 probes whose every read of children costs `ms` of busy CPU. */
class SlowTree implements TreeSource {
	reads = 0;
	constructor(
		private n: number,
		private ms: number,
	) {}
	children(path: readonly string[]): TreeEntry[] {
		this.reads++;
		const until = performance.now() + this.ms;
		while (performance.now() < until) {
			// busy, like matching a filter against many probes
		}
		if (path.length === 0) {
			return Array.from({ length: this.n }, (_, i) => ({ name: `p${i}`, childCount: 10, enabled: false }));
		}
		return Array.from({ length: 10 }, (_, i) => ({ name: `f${i}`, probeId: i, enabled: false }));
	}
}

const query = (q: Partial<TreeQuery> = {}): TreeQuery => ({
	query: 1,
	filter: "x",
	expanded: new Set(),
	collapsed: new Set(),
	refresh: false,
	...q,
});

describe("TreeReader", () => {
	it("reads a large tree in slices: partial rows at once, the event loop free between slices, all rows at the end", async () => {
		const tree = new SlowTree(200, 2);
		const reader = new TreeReader(() => tree);
		const got: Extract<Action, { type: "rows" }>[] = [];
		const t0 = performance.now();
		reader.request(query(), (...a) => got.push(...(a as typeof got)));
		const sync = performance.now() - t0;
		assert.equal(got.length, 1);
		assert.equal(got[0].done, false);
		assert.ok(sync < SLICE_MS + 15, `the first slice took ${sync.toFixed(0)} ms`);
		// Timers run while the tree is read.
		let ticks = 0;
		const timer = setInterval(() => ticks++, 5);
		while (!got.at(-1)?.done) await new Promise((r) => setTimeout(r, 10));
		clearInterval(timer);
		assert.equal(got.at(-1)?.rows.length, 200 * 11);
		assert.ok(ticks >= 5, `only ${ticks} timer ticks while reading`);
	});

	it("a newer query cancels the read; a refresh of the same tree waits for it, then reads again", async () => {
		const tree = new SlowTree(100, 2);
		const reader = new TreeReader(() => tree);
		const got: Extract<Action, { type: "rows" }>[] = [];
		const dispatch = (...a: Action[]) => got.push(...(a as typeof got));
		reader.request(query({ query: 1 }), dispatch);
		reader.request(query({ query: 2 }), dispatch);
		reader.request(query({ query: 2, refresh: true }), dispatch);
		while (got.filter((g) => g.done).length < 2) await new Promise((r) => setTimeout(r, 10));
		assert.deepEqual(
			got.filter((g) => g.done).map((g) => g.query),
			[2, 2],
		);
		assert.ok(!got.some((g) => g.query === 1 && g.done), "the cancelled read never finished");
		assert.ok(!got.some((g) => g.query === 2 && !g.done && got.indexOf(g) > 1), "a refresh shows no partial rows");
		reader.cancel();
	});

	it("reports a source's error as the rows' error", () => {
		const reader = new TreeReader(() => new FakeTree(SAMPLE_TREE));
		const got: Action[] = [];
		reader.request(query({ filter: "[" }), (...a) => got.push(...a));
		assert.deepEqual(got, [
			{ type: "rows", query: 1, rows: [], error: "Bad filter: unterminated [ in [.", done: true },
		]);
	});
});

describe("Effects: one error channel", () => {
	const run = (c: FakeController, effect: Effect) => {
		const got: Action[] = [];
		new Effects(c).run(effect, (...a) => got.push(...a));
		return got;
	};
	it("a thrown error, a rejection and a value each come back as one action", async () => {
		const c = new FakeController(new FakeTree(SAMPLE_TREE));
		c.clear = () => {
			throw new Error("no clear.");
		};
		assert.deepEqual(run(c, { kind: "clear" }), [{ type: "failed", effect: { kind: "clear" }, error: "no clear." }]);
		c.disable = () => Promise.reject(new Error("later no."));
		const effects = new Effects(c);
		const got: Action[] = [];
		effects.run({ kind: "disable", id: 3 }, (...a) => got.push(...a));
		await new Promise((r) => setImmediate(r));
		assert.deepEqual(got, [{ type: "failed", effect: { kind: "disable", id: 3 }, error: "later no." }]);
		c.cycleKey = () => ({ message: "key: pid" });
		assert.deepEqual(run(c, { kind: "cycleKey", id: 1 }), [
			{ type: "done", effect: { kind: "cycleKey", id: 1 }, message: "key: pid" },
		]);
		c.clauseError = "line 1, column 3: expected '{'";
		assert.deepEqual(run(c, { kind: "enableClause", text: "x", value: "x" }), [
			{
				type: "failed",
				effect: { kind: "enableClause", text: "x", value: "x" },
				error: "line 1, column 3: expected '{'",
			},
		]);
	});
	it("toggle may ask for confirmation; d brings the D text", () => {
		const c = new FakeController(new FakeTree(SAMPLE_TREE));
		c.toggleAnswer = () => ({ needsConfirm: 500 });
		assert.deepEqual(run(c, { kind: "toggle", path: ["syscall"], confirmed: false }), [
			{ type: "needsConfirm", path: ["syscall"], count: 500 },
		]);
		assert.deepEqual(run(c, { kind: "showD", id: 9, title: "t" }), [{ type: "showD", title: "t", d: "" }]);
	});
	it("quit tells the controller, then leaves, even when quit() throws", () => {
		const c = new FakeController(new FakeTree(SAMPLE_TREE));
		c.quit = () => {
			throw new Error("gone");
		};
		const e = new Effects(c);
		const seen: string[] = [];
		e.host = { exit: () => seen.push("exit"), onQuit: () => seen.push("onQuit") };
		e.run({ kind: "quit" }, () => {});
		assert.deepEqual(seen, ["onQuit", "exit"]);
	});
});

describe("Store", () => {
	it("runs each action's effects before the next action, so a burst sees every key's effect", () => {
		const c = new FakeController(new FakeTree(SAMPLE_TREE), sessionView());
		const effects = new Effects(c);
		const store = new Store(createState(c.view(), 100, 30, { cs: UNICODE, color: false }), effects.run);
		store.start();
		let heard = 0;
		store.subscribe(() => heard++);
		const key = (k: string): Action => ({ type: "input", event: { kind: "key", key: k } });
		// Open syscall, step onto vmlinux (needs the rows of the first key), open it, step onto read.
		store.dispatch(key("Enter"), key("Right"), key("Right"), key("Right"));
		const s = store.getState();
		assert.equal(s.tree.rows[s.tree.selected].path.join(":"), "syscall:vmlinux:read");
		assert.equal(heard, 1, "listeners hear once per dispatch");
		store.dispatch(key(" "));
		assert.deepEqual(c.calls, [["toggle", "syscall:vmlinux:read", false]]);
	});
});
