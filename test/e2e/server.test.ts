// The interactive UI on a multi-process server: the pre-fork fixture (a parent
// and workers started and ended during the test, each firing
// prefork:query-start with a query string), driven in a pseudo-terminal.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildFixtures } from "../fixtures/fixtures.ts";
import { type Prefork, startPrefork } from "../helpers/prefork.ts";
import { exitOf, KEYS, type Screen, startDtop } from "../helpers/pty.ts";
import { select, submit } from "../helpers/ui-actions.ts";

let srv: Prefork;
before(async () => {
	buildFixtures();
	srv = await startPrefork(2);
});
after(() => srv.stop());

/** The Detail pane's lines (right of the tree, below its title). */
function detail(s: Screen): string {
	const lines = s.lines();
	const at = lines.findIndex((l) => /Detail/.test(l));
	return lines
		.slice(at)
		.map((l) => l.split("│").at(-1) ?? "")
		.join("\n");
}

async function quit(s: Screen): Promise<void> {
	s.press("q");
	const exit = await exitOf(s);
	assert.equal(exit.exitCode, 0);
}

test("k cycles the keys a USDT probe has (its arguments, copyinstr of its string, ustack), never stuck, in place", async () => {
	const worker = srv.workers[0];
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await submit(s, "/", `prefork${worker}:::query-*`);
		await s.waitFor(/query-start/, 5000);
		// Two enablings: query-done first, then query-start (the one k acts on).
		await select(s, /query-done/);
		s.press(KEYS.space);
		await s.waitFor(/query-done\s+\d+/, 3000);
		await select(s, /query-start/);
		s.press(KEYS.space);
		await s.waitFor(/query-start\s+\d+\S*\s+\d+/, 3000);
		s.press(KEYS.tab);
		await s.waitFor(/─\s+Enabled\s+─[^\n]*\n/, 3000);
		// The table is sorted by rate; equal rates by age: query-start is the second row.
		s.press(KEYS.down);
		await s.waitFor(() => /Detail: \S+query-start/.test(detail(s)), 3000);
		const steps: [string, RegExp][] = [
			["k", /@\[execname\]/],
			["kk", /@\[tid\]/],
			["kk", /@\[arg0\]/],
			["k", /@\[arg1\]/],
			["k", /@\[copyinstr\(arg0\)\][\s\S]*(SELECT 1|BEGIN|COMMIT)/],
			["k", /@\[ustack\(\)\][\s\S]*handle_query/],
			// USDT probes run in user space: no kstack; back to no key.
			["k", /^@ = count\(\)$/m],
		];
		for (const [keys, re] of steps) {
			s.press(keys);
			await s
				.waitFor(() => re.test(detail(s)), 6000)
				.catch(() => {
					throw new Error(`after '${keys}' the detail pane never matched ${re}:\n${s.text()}`);
				});
			// Still the same enabling, in the same row: the detail is query-start's.
			assert.match(detail(s), /Detail: \S+query-start/, `k kept the selection on query-start:\n${s.text()}`);
			assert.doesNotMatch(s.text(), /not available|Skipped/, `no key failed:\n${s.text()}`);
			if (process.env.SHOW) console.log(detail(s));
		}
		await quit(s);
	} finally {
		s.kill();
	}
});
