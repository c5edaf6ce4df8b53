import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ASCII, UNICODE } from "../../../source/ui/charset.ts";
import { UiContext } from "../../../source/ui/context.tsx";
import { type Line, lineText } from "../../../source/ui/line.tsx";
import { ProbeTree, treeLines } from "../../../source/ui/probe-tree.tsx";
import { flattenTree, keepVisible, pathKey, type TreeSource } from "../../../source/ui/tree.ts";
import { FakeTree, renderAt, SAMPLE_TREE } from "./helpers.tsx";

const text = (l: Line) => lineText(l).trimEnd();

const expandedAll = (keys: string[][]) => {
	const set = new Set(keys.map(pathKey));
	return (k: string) => set.has(k);
};

describe("flattenTree", () => {
	it("lists providers, and children only of expanded nodes, depth first", () => {
		const tree = new FakeTree(SAMPLE_TREE);
		const rows = flattenTree(tree, {
			isExpanded: expandedAll([["syscall"], ["syscall", "vmlinux"], ["syscall", "vmlinux", "read"]]),
		});
		assert.deepEqual(
			rows.map((r) => `${"  ".repeat(r.depth)}${r.entry.name}`),
			["syscall", "  vmlinux", "    read", "      entry", "      return", "    write", "    openat", "sdt", "profile"],
		);
		// Lazily: write/openat/sdt/profile were never asked for their children.
		assert.deepEqual(
			tree.calls.map((c) => c.path.join(":")),
			["", "syscall", "syscall:vmlinux", "syscall:vmlinux:read"],
		);
	});
	it("passes the filter to the source and stops at the row limit", () => {
		const tree = new FakeTree(SAMPLE_TREE);
		const rows = flattenTree(tree, { filter: "read", isExpanded: () => true });
		assert.deepEqual(
			rows.map((r) => r.entry.name),
			["syscall", "vmlinux", "read", "entry", "return"],
		);
		assert.ok(tree.calls.every((c) => c.filter === "read"));
		assert.equal(flattenTree(tree, { isExpanded: () => true, limit: 3 }).length, 3);
	});
});

describe("keepVisible", () => {
	it("moves the window as little as possible", () => {
		assert.equal(keepVisible(0, 5, 10, 100), 0);
		assert.equal(keepVisible(0, 10, 10, 100), 1);
		assert.equal(keepVisible(50, 20, 10, 100), 20);
		assert.equal(keepVisible(95, 99, 10, 100), 90);
		assert.equal(keepVisible(3, 0, 10, 5), 0);
	});
});

describe("ProbeTree", () => {
	const tree = new FakeTree(SAMPLE_TREE);
	tree.enabled.set("syscall:vmlinux:read:entry", { rate: 1234, enablingId: 1 });
	tree.enabled.set("syscall:vmlinux:read:return", { rate: 0.5, enablingId: 1 });
	tree.enabled.set("syscall:vmlinux:write:entry", { rate: 7, enablingId: 2 });
	const rows = flattenTree(tree, {
		isExpanded: expandedAll([["syscall"], ["syscall", "vmlinux"], ["syscall", "vmlinux", "read"]]),
	});

	it("shows expand marks, child counts, enabled marks and rates of enabled probes", () => {
		const lines = treeLines({ rows, selected: 0, width: 40, height: 20, focused: true }, UNICODE).map(text);
		assert.equal(lines[0].startsWith("─[ Probes ]"), true);
		assert.match(lines[0], /1\/9 ─$/);
		assert.equal(lines[1], "›▾ ◐ syscall (1)");
		assert.equal(lines[2], "   ▾ ◐ vmlinux (3)");
		assert.equal(lines[3], "     ▾ ● read (2)");
		assert.match(lines[4], /^ {9}● entry +1234\/s$/);
		assert.match(lines[5], /^ {9}● return +0\.5\/s$/);
		assert.equal(lines[6], "     ▸ ◐ write (2)");
		assert.equal(lines[7], "     ▸   openat (2)");
		assert.equal(lines[8], " ▸   sdt (1)");
		for (const l of lines) assert.ok(l.length <= 40);
		// The rate is right-aligned to the pane's edge.
		assert.equal(lines[4].length, 40);
	});

	it("marks the selection, and has an ASCII form", () => {
		const lines = treeLines({ rows, selected: 3, width: 40, height: 20, focused: true }, ASCII).map(text);
		assert.match(lines[0], /^-\[ Probes \]-+ 4\/9 -$/);
		assert.match(lines[4], /^> {8}\* entry +1234\/s$/);
		assert.equal(lines[3], "     - * read (2)");
		assert.equal(lines[6], "     + ~ write (2)");
	});

	it("scrolls to keep the selection visible and builds only the visible rows", () => {
		let asked = 0;
		const big: TreeSource = {
			children: (path) => {
				asked++;
				return path.length === 0 ? Array.from({ length: 1000 }, (_, i) => ({ name: `p${i}`, enabled: false })) : [];
			},
		};
		const many = flattenTree(big, { isExpanded: () => false });
		assert.equal(many.length, 1000);
		assert.equal(asked, 1);
		const lines = treeLines({ rows: many, selected: 500, top: 0, width: 30, height: 11, focused: true }, ASCII).map(
			text,
		);
		assert.equal(lines.length, 11);
		assert.match(lines[10], /^> {4}p500$/);
		assert.match(lines[1], /^ {5}p491$/);
		const back = treeLines({ rows: many, selected: 3, top: 491, width: 30, height: 11, focused: true }, ASCII).map(
			text,
		);
		assert.match(back[1], /^> {4}p3$/);
	});

	it("says when nothing matches a filter", () => {
		const lines = treeLines({ rows: [], selected: 0, width: 40, height: 5, focused: false, filter: "zzz" }, ASCII).map(
			text,
		);
		assert.match(lines[0], /Probes \/zzz/);
		assert.equal(lines[1], " nothing matches the filter");
	});

	it("escapes names from binaries", () => {
		const evil = new FakeTree({ "usdt\x1b[31m": { m: { f: { p: 1 } } } });
		const lines = treeLines(
			{ rows: flattenTree(evil, { isExpanded: () => false }), selected: 0, width: 40, height: 3, focused: false },
			ASCII,
		).map(text);
		assert.equal(lines[1], ">+   usdt\\e[31m (1)");
	});

	it("renders as a component exactly `height` rows tall", () => {
		const r = renderAt(
			<UiContext.Provider value={{ cs: UNICODE, color: false }}>
				<ProbeTree rows={rows} selected={0} width={40} height={12} focused />
			</UiContext.Provider>,
		);
		const frame = r.lastFrame().split("\n");
		assert.equal(frame.length, 12);
		assert.equal(frame[1].trimEnd(), "›▾ ◐ syscall (1)");
		r.unmount();
	});
});
