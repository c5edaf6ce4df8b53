import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ASCII, UNICODE } from "../../../source/ui/charset.ts";
import { UiContext } from "../../../source/ui/context.tsx";
import { EnabledTable, sortEnablings, tableColumns, tableLines } from "../../../source/ui/enabled-table.tsx";
import { aggSummary } from "../../../source/ui/format.ts";
import { type Line, lineText } from "../../../source/ui/line.tsx";
import { agg, enabling, renderAt } from "./helpers.tsx";

const text = (l: Line) => lineText(l).trimEnd();

const rows = [
	enabling(1, { label: "syscall::read:entry", rate: 50, total: 900, history: [1, 2, 3, 4, 5, 6, 7, 8] }),
	enabling(2, { label: "syscall::write:entry", rate: 200, total: 100, history: [8, 0, 8] }),
	enabling(3, { label: "profile:::tick-1s", rate: 1, total: 5000, history: [] }),
];

describe("sortEnablings", () => {
	it("sorts by rate (largest first) by default, by any column, and reverses", () => {
		const ids = (column: "label" | "rate" | "total", reverse = false) =>
			sortEnablings(rows, { column, reverse }).map((e) => e.id);
		assert.deepEqual(ids("rate"), [2, 1, 3]);
		assert.deepEqual(ids("rate", true), [3, 1, 2]);
		assert.deepEqual(ids("total"), [3, 1, 2]);
		assert.deepEqual(ids("label"), [3, 1, 2]);
		assert.deepEqual(ids("label", true), [2, 1, 3]);
	});
	it("breaks ties by id so rows do not jump between ticks", () => {
		const tied = [enabling(5, { rate: 1 }), enabling(4, { rate: 1 })];
		assert.deepEqual(
			sortEnablings(tied, { column: "rate", reverse: false }).map((e) => e.id),
			[4, 5],
		);
	});
});

describe("EnabledTable", () => {
	it("lays out label, rate, total, sparkline and summary, with the sort arrow", () => {
		const lines = tableLines(
			{
				enablings: rows,
				sort: { column: "rate", reverse: false },
				selectedId: 1,
				width: 100,
				height: 10,
				focused: true,
			},
			UNICODE,
		).map(text);
		assert.match(lines[0], /^─\[ Enabled \]─+ 2\/3 ─$/);
		assert.match(lines[1], /^ PROBE +RATE\/s▼ +TOTAL +LAST \d+ TICKS +SUMMARY$/);
		assert.match(lines[2], /^ syscall::write:entry +200 +100 .*█ █/);
		assert.match(lines[3], /^›syscall::read:entry +50 +900 .*▁▂▃▄▅▆▇█/);
		assert.match(lines[4], /^ profile:::tick-1s +1 +5000/);
		for (const l of lines) assert.ok(l.length <= 100);
	});
	it("shows the reversed arrow and another column, in ASCII", () => {
		const lines = tableLines(
			{ enablings: rows, sort: { column: "total", reverse: true }, width: 60, height: 10, focused: false },
			ASCII,
		).map(text);
		assert.match(lines[1], /TOTAL\^/);
		// At 60 columns the labels keep all of their text; the summary is what goes.
		assert.match(lines[2], /^>syscall::write:entry +200 +100/);
		assert.match(lines[3], /^ syscall::read:entry +50 +900/);
		assert.doesNotMatch(lines[1], /SUMMARY/);
		assert.match(lines[3], /_\.,-=\+\*#/);
		for (const l of lines) assert.match(l, /^[\x20-\x7e]*$/);
	});
	it("gives the sparkline at most 60 ticks and drops columns when narrow", () => {
		assert.equal(tableColumns(300, rows).spark, 60);
		const narrow = tableColumns(40, rows);
		assert.equal(narrow.summary, 0);
		assert.ok(1 + narrow.label + narrow.rate + narrow.total + 2 + (narrow.spark ? narrow.spark + 1 : 0) <= 40);
	});
	it("scrolls to the selected row", () => {
		const many = Array.from({ length: 50 }, (_, i) => enabling(i + 1, { rate: 100 - i }));
		const lines = tableLines(
			{
				enablings: many,
				sort: { column: "rate", reverse: false },
				selectedId: 40,
				width: 80,
				height: 7,
				focused: true,
			},
			ASCII,
		).map(text);
		assert.equal(lines.length, 7);
		assert.match(lines[6], /^>syscall::probe40:entry/);
		assert.match(lines[2], /^ syscall::probe36:entry/);
	});
	it("hints what to do when nothing is enabled", () => {
		const lines = tableLines(
			{ enablings: [], sort: { column: "rate", reverse: false }, width: 80, height: 5, focused: false },
			ASCII,
		).map(text);
		assert.match(lines[2], /nothing enabled/);
	});
	it("renders as a component", () => {
		const r = renderAt(
			<UiContext.Provider value={{ cs: UNICODE, color: false }}>
				<EnabledTable enablings={rows} sort={{ column: "rate", reverse: false }} width={80} height={6} focused />
			</UiContext.Provider>,
		);
		const frame = r.lastFrame().split("\n");
		assert.equal(frame.length, 6);
		assert.match(frame[2], /^›syscall::write:entry/);
		r.unmount();
	});
});

describe("aggSummary", () => {
	const row = (key: string, value: number) => ({
		key: [{ kind: "string" as const, value: key }],
		value,
		rate: 0,
		last10s: 0,
		last60s: 0,
		total: value,
		history: [],
	});
	it("names the top key and how many others there are", () => {
		const e = enabling(1, {
			aggregations: [agg({ keys: ["execname"], rows: [row("a", 1), row("bash", 12000), row("c", 3)] })],
		});
		assert.equal(aggSummary(e), "bash 12k +2");
	});
	it("summarises a keyless value and a histogram", () => {
		assert.equal(
			aggSummary(enabling(1, { aggregations: [agg({ fn: "avg", rows: [{ ...row("", 2.5), key: [] }] })] })),
			"avg 2.5",
		);
		const h = agg({
			fn: "quantize",
			rows: [
				{
					...row("", 4),
					key: [],
					histogram: [
						{ lo: 1n, count: 1 },
						{ lo: 64n, count: 3 },
					],
				},
			],
		});
		assert.equal(aggSummary(enabling(1, { aggregations: [h] })), "quantize n=4 p50 ~64");
	});
	it("escapes keys and shows errors", () => {
		const e = enabling(1, { aggregations: [agg({ keys: ["execname"], rows: [row("x\x1b[2J", 1)] })] });
		assert.equal(aggSummary(e), "x\\e[2J 1");
		assert.equal(aggSummary(enabling(2, { error: "map full" })), "error: map full");
	});
});
