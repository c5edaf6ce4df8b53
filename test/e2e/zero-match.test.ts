// -Z in the interactive UI: a clause whose description matches nothing yet (a
// USDT provider of processes that have not started) is enabled, as in batch mode.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exitOf, sleep, startDtop } from "../helpers/pty.ts";

const CLAUSE = "nosuchprovider*:::nosuchprobe { @ = count(); }";

test("-Z: the UI starts with a clause that matches no probe yet", async () => {
	const s = startDtop(["-Z", "-n", CLAUSE], { cols: 120, rows: 30 });
	try {
		await s.waitFor((t) => /^dtop\s/.test(t) && /nosuchprovider/.test(t), 10000);
		await sleep(300); // the first frame can come before the keyboard is in raw mode
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});

test("without -Z the same clause is refused in one line, and dtop ends with a failure status", async () => {
	const s = startDtop(["-n", CLAUSE], { cols: 120, rows: 30 });
	try {
		const { exitCode, signal } = await exitOf(s);
		assert.ok(!signal, "dtop did not end by itself after the error (it was killed)");
		assert.notEqual(exitCode, 0);
		assert.match(
			s.text().replace(/\n/g, ""),
			/probe description nosuchprovider\*:::nosuchprobe does not match any probes/,
		);
	} finally {
		s.kill();
	}
});
