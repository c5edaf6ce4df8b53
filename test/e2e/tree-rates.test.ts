// The probe tree's profile provider takes any rate typed into the filter
// (made as a D clause would make it), and fbt, unavailable on this kernel,
// is a row that says why (as -l does) instead of being missing.
import assert from "node:assert/strict";
import { test } from "node:test";
import { exitOf, KEYS, sleep, startDtop } from "../helpers/pty.ts";
import { select, submit } from "../helpers/ui-actions.ts";

test("fbt's row says why it is unavailable; a filter profile-1234 makes that rate, and Space enables it", async () => {
	const s = startDtop([], { cols: 200, rows: 40 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await s.waitFor(/fbt\s+unavailable: there is no kprobe PMU/, 3000);
		await s.waitFor(/profile\s+other rates: \/ profile-N, tick-5s/, 3000);
		// Space on the fbt row: the reason, no enabling.
		await select(s, /fbt/);
		s.press(KEYS.space);
		await s.waitFor(/fbt \(kernel function probes\) is not available on this kernel/, 3000);
		await sleep(200);
		s.press(KEYS.esc);
		await submit(s, "/", "profile-1234");
		await s.waitFor(/profile-1234/, 5000);
		await select(s, /profile-1234/);
		s.press(KEYS.space);
		// Both CPUs fire 1234 times a second: the enabling's rate is in the thousands.
		await s.waitFor(/profile:::profile-1234\s+[12],?\d{3}\s/, 8000);
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});
