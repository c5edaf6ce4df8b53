// illumos DTrace's compact aggregation layouts (DTrace for Linux has no such
// options; these follow illumos libdtrace): agghist prints each key of a
// count() or sum() aggregation as one bar of a histogram under a "key"
// header; aggpack prints each key of a quantize() or lquantize() on one line,
// one character per bucket (UTF-8 block elements, or "_xX" and "vV" in
// ASCII), between the lowest and highest bucket any key uses; aggzoom scales
// bars so the largest fills 95 %. Other functions print in the default layout.

import { escapeForTerminal } from "../util/escape.ts";
import { cInteger, cString } from "./cformat.ts";
import type { AggOptions, AggRow, AggregationSnapshot, KeyValue } from "./model.ts";
import { QUANTIZE_NBUCKETS as NB, QUANTIZE_ZEROBUCKET as ZERO } from "./model.ts";
import { type FormatContext, stackIndent } from "./printf.ts";
import { quantizeBucketValue, quantLine } from "./quantize.ts";
import { stackText, symText } from "./symbols.ts";

const i64 = (v: bigint) => BigInt.asIntN(64, v);
const abs = (v: bigint) => (v < 0n ? -v : v);
const bigMax = (a: bigint, b: bigint) => (a > b ? a : b);
const PACKED_WIDTH: Record<number, number> = { 1: 3, 2: 5, 4: 8, 8: 16 };

/** Column width of a key component in the packed layouts (each plus one space). */
function keyWidth(k: KeyValue): number {
	return k.kind === "int" ? PACKED_WIDTH[k.size] : 16;
}

function packedKey(k: KeyValue, ctx: FormatContext): string {
	switch (k.kind) {
		case "int":
			return ` ${cInteger(k.size >= 4 ? BigInt.asIntN(k.size * 8, k.value) : BigInt.asUintN(k.size * 8, k.value), "d", { width: PACKED_WIDTH[k.size] })}`;
		case "string":
			return ` ${cString(escapeForTerminal(k.value), { width: 16 })}`;
		case "sym":
			return `  ${cString(symText(k, ctx.symbolize), { width: 50, left: true })}`;
		case "stack":
			return stackText(k, stackIndent(ctx), {}, ctx.symbolize);
	}
}

/** illumos dt_ndigits: digits of a value for the packed header, at least 4. */
export function ndigits(v: bigint): number {
	let n = 1;
	let cmp = 10n;
	let val = i64(v);
	if (val < 0n) {
		val = val === -(1n << 63n) ? (1n << 63n) - 1n : -val;
		n++;
	}
	while (val > cmp && cmp > 0n) {
		n++;
		cmp = i64(cmp * 10n);
	}
	return Math.max(n, 4);
}

/** One bucket's character: round(|datum| * (levels - 1) / total) into the scale. */
function packedChar(datum: bigint, total: bigint, zoom: boolean, utf8: boolean): string {
	if (datum === 0n) return " ";
	const level = (k: number) => {
		const num = abs(datum) * BigInt(k) * (zoom ? 19n : 1n);
		const den = total * (zoom ? 20n : 1n);
		return den === 0n ? 0 : Number((2n * num + den) / (2n * den));
	};
	if (datum < 0n) return "vvvvVV"[Math.min(level(5), 5)];
	if (utf8) return String.fromCharCode(0x2581 + Math.min(level(7), 7));
	return "__xxxxXX"[Math.min(level(7), 7)];
}

export interface Packed {
	header: string;
	row(r: AggRow): string;
}

function keysText(r: AggRow, ctx: FormatContext): string {
	return r.key.map((k) => packedKey(k, ctx)).join("");
}

/** The agghist/aggpack printer for an aggregation, or undefined when its layout is the default. */
export function packedPrinter(
	a: AggregationSnapshot,
	rows: AggRow[],
	o: AggOptions,
	ctx: FormatContext,
): Packed | undefined {
	if (!rows.length) return undefined;
	const width = rows[0].key.reduce((n, k) => n + keyWidth(k) + 1, 0);
	const zoom = o.aggzoom === true;
	if (o.agghist && (a.fn === "count" || a.fn === "sum")) {
		const values = rows.map((r) => (r.data.fn === a.fn ? i64((r.data as { value: bigint }).value) : 0n));
		// The bar total: the sum of |values|, or with aggzoom the largest |value| / 0.95 (truncated).
		const total = values.reduce(
			(t, v) => (zoom ? ((abs(v) * 20n) / 19n > t ? (abs(v) * 20n) / 19n : t) : t + abs(v)),
			0n,
		);
		const scale = { total, positives: values.some((v) => v > 0n), negatives: values.some((v) => v < 0n) };
		const header = `\n${(width ? "key" : "value").padStart(width || 16)} ${"------------- Distribution -------------".padStart(41)} ${"count".padEnd(9)}\n`;
		return {
			header,
			row: (r) => `${keysText(r, ctx)} ${quantLine(i64((r.data as { value: bigint }).value), a.normal, scale)}`,
		};
	}
	if (!o.aggpack || (a.fn !== "quantize" && a.fn !== "lquantize")) return undefined;
	const utf8 = o.encoding !== "ascii";
	const dashes = (n: number) => "-".repeat(Math.max(0, n));
	const label = (s: string, w: number) => (w ? s.padStart(w) : "");
	if (a.fn === "lquantize") {
		const p = a.lquantize ?? (rows[0].data.fn === "lquantize" ? rows[0].data.params : { base: 0, step: 1, levels: 1 });
		const top = `>= ${(p.base + Math.imul(p.levels, p.step)) | 0}`;
		const header = `\n${label(width ? "key" : "", width)} ${"min".padStart(7)} .${dashes(p.levels + 2)}. ${"max".padEnd(8)} | count\n`;
		return {
			header,
			row: (r) => {
				const b = r.data.fn === "lquantize" ? r.data.buckets.map(i64) : [];
				const total = b.reduce((t, v) => (zoom ? bigMax(abs(v), t) : t + abs(v)), 0n);
				const count = b.reduce((t, v) => t + v, 0n);
				const chars = b.map((v) => packedChar(v, total, zoom, utf8)).join("");
				return `${keysText(r, ctx)}${`< ${p.base}`.padStart(8)} :${chars}: ${top.padEnd(8)} | ${count}\n`;
			},
		};
	}
	// quantize: one range for all keys, from the lowest bucket any key uses to the highest.
	let min = Number.POSITIVE_INFINITY;
	let max = -1;
	for (const r of rows) {
		if (r.data.fn !== "quantize") continue;
		const b = r.data.buckets;
		let lo = b.findIndex((v) => i64(v) !== 0n);
		let hi = b.length - 1 - [...b].reverse().findIndex((v) => i64(v) !== 0n);
		if (lo < 0) lo = hi = ZERO;
		min = Math.min(min, lo);
		max = Math.max(max, hi);
	}
	if (min !== 0 && min !== ZERO) min--;
	if (max < NB - 1) max++;
	const minval = quantizeBucketValue(min);
	const maxval = quantizeBucketValue(max);
	const header = `\n${label(width ? "key" : "", width)} ${"min".padStart(ndigits(minval))} .${dashes(max - min + 1)}. ${"max".padEnd(ndigits(maxval))} | count\n`;
	return {
		header,
		row: (r) => {
			const b = r.data.fn === "quantize" ? r.data.buckets.map(i64) : [];
			let total = 0n;
			let count = 0n;
			for (let i = min; i <= max; i++) {
				const v = b[i] ?? 0n;
				total = zoom ? bigMax(abs(v), total) : total + abs(v);
				count += v;
			}
			let chars = "";
			for (let i = min; i <= max; i++) chars += packedChar(b[i] ?? 0n, total, zoom, utf8);
			return `${keysText(r, ctx)} ${minval.toString().padStart(ndigits(minval))} :${chars}: ${maxval.toString().padEnd(ndigits(maxval))} | ${count}\n`;
		},
	};
}
