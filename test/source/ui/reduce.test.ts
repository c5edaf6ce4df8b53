// reduce(state, action) on its own: every action, every key command, the mouse.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { UNICODE } from "../../../source/ui/charset.ts";
import { InputDecoder } from "../../../source/ui/input.ts";
import { KEY_ROWS } from "../../../source/ui/keys.ts";
import { layoutOf } from "../../../source/ui/navigate.ts";
import { createState, reduce } from "../../../source/ui/reduce.ts";
import type { Action, Effect, State } from "../../../source/ui/state.ts";
import { flattenTree } from "../../../source/ui/tree.ts";
import { agg, enabling, FakeTree, SAMPLE_TREE, sessionView } from "./helpers.tsx";

const ui = { cs: UNICODE, color: false };
const tree = new FakeTree(SAMPLE_TREE);

/** Answers a state's tree reads at once, as the store does for a small tree. */
function answer(s: State): State {
	for (const e of s.effects) {
		if (e.kind !== "rows") continue;
		const rows = flattenTree(tree, {
			filter: e.filter,
			isExpanded: e.filter ? (k) => !e.collapsed.has(k) : (k) => e.expanded.has(k),
		});
		s = answer(reduce(s, { type: "rows", query: e.query, rows, done: true }));
	}
	return s;
}

function start(enablings = [enabling(1, { rate: 5 }), enabling(2, { rate: 9 }), enabling(3, { rate: 1 })]): State {
	return answer(createState(sessionView({ enablings }), 100, 30, ui));
}

/** Reduces the keys one after another, answering tree reads in between. */
function keys(s: State, ...names: string[]): State {
	for (const key of names) s = answer(reduce(s, { type: "input", event: { kind: "key", key } }));
	return s;
}

const selected = (s: State) => s.tree.rows[s.tree.selected]?.path.join(":");
const effects = (s: State) => s.effects.filter((e) => e.kind !== "rows");

describe("reduce: the first state", () => {
	it("asks for the tree's rows and selects the table's first enabling by rate", () => {
		const s = createState(sessionView({ enablings: [enabling(1, { rate: 1 }), enabling(2, { rate: 9 })] }), 80, 24, ui);
		assert.deepEqual(
			s.effects.map((e) => e.kind),
			["rows"],
		);
		assert.equal(s.tableSelectedId, 2);
		assert.equal(s.tree.loading, true);
		const a = answer(s);
		assert.equal(a.tree.loading, false);
		assert.equal(selected(a), "syscall");
	});
});

describe("reduce: tree keys", () => {
	it("up, down, page, first, last (j/k, arrows, g/G, Home/End)", () => {
		let s = start();
		s = keys(s, "Down");
		assert.equal(selected(s), "sdt");
		s = keys(s, "j", "j");
		assert.equal(selected(s), "profile", "stops at the last row");
		s = keys(s, "k", "Up");
		assert.equal(selected(s), "syscall");
		s = keys(s, "End");
		assert.equal(selected(s), "profile");
		s = keys(s, "g");
		assert.equal(selected(s), "syscall");
		s = keys(s, "G", "Home", "PgDn");
		assert.equal(selected(s), "profile");
		s = keys(s, "PgUp");
		assert.equal(selected(s), "syscall");
	});

	it("expand asks for the rows, steps into an open node; collapse closes or goes to the parent", () => {
		let s = start();
		const opened = reduce(s, { type: "input", event: { kind: "key", key: "Enter" } });
		const read = opened.effects.find((e): e is Extract<Effect, { kind: "rows" }> => e.kind === "rows");
		assert.ok(read?.expanded.has("syscall") && !read.refresh);
		assert.equal(read?.query, s.tree.query + 1);
		s = answer(opened);
		assert.equal(s.tree.rows.length, 4);
		s = keys(s, "Right");
		assert.equal(selected(s), "syscall:vmlinux");
		s = keys(s, "Left");
		assert.equal(selected(s), "syscall");
		s = keys(s, "Left");
		assert.equal(s.tree.rows.length, 3, "closed");
		assert.equal(keys(s, "Left").tree, s.tree, "a closed top node stays");
	});

	it("Space asks to toggle the selected node", () => {
		const s = reduce(start(), { type: "input", event: { kind: "key", key: " " } });
		assert.deepEqual(effects(s), [{ kind: "toggle", path: ["syscall"], confirmed: false }]);
	});

	it("the selection follows its node when rows come and go above it", () => {
		let s = keys(start(), "Down");
		assert.equal(selected(s), "sdt");
		s = keys(s, "Up", "Enter", "Down", "Down");
		assert.equal(selected(s), "sdt");
		// Rows arrive in which sdt moved: it stays selected.
		const rows = [...s.tree.rows].reverse();
		s = reduce(s, { type: "rows", query: s.tree.query, rows, done: true });
		assert.equal(selected(s), "sdt");
	});

	it("rows of an older query are ignored", () => {
		const s = start();
		const stale = reduce(s, { type: "rows", query: s.tree.query - 1, rows: [], done: true });
		assert.equal(stale.tree.rows, s.tree.rows);
	});

	it("rows still arriving are shown, marked loading, without losing the selected node", () => {
		let s = keys(start(), "Down");
		const some = s.tree.rows.slice(0, 1);
		s = reduce(s, { type: "rows", query: s.tree.query, rows: some, done: false });
		assert.equal(s.tree.loading, true);
		assert.equal(s.tree.selectedKey, "sdt", "kept while loading");
		s = answer(reduce(s, { type: "view", view: s.view }));
		assert.equal(selected(s), "sdt");
	});

	it("a tree read that failed shows its error in place of rows", () => {
		const s = reduce(start(), { type: "rows", query: 0, rows: [], error: "bad filter", done: true });
		assert.equal(s.tree.error, "bad filter");
		assert.equal(s.tree.rows.length, 0);
	});
});

describe("reduce: the filter and prompts", () => {
	it("/ opens a prompt with the current filter; Enter sets it; Esc clears it", () => {
		let s = keys(start(), "/", "r", "e", "a", "d");
		assert.equal(s.modal.kind, "prompt");
		s = keys(s, "Enter");
		assert.equal(s.modal.kind, "none");
		assert.equal(s.tree.filter, "read");
		assert.deepEqual(s.history["/"], ["read"]);
		assert.ok(
			s.tree.rows.some((r) => r.path.join(":") === "syscall:vmlinux:read:entry"),
			"expanded under a filter",
		);
		s = keys(s, "/");
		assert.equal(s.modal.kind === "prompt" && s.modal.state.value, "read");
		s = keys(s, "Esc", "Esc");
		assert.equal(s.tree.filter, undefined);
	});

	it("Esc clears a message first, then the filter", () => {
		let s = keys(start(), "/", "x", "Enter");
		s = { ...s, message: { text: "hello" } };
		s = keys(s, "Esc");
		assert.equal(s.message, undefined);
		assert.equal(s.tree.filter, "x");
		s = keys(s, "Esc");
		assert.equal(s.tree.filter, undefined);
	});

	it(": submits a clause as an effect; done shows it and focuses the table; failed reopens it with the error", () => {
		let s = keys(start(), ":", ..."bad @");
		s = reduce(s, { type: "input", event: { kind: "key", key: "Enter" } });
		const effect = effects(s)[0];
		assert.deepEqual(effect, { kind: "enableClause", text: "bad @", value: "bad @" });
		const failed = reduce(s, { type: "failed", effect, error: "line 1, column 5: expected '{'" });
		assert.equal(failed.modal.kind === "prompt" && failed.modal.state.value, "bad @");
		assert.deepEqual(failed.message, { text: "line 1, column 5: expected '{'", error: true });
		const done = reduce(s, { type: "done", effect });
		assert.equal(done.focus, "table");
		assert.deepEqual(done.message, { text: "Enabled: bad @" });
		assert.ok(
			done.effects.some((e) => e.kind === "rows" && e.refresh),
			"the tree's marks are read again",
		);
	});

	it("an empty clause does nothing; Esc and Ctrl-C cancel", () => {
		assert.deepEqual(effects(reduce(keys(start(), ":"), { type: "input", event: { kind: "key", key: "Enter" } })), []);
		assert.equal(keys(start(), ":", "a", "Esc").modal.kind, "none");
		assert.equal(keys(start(), ":", "a", "C-c").modal.kind, "none");
		assert.equal(keys(start(), ":", "F5", "Up").modal.kind, "prompt", "unbound named keys do nothing");
	});

	it("a paste into a prompt inserts its lines joined, and a newline at its end submits", () => {
		let s = keys(start(), ":");
		s = reduce(s, { type: "input", event: { kind: "paste", text: "syscall::read:entry\n{ @ = count(); }" } });
		assert.equal(s.modal.kind === "prompt" && s.modal.state.value, "syscall::read:entry { @ = count(); }");
		s = reduce(s, { type: "input", event: { kind: "paste", text: " \r\n" } });
		assert.deepEqual(effects(s), [
			{
				kind: "enableClause",
				text: "syscall::read:entry { @ = count(); }",
				value: "syscall::read:entry { @ = count(); }",
			},
		]);
	});

	it("a paste outside a prompt is not taken for keys", () => {
		const s = reduce(start(), { type: "input", event: { kind: "paste", text: "q" } });
		assert.equal(s.quitting, false);
		assert.match(s.message?.text ?? "", /press : or \/ first/);
	});
});

describe("reduce: table and detail keys", () => {
	it("Tab and Shift-Tab cycle the panes", () => {
		assert.equal(keys(start(), "Tab").focus, "table");
		assert.equal(keys(start(), "Tab", "Tab").focus, "detail");
		assert.equal(keys(start(), "Tab", "Tab", "Tab").focus, "tree");
		assert.equal(keys(start(), "S-Tab").focus, "detail");
	});

	it("moves through the table sorted by rate; k cycles, Space/Delete/Backspace disable", () => {
		let s = keys(start(), "Tab");
		assert.equal(s.tableSelectedId, 2);
		s = keys(s, "Down");
		assert.equal(s.tableSelectedId, 1);
		s = keys(s, "j", "j");
		assert.equal(s.tableSelectedId, 3);
		s = keys(s, "Up");
		assert.equal(s.tableSelectedId, 1);
		s = keys(s, "k");
		assert.equal(s.tableSelectedId, 1, "k is not Up in the table");
		assert.deepEqual(effects(reduce(s, { type: "input", event: { kind: "key", key: "k" } })), [
			{ kind: "cycleKey", id: 1 },
		]);
		for (const key of [" ", "Delete", "Backspace"]) {
			assert.deepEqual(effects(reduce(s, { type: "input", event: { kind: "key", key } })), [
				{ kind: "disable", id: 1 },
			]);
		}
		assert.equal(keys(s, "Home").tableSelectedId, 2);
		assert.equal(keys(s, "End").tableSelectedId, 3);
		assert.equal(keys(s, "PgDn").tableSelectedId, 3);
		assert.equal(keys(s, "PgUp").tableSelectedId, 2);
		assert.equal(keys(s, "Enter").focus, "detail");
		assert.equal(keys(s, "Right", "Left").focus, "table");
	});

	it("scrolls the detail pane within its content", () => {
		const rows = Array.from({ length: 100 }, (_, i) => ({
			key: [{ kind: "string" as const, value: `p${i}` }],
			value: 100 - i,
			rate: 0,
			last10s: 0,
			last60s: 0,
			total: 0,
			history: [],
		}));
		let s = keys(start([enabling(1, { aggregations: [agg({ keys: ["pid"], rows })] })]), "Tab", "Tab");
		s = keys(s, "Down", "j");
		assert.equal(s.detailTop, 2);
		s = keys(s, "End");
		const max = s.detailTop;
		assert.ok(max > 50 && max < 110);
		s = keys(s, "Up");
		assert.equal(s.detailTop, max - 1, "Up from the end moves up at once");
		s = keys(s, "Home");
		assert.equal(s.detailTop, 0);
		s = keys(s, "PgDn");
		assert.equal(s.detailTop, layoutOf(s).detailHeight - 2);
		// A tick with less to show pulls the scroll position back.
		s = reduce(s, { type: "view", view: sessionView({ enablings: [enabling(1)] }) });
		assert.equal(s.detailTop, 0);
	});
});

describe("reduce: global keys and effects' results", () => {
	it("sort, reverse, tick, pause, clear, stacks, latency, d", () => {
		let s = start();
		s = keys(s, ">");
		assert.equal(s.sort.column, "total");
		s = keys(s, "<", "<");
		assert.equal(s.sort.column, "label");
		s = keys(s, "r");
		assert.equal(s.sort.reverse, true);
		const one = (key: string, st = s) => effects(reduce(st, { type: "input", event: { kind: "key", key } }));
		assert.deepEqual(one("+"), [{ kind: "setTick", ms: 2000 }]);
		assert.deepEqual(one("="), [{ kind: "setTick", ms: 2000 }]);
		assert.deepEqual(one("-"), [{ kind: "setTick", ms: 500 }]);
		assert.deepEqual(one("_"), [{ kind: "setTick", ms: 500 }]);
		assert.deepEqual(one("Z"), [{ kind: "pause", paused: true }]);
		assert.deepEqual(one("c"), [{ kind: "clear" }]);
		const table = keys(start(), "Tab");
		assert.deepEqual(one("s", table), [{ kind: "stacks", target: { enablingId: 2 } }]);
		assert.deepEqual(one("l", table), [{ kind: "latency", target: { enablingId: 2 } }]);
		assert.deepEqual(one("d", table), [{ kind: "showD", id: 2, title: "syscall::probe2:entry" }]);
	});

	it("s and l on a tree node without an enabling need a probe; d needs an enabling", () => {
		let s = start();
		s = keys(s, "s");
		assert.deepEqual(s.message, { text: "Select a probe or an enabling first.", error: true });
		s = keys(s, "d");
		assert.match(s.message?.text ?? "", /No enabling selected/);
		s = keys(s, "Enter", "Right", "Right", "Right", "Right", "Right");
		assert.equal(selected(s), "syscall:vmlinux:read:entry");
		const st = reduce(s, { type: "input", event: { kind: "key", key: "s" } });
		assert.deepEqual(effects(st), [{ kind: "stacks", target: { path: ["syscall", "vmlinux", "read", "entry"] } }]);
	});

	it("? and F1 open the help, which scrolls and closes; Ctrl-C there quits", () => {
		let s = keys(start(), "?");
		assert.deepEqual(s.modal, { kind: "help", top: 0 });
		s = keys(s, "Down", "j", "PgDn", " ");
		assert.ok(s.modal.kind === "help" && s.modal.top > 2);
		s = keys(s, "Home");
		assert.deepEqual(s.modal, { kind: "help", top: 0 });
		s = keys(s, "End", "k", "Up", "PgUp");
		assert.ok(s.modal.kind === "help" && s.modal.top >= 0);
		for (const close of ["Esc", "Enter", "q", "?", "F1"]) assert.equal(keys(s, close).modal.kind, "none");
		assert.equal(keys(start(), "F1").modal.kind, "help");
		const q = reduce(s, { type: "input", event: { kind: "key", key: "C-c" } });
		assert.deepEqual(q.effects, [{ kind: "quit" }]);
	});

	it("showD opens the D viewer, closed with d", () => {
		let s = reduce(start(), { type: "showD", title: "x", d: "a\nb" });
		assert.deepEqual(s.modal, { kind: "dview", title: "x", d: "a\nb", top: 0 });
		s = keys(s, "d");
		assert.equal(s.modal.kind, "none");
	});

	it("q, Ctrl-C and F10 quit, once: nothing is reduced after", () => {
		for (const key of ["q", "C-c", "F10"]) {
			const s = reduce(start(), { type: "input", event: { kind: "key", key } });
			assert.deepEqual(s.effects, [{ kind: "quit" }]);
			assert.equal(s.quitting, true);
			const after = reduce(s, { type: "input", event: { kind: "key", key: "Tab" } });
			assert.equal(after.focus, "tree");
			assert.deepEqual(after.effects, []);
		}
	});

	it("needsConfirm asks; y confirms, anything else does not", () => {
		const s = reduce(start(), { type: "needsConfirm", path: ["syscall"], count: 720 });
		assert.deepEqual(s.modal, { kind: "confirm", path: ["syscall"], count: 720 });
		for (const key of ["y", "Y"]) {
			assert.deepEqual(effects(reduce(s, { type: "input", event: { kind: "key", key } })), [
				{ kind: "toggle", path: ["syscall"], confirmed: true },
			]);
		}
		for (const key of ["n", "Esc", "x", "Enter"]) {
			const no = reduce(s, { type: "input", event: { kind: "key", key } });
			assert.deepEqual(effects(no), []);
			assert.deepEqual(no.message, { text: "Nothing enabled." });
		}
	});

	it("done shows an effect's message; failed shows its error; clear says so", () => {
		const s = start();
		const effect: Effect = { kind: "disable", id: 1 };
		assert.deepEqual(reduce(s, { type: "done", effect, message: "Disabled." }).message, { text: "Disabled." });
		assert.equal(reduce(s, { type: "done", effect }).message, undefined);
		assert.deepEqual(reduce(s, { type: "failed", effect, error: "no." }).message, { text: "no.", error: true });
		assert.deepEqual(reduce(s, { type: "done", effect: { kind: "clear" } }).message, { text: "History cleared." });
	});

	it("any key clears the message", () => {
		const s = keys({ ...start(), message: { text: "x" } }, "F5");
		assert.equal(s.message, undefined);
	});

	it("view replaces the session's picture, keeps the table selection when it can, and rereads the tree", () => {
		let s = keys(start(), "Tab", "Down");
		assert.equal(s.tableSelectedId, 1);
		s = reduce(s, { type: "view", view: sessionView({ enablings: [enabling(1), enabling(4, { rate: 50 })] }) });
		assert.equal(s.tableSelectedId, 1);
		assert.ok(s.effects.some((e) => e.kind === "rows" && e.refresh));
		s = reduce(s, { type: "view", view: sessionView({ enablings: [enabling(4)] }) });
		assert.equal(s.tableSelectedId, 4, "the selected enabling is gone: the first one");
	});

	it("resize changes the layout and keeps the selection visible", () => {
		let s = keys(start(), "Enter", "Right", "Right", "Right", "Right", "Down", "Down", "Down", "Down", "Down");
		s = reduce(s, { type: "resize", cols: 80, rows: 8 });
		assert.equal(s.cols, 80);
		const body = layoutOf(s).body - 1;
		assert.ok(s.tree.selected >= s.tree.top && s.tree.selected < s.tree.top + body);
	});
});

describe("reduce: the mouse", () => {
	const click = (s: State, x: number, y: number, button: "left" | "wheelUp" | "wheelDown" = "left"): State =>
		answer(reduce(s, { type: "input", event: { kind: "mouse", button, press: true, x, y } }));

	it("a click selects a tree row; again (or on its mark) it opens and closes", () => {
		let s = keys(start(), "Tab");
		// Frame line 1 is the tree's title; line 2 its first row (syscall), line 3 sdt.
		s = click(s, 6, 3);
		assert.equal(selected(s), "sdt");
		assert.equal(s.focus, "tree");
		s = click(s, 6, 3);
		assert.equal(s.tree.rows.length, 4, "sdt opened");
		s = click(s, 6, 3);
		assert.equal(s.tree.rows.length, 3, "and closed");
		// The mark of syscall (depth 0) is in column 1: one click opens it.
		s = click(s, 1, 2);
		assert.equal(selected(s), "syscall");
		assert.equal(s.tree.rows.length, 4);
		// A release is not a click.
		const r = reduce(s, { type: "input", event: { kind: "mouse", button: "left", press: false, x: 6, y: 3 } });
		assert.equal(r.tree, s.tree);
	});

	it("a click selects an enabling; on a column title it sorts; the wheel moves three rows", () => {
		let s = start();
		const l = layoutOf(s);
		const x = l.treeWidth + 3;
		// Right side: line 1 title, line 2 column titles, line 3 the first enabling (by rate: 2, 1, 3).
		s = click(s, x, 4);
		assert.equal(s.focus, "table");
		assert.equal(s.tableSelectedId, 1);
		s = click(s, x, 3);
		assert.equal(s.tableSelectedId, 2);
		assert.equal(click(s, x, 2).sort.column, "label");
		assert.equal(click(click(s, x, 2), x, 2).sort.reverse, true);
		s = click(s, x, 3, "wheelDown");
		assert.equal(s.tableSelectedId, 3);
		s = click(s, 5, 3, "wheelDown");
		assert.equal(selected(s), "profile");
		s = click(s, 5, 3, "wheelUp");
		assert.equal(selected(s), "syscall");
		// The detail pane below the table: a click focuses it.
		assert.equal(click(s, x, l.tableHeight + 3).focus, "detail");
	});

	it("a click on a footer item presses its key; the help scrolls with the wheel", () => {
		let s = start();
		const footer = layoutOf(s).height - 1;
		s = click(s, 0, footer);
		assert.equal(s.modal.kind, "help", "the first item is ? Help");
		s = click(s, 10, 5, "wheelDown");
		assert.ok(s.modal.kind === "help" && s.modal.top === 3);
		s = click(s, 0, footer);
		assert.equal(s.modal.kind, "none", "Esc Close");
		assert.deepEqual(click(s, 8, footer).effects, [{ kind: "quit" }], "q Quit");
	});
});

describe("reduce: keys split over reads", () => {
	it("gives the same state however the bytes of a key sequence are split", () => {
		const bytes = fc.constantFrom(
			"j",
			"k",
			"\x1b[B",
			"\x1b[A",
			"\r",
			"\x1b[D",
			"\x1b[C",
			"\t",
			"/",
			"r",
			"e",
			"a",
			"d",
			"\x7f",
			":",
			" ",
			"<",
			"r",
		);
		fc.assert(
			fc.property(fc.array(bytes, { maxLength: 25 }), fc.array(fc.nat(), { maxLength: 8 }), (seq, cuts) => {
				const all = seq.join("");
				const at = [...new Set(cuts.map((c) => c % (all.length + 1)))].sort((a, b) => a - b);
				const run = (reads: string[]) => {
					const d = new InputDecoder();
					let s = start();
					const feed = (events: ReturnType<InputDecoder["push"]>) => {
						for (const event of events) s = answer(reduce(s, { type: "input", event }));
					};
					for (const r of reads) feed(d.push(r));
					feed(d.flush());
					const { effects: _, ...rest } = s;
					return rest;
				};
				const reads: string[] = [];
				let from = 0;
				for (const c of at) {
					reads.push(all.slice(from, c));
					from = c;
				}
				reads.push(all.slice(from));
				assert.deepEqual(run(reads), run([all]));
			}),
			{ numRuns: 300 },
		);
	});
});

describe("reduce: every key command of keys.ts does something where it is bound", () => {
	it("pressing each bound key in its context changes the state or asks for an effect", () => {
		const contexts: Record<string, State> = {
			tree: keys(start(), "Enter", "Down"),
			table: keys(start(), "Tab", "Down"),
			detail: keys(start(), "Tab", "Tab"),
			help: keys(start(), "?", "Down"),
			dview: keys(
				reduce(start(), { type: "showD", title: "t", d: Array.from({ length: 80 }, (_, i) => `${i}`).join("\n") }),
				"Down",
			),
			prompt: keys(start(), ":", "a", "b", "Left"),
			confirm: reduce(start(), { type: "needsConfirm", path: ["syscall"], count: 200 }),
			events: eventsOpen(),
		};
		const detail = contexts.detail;
		// A detail pane with something to scroll.
		contexts.detail = {
			...detail,
			detailTop: 1,
			view: sessionView({
				enablings: [
					enabling(1, {
						aggregations: [
							agg({
								keys: ["pid"],
								rows: Array.from({ length: 60 }, (_, i) => ({
									key: [{ kind: "string" as const, value: `k${i}` }],
									value: i,
									rate: 0,
									last10s: 0,
									last60s: 0,
									total: 0,
									history: [],
								})),
							}),
						],
					}),
				],
			}),
		};
		contexts.detail = { ...contexts.detail, tableSelectedId: 1 };
		contexts.prompt = { ...contexts.prompt, history: { ":": ["old"], "/": [], f: [] } };
		if (contexts.prompt.modal.kind === "prompt") {
			contexts.prompt = {
				...contexts.prompt,
				modal: {
					...contexts.prompt.modal,
					state: { ...contexts.prompt.modal.state, history: ["old"], historyIndex: 1 },
				},
			};
		}
		// A flame graph zoomed into main, its middle callee of three selected.
		const row = (frames: string[]) => ({
			key: [{ kind: "stack" as const, frames, user: true }],
			value: 5,
			rate: 0,
			last10s: 0,
			last60s: 0,
			total: 5,
			history: [],
		});
		const stacks = sessionView({
			enablings: [
				enabling(2, {
					aggregations: [
						agg({
							keys: ["ustack()"],
							rows: [row(["a`leaf", "a`mid", "a`main"]), row(["a`a", "a`main"]), row(["a`x", "a`main"])],
						}),
					],
				}),
			],
		});
		contexts.flame = {
			...start(),
			view: stacks,
			modal: { kind: "flame", enablingId: 2, flame: { zoom: ["a`main"], selected: ["a`main", "a`mid"] } },
		};
		const unchanged: string[] = [];
		for (const row of KEY_ROWS) {
			for (const [names, where] of row.bind) {
				for (const c of where) {
					for (const key of names) {
						const before = contexts[c];
						const after = reduce(before, { type: "input", event: { kind: "key", key } });
						const same =
							after.effects.length === 0 &&
							JSON.stringify({ ...after, effects: [] }, replacer) ===
								JSON.stringify({ ...before, effects: [] }, replacer);
						if (same) unchanged.push(`${key} in ${c} (${row.id})`);
					}
				}
			}
		}
		// Moving up from the first row, and Esc with neither a message nor a filter, do
		// nothing; every other key does something.
		assert.deepEqual(
			unchanged.filter(
				(u) => !/^(Home|g|PgUp) in (tree|table)|^(Up|k) in (tree|table)|^Esc in (tree|table|detail)/.test(u),
			),
			[],
		);
	});
});

/** The Events pane open on 100 lines, filtered, scrolled back 5 (so every key moves it). */
function eventsOpen(): State {
	const lines = Array.from({ length: 100 }, (_, i) => ({ enabling: 1, text: `line ${i}` }));
	const s = reduce(keys(start(), "e"), {
		type: "events",
		events: { lines, total: 100, skipped: 0, drops: 0, faults: 0, version: 1 },
	});
	return { ...s, eventsPane: { ...s.eventsPane, back: 5, filter: "line" } };
}

function replacer(_k: string, v: unknown) {
	return v instanceof Set ? [...v] : v;
}

export type { Action };
