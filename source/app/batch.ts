// Batch output: tick every aggrate, print every --interval and at the end
// (duration over, the target exited, or a signal), as dtrace(1) does.
import { renameSync, writeFileSync } from "node:fs";
import { flameRowsOf } from "../output/flame-rows.ts";
import { flameGraphSvg } from "../output/flamegraph-svg.ts";
import { formatAll, formatFolded, formatJson } from "../output/printa.ts";
import type { Session } from "../session/session.ts";
import type { SessionView } from "../session/view.ts";
import { escapeForTerminal } from "../util/escape.ts";
import { type LongTimer, longInterval, longTimeout } from "../util/timers.ts";
import type { Flags } from "./flags.ts";
import type { Io } from "./io.ts";
import type { Target } from "./process.ts";
import { Ticker } from "./ticker.ts";

function print(ticker: Ticker, flags: Flags, io: Io): SessionView {
	const view = ticker.now();
	if (flags.json) io.out(formatJson(view));
	else if (flags.folded) io.out(formatFolded(view));
	else io.out(formatAll(view));
	for (const e of view.enablings) {
		if (e.drops) io.err(`dtop: ${e.drops} events dropped by '${e.label}' (full maps or failed stack walks)\n`);
		if (e.evictions) io.err(`dtop: ${e.evictions} keys evicted from '${e.label}' (raise the map size)\n`);
	}
	return view;
}

/** --flamegraph FILE: the stack aggregations as an SVG flame graph, written whole or not at all. */
function writeFlameGraph(view: SessionView, file: string, io: Io): boolean {
	const rows = flameRowsOf(view);
	const shown = escapeForTerminal(file);
	if (rows.length === 0) {
		io.err(`dtop: no stacks to draw in ${shown}: no aggregation keyed by ustack() or kstack() has any rows.\n`);
		return false;
	}
	const title = view.enablings.map((e) => e.d).join(" ");
	const tmp = `${file}.${process.pid}.tmp`;
	try {
		writeFileSync(tmp, flameGraphSvg(rows, { title }));
		renameSync(tmp, file);
	} catch (e) {
		io.err(`dtop: cannot write the flame graph to ${shown}: ${(e as NodeJS.ErrnoException).code ?? e}.\n`);
		return false;
	}
	return true;
}

export async function batchLoop(session: Session, flags: Flags, io: Io, target: Target | undefined): Promise<number> {
	const ticker = new Ticker(session);
	return await new Promise<number>((resolve) => {
		let done = false;
		const timers: LongTimer[] = [];
		const finish = (code: number) => {
			if (done) return;
			done = true;
			ticker.stop();
			for (const t of timers) t.clear();
			process.off("SIGINT", onSignal);
			process.off("SIGTERM", onSignal);
			process.off("SIGHUP", onSignal);
			try {
				const view = print(ticker, flags, io);
				if (flags.flamegraph && !writeFlameGraph(view, flags.flamegraph, io) && code === 0) code = 1;
			} catch (e) {
				io.err(`dtop: ${(e as Error).message}\n`);
			}
			resolve(code);
		};
		const onSignal = () => finish(0);
		process.on("SIGINT", onSignal);
		process.on("SIGTERM", onSignal);
		process.on("SIGHUP", onSignal);
		ticker.start();
		if (flags.interval) timers.push(longInterval(() => print(ticker, flags, io), flags.interval));
		if (flags.duration) timers.push(longTimeout(() => finish(0), flags.duration * 1000));
		target?.exited.then(() => finish(0));
	});
}
