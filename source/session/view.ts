// The read-only picture of a tracing session that the UI and batch printers
// render. The session produces a fresh SessionView every tick; nothing in it is
// live kernel state.

import type { SymValue } from "../output/model.ts";
import type { SpecCounts } from "./speculation.ts";

export type AggFunction = "count" | "sum" | "avg" | "min" | "max" | "stddev" | "quantize" | "lquantize" | "llquantize";

/** One component of an aggregation key. Strings are raw (not yet escaped). */
export type KeyPart =
	/** `size`/`signed`: the key's D type (DTrace prints it at that width); 8 and signed when absent. */
	| { kind: "int"; value: bigint; size?: 1 | 2 | 4 | 8; signed?: boolean }
	/** `sym`: a func()/ufunc() & co key, `value` its text (`module`function`). */
	| { kind: "string"; value: string; sym?: SymValue }
	/** A symbolized stack, innermost frame first, each `module`function+0xoff`. */
	| { kind: "stack"; frames: string[]; user: boolean };

/** A histogram bucket: values in [lo, hi) counted `count` times (DTrace's buckets). */
export interface HistogramBucket {
	/** Lower bound of the bucket; for quantize a power of two (or 0 / negative powers). */
	lo: bigint;
	count: number;
	/** DTrace's underflow/overflow rows for lquantize: `< lo` and `>= hi`. */
	edge?: "under" | "over";
}

export interface AggRow {
	key: KeyPart[];
	/** The aggregated value as DTrace prints it (count, sum, avg, min, max, stddev). For
	 * quantize/lquantize: the total number of values recorded. */
	value: number;
	histogram?: HistogramBucket[];
	/** Firings per second during the last tick. */
	rate: number;
	/** Firings in the last 10 s and 60 s (sliding windows), and since enabled. */
	last10s: number;
	last60s: number;
	total: number;
	/** Firings per tick, oldest first, up to 60 entries (for sparklines). */
	history: number[];
}

export interface AggregationView {
	/** Aggregation name without `@` ("" for the anonymous one). */
	name: string;
	fn: AggFunction;
	/** D text of each key expression, e.g. ["execname", "ustack()"]. */
	keys: string[];
	/** D text of the aggregating function's arguments, e.g. ["timestamp - self->ts"] (absent: none). */
	args?: string[];
	rows: AggRow[];
	/** llquantize's parameters (its rows' histogram buckets are in DTrace's order). */
	llquantize?: { factor: number; lmag: number; hmag: number; steps: number };
	/** lquantize's parameters: an aggregation without rows still prints its range in a joined printa(). */
	lquantize?: { base: number; step: number; levels: number };
	/** Keys evicted from an LRU aggregation map since enabled (lost data: shown, never hidden). */
	evictions: number;
}

export interface EnablingView {
	id: number;
	/** The clause as D text. */
	d: string;
	/** A short label: the probe description, or the clause's first description. */
	label: string;
	probes: number;
	rate: number;
	total: number;
	history: number[];
	aggregations: AggregationView[];
	/** Events the kernel could not record (full maps, failed stack walks). */
	drops: number;
	evictions: number;
	/** Strings cut at strsize (DTrace cuts them silently). */
	truncated?: number;
	/** Runtime faults (division by zero, unreadable addresses): each abandoned its clause's firing. */
	faults?: number;
	/** Associative array stores refused because the array was full (DTrace's dynamic variable drops). */
	dynDrops?: number;
	/** Failed speculations and speculative drops (absent: the enabling has no speculations). */
	speculation?: SpecCounts;
	error?: string;
	/** Probes the kernel refused alone (skipped; the rest attached): a summary line, then one per probe; filled by the UI's controller. */
	skipped?: string[];
	/** Its global variables and associative arrays, read at the tick (absent: it has none). */
	variables?: VariableView[];
	/** Per-event records (printf, trace, the default action) per second; set by the UI's controller. */
	eventRate?: number;
	/** The probes' arguments as their notes describe them (USDT: size, sign, where), one line each; filled by the UI's controller. */
	arguments?: string[];
}

/** A D variable of an enabling (var-view.ts): a global scalar, or an associative array's elements. */
export type VariableView =
	| { kind: "scalar"; name: string; value: KeyPart }
	/** `count`: elements in the array; `elements`: the first of them (largest values first). */
	| { kind: "assoc"; name: string; count: number; elements: { key: KeyPart[]; value: KeyPart }[] }
	| { kind: "error"; text: string };

export interface SessionView {
	host: string;
	kernel: string;
	cpus: number;
	tickMs: number;
	paused: boolean;
	/** Sum of enablings' rates. */
	rate: number;
	drops: number;
	evictions: number;
	/** Strings cut at strsize, over every enabling. */
	truncated?: number;
	/** Runtime faults, over every enabling. */
	faults?: number;
	enablings: EnablingView[];
	/** Milliseconds since the session started. */
	uptimeMs: number;
	/** Times the kernel's process-event ring overflowed (each answered by a /proc rescan); set by the UI's controller. */
	processOverflows?: number;
}

/** Two views of a session with nothing enabled that show the same (the uptime aside, which nothing shows). */
export function sameIdleView(a: SessionView, b: SessionView): boolean {
	return (
		a.enablings.length === 0 &&
		b.enablings.length === 0 &&
		a.host === b.host &&
		a.kernel === b.kernel &&
		a.cpus === b.cpus &&
		a.tickMs === b.tickMs &&
		a.paused === b.paused &&
		a.rate === b.rate &&
		a.drops === b.drops &&
		a.evictions === b.evictions &&
		a.truncated === b.truncated &&
		a.faults === b.faults &&
		a.processOverflows === b.processOverflows
	);
}
