// The interactive UI on a multi-process server: the pre-fork fixture (a parent
// and workers started and ended during the test, each firing
// prefork:query-start with a query string), driven in a pseudo-terminal.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { buildFixtures } from "../fixtures/fixtures.ts";
import { PREFORK_STRIPPED, type Prefork, startPrefork } from "../helpers/prefork.ts";
import { exitOf, KEYS, type Screen, sleep, startDtop } from "../helpers/pty.ts";
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
		// Counting (a rate over a whole tick) before k re-enables it.
		await s.waitFor(/handle_query:query-start\s+[1-9]\d+\s/, 4000);
		s.press(KEYS.tab);
		await s.waitFor(/─\[ Enabled \]─/, 3000);
		// Sorted by name (equal rates would swap places): query-done, then query-start.
		s.press("<");
		await s.waitFor(/PROBE\S*[▲▼]/, 3000);
		s.press(KEYS.down);
		await s.waitFor(() => /Detail: \S+query-start/.test(detail(s)), 3000);
		// The probe's arguments as its note gives them.
		await s.waitFor(
			() => /arg0 {2}uint64 {2}%rdi {2}\(copyinstr\(arg0\)[^\n]*\n\s*arg1 {2}int64 {2}%rsi\s*$/m.test(detail(s)),
			3000,
		);
		const steps: [string, RegExp][] = [
			["k", /@\[execname\]/],
			["kk", /@\[tid\]/],
			["kkkk", /@\[arg0\]/],
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
			// The tree's rate of the probe goes on through the re-enabling (no tick of 0/s).
			const row =
				s
					.lines()
					.find((l) => /^[›\s]\s+● query-start/.test(l))
					?.split("│")[0] ?? "";
			assert.doesNotMatch(row, /\s0\/s/, `the tree's rate after '${keys}':\n${s.text()}`);
			if (process.env.SHOW) console.log(detail(s));
		}
		await quit(s);
	} finally {
		s.kill();
	}
});

test("k on a system call cycles its arguments from the tracefs format, copyinstr of its path, ustack and kstack", async () => {
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await submit(s, "/", "syscall::openat:entry");
		await s.waitFor(/Probes \/syscall::openat:entry/, 5000);
		await select(s, /entry/);
		s.press(KEYS.space);
		await s.waitFor(/syscall:vmlinux:openat:entry\s+\d/, 3000);
		s.press(KEYS.tab);
		await sleep(200);
		// openat(dfd, filename, flags, mode): four arguments, the second a string.
		const keys = [
			"execname",
			"pid",
			"tid",
			"probefunc",
			"cgroup",
			"container",
			"arg0",
			"arg1",
			"arg2",
			"arg3",
			"copyinstr(arg1)",
			"ustack()",
			"kstack()",
		];
		for (const k of keys) {
			s.press("k");
			const head = new RegExp(`^@\\[${k.replace(/[()]/g, "\\$&")}\\] = count\\(\\)$`, "m");
			await s
				.waitFor(() => head.test(detail(s)), 6000)
				.catch(() => {
					throw new Error(`k never reached ${k}:\n${s.text()}`);
				});
		}
		s.press("k");
		await s.waitFor(() => /^@ = count\(\)$/m.test(detail(s)), 6000);
		assert.doesNotMatch(s.text(), /not available|Skipped/);
		await quit(s);
	} finally {
		s.kill();
	}
});

/** A rate as the UI prints it (12, 3.5, 1.2k). */
function rateOf(text: string): number {
	const m = /^([\d.]+)([kM]?)$/.exec(text);
	if (!m) throw new Error(`not a rate: '${text}'`);
	return Number(m[1]) * (m[2] === "k" ? 1e3 : m[2] === "M" ? 1e6 : 1);
}

interface Rates {
	header: number;
	/** Tree rows by name (the first of each name). */
	tree: Map<string, number>;
	table: { label: string; rate: number }[];
}

/** The rates one screen shows: the header's, the tree rows', the enabled table's. */
function ratesOn(s: Screen): Rates {
	const lines = s.lines();
	const header = /\s([\d.]+[kM]?)\/s\s+drops/.exec(lines[0]);
	if (!header) throw new Error(`no rate in the header: ${lines[0]}`);
	const tree = new Map<string, number>();
	const table: { label: string; rate: number }[] = [];
	let inTable = false;
	for (const l of lines.slice(1)) {
		const [left, right = ""] = l.split("│");
		const t = /^[›\s][\s▾▸•·]*[●◐ ]?\s*(\S+)(?: \(\d+\))?\s+([\d.]+[kM]?)\/s\s*$/.exec(left);
		if (t && !tree.has(t[1])) tree.set(t[1], rateOf(t[2]));
		if (/Enabled/.test(right)) inTable = true;
		else if (/Detail/.test(right)) inTable = false;
		const r = inTable ? /^\s*[›\s]?\s*(\S+:\S*)\s+([\d.]+[kM]?)\s+\d/.exec(right) : null;
		if (r) table.push({ label: r[1], rate: rateOf(r[2]) });
	}
	return { header: rateOf(header[1]), tree, table };
}

test("rates add up: a probe with two enablings counts once in the tree, parents sum their probes, the header sums the table", async () => {
	const worker = srv.workers[1];
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await submit(s, "/", `prefork${worker}:::query-*`);
		await s.waitFor(/query-start/, 5000);
		await select(s, /query-start/);
		s.press(KEYS.space);
		await s.waitFor(/query-start\s+\d+\S*\/s/, 3000);
		// A second enabling of the same probe, typed as D.
		await submit(s, ":", `prefork${worker}:::query-start { @[copyinstr(arg0)] = count(); }`);
		// A clause leaves the focus on the table: back to the tree (Shift-Tab).
		await s.waitFor(/Enabled: /, 3000);
		s.press("\x1b[Z");
		await sleep(200);
		await select(s, /query-done/, KEYS.up);
		s.press(KEYS.space);
		let last: Rates | undefined;
		const consistent = (r: Rates): boolean => {
			const start = r.tree.get("query-start") ?? 0;
			const done = r.tree.get("query-done") ?? 0;
			const fn = r.tree.get("handle_query") ?? -1;
			const sum = r.table.reduce((n, e) => n + e.rate, 0);
			return (
				r.table.length === 3 &&
				start > 50 &&
				done > 50 &&
				// Rounding: each printed rate is within 0.5 of the true one.
				Math.abs(fn - (start + done)) <= 1.5 &&
				Math.abs(r.header - sum) <= 0.5 * (r.table.length + 1) &&
				r.table.filter((e) => /query-start/.test(e.label)).every((e) => Math.abs(e.rate - start) <= 0.1 * start + 1)
			);
		};
		await s
			.waitFor(() => {
				last = ratesOn(s);
				return consistent(last);
			}, 8000)
			.catch(() => {
				throw new Error(
					`rates never added up (${JSON.stringify({ ...last, tree: [...(last?.tree ?? [])] })}):\n${s.text()}`,
				);
			});
		await quit(s);
	} finally {
		s.kill();
	}
});

test("the tree groups a program's processes; Space on the group enables every process, also those started later", async () => {
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		const n = srv.workers.length + 1;
		await s.waitFor(new RegExp(`prefork \\(${n} processes\\)`), 5000);
		// One top-level row for the program, not one per process.
		assert.equal(s.lines().filter((l) => /^[›\s]\S*\s*prefork\d+/.test(l.split("│")[0])).length, 0);
		await select(s, /prefork \(\d+ processes\)/);
		s.press(KEYS.enter);
		// Each process under it, by pid, with its command line.
		for (const [i, w] of srv.workers.entries())
			await s.waitFor(new RegExp(`prefork${w}  prefork: worker ${i + 1} idle`), 3000);
		await s.waitFor(new RegExp(`prefork${srv.pid}  prefork --children 2`), 3000);
		s.press(KEYS.space);
		await s.waitFor(/prefork\[0-9\]\*:::\s+\d+/, 4000);
		// The table: a breakdown by pid (k twice, in one write).
		s.press(KEYS.tab);
		await sleep(200);
		s.press("kk");
		await s.waitFor(() => /@\[pid\]/.test(detail(s)), 4000);
		for (const w of srv.workers) await s.waitFor(() => new RegExp(`^${w}\\s`, "m").test(detail(s)), 4000);
		// A worker started now is traced too, and one ended leaves.
		const fresh = await srv.spawn();
		await s.waitFor(() => new RegExp(`^${fresh}\\s`, "m").test(detail(s)), 6000);
		await srv.endOldest();
		await s.waitFor(new RegExp(`prefork \\(${n} processes\\)`), 5000);
		await quit(s);
	} finally {
		s.kill();
	}
});

test("with a filter, Space on a provider enables exactly the probes the filter shows", async () => {
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await submit(s, "/", "syscall::*read*:entry");
		await s.waitFor(/Probes \/syscall::\*read\*:entry/, 5000);
		await s.waitFor(
			(t) => t.split("\n").filter((l) => /^[›\s]\s+\S*\s*entry\s*$/.test(l.split("│")[0])).length >= 3,
			5000,
		);
		const shown = s.lines().filter((l) => /^[›\s]\s+\S*\s*entry\s*$/.test(l.split("│")[0])).length;
		await select(s, /^›\S*\s+syscall \(/, KEYS.up);
		s.press(KEYS.space);
		// No confirmation for 720 probes: the filter's few.
		await s.waitFor(new RegExp(`\\|  ${shown} probes`), 4000);
		await s.waitFor(/syscall::\*read\*:entry\s+\d+/, 3000);
		await quit(s);
	} finally {
		s.kill();
	}
});

test("pid-provider probes are in the tree under each process, found by a filter, and enabled from it", async () => {
	const worker = srv.workers[0];
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		// Unfiltered: one `pid` row for every process that maps objects; opened, the processes with their command lines.
		await s.waitFor(/pid \(\d+ processes\)/, 5000);
		await select(s, /pid \(\d+ processes\)/);
		s.press(KEYS.enter);
		await s.waitFor(/^ \s+▸\s+pid\d+ {2}\S/m, 5000);
		// A description filter finds the function in every process of the server.
		await submit(s, "/", "pid*::handle_query:entry");
		await s.waitFor(/Probes \/pid\*::handle_query:entry/, 5000);
		for (const p of [srv.pid, ...srv.workers]) await s.waitFor(new RegExp(`pid${p}  prefork`), 10_000);
		assert.doesNotMatch(s.text(), /return/, "only the entry probes the filter names");
		// Space on one worker's entry probe: its calls are counted (~100 a second).
		await select(s, new RegExp(`pid${worker}`));
		// Down to its entry probe (module, function, entry), one key at a time.
		await select(s, /^›\s+entry/);
		s.press(KEYS.space);
		await s.waitFor(new RegExp(`pid${worker}:prefork:handle_query:entry\\s+\\d{2,}`), 5000);
		await s.waitFor(/›\s+● entry\s+\d{2,}\/s/, 4000);
		await quit(s);
	} finally {
		s.kill();
	}
});

test("a probe in a function no symbol names is named by its address in the module, never empty", async () => {
	const stripped = await startPrefork(1, PREFORK_STRIPPED);
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await submit(s, "/", `prefork${stripped.workers[0]}:::`);
		await s.waitFor(/query-start/, 5000);
		const text = s.text();
		assert.match(text, /prefork-stripped \(2\)[^\n]*\n\s+▾\s+prefork-stripped\+0x[0-9a-f]+ \(1\)/);
		assert.doesNotMatch(text, /\(none\)/);
		await quit(s);
	} finally {
		s.kill();
		await stripped.stop();
	}
});

test("Space on a process of the pid provider asks first above 100 probes, and enables nothing on no", async () => {
	const s = startDtop([], { cols: 140, rows: 45 });
	try {
		await s.waitFor(/syscall/, 15_000);
		await submit(s, "/", `pid${srv.pid}:libc.so.6::entry`);
		await s.waitFor(new RegExp(`pid${srv.pid}  prefork`), 10_000);
		await select(s, new RegExp(`pid${srv.pid}  prefork`));
		s.press(KEYS.space);
		await s.waitFor(/Enable [\d,]+ probes/, 5000);
		const n = Number(/Enable ([\d,]+) probes/.exec(s.text())?.[1].replace(/,/g, ""));
		assert.ok(n > 100, `libc has more than 100 functions: ${n}`);
		s.press("n");
		await s.waitFor(/Nothing enabled\./, 3000);
		assert.match(s.lines()[0], /\| {2}0 probes/);
		await quit(s);
	} finally {
		s.kill();
	}
});
