// --json: per-event records are JSON lines too (README, "JSON output"), with
// no heading or probe columns; aggregations follow as before.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";

test("--json writes one JSON object per record: cpu, id, probe, timestamp, and each action with its text", async () => {
	const r = await runDtop(
		[
			"--json",
			"-n",
			'simple$target:::saw-line { printf("%d %s\\n", pid, execname); trace(arg0 * 0 + 7); @n = count(); } END { printa(@n); exit(4); }',
			"-c",
			`${SIMPLE} --count 3`,
		],
		{ timeoutMs: 30_000, untilClosed: true },
	);
	assert.equal(r.code, 4, r.stderr);
	const lines = r.stdout
		.trim()
		.split("\n")
		.map((l) => JSON.parse(l));
	const events = lines.filter((l) => l.event === true);
	assert.equal(events.length, 4, r.stdout);
	for (const e of events.slice(0, 3)) {
		assert.match(e.probe, /^simple\d+:simple:fire_line:saw-line$/);
		assert.equal(typeof e.cpu, "number");
		assert.equal(typeof e.id, "number");
		assert.ok(Number(e.timestamp) > 0);
		assert.match(e.actions[0].text, /^\d+ simple\n$/);
		assert.deepEqual(e.actions[1], { action: "trace", value: 7, text: "7" });
	}
	const end = events[3];
	assert.equal(end.probe, "dtrace:::END");
	assert.deepEqual(end.actions[0], { action: "printa", aggregations: ["n"], text: "\n                3\n" });
	assert.deepEqual(end.actions[1], { action: "exit", status: 4 });
	assert.ok(!r.stdout.includes("FUNCTION:NAME"), "no heading");
});
