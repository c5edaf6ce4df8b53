// The Events pane and the variables in the Detail pane, without a terminal:
// the reducer's keys, what the pane draws, and the Detail pane's variable lines.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { VariableView } from "../../../source/session/view.ts";
import { UNICODE } from "../../../source/ui/charset.ts";
import { detailContent } from "../../../source/ui/detail-pane.tsx";
import type { EventsView } from "../../../source/ui/events-model.ts";
import { eventsLines } from "../../../source/ui/events-pane.tsx";
import { footerLine } from "../../../source/ui/footer.tsx";
import { aggSummary } from "../../../source/ui/format.ts";
import { lineText } from "../../../source/ui/line.tsx";
import { contextOf } from "../../../source/ui/navigate.ts";
import { createState, reduce } from "../../../source/ui/reduce.ts";
import type { State } from "../../../source/ui/state.ts";
import { enabling, sessionView } from "./helpers.tsx";

const ui = { cs: UNICODE, color: false };

function events(n: number, extra: Partial<EventsView> = {}): EventsView {
	const lines = Array.from({ length: n }, (_, i) => ({ enabling: 1, text: i % 10 === 0 ? "" : `Line ${i}` }));
	return { lines, total: n, skipped: 0, drops: 0, faults: 0, version: n, ...extra };
}

function keys(s: State, ...names: string[]): State {
	for (const key of names) s = reduce(s, { type: "input", event: { kind: "key", key } });
	return s;
}

const start = () => createState(sessionView({ enablings: [enabling(1)] }), 100, 30, ui);
const shown = (s: State) =>
	eventsLines({ events: s.events, pane: s.eventsPane, width: s.cols, height: 27 }, UNICODE).map(lineText);

describe("the Events pane", () => {
	it("opens and closes with e, over the panes, with its own footer", () => {
		let s = keys(start(), "e");
		assert.equal(contextOf(s), "events");
		assert.match(lineText(footerLine("events", 100)), /Esc Close .*p Pause \/ Filter/);
		s = keys(s, "e");
		assert.equal(contextOf(s), "tree");
		s = keys(keys(s, "e"), "Esc");
		assert.equal(s.eventsPane.open, false);
	});

	it("opens by itself when a program typed at : prints per event", () => {
		const s = reduce(start(), {
			type: "done",
			effect: { kind: "enableClause", text: "BEGIN { trace(1); }", value: "" },
			showEvents: true,
		});
		assert.equal(s.eventsPane.open, true);
		assert.equal(s.focus, "table");
	});

	it("follows the newest lines, draws blank ones as a space, and shows the drops", () => {
		const s = reduce(keys(start(), "e"), { type: "events", events: events(300, { drops: 1234, faults: 2 }) });
		const out = shown(s);
		assert.match(out[0], /Events 300 lines {2}1234 drops {2}2 errors/);
		assert.equal(out.length, 27);
		assert.equal(out[26], "Line 299");
		assert.ok(out.includes(" "), "a blank line takes its row");
	});

	it("scrolls back, stays on the same lines as new ones come, and follows again with End", () => {
		let s = reduce(keys(start(), "e"), { type: "events", events: events(300) });
		s = keys(s, "Up", "Up", "Up");
		assert.equal(s.eventsPane.back, 3);
		const before = shown(s).slice(1);
		s = reduce(s, { type: "events", events: events(320) });
		assert.equal(s.eventsPane.back, 23);
		assert.deepEqual(shown(s).slice(1), before);
		assert.match(shown(s)[0], /23 newer/);
		s = keys(s, "g");
		assert.equal(shown(s)[1], " ");
		s = keys(s, "End");
		assert.equal(s.eventsPane.back, 0);
		assert.equal(shown(s)[26], "Line 319");
	});

	it("pauses on what it shows (p, Space) while new lines keep coming", () => {
		let s = reduce(keys(start(), "e"), { type: "events", events: events(100) });
		s = keys(s, "p");
		const frozen = shown(s).slice(1);
		assert.match(shown(s)[0], /PAUSED/);
		s = reduce(s, { type: "events", events: events(200) });
		assert.deepEqual(shown(s).slice(1), frozen);
		s = keys(s, " ");
		assert.equal(shown(s)[26], "Line 199");
	});

	it("filters by a text typed at / (case-insensitive), Esc clears the filter first", () => {
		let s = reduce(keys(start(), "e"), { type: "events", events: events(300) });
		s = keys(s, "/", "l", "i", "n", "e", " ", "2", "9", "Enter");
		assert.equal(s.eventsPane.filter, "line 29");
		const out = shown(s);
		assert.match(out[0], /filter "line 29": 10/);
		assert.deepEqual(out.slice(1, 3), ["Line 29", "Line 291"]);
		s = keys(s, "Esc");
		assert.equal(s.eventsPane.filter, undefined);
		assert.equal(s.eventsPane.open, true);
	});

	it("keeps the panes' global keys: : opens the D prompt, q quits", () => {
		const s = keys(start(), "e", ":");
		assert.equal(s.modal.kind, "prompt");
		assert.equal(keys(start(), "e", "q").quitting, true);
	});
});

describe("the Detail pane's variables and the table's event rate", () => {
	it("shows scalars as name = value and associative arrays as a table", () => {
		const variables: VariableView[] = [
			{ kind: "scalar", name: "n", value: { kind: "int", value: 42n } },
			{ kind: "scalar", name: "who", value: { kind: "string", value: "bash\x1b]0;x" } },
			{
				kind: "assoc",
				name: "a",
				count: 3,
				elements: [
					{
						key: [
							{ kind: "string", value: "read" },
							{ kind: "int", value: 7n },
						],
						value: { kind: "int", value: 9n },
					},
					{
						key: [
							{ kind: "string", value: "write" },
							{ kind: "int", value: 7n },
						],
						value: { kind: "int", value: 2n },
					},
				],
			},
		];
		const text = detailContent(enabling(1, { variables, eventRate: 12 }), 80, UNICODE).map(lineText);
		assert.ok(text.includes("  n = 42"), text.join("\n"));
		assert.ok(text.includes('  who = "bash\\e]0;x"'), text.join("\n"));
		assert.ok(text.includes("a[] 3 elements (the first 2)"), text.join("\n"));
		assert.ok(
			text.some((l) => /^ {2}\[read, 7\] +9$/.test(l)),
			text.join("\n"),
		);
		assert.ok(text.some((l) => /12(\.0)? events\/s/.test(l)));
	});

	it("puts an enabling's event rate in the table's summary", () => {
		assert.match(
			aggSummary(enabling(1, { aggregations: [], eventRate: 1500 })),
			/^1\.5k events\/s$|^1,?500 events\/s$/,
		);
	});
});
