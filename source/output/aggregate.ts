// Aggregations printed as DTrace prints them: printa(@a) (a newline, then
// one line per key: each key component in its column, " %16lld" for the
// value), printa(@a, @b) with rows joined on their keys (zeros where one
// lacks a key), printa(format, ...) through the format, and the printing at
// exit of every aggregation printa() has not printed, ordered by the
// aggregations' ids and each one's rows by value (dt_consume.c's
// dt_print_aggs / dt_print_datum, dt_aggregate.c's walks).

import { escapeForTerminal } from "../util/escape.ts";
import { packedPrinter } from "./aggpack.ts";
import { compareData, compareKeys, sortRows } from "./aggsort.ts";
import { emptyData, scalarValue } from "./aggvalue.ts";
import { cInteger, cString } from "./cformat.ts";
import type { AggData, AggOptions, AggRow, AggregationSnapshot, KeyValue } from "./model.ts";
import { type AggArg, cValue, type FormatContext, formatPrintaRow, stackIndent } from "./printf.ts";
import { type ParsedFormat, parseFormat } from "./printf-format.ts";
import { formatLLQuantize, formatLQuantize, formatQuantize } from "./quantize.ts";
import { stackText, symText } from "./symbols.ts";

/** DTrace's column width of an integer key by its size; strings take 50 (16 when packed). */
const INT_WIDTH: Record<number, number> = { 1: 3, 2: 5, 4: 8, 8: 16 };

/**
 * One key component in the default layout (dt_print_datum): integers
 * right-aligned by size (8- and 4-byte keys signed, 2- and 1-byte unsigned,
 * as DTrace reads them), strings and symbols "  %-50s", stacks one frame a
 * line. Key strings are always escaped (source/output/README.md, "Output and hostile strings").
 */
export function formatKey(k: KeyValue, ctx: FormatContext = {}, packed = false): string {
	switch (k.kind) {
		case "int": {
			const signed = k.size >= 4;
			return ` ${cInteger(cValue(k, signed), "d", { width: INT_WIDTH[k.size] })}`;
		}
		case "string": {
			const s = escapeForTerminal(k.value);
			return packed ? ` ${cString(s, { width: 16 })}` : `  ${cString(s, { width: 50, left: true })}`;
		}
		case "sym":
			return `  ${cString(symText(k, ctx.symbolize), { width: 50, left: true })}`;
		case "stack":
			return stackText(k, stackIndent(ctx), {}, ctx.symbolize);
	}
}

/** One aggregation value in the default layout. */
export function formatValue(d: AggData, normal: bigint, ctx: FormatContext = {}): string {
	const o = { normal, zoom: ctx.zoom };
	switch (d.fn) {
		case "quantize":
			return formatQuantize(d.buckets, o);
		case "lquantize":
			return formatLQuantize(d.params, d.buckets, o);
		case "llquantize":
			return formatLLQuantize(d.params, d.buckets, o);
		default: {
			const v = scalarValue(d, normal)!;
			// count, sum, min, max and avg are printed "%16lld"; stddev "%16llu".
			return ` ${cInteger(d.fn === "stddev" ? v.value : BigInt.asIntN(64, v.value), "d", { width: 16 })}`;
		}
	}
}

/** A whole default-layout row: keys, each value, newline. */
export function formatRow(key: KeyValue[], values: AggArg[], ctx: FormatContext = {}): string {
	let out = "";
	for (const k of key) out += formatKey(k, ctx);
	for (const v of values) out += formatValue(v.data, v.normal, ctx);
	return `${out}\n`;
}

function partId(k: KeyValue): string {
	switch (k.kind) {
		case "int":
			return `i${k.size}:${BigInt.asUintN(k.size * 8, k.value)}`;
		case "string":
			return `s${k.value.length}:${k.value}`;
		case "sym":
			return `y${k.pid ?? ""}:${k.addr}`;
		case "stack":
			return `k${k.pid ?? ""}:${k.frames.map((f) => f.pc).join(",")}:${k.text?.join("\n") ?? ""}`;
	}
}

/** Canonical text of a key, for joining rows of several aggregations. */
function keyId(key: KeyValue[]): string {
	return key.map(partId).join("\u0000");
}

export interface Bundle {
	key: KeyValue[];
	/** One value per printa() argument, in argument order (zeros where that aggregation lacks the key). */
	data: AggData[];
}

/** dtrace_aggregate_walk_joined: every key of any of the aggregations, sorted as DTrace sorts bundles. */
export function joinRows(aggs: AggregationSnapshot[], o: AggOptions = {}): Bundle[] {
	const n = aggs.length;
	const byKey = new Map<string, Bundle>();
	const lookup = aggs.map((a) => {
		const m = new Map<string, AggRow>();
		for (const r of a.rows) m.set(keyId(r.key), r);
		return m;
	});
	aggs.forEach((a) => {
		for (const r of a.rows) {
			const id = keyId(r.key);
			if (!byKey.has(id)) byKey.set(id, { key: r.key, data: [] });
		}
	});
	for (const [id, b] of byKey) b.data = aggs.map((a, i) => lookup[i].get(id)?.data ?? emptyData(a));
	const pos = o.aggsortpos !== undefined && o.aggsortpos >= 0 && o.aggsortpos < n ? o.aggsortpos : 0;
	const cmp = (l: Bundle, r: Bundle): number => {
		if (o.aggsortkey) {
			const c = compareKeys(l.key, r.key, o.aggsortkeypos);
			if (c) return c;
		}
		for (let i = 0; i < n; i++) {
			const p = (i + pos) % n;
			const c = compareData(l.data[p], r.data[p]);
			if (c) return c;
		}
		return o.aggsortkey ? 0 : compareKeys(l.key, r.key, o.aggsortkeypos);
	};
	return [...byKey.values()].sort((l, r) => (o.aggsortrev ? -cmp(l, r) : cmp(l, r)));
}

function argsOf(b: Bundle, aggs: AggregationSnapshot[]): AggArg[] {
	return b.data.map((data, i) => ({ data, normal: aggs[i].normal }));
}

export interface PrintaOptions extends AggOptions {
	ctx?: FormatContext;
}

function rowsOf(a: AggregationSnapshot, o: AggOptions): AggRow[] {
	return sortRows(a.rows, o);
}

/**
 * printa([format,] @a, ...): the text DTrace prints, and each printed
 * aggregation marked printed (DTrace then leaves it out at exit).
 */
export function formatPrinta(
	aggs: AggregationSnapshot[],
	format: string | ParsedFormat | undefined,
	o: PrintaOptions = {},
): string {
	const ctx = { zoom: o.aggzoom, ...o.ctx };
	if (!aggs.length) return "";
	const joined = aggs.length > 1 ? joinRows(aggs, o).map((b) => ({ key: b.key, args: argsOf(b, aggs) })) : undefined;
	let out = "";
	if (format === undefined) {
		out = "\n";
		if (joined) for (const r of joined) out += formatRow(r.key, r.args, ctx);
		else out += formatRows(aggs[0], rowsOf(aggs[0], o), o, ctx);
	} else {
		const p = typeof format === "string" ? parseFormat(format) : format;
		const rows =
			joined ?? rowsOf(aggs[0], o).map((r) => ({ key: r.key, args: [{ data: r.data, normal: aggs[0].normal }] }));
		for (const r of rows) out += formatPrintaRow(p, r.key, r.args, ctx);
	}
	for (const a of aggs) if (a.rows.length) a.printed = true;
	return out;
}

/** One aggregation's sorted rows in the default layout (or agghist/aggpack's when set). */
function formatRows(a: AggregationSnapshot, rows: AggRow[], o: AggOptions, ctx: FormatContext): string {
	const packed = packedPrinter(a, rows, o, ctx);
	let out = packed?.header ?? "";
	for (const r of rows) out += packed ? packed.row(r) : formatRow(r.key, [{ data: r.data, normal: a.normal }], ctx);
	return out;
}

/**
 * What DTrace prints of the aggregations when tracing ends (after the
 * newline that ends the run): every aggregation with rows that printa() has
 * not printed, in id order (reversed with aggsortrev), no blank line between.
 */
export function formatAggregations(aggs: AggregationSnapshot[], o: PrintaOptions = {}): string {
	const ctx = { zoom: o.aggzoom, ...o.ctx };
	const todo = aggs.filter((a) => !a.printed && a.rows.length).sort((x, y) => x.id - y.id);
	if (o.aggsortrev) todo.reverse();
	let out = "";
	for (const a of todo) out += formatRows(a, rowsOf(a, o), o, ctx);
	return out;
}
