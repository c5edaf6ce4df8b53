import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bar, breakdownLines } from "../../../source/ui/breakdown.tsx";
import { ASCII, UNICODE } from "../../../source/ui/charset.ts";
import { lineText } from "../../../source/ui/line.tsx";

describe("bar", () => {
	it("fills whole cells and eighths in Unicode", () => {
		assert.equal(bar(1, 4, UNICODE), "████");
		assert.equal(bar(0.5, 4, UNICODE), "██");
		assert.equal(bar(0.5 + 1 / 32, 4, UNICODE), "██▏");
		assert.equal(bar(0, 4, UNICODE), "");
	});
	it("uses whole '#' cells in ASCII and never draws nothing for a non-zero value", () => {
		assert.equal(bar(0.5, 10, ASCII), "#####");
		assert.equal(bar(0.001, 10, ASCII), "#");
	});
});

describe("breakdownLines", () => {
	const rows = [
		{ key: "sshd", value: 25 },
		{ key: "bash", value: 100 },
		{ key: "cron", value: 50 },
	];
	it("sorts by value and draws bars proportional to it", () => {
		const lines = breakdownLines(rows, 40, ASCII).map(lineText);
		assert.equal(lines.length, 3);
		assert.match(lines[0], /^bash /);
		assert.match(lines[1], /^cron /);
		assert.match(lines[2], /^sshd /);
		const bars = lines.map((l) => (l.match(/#+/) ?? [""])[0].length);
		// Proportional to within the rounding of one cell.
		assert.ok(Math.abs(bars[0] / 2 - bars[1]) <= 1, `${bars}`);
		assert.ok(Math.abs(bars[0] / 4 - bars[2]) <= 1, `${bars}`);
		assert.ok(bars[0] > bars[1] && bars[1] > bars[2]);
		for (const l of lines) assert.ok(l.length <= 40);
		assert.match(lines[0], / 100$/);
	});
	it("adds a rate column when there is room", () => {
		const lines = breakdownLines([{ key: "bash", value: 10, rate: 2.5 }], 60, ASCII).map(lineText);
		assert.match(lines[0], /10 +2\.5\/s$/);
	});
	it("says how many keys did not fit", () => {
		const many = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: i + 1 }));
		const lines = breakdownLines(many, 40, ASCII, 4).map(lineText);
		assert.equal(lines.length, 4);
		assert.match(lines[0], /^k9 /);
		assert.equal(lines[3], "v 7 more keys");
	});
	it("cuts long keys", () => {
		const lines = breakdownLines([{ key: "x".repeat(100), value: 1 }], 40, ASCII).map(lineText);
		assert.ok(lines[0].length <= 40);
		assert.match(lines[0], /x~ /);
	});
});
