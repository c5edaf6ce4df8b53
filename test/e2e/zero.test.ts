// -Z in the terminal: a clause that cannot compile is refused at start even when
// it matches nothing yet, and a -c command's probe that matches nothing yet
// suggests -Z (the command may load it later), which then finds it.
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { buildFixtures } from "../fixtures/fixtures.ts";
import { DLOPENER, LIBSIMPLE } from "../helpers/fixture.ts";
import { type Prefork, startPrefork } from "../helpers/prefork.ts";
import { exitOf, KEYS, startDtop } from "../helpers/pty.ts";

before(() => buildFixtures());

test("-Z: a clause that cannot compile is refused at start, as without -Z, though it matches nothing yet", async () => {
	let srv: Prefork | undefined;
	try {
		srv = await startPrefork(1);
		const pid = String(srv.workers[0]);
		const bad = "{ @[inet_ntoa6(arg0)] = count(); }";
		// Without -Z, on a probe that exists: the error with its line (as dtrace prints it; the terminal wraps it).
		const plain = startDtop(["-p", pid, "-n", `prefork$target:::query-start ${bad}`], { cols: 120, rows: 30 });
		assert.equal((await exitOf(plain)).exitCode, 1);
		assert.match(plain.text().replace(/\n/g, ""), /: line 1: 'inet_ntoa6' is not supported/);
		// With -Z, on a probe that does not exist (yet): the same error, not a silent start.
		const zero = startDtop(["-Z", "-p", pid, "-n", `later$target:::query-start ${bad}`], { cols: 120, rows: 30 });
		assert.equal((await exitOf(zero)).exitCode, 1, zero.text());
		assert.match(zero.text().replace(/\n/g, ""), /: line 1: 'inet_ntoa6' is not supported/);
	} finally {
		await srv?.stop();
	}
});

test("-c: a probe in a library the command opens later suggests -Z, and -Z finds it when it is loaded", async () => {
	const clause = "simplelib$target:::lib-call { @[arg0] = count(); }";
	const command = `${DLOPENER} ${LIBSIMPLE} 7`;
	const without = startDtop(["-n", clause, "-c", command], { cols: 140, rows: 30 });
	assert.equal((await exitOf(without)).exitCode, 1);
	assert.match(
		without.text().replace(/\n/g, ""),
		/probe description simplelib\d+:::lib-call does not match any probes.*dtop: The command may load it later .*add -Z/,
	);
	// A kernel probe is never loaded by the command: no hint.
	const kernel = startDtop(["-n", "syscall::nosuch:entry { @ = count(); }", "-c", command], { cols: 140, rows: 30 });
	assert.equal((await exitOf(kernel)).exitCode, 1);
	assert.doesNotMatch(kernel.text(), /-Z/);
	// With -Z the UI starts, and the library's 7 firings are counted once dlopen maps it.
	const s = startDtop(["-Z", "-n", clause, "-c", command], { cols: 140, rows: 30 });
	try {
		await s.waitFor(/simplelib\$target:::lib-call|simplelib\d+:::lib-call/, 8000);
		s.press(KEYS.tab);
		await s.waitFor(/lib-call\s+\S+\s+7\s/, 8000);
		s.press("q");
		assert.equal((await exitOf(s)).exitCode, 0);
	} finally {
		s.kill();
	}
});
