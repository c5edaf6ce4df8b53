// Batch output, as dtrace(1) runs: per-event records written as they arrive
// (every switchrate), aggregations every --interval and at the end. The end is
// exit() in a probe, the duration, the target's exit or a signal; then every
// program stops recording, END runs, its records are written, and the
// aggregations print. The exit status is exit()'s.
import { renameSync, writeFileSync } from "node:fs";
import { cpuDropLine, dropLine, errorLine, inErrorClause } from "../output/diagnostics.ts";
import { EventFormatter } from "../output/events.ts";
import { flameRowsOf } from "../output/flame-rows.ts";
import { flameGraphSvg } from "../output/flamegraph-svg.ts";
import type { AggOptions } from "../output/model.ts";
import { type OutputOptions, setOutputOption } from "../output/options.ts";
import { formatAll, formatFolded, formatJson, snapshots } from "../output/printa.ts";
import { DirectDrain } from "../session/direct-drain.ts";
import type { Session } from "../session/session.ts";
import { specDropLines } from "../session/speculation.ts";
import type { SessionView } from "../session/view.ts";
import { escapeForTerminal } from "../util/escape.ts";
import { type LongTimer, longInterval, longTimeout } from "../util/timers.ts";
import { fireErrors } from "./error-exit.ts";
import type { Flags } from "./flags.ts";
import type { Io } from "./io.ts";
import type { Target } from "./process.ts";
import { Ticker } from "./ticker.ts";

/** What the program's options decide about batch output. */
export interface BatchOptions {
	quiet: boolean;
	/** Milliseconds between reads of the ring buffer (the switchrate option). */
	switchMs: number;
	/** Write traced strings raw (stdout is not a terminal), as DTrace does. */
	rawStrings: boolean;
	/** DTrace's test-suite layout (_DTRACE_TESTING in the environment): no CPU and ID columns. */
	testing?: boolean;
	/** The aggsort* options (and illumos' agghist, aggpack, aggzoom), stackindent. */
	output?: OutputOptions;
	/** Called once before the last print (the catalog applies the process events queued). */
	beforeEnd?: () => void;
}

function print(ticker: Ticker, flags: Flags, io: Io, agg: AggOptions, formatter?: EventFormatter): SessionView {
	const view = ticker.now();
	if (flags.json) io.out(formatJson(view));
	else if (flags.folded) io.out(formatFolded(view));
	else if (formatter) {
		// dtrace(1) ends per-event output with a newline, then prints the aggregations printa() did not.
		formatter.update(snapshots(view));
		io.out(formatter.end());
	} else io.out(formatAll(view, agg));
	for (const e of view.enablings) {
		if (e.drops) io.err(`dtop: ${e.drops} events dropped by '${e.label}' (full maps or failed stack walks)\n`);
		if (e.evictions) io.err(`dtop: ${e.evictions} keys evicted from '${e.label}' (raise the map size)\n`);
		// DTrace's line: "dtrace: 1 dynamic variable drop".
		if (e.dynDrops) io.err(dropLine("dynamic", e.dynDrops));
		if (e.speculation) io.err(specDropLines(e.speculation));
		if (e.truncated)
			io.err(`dtop: ${e.truncated} strings cut at strsize by '${e.label}' (raise it with -x strsize=N)\n`);
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

/** The output options among D's options (-x, #pragma D option), as the formatters take them. */
export function outputOptions(options: ReadonlyMap<string, boolean | number | string>): OutputOptions {
	const o: OutputOptions = {};
	for (const [name, v] of options) {
		if (name === "quiet") continue;
		// D's options parse to true/false or a number; the formatters read DTrace's words.
		setOutputOption(o, name, v === true ? undefined : v === false ? "" : String(v));
	}
	return o;
}

/** DTrace's statusrate (1 s): how often it reports the drops it counted. */
const STATUS_MS = 1000;

/** Actions that read the aggregations as they are when the record is reached. */
const AGG_READERS = new Set(["printa", "clear", "trunc", "normalize", "denormalize"]);

export async function batchLoop(
	session: Session,
	flags: Flags,
	io: Io,
	target: Target | undefined,
	opts: BatchOptions,
): Promise<number> {
	const ticker = new Ticker(session);
	const { quiet: _, stackindent, ...agg } = opts.output ?? {};
	const formatter = new EventFormatter({
		quiet: opts.quiet,
		testing: opts.testing,
		agg,
		ctx: { strings: opts.rawStrings ? "raw" : "escape", stackIndent: stackindent, zoom: agg.aggzoom },
	});
	let exitStatus: number | undefined;
	const direct = flags.json ? undefined : new DirectDrain(formatter.directOptions());
	/** The last drain found the ring a sixteenth full or more: drain again now rather than at the next switchrate tick. */
	let busy = false;
	/** Faults in ERROR clauses not reported yet, and when they last were. */
	let errorErrors = 0;
	let errorErrorsAt = 0;
	const flushErrorErrors = () => {
		if (errorErrors > 0) io.err(dropLine("error-in-error", errorErrors));
		errorErrors = 0;
		errorErrorsAt = Date.now();
	};
	/** Write what arrived; true when exit() was called. */
	const pump = (): boolean => {
		direct?.configure(formatter.directOptions());
		const fast = direct && session.pollEventText(direct);
		busy = fast !== undefined && fast.fill >= 1 / 16;
		if (fast) {
			for (const [cpu, n] of fast.drops) io.err(cpuDropLine(n, cpu));
			if (fast.records > 0) {
				const heading = formatter.takeHeading();
				if (heading) io.out(heading);
				if (io.outBytes) io.outBytes(fast.text);
				else io.out(fast.text.toString("utf8"));
			}
			const state = session.exitState();
			if (state.stopped && exitStatus === undefined) exitStatus = state.status;
			return exitStatus !== undefined;
		}
		const batch = session.pollEvents();
		batch.records = fireErrors(session, batch, (f) => {
			// A fault in an ERROR clause is not reported on its own line: DTrace counts it
			// (DTRACEDROP_DBLERROR) and reports the count with its other drops.
			if (inErrorClause(f)) errorErrors++;
			else io.err(errorLine(f));
		});
		// After fireErrors: its reads of what ERROR wrote take the drops counted meanwhile.
		for (const [cpu, n] of batch.drops) io.err(cpuDropLine(n, cpu));
		if (errorErrors > 0 && Date.now() - errorErrorsAt >= STATUS_MS) flushErrorErrors();
		let text = "";
		// printa() prints the aggregations as they are now (DTrace snapshots them when it reads the record).
		if (batch.records.some((r) => r.actions.some((a) => AGG_READERS.has(a.kind))))
			formatter.update(snapshots(ticker.now()));
		for (const r of batch.records) {
			const out = flags.json ? formatter.formatJson(r) : formatter.format(r);
			text += out.text;
			if (out.exit !== undefined && exitStatus === undefined) exitStatus = out.exit;
		}
		if (text) io.out(text);
		const state = session.exitState();
		if (state.stopped && exitStatus === undefined) exitStatus = state.status;
		return exitStatus !== undefined;
	};
	return await new Promise<number>((resolve) => {
		let done = false;
		const timers: LongTimer[] = [];
		const finish = (code: number, interrupted = false) => {
			if (done) return;
			done = true;
			ticker.stop();
			for (const t of timers) t.clear();
			process.off("SIGINT", onSignal);
			process.off("SIGTERM", onSignal);
			process.off("SIGHUP", onSignal);
			try {
				opts.beforeEnd?.();
				if (session.recording) {
					pump();
					if (interrupted && !flags.json) io.out(formatter.interruptText());
					session.end();
					pump();
				}
				flushErrorErrors();
				const view = print(ticker, flags, io, agg, session.recording ? formatter : undefined);
				if (flags.flamegraph && !writeFlameGraph(view, flags.flamegraph, io) && code === 0) code = 1;
			} catch (e) {
				io.err(`dtop: ${(e as Error).message}\n`);
			}
			resolve(exitStatus ?? code);
		};
		const onSignal = () => finish(0, true);
		process.on("SIGINT", onSignal);
		process.on("SIGTERM", onSignal);
		process.on("SIGHUP", onSignal);
		ticker.start();
		const step = () => {
			if (done) return;
			try {
				if (pump()) finish(0);
				else if (busy) setImmediate(step);
			} catch (e) {
				io.err(`dtop: ${(e as Error).message}\n`);
				finish(1);
			}
		};
		if (session.recording) timers.push(longInterval(step, opts.switchMs));
		if (flags.interval) timers.push(longInterval(() => print(ticker, flags, io, agg), flags.interval));
		if (flags.duration) timers.push(longTimeout(() => finish(0), flags.duration * 1000));
		target?.exited.then(() => finish(0));
		// BEGIN may have written records, or called exit(), already.
		if (session.recording) step();
	});
}
