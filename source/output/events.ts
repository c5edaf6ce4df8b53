// The consumer's side of dtrace(1): records in, text out. An EventFormatter
// holds what DTrace keeps between records — whether the heading was printed,
// the aggregations' latest snapshots with their normalization and whether
// printa() printed them, the exit status — and turns each record into the
// bytes dtrace would print for it. It does no I/O: the consumer writes the
// text, and applies the returned effects (clear(), trunc()) to the kernel.

import { jsonStringify } from "../util/escape.ts";
import { AggBaselines } from "./aggbase.ts";
import { clearAggregation, denormalizeAggregation, normalizeAggregation, truncAggregation } from "./aggops.ts";
import { formatAggregations, formatPrinta } from "./aggregate.ts";
import { jsonInt } from "./export.ts";
import type { AggOptions, AggRow, AggregationSnapshot, DValue, EventRecord } from "./model.ts";
import { setOutputOption } from "./options.ts";
import { type FormatContext, formatPrintf, stackIndent } from "./printf.ts";
import { type ParsedFormat, parseFormat } from "./printf-format.ts";
import { stackText } from "./symbols.ts";
import { defaultHeader, formatSymAction, formatTrace, probeLinePrefix } from "./trace.ts";

export interface EventOptions {
	/** -q / quiet: no heading, no per-record line, trace() unpadded. */
	quiet?: boolean;
	/** dtrace's test-suite mode (_DTRACE_TESTING): no CPU and ID columns. */
	testing?: boolean;
	agg?: AggOptions;
	ctx?: FormatContext;
}

/** What a record asks of the kernel's maps, for the consumer to carry out. */
export type Effect = { kind: "clear"; aggregation: number } | { kind: "trunc"; aggregation: number; removed: AggRow[] };

export interface Formatted {
	text: string;
	effects: Effect[];
	/** exit(status) was among the actions. */
	exit?: number;
}

export class EventFormatter {
	private headed = false;
	private readonly aggs = new Map<number, AggregationSnapshot>();
	/** The kernel's totals as last given to update(); aggs holds them less what clear() and trunc() took. */
	private readonly raw = new Map<number, AggregationSnapshot>();
	private readonly baselines = new AggBaselines();
	/** normalize() factors and printed marks outlive each snapshot, as in DTrace's aggregation descriptions. */
	private readonly normal = new Map<number, bigint>();
	private readonly printed = new Set<number>();
	exitStatus: number | undefined;
	/** Parsed printf formats: a program has a few, its records repeat them (10⁵ a second). */
	private readonly formats = new Map<string, ParsedFormat>();

	private readonly o: EventOptions;

	constructor(o: EventOptions = {}) {
		this.o = { ...o, agg: { ...o.agg }, ctx: { ...o.ctx } };
	}

	/**
	 * setopt(), or an option set while running: the output options (quiet, the
	 * aggsort* family, agghist, aggpack, aggzoom, stackindent). Returns false
	 * for other options; throws OptionValueError for a value DTrace refuses.
	 */
	setOption(option: string, value?: string): boolean {
		const opts = { ...this.o.agg, quiet: this.o.quiet, stackindent: this.o.ctx?.stackIndent };
		if (!setOutputOption(opts, option, value)) return false;
		const { quiet, stackindent, ...agg } = opts;
		this.o.quiet = quiet;
		this.o.agg = agg;
		this.o.ctx = { ...this.o.ctx, stackIndent: stackindent, zoom: agg.aggzoom };
		return true;
	}

	/**
	 * The latest snapshots (every aggrate tick): every aggregation of the
	 * program, with no rows when nothing was recorded yet (printa() of several
	 * aggregations prints zeros for one that has none). State set by actions
	 * (normalize(), printed marks) is kept.
	 */
	update(snapshots: Iterable<AggregationSnapshot>): void {
		for (const s of snapshots) {
			this.raw.set(s.id, s);
			this.aggs.set(s.id, this.baselines.apply(s));
		}
	}

	/** A snapshot as it prints now: with its normalization and printed mark. */
	aggregation(id: number): AggregationSnapshot | undefined {
		const a = this.aggs.get(id);
		if (!a) return undefined;
		return { ...a, normal: this.normal.get(id) ?? a.normal, printed: this.printed.has(id) || a.printed };
	}

	private set(id: number, a: AggregationSnapshot): void {
		this.aggs.set(id, a);
		if (a.normal !== 1n) this.normal.set(id, a.normal);
		else this.normal.delete(id);
	}

	/** What the fast path (source/session/direct-print.ts) formats with; the same as format()'s. */
	directOptions(): { quiet: boolean; testing: boolean; ctx: FormatContext } {
		return { quiet: this.o.quiet === true, testing: this.o.testing === true, ctx: this.o.ctx ?? {} };
	}

	/** The heading due before the first record (once; "" when quiet), for text written without format(). */
	takeHeading(): string {
		if (this.headed) return "";
		this.headed = true;
		return this.o.quiet === true ? "" : defaultHeader(this.o.testing === true);
	}

	format(rec: EventRecord): Formatted {
		const quietAtStart = this.o.quiet === true;
		const { testing = false } = this.o;
		let text = "";
		if (!this.headed) {
			if (!quietAtStart) text += defaultHeader(testing);
			this.headed = true;
		}
		if (!quietAtStart) text += probeLinePrefix(rec.cpu, rec.probe, testing);
		const done = this.run(rec);
		text += done.pieces.join("");
		// dtrace(1) ends a record's line unless quiet (it rereads quiet after setopt()).
		if (this.o.quiet !== true) text += "\n";
		return { text, effects: done.effects, exit: done.exit };
	}

	/**
	 * --json: a record as one JSON line (README, "JSON output"): its CPU,
	 * enabled probe id, probe, timestamp, and each action that ran with what it
	 * printed (`text`) and, for trace(), the value. The same state as format().
	 */
	formatJson(rec: EventRecord): Formatted {
		const done = this.run(rec, true);
		const p = rec.probe;
		const actions = rec.actions.map((a, i) => {
			const o: Record<string, unknown> = { action: a.kind };
			if (a.kind === "trace") o.value = valueJson(a.value);
			if (a.kind === "exit") o.status = a.status;
			if (a.kind === "printa") o.aggregations = a.aggregations.map((id) => this.aggs.get(id)?.name ?? null);
			if (done.pieces[i]) o.text = done.pieces[i];
			return o;
		});
		const line = {
			event: true,
			cpu: rec.cpu,
			id: rec.epid,
			probe: `${p.provider}:${p.module}:${p.function}:${p.name}`,
			timestamp: jsonInt(rec.timestamp),
			actions,
		};
		return { text: `${jsonStringify(line)}\n`, effects: done.effects, exit: done.exit };
	}

	/** Runs a record's actions: what each printed (in order), the effects and exit status. */
	private run(rec: EventRecord, json = false): { pieces: string[]; effects: Effect[]; exit?: number } {
		const effects: Effect[] = [];
		const pieces: string[] = [];
		let exit: number | undefined;
		for (const a of rec.actions) {
			const ctx = this.o.ctx ?? {};
			let text = "";
			switch (a.kind) {
				case "trace":
					text += formatTrace(a.value, json || this.o.quiet === true, ctx);
					break;
				case "printf":
					{
						let f = this.formats.get(a.format);
						if (!f) this.formats.set(a.format, (f = parseFormat(a.format)));
						text += formatPrintf(f, a.args, ctx);
					}
					break;
				case "printa": {
					const snaps = a.aggregations.map((id) => this.aggregation(id)).filter((s) => s !== undefined);
					if (snaps.length !== a.aggregations.length) {
						// An aggregation no key was recorded in yet prints as if empty.
						text += a.format === undefined ? "\n" : "";
						break;
					}
					text += formatPrinta(snaps, a.format, { ...this.o.agg, ctx });
					for (const s of snaps) if (s.printed) this.printed.add(s.id);
					break;
				}
				case "stack":
					text += stackText(a.value, stackIndent(ctx), {}, ctx.symbolize);
					break;
				case "sym":
					text += formatSymAction(a.value, ctx);
					break;
				case "exit":
					exit = a.status;
					this.exitStatus = a.status;
					break;
				case "clear": {
					const raw = this.raw.get(a.aggregation);
					if (raw) this.baselines.clear(raw);
					const s = this.aggs.get(a.aggregation);
					if (s)
						this.set(a.aggregation, { ...clearAggregation(s), normal: this.normal.get(a.aggregation) ?? s.normal });
					effects.push({ kind: "clear", aggregation: a.aggregation });
					break;
				}
				case "trunc": {
					const s = this.aggs.get(a.aggregation);
					if (!s) break;
					const { kept, removed } = truncAggregation(s, a.keep);
					const raw = this.raw.get(a.aggregation);
					if (raw) this.baselines.trunc(raw, removed);
					this.aggs.set(a.aggregation, kept);
					effects.push({ kind: "trunc", aggregation: a.aggregation, removed });
					break;
				}
				case "normalize": {
					const s = this.aggs.get(a.aggregation);
					if (s) this.set(a.aggregation, normalizeAggregation(s, a.normal));
					else this.normal.set(a.aggregation, a.normal);
					break;
				}
				case "setopt":
					this.setOption(a.option, a.value);
					break;
				case "denormalize": {
					const s = this.aggs.get(a.aggregation);
					if (s) this.set(a.aggregation, denormalizeAggregation(s));
					this.normal.delete(a.aggregation);
					break;
				}
			}
			pieces.push(text);
		}
		return { pieces, effects, exit };
	}

	/**
	 * The end of the run: dtrace's newline after the last record, then every
	 * aggregation printa() did not print. (When Ctrl-C ends the run, dtrace
	 * first prints interruptText(), before END's records.)
	 */
	end(): string {
		const all = [...this.aggs.keys()].map((id) => this.aggregation(id)!);
		return `\n${formatAggregations(all, { ...this.o.agg, ctx: this.o.ctx })}`;
	}

	/** What dtrace prints when Ctrl-C arrives (before END fires): a newline, except in testing mode. */
	interruptText(): string {
		return this.o.testing ? "" : "\n";
	}
}

/** trace()'s value in a JSON record: integers exact (numbers, or decimal strings beyond 2^53), strings as they are. */
function valueJson(v: DValue): unknown {
	if (v.kind === "int")
		return jsonInt(v.signed ? BigInt.asIntN(v.size * 8, v.value) : BigInt.asUintN(v.size * 8, v.value));
	if (v.kind === "string") return v.value;
	return null;
}
