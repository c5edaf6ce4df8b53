import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ASCII, UNICODE } from "../../../source/ui/charset.ts";
import { UiContext } from "../../../source/ui/context.tsx";
import { lineText } from "../../../source/ui/line.tsx";
import { StackList, stackLines } from "../../../source/ui/stacks.tsx";
import { renderAt } from "./helpers.tsx";

const rows = [
	{ frames: ["libc.so.6`write+0x10", "simple`log_line+0x22", "simple`main+0x40"], count: 10 },
	{ frames: ["libc.so.6`read+0x12", "simple`main+0x31"], count: 30, label: "simple" },
];

describe("stackLines", () => {
	it("lists the most frequent stack first, with count and share, frames one per line", () => {
		const lines = stackLines(rows, 60, ASCII).map(lineText);
		assert.deepEqual(lines, [
			"30  (75.0%)  simple",
			"  libc.so.6`read+0x12",
			"  simple`main+0x31",
			"",
			"10  (25.0%)",
			"  libc.so.6`write+0x10",
			"  simple`log_line+0x22",
			"  simple`main+0x40",
		]);
	});
	it("summarises what does not fit", () => {
		const lines = stackLines(rows, 60, ASCII, { maxLines: 5 }).map(lineText);
		assert.deepEqual(lines, ["30  (75.0%)  simple", "  libc.so.6`read+0x12", "  simple`main+0x31", "v 1 more stacks"]);
		const capped = stackLines(rows, 60, ASCII, { maxFrames: 1 }).map(lineText);
		assert.ok(capped.includes("    ~ 2 more frames"));
	});
	it("keeps the end of a long frame", () => {
		const long = [{ frames: [`/very/long/path/${"d".repeat(80)}/libfoo.so\`foo+0x1`], count: 1 }];
		const [, frame] = stackLines(long, 30, ASCII).map(lineText);
		assert.ok(frame.length <= 30);
		assert.match(frame, /libfoo\.so`foo\+0x1$/);
	});
	it("renders as a component", () => {
		const r = renderAt(
			<UiContext.Provider value={{ cs: UNICODE, color: false }}>
				<StackList rows={rows} width={60} height={3} />
			</UiContext.Provider>,
		);
		assert.deepEqual(r.lastFrame().split("\n"), ["30  (75.0%)  simple", "  libc.so.6`read+0x12", "  simple`main+0x31"]);
		r.unmount();
	});
});
