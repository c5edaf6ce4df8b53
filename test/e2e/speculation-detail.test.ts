// The Detail pane shows an enabling's speculation counts, in the real dtop in a
// pseudo-terminal: a program typed at `:` whose speculation() finds no free id
// at every firing after the first (the default nspec is 1 and nothing commits),
// on real uprobes of a real process. Keys go in bursts, as SSH delivers them.
import assert from "node:assert/strict";
import { it } from "node:test";
import { BIN_DIR } from "../fixtures/fixtures.ts";
import { exitOf, KEYS, startDtop } from "../helpers/pty.ts";
import { openPrompt } from "../helpers/ui-actions.ts";

const LOOP = `${BIN_DIR}/bench-loop`;

it("shows failed speculations and speculative drops of the selected enabling", async () => {
	const s = startDtop(["-x", "specsize=20", "-c", `${LOOP} --rate 50 --funcs 1 --seconds 60`], { cols: 140, rows: 34 });
	try {
		await s.waitFor(/Help/, 20_000);
		await openPrompt(s, ":");
		// Every firing: a speculation (only the first gets one), and a speculated record
		// of 16 + 8 bytes, over specsize=20: a speculative drop each time the id is valid.
		s.press(
			`pid$target::bf_000:entry { s = speculation(); } pid$target::bf_000:entry { speculate(s); printf("%d", arg0); }${KEYS.enter}`,
		);
		// The Events pane opens for a program that prints; e closes it (nothing was committed, so it is empty).
		await s.waitFor(/Events 0 lines/, 5000);
		s.press("e");
		const screen = await s.waitFor(
			/speculations: [1-9][\d,.k]* speculative drops, [1-9][\d,.k]* failed \(no buffer available\), 0 failed \(busy\)/,
			8000,
		);
		assert.match(screen, /speculations:/);
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});
