// Section 6: the interactive UI as a terminal sees it. The real `scripts/dtop
// --demo` runs in a pseudo-terminal (node-pty) of 120×40 whose output feeds a
// headless xterm.js, so "a full frame" means what a user would see.
import { readFileSync } from "node:fs";
import xterm from "@xterm/headless";
import * as pty from "node-pty";
import { IDLE_METHOD, idleRows } from "./idle.ts";
import {
	adopt,
	DTOP,
	ensureBuilt,
	fmt,
	median,
	progress,
	type Row,
	ratio,
	type SectionResult,
	sleep,
	spread,
} from "./util.ts";

const { Terminal } = xterm as unknown as { Terminal: typeof import("@xterm/headless").Terminal };
const COLS = 120;
const ROWS = 40;
const CLAUSE = "simple$target:::saw-line { @[arg0] = count(); }";

interface UiRun {
	firstFrameMs: number;
	/** UTF-8 bytes of the steady screen's text (trailing blanks trimmed, no colours): a full redraw's lower bound. */
	screenBytes: number;
	perTick: number[];
}

function childrenOf(pid: number): number[] {
	try {
		return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
	} catch {
		return [];
	}
}

async function oneRun(steadyTicks: number): Promise<UiRun> {
	const term = new Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
	ensureBuilt();
	const t0 = performance.now();
	const p = pty.spawn(DTOP, ["--demo"], {
		name: "xterm-256color",
		cols: COLS,
		rows: ROWS,
		env: { ...process.env, CI: "false", TERM: "xterm-256color", LANG: "C.UTF-8" } as Record<string, string>,
	});
	adopt(p.pid);
	let bytes = 0;
	let first: { ms: number } | undefined;
	const lines = () => {
		const b = term.buffer.active;
		const out: string[] = [];
		for (let i = 0; i < ROWS; i++) out.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? "");
		return out;
	};
	// A full frame: the header on the top row, the key footer on one of the bottom rows, and the probe tree.
	const full = (l: string[]) =>
		/^dtop\s/.test(l[0]) && l.slice(-3).some((x) => /q Quit/.test(x)) && l.some((x) => /▸|>/.test(x));
	let pending = Promise.resolve();
	p.onData((d) => {
		const n = Buffer.byteLength(d);
		const at = performance.now();
		pending = pending.then(
			() =>
				new Promise<void>((r) =>
					term.write(d, () => {
						bytes += n;
						if (!first && full(lines())) first = { ms: at - t0 };
						r();
					}),
				),
		);
	});
	const exited = new Promise<void>((r) => p.onExit(() => r()));
	try {
		const deadline = performance.now() + 30_000;
		while (!first && performance.now() < deadline) await sleep(10);
		if (!first) throw new Error(`no full frame within 30 s; the screen:\n${lines().join("\n")}`);
		for (const c of childrenOf(p.pid)) adopt(c);
		// Enable the demo's probe through the D prompt, then let it settle.
		p.write(":");
		await sleep(300);
		p.write(CLAUSE);
		await sleep(300);
		p.write("\r");
		const until = performance.now() + 10_000;
		while (!lines().some((l) => /saw-line/.test(l) && /\d+\/s/.test(l)) && performance.now() < until) await sleep(50);
		await sleep(3000);
		const perTick: number[] = [];
		for (let i = 0; i < steadyTicks; i++) {
			const b0 = bytes;
			await sleep(1000);
			perTick.push(bytes - b0);
		}
		const screenBytes = Buffer.byteLength(lines().join("\r\n"));
		return { firstFrameMs: first.ms, screenBytes, perTick };
	} finally {
		p.write("q");
		await Promise.race([exited, sleep(5000)]);
		try {
			process.kill(p.pid, "SIGKILL");
		} catch {
			// gone
		}
		term.dispose();
	}
}

export async function ui(opts: { quick: boolean }): Promise<SectionResult> {
	const RUNS = 3;
	const TICKS = opts.quick ? 4 : 8;
	const runs: UiRun[] = [];
	const nodeMs: number[] = [];
	for (let r = 0; r < RUNS; r++) {
		progress(`ui: dtop --demo in a 120×40 pty, run ${r + 1}/${RUNS}`);
		runs.push(await oneRun(TICKS));
		const t = performance.now();
		const p = pty.spawn(process.execPath, ["-e", "0"], { cols: COLS, rows: ROWS });
		await new Promise<void>((res) => p.onExit(() => res()));
		nodeMs.push(performance.now() - t);
	}
	const ff = runs.map((r) => r.firstFrameMs);
	const fb = runs.map((r) => r.screenBytes);
	const ticks = runs.flatMap((r) => r.perTick);
	const perRun = runs.map((r) => median(r.perTick));
	const rows: Row[] = [
		{
			what: "time to first full frame (`dtop --demo`, 120×40)",
			dtop: fmt(median(ff), "ms"),
			peer: fmt(median(nodeMs), "ms"),
			ratio: ratio(median(ff), median(nodeMs)),
			notes: `peer: \`node -e 0\` in the same pty; dtop ${spread(ff, "ms")}`,
		},
		{
			what: "bytes written per steady-state tick (one enabled clause, 120×40)",
			dtop: fmt(median(perRun), "B", 0),
			peer: fmt(median(fb), "B", 0),
			ratio: ratio(median(perRun), median(fb)),
			notes: `peer: the steady screen's text alone (no colours), the least a full redraw writes; max tick ${fmt(Math.max(...ticks), "B", 0)}; goal ≤ 4,096 B`,
		},
	];
	const b = median(perRun);
	const idle = await idleRows();
	rows.push(...idle.rows);
	return {
		id: "ui",
		title: "6. Interactive UI",
		method:
			"`scripts/dtop --demo` runs in a 120×40 pseudo-terminal (node-pty, `CI=false`, `TERM=xterm-256color`); its output " +
			"feeds a headless xterm.js. First full frame: the time from spawn until the emulated screen shows the header on " +
			"the top row, the probe tree and the key footer. Then `:` and the clause " +
			`\`${CLAUSE}\` are typed and, 3 s after its rate shows, the bytes written in each of ${TICKS} one-second ticks are ` +
			`counted (the demo fires ~300 times a second, so the rate, totals, sparkline and breakdown change every tick). ` +
			`${RUNS} runs; medians (of each run's median tick). ${IDLE_METHOD}`,
		rows,
		after: [
			`Goal: ≤ 4 KB per steady-state tick at 120×40 — ${fmt(b, "B", 0)} (${b <= 4096 ? "met" : "missed"}).`,
			...idle.after,
		],
	};
}
