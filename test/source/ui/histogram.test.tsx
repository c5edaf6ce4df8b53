import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { HistogramBucket } from "../../../source/session/view.ts";
import { UNICODE } from "../../../source/ui/charset.ts";
import { UiContext } from "../../../source/ui/context.tsx";
import { Histogram, histogramText } from "../../../source/ui/histogram.tsx";
import { renderAt } from "./helpers.tsx";

// DTrace prints a distribution with "%16s %41s %-9s" for the header and, per row,
// "%16lld " then "|", the '@' bar and spaces (40 columns), " " and "%-9lld".
const HEADER = "           value  ------------- Distribution ------------- count";
const row = (value: string, ats: number, count: number) =>
	`${value.padStart(16)} |${"@".repeat(ats)}${" ".repeat(40 - ats)} ${count}`;

const q = (lo: bigint, count: number): HistogramBucket => ({ lo, count });

describe("quantize", () => {
	it("prints DTrace's rows: one empty bucket either side of the data", () => {
		const text = histogramText([q(2048n, 2), q(4096n, 1), q(8192n, 1)], "quantize", 80);
		assert.deepEqual(text, [
			HEADER,
			row("1024", 0, 0),
			row("2048", 20, 2),
			row("4096", 10, 1),
			row("8192", 10, 1),
			row("16384", 0, 0),
		]);
	});
	it("fills empty power-of-two buckets between sparse ones and rounds bars half up", () => {
		const text = histogramText([q(1n, 1), q(8n, 2)], "quantize", 80);
		// 1 of 3 → 13.33 → 13 '@'; 2 of 3 → 26.67 → 27 '@'.
		assert.deepEqual(text, [
			HEADER,
			row("0", 0, 0),
			row("1", 13, 1),
			row("2", 0, 0),
			row("4", 0, 0),
			row("8", 27, 2),
			row("16", 0, 0),
		]);
	});
	it("keeps empty buckets the session sends out of the range, like DTrace", () => {
		const text = histogramText([q(1n, 0), q(2n, 0), q(4n, 0), q(8n, 5), q(16n, 0), q(32n, 0)], "quantize", 80);
		assert.deepEqual(text, [HEADER, row("4", 0, 0), row("8", 40, 5), row("16", 0, 0)]);
	});
	it("shows the buckets around zero when there is no data", () => {
		assert.deepEqual(histogramText([], "quantize", 80), [HEADER, row("-1", 0, 0), row("0", 0, 0), row("1", 0, 0)]);
	});
	it("bars by count, not by bucket value: negative buckets still grow right", () => {
		const text = histogramText([q(-4n, 1), q(2n, 1)], "quantize", 80);
		assert.deepEqual(text, [
			HEADER,
			row("-8", 0, 0),
			row("-4", 20, 1),
			row("-2", 0, 0),
			row("-1", 0, 0),
			row("0", 0, 0),
			row("1", 0, 0),
			row("2", 20, 1),
			row("4", 0, 0),
		]);
	});
	it("draws negative counts (negative increments) left of a centre line, positive right", () => {
		const text = histogramText([q(1n, -1), q(2n, 1)], "quantize", 80);
		const neg = (value: string, ats: number, count: number) =>
			`${value.padStart(16)} ${" ".repeat(20 - ats)}${"@".repeat(ats)}|${" ".repeat(20)} ${count}`;
		const pos = (value: string, ats: number, count: number) =>
			`${value.padStart(16)} ${" ".repeat(20)}|${"@".repeat(ats)}${" ".repeat(20 - ats)} ${count}`;
		assert.deepEqual(text, [HEADER, neg("0", 0, 0), neg("1", 10, -1), pos("2", 10, 1), neg("4", 0, 0)]);
	});
	it("draws only-negative counts right-aligned against the bar's end", () => {
		const text = histogramText([q(1n, -2)], "quantize", 80);
		assert.equal(text[2], `${"1".padStart(16)} ${"@".repeat(40)}| -2`);
	});
});

describe("lquantize", () => {
	const levels = (counts: Record<number, number>, under: number, over: number): HistogramBucket[] => {
		const out: HistogramBucket[] = [{ lo: 0n, count: under, edge: "under" }];
		for (let v = 0; v < 100; v += 10) out.push({ lo: BigInt(v), count: counts[v] ?? 0 });
		out.push({ lo: 100n, count: over, edge: "over" });
		return out;
	};
	it("labels the overflow row '>= limit' and trims like DTrace", () => {
		const text = histogramText(levels({ 10: 3, 20: 1 }, 0, 2), "lquantize", 80);
		assert.deepEqual(text, [
			HEADER,
			row("0", 0, 0),
			row("10", 20, 3),
			row("20", 7, 1),
			...[30, 40, 50, 60, 70, 80, 90].map((v) => row(String(v), 0, 0)),
			row(">= 100", 13, 2),
		]);
	});
	it("labels the underflow row '< base'", () => {
		const text = histogramText(levels({ 0: 1 }, 1, 0), "lquantize", 80);
		assert.deepEqual(text, [HEADER, row("< 0", 20, 1), row("0", 20, 1), row("10", 0, 0)]);
	});
	it("fills levels missing from sparse input at the step the others imply", () => {
		const text = histogramText(
			[
				{ lo: 0n, count: 0, edge: "under" },
				{ lo: 0n, count: 2 },
				{ lo: 30n, count: 2 },
				{ lo: 50n, count: 0, edge: "over" },
			],
			"lquantize",
			80,
		);
		assert.deepEqual(text, [
			HEADER,
			row("< 0", 0, 0),
			row("0", 20, 2),
			row("10", 0, 0),
			row("20", 0, 0),
			row("30", 20, 2),
			row("40", 0, 0),
		]);
	});
});

describe("layout at a pane's width", () => {
	it("is DTrace's exact layout from 68 columns and shrinks to fit narrower panes", () => {
		const buckets = [q(2048n, 2), q(4096n, 1), q(8192n, 1)];
		const wide = histogramText(buckets, "quantize", 68);
		assert.equal(wide[1], row("1024", 0, 0));
		for (const cols of [60, 45, 30]) {
			const narrow = histogramText(buckets, "quantize", cols);
			for (const line of narrow) assert.ok(line.length <= cols, `${line.length} > ${cols}: ${line}`);
			assert.match(narrow[0], /value.*Distribution.*count/);
			assert.match(narrow[2], /^ *2048 \|@+ +2$/);
		}
	});
	it("renders as a component", () => {
		const r = renderAt(
			<UiContext.Provider value={{ cs: UNICODE, color: false }}>
				<Histogram buckets={[q(1n, 4)]} kind="quantize" width={80} />
			</UiContext.Provider>,
		);
		assert.deepEqual(r.lastFrame().split("\n"), [HEADER, row("0", 0, 0), row("1", 40, 4), row("2", 0, 0)]);
		r.unmount();
	});
});
