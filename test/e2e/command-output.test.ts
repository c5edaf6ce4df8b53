// A -c command under the interactive UI: its output must not write over the
// screen (nor may it read dtop's keys); it goes to a private file dtop names.
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { test } from "node:test";
import { exitOf, sleep, startDtop } from "../helpers/pty.ts";

const MARK = "OUTPUT-OF-THE-COMMAND";

test("-c under the UI: the command's output goes to a private file, named on screen and at exit", async () => {
	// The command prints a line every 50 ms and also tries to read the terminal.
	const cmd = `sh -c 'while :; do echo ${MARK}; read -t 0.05 x && echo GOT-KEY-$x; done'`;
	const s = startDtop(["-c", cmd], { cols: 120, rows: 30 });
	try {
		const screen = await s.waitFor(/output goes to (\/\S+command\.out)/, 10000);
		const path = /output goes to (\/\S+command\.out)/.exec(screen)?.[1] ?? "";
		// Keys typed at dtop (a burst, as SSH sends them) are dtop's, not the command's.
		s.press("jjk");
		await sleep(800);
		assert.ok(!s.raw().includes(MARK), "the command's output reached the terminal");
		assert.equal(statSync(dirname(path)).mode & 0o777, 0o700, "the directory is private");
		assert.equal(statSync(path).mode & 0o777, 0o600, "the file is private");
		s.press("q");
		const { exitCode } = await exitOf(s);
		assert.equal(exitCode, 0);
		await sleep(100);
		const raw = s.raw();
		assert.ok(raw.includes(`is in ${path}`), `no line naming the file at exit:\n${raw.slice(-400)}`);
		const kept = readFileSync(path, "utf8");
		assert.ok(kept.split("\n").filter((l) => l === MARK).length >= 5, "the file has the command's lines");
		assert.ok(!kept.includes("GOT-KEY"), "the command read keys meant for dtop");
	} finally {
		s.kill();
	}
});

test("-c under the UI: a command that prints nothing leaves no file behind", async () => {
	const s = startDtop(["-c", "sleep 30"], { cols: 120, rows: 30 });
	try {
		const screen = await s.waitFor(/output goes to (\/\S+command\.out)/, 10000);
		const path = /output goes to (\/\S+command\.out)/.exec(screen)?.[1] ?? "";
		s.press("q");
		await exitOf(s);
		assert.ok(!existsSync(path) && !existsSync(dirname(path)), "an empty output file and its directory are removed");
		assert.ok(!s.raw().includes("is in /"), "nothing is named when nothing was kept");
	} finally {
		s.kill();
	}
});
