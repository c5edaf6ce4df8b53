// ustack() and ufunc() typed at `:` in the real dtop in a pseudo-terminal: the
// Events pane shows each frame on its own line and the function's name, live.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SIMPLE } from "../fixtures/fixtures.ts";
import { exitOf, KEYS, startDtop } from "../helpers/pty.ts";
import { openPrompt } from "../helpers/ui-actions.ts";

describe("stacks in the Events pane", { concurrency: false }, () => {
	it("shows ustack() frames and ufunc(ucaller) of a program typed at :", async () => {
		const s = startDtop(["-c", `${SIMPLE} --loop`], { cols: 120, rows: 40 });
		try {
			await s.waitFor(/Help/, 20_000);
			await openPrompt(s, ":");
			s.press(`pid$target::fire_word:entry { ufunc(ucaller); ustack(3); }${KEYS.enter}`);
			await s.waitFor(/simple`fire_word/, 5000);
			await s.waitFor((t) => /simple`run_varied\+0x[0-9a-f]+/.test(t) && /simple`main\+0x[0-9a-f]+/.test(t), 5000);
			// ufunc(ucaller): the caller's name without an offset.
			assert.ok(
				s.lines().some((l) => /simple`run_varied\s*$/.test(l)),
				s.text(),
			);
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0);
		} finally {
			s.kill();
		}
	});
});
