// Aggregations for other programs: one JSON object per aggregation (values
// exact: numbers while they are exact in JSON readers' doubles, decimal
// strings beyond), and folded stacks ("outer;...;inner count") for
// flame-graph tools. Both escape what traced processes control: JSON with
// \u escapes (lossless), folded frames as the terminal escapes them (and ';'
// in a name, which would split a frame, as ':').

import { escapeForTerminal, jsonStringify } from "../util/escape.ts";
import { sortRows } from "./aggsort.ts";
import { scalarValue } from "./aggvalue.ts";
import type { AggData, AggOptions, AggregationSnapshot, KeyValue, Symbolizer } from "./model.ts";
import { llquantizeLabels, quantizeBucketValue } from "./quantize.ts";
import { frameText, symText } from "./symbols.ts";

const SAFE = 2n ** 53n - 1n;

/** A bigint as JSON: a number when exact, a decimal string otherwise. */
export function jsonInt(v: bigint): number | string {
	return v >= -SAFE && v <= SAFE ? Number(v) : v.toString();
}

function keyJson(k: KeyValue, symbolize?: Symbolizer): unknown {
	switch (k.kind) {
		case "int":
			return jsonInt(k.signed ? BigInt.asIntN(k.size * 8, k.value) : BigInt.asUintN(k.size * 8, k.value));
		case "string":
			return k.value;
		case "sym":
			return symText(k, symbolize);
		case "stack": {
			const n = k.text ? k.text.length : k.frames.length;
			return { stack: Array.from({ length: n }, (_, i) => frameText(k, i, symbolize)), user: k.user };
		}
	}
}

export interface BucketJson {
	value: string;
	count: number | string;
	edge?: "under" | "over";
}

/**
 * Non-empty buckets as { value, count }: value is the bucket's lower bound
 * (lquantize's edge buckets say "edge": "under" with the base, "over" with the
 * top); llquantize's buckets are named by DTrace's row labels.
 */
export function histogramJson(d: AggData): BucketJson[] | undefined {
	const out: BucketJson[] = [];
	const push = (value: string, c: bigint, edge?: "under" | "over") => {
		if (c !== 0n) out.push({ value, count: jsonInt(BigInt.asIntN(64, c)), ...(edge ? { edge } : {}) });
	};
	switch (d.fn) {
		case "quantize":
			for (const [i, c] of d.buckets.entries()) push(quantizeBucketValue(i).toString(), c);
			return out;
		case "lquantize": {
			const { base, step, levels } = d.params;
			for (const [i, c] of d.buckets.entries()) {
				if (i === 0) push(`${base}`, c, "under");
				else if (i === levels + 1) push(`${base + levels * step}`, c, "over");
				else push(`${base + (i - 1) * step}`, c);
			}
			return out;
		}
		case "llquantize": {
			const labels = llquantizeLabels(d.params, d.buckets.length, 0, 0, d.buckets.length - 1);
			for (const [i, c] of d.buckets.entries()) push(labels.get(i) ?? `bucket ${i}`, c);
			return out;
		}
		default:
			return undefined;
	}
}

/** The number a row stands for: the value, or a histogram's count of values. */
export function rowNumber(d: AggData, normal: bigint): bigint {
	const v = scalarValue(d, normal);
	if (v) return v.value;
	if ("buckets" in d) return d.buckets.reduce((t, c) => t + BigInt.asIntN(64, c), 0n);
	return 0n;
}

/** One aggregation as one JSON object (one line), `extra` fields first. */
export function aggregationJson(
	a: AggregationSnapshot,
	extra: Record<string, unknown> = {},
	o: AggOptions & { symbolize?: Symbolizer } = {},
): string {
	return jsonStringify({
		...extra,
		aggregation: a.name === "" ? "@" : `@${a.name}`,
		function: a.fn,
		rows: sortRows(a.rows, o).map((r) => {
			const h = histogramJson(r.data);
			return {
				key: r.key.map((k) => keyJson(k, o.symbolize)),
				value: jsonInt(rowNumber(r.data, a.normal)),
				...(h ? { histogram: h } : {}),
			};
		}),
	});
}

/** Folded stacks: each row's keys (stack frames outermost first) joined by ';', then the value. */
export function foldedLines(a: AggregationSnapshot, symbolize?: Symbolizer): string[] {
	const out: string[] = [];
	const clean = (s: string) => escapeForTerminal(s).replaceAll(";", ":");
	for (const r of a.rows) {
		const parts: string[] = [];
		for (const k of r.key) {
			if (k.kind === "stack") {
				const n = k.text ? k.text.length : k.frames.length;
				for (let i = n - 1; i >= 0; i--) parts.push(clean(frameText(k, i, symbolize)));
			} else if (k.kind === "string") parts.push(clean(k.value));
			else if (k.kind === "sym") parts.push(clean(symText(k, symbolize)));
			else parts.push(String(keyJson(k)));
		}
		if (parts.length) out.push(`${parts.join(";")} ${rowNumber(r.data, a.normal)}`);
	}
	return out;
}
