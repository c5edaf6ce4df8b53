// The Events pane, in the real dtop in a pseudo-terminal: what printf() prints
// in a program typed at `:` (real uprobes on a real process), BEGIN and END,
// the variables in the Detail pane, and a flood of 100,000 events a second that
// must leave the keys answered and the drops shown. Keys go in bursts, several
// in one write, as SSH delivers them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BIN_DIR } from "../fixtures/fixtures.ts";
import { exitOf, KEYS, type Screen, sleep, startDtop } from "../helpers/pty.ts";
import { openPrompt } from "../helpers/ui-actions.ts";

const LOOP = `${BIN_DIR}/bench-loop`;

async function started(s: Screen): Promise<void> {
	await s.waitFor(/Help/, 20_000);
}

/** `:` then the program and Enter in one write; resolves with the time Enter was sent. */
async function enable(s: Screen, program: string): Promise<number> {
	await openPrompt(s, ":");
	const t0 = performance.now();
	s.press(`${program}${KEYS.enter}`);
	await s.waitFor((t) => !t.split("\n").some((l) => l.startsWith(": ")), 5000);
	return t0;
}

/** The Events pane's title row. */
function title(s: Screen): string {
	return s.lines().find((l) => /Events [\d.,kM]+ lines/.test(l)) ?? "";
}

describe("the Events pane", { concurrency: false }, () => {
	it("shows a printf clause typed at : within one tick, escaped, filtered, paused", async () => {
		const s = startDtop(["-c", `${LOOP} --rate 20 --funcs 1 --seconds 60`], { cols: 120, rows: 30 });
		try {
			await started(s);
			const t0 = await enable(
				s,
				'BEGIN { printf("begin\\x1b[2J\\n"); } pid$target::bf_000:entry { printf("call %d of %d\\n", i++, pid); }',
			);
			// The pane opens by itself on a program that prints; the first lines come within one tick (1 s).
			await s.waitFor(/call 0 of \d+/, 3000);
			const ms = performance.now() - t0;
			console.log(`first printf line ${ms.toFixed(0)} ms after Enter`);
			assert.ok(ms < 2000, `the first line took ${ms} ms (tick 1 s)`);
			const pid = Number(/call 0 of (\d+)/.exec(s.text())?.[1]);
			assert.ok(pid > 0 && pid !== s.pid, `the target's pid: ${pid}`);
			// A traced string's escape sequence is shown as text, never written raw.
			assert.match(s.text(), /begin\\e\[2J/);
			assert.ok(!s.raw().includes("begin\x1b[2J"), "the escape sequence reached the terminal raw");
			await s.waitFor(/call 5 of/, 3000);
			// The filter, typed with its Enter in one write.
			s.press("/CALL 3 OF\r");
			await s.waitFor((t) => /filter "CALL 3 OF": 1\b/.test(t) && /call 3 of/.test(t) && !/call 4 of/.test(t), 3000);
			s.press(KEYS.esc);
			await s.waitFor(() => !/filter/.test(title(s)), 2000);
			// Pause: the pane stays on what it shows while the lines go on being kept.
			s.press("p");
			await s.waitFor(() => /PAUSED/.test(title(s)), 2000);
			const frozen = s.lines().filter((l) => /call \d+ of/.test(l));
			await sleep(700);
			assert.deepEqual(
				s.lines().filter((l) => /call \d+ of/.test(l)),
				frozen,
			);
			s.press("p");
			await s.waitFor(() => !/PAUSED/.test(title(s)), 2000);
			// Scrolled back to the first line, then following again.
			s.press("g");
			await s.waitFor(/begin\\e\[2J/, 2000);
			s.press("G");
			await s.waitFor((t) => !/newer/.test(t), 2000);
			// The enabled table shows the enabling's event rate (about 20/s).
			s.press("e");
			await s.waitFor(/[\d.]+ events\/s/, 3000);
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0);
		} finally {
			s.kill();
		}
	});

	it("runs a BEGIN/END program: BEGIN's lines at once, its variables in the Detail pane, END's when disabled", async () => {
		const s = startDtop(["-c", `${LOOP} --rate 50 --funcs 1 --seconds 60`], { cols: 120, rows: 34 });
		try {
			await started(s);
			await enable(
				s,
				'BEGIN { printf("start %d\\n", 7); } pid$target::bf_000:entry { n++; last = "bf"; a[probefunc] = n; } END { printf("end after %d calls\\n", n); }',
			);
			await s.waitFor(/start 7/, 3000);
			// Back to the panes: the table has the enabling selected, the Detail pane its variables.
			s.press("e");
			await s.waitFor(/n = [1-9]\d*/, 4000);
			assert.match(s.text(), /last = "bf"/);
			assert.match(s.text(), /a\[\] 1 elements/);
			assert.match(s.text(), /\[bf_000\] +[1-9]\d*/);
			// d shows the whole program as D.
			s.press("d");
			await s.waitFor((t) => /^BEGIN \{/m.test(t) && /^pid\d+::bf_000:entry \{/m.test(t) && /^END \{/m.test(t), 3000);
			// Close the viewer, disable (Space in the table), then look at the Events pane: END's line.
			s.press(`${KEYS.esc} `);
			await s.waitFor(/nothing enabled/, 3000);
			s.press("e");
			const end = await s.waitFor(/end after (\d+) calls/, 3000);
			assert.ok(Number(/end after (\d+) calls/.exec(end)?.[1]) > 0, end);
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0);
		} finally {
			s.kill();
		}
	});

	it("takes a #pragma D option typed at the one-line prompt before the clause, in the same write", async () => {
		const s = startDtop(["-c", `${LOOP} --rate 20 --funcs 1 --seconds 60`], { cols: 120, rows: 30 });
		try {
			await started(s);
			await enable(s, 'BEGIN { printf("loud %d\\n", 8); }');
			const loud = await s.waitFor(/loud 8/, 3000);
			// Without quiet, DTrace's CPU, ID and FUNCTION:NAME come first on the line.
			assert.match(loud.split("\n").find((l) => l.includes("loud 8")) ?? "", /:BEGIN +loud 8/);
			s.press(KEYS.esc);
			await enable(s, '#pragma D option quiet BEGIN { printf("quiet %d\\n", 7); }');
			const quiet = await s.waitFor(/quiet 7/, 3000);
			const line = quiet.split("\n").find((l) => l.includes("quiet 7")) ?? "";
			assert.doesNotMatch(line, /BEGIN/, `the quiet program's line carries the probe: ${line}`);
			s.press("q");
			assert.equal((await exitOf(s)).exitCode, 0);
		} finally {
			s.kill();
		}
	});

	it("keeps answering keys under 100,000 events a second, and shows the drops", async () => {
		const s = startDtop(["-x", "bufsize=64k", "-c", `${LOOP} --rate 100000 --funcs 1 --seconds 60`], {
			cols: 120,
			rows: 30,
		});
		try {
			await started(s);
			await enable(s, 'pid$target::bf_000:entry { printf("%d %s %d\\n", pid, execname, arg0); }');
			await s.waitFor(/bench-loop/, 5000);
			await sleep(2500);
			// Keys in one burst: `e` closes the pane, `e` opens it again, `p` pauses it.
			const times: number[] = [];
			for (let i = 0; i < 5; i++) {
				const t0 = performance.now();
				s.press("eep");
				await s.waitFor(() => /PAUSED/.test(title(s)), 5000);
				times.push(performance.now() - t0);
				const t1 = performance.now();
				s.press("p");
				await s.waitFor(() => title(s) !== "" && !/PAUSED/.test(title(s)), 5000);
				times.push(performance.now() - t1);
				await sleep(300);
			}
			const worst = Math.max(...times);
			console.log(`keys answered in ${times.map((t) => t.toFixed(0)).join(", ")} ms (worst ${worst.toFixed(0)})`);
			assert.ok(worst < 1000, `a key took ${worst} ms`);
			// A 64 KiB ring buffer cannot hold what arrives between two reads: the drops are counted and shown.
			const drops = Number((/([\d,]+) drops/.exec(title(s))?.[1] ?? "0").replace(/,/g, ""));
			const header = s.lines()[0];
			console.log(`title: ${title(s).replace(/─/g, "")}; header: ${header}`);
			assert.ok(drops > 0 || /k drops|M drops/.test(title(s)), `no drops shown: ${title(s)}`);
			// The table's event rate, for the report.
			s.press("e");
			const table = await s.waitFor(/[\d.]+k? events\/s/, 4000);
			console.log(`table: ${/\S+ events\/s/.exec(table)?.[0]}`);
			s.press("q");
			assert.equal((await exitOf(s, 15_000)).exitCode, 0);
		} finally {
			s.kill();
		}
	});
});
