// Batch output in DTrace's layouts: printa's default (keys, then the value,
// sorted by value), quantize/lquantize distributions, JSON lines, and folded
// stacks for flame-graph tools. Strings from traced processes are escaped.
import type { AggRow, AggregationView, HistogramBucket, KeyPart, SessionView } from "../session/view.ts";
import { escapeForTerminal } from "../util/escape.ts";

function keyText(k: KeyPart): string[] {
	switch (k.kind) {
		case "int":
			return [k.value.toString()];
		case "string":
			return [escapeForTerminal(k.value)];
		case "stack":
			return k.frames.map(escapeForTerminal);
	}
}

const DIST_WIDTH = 40;

/** DTrace's distribution: from one bucket below the first non-zero to one above the last. */
export function formatDistribution(buckets: HistogramBucket[], indent = "  "): string[] {
	const total = buckets.reduce((n, b) => n + b.count, 0);
	let first = buckets.findIndex((b) => b.count > 0);
	let last = buckets.length - 1 - [...buckets].reverse().findIndex((b) => b.count > 0);
	if (first < 0) {
		first = 0;
		last = Math.min(buckets.length - 1, 1);
	}
	first = Math.max(0, first - 1);
	last = Math.min(buckets.length - 1, last + 1);
	const label = (b: HistogramBucket) =>
		b.edge === "under" ? `< ${b.lo}` : b.edge === "over" ? `>= ${b.lo}` : b.lo.toString();
	const out = [`${indent}${"value".padStart(14)}  ------------- Distribution ------------- count`];
	for (let i = first; i <= last; i++) {
		const b = buckets[i];
		const n = total ? Math.round((DIST_WIDTH * b.count) / total) : 0;
		out.push(`${indent}${label(b).padStart(14)} |${"@".repeat(n).padEnd(DIST_WIDTH)} ${b.count}`);
	}
	return out;
}

function sortRows(rows: AggRow[]): AggRow[] {
	// DTrace prints aggregations sorted by value, smallest first.
	return [...rows].sort((a, b) => a.value - b.value || a.total - b.total);
}

/** One aggregation in printa's default layout. */
export function formatAggregation(a: AggregationView): string {
	const lines: string[] = [""];
	const hist = a.fn === "quantize" || a.fn === "lquantize";
	const rows = sortRows(a.rows);
	const width = Math.max(
		20,
		...rows.flatMap((r) => r.key.filter((k) => k.kind !== "stack").flatMap((k) => keyText(k).map((s) => s.length))),
	);
	for (const r of rows) {
		const scalar = r.key.filter((k) => k.kind !== "stack");
		const stacks = r.key.filter((k) => k.kind === "stack");
		const keyCols = scalar.map((k) => {
			const t = keyText(k)[0];
			return k.kind === "int" ? t.padStart(width) : t.padEnd(width);
		});
		if (hist) {
			if (keyCols.length) lines.push(`  ${keyCols.join(" ")}`);
			for (const s of stacks) for (const f of keyText(s)) lines.push(`              ${f}`);
			lines.push(...formatDistribution(r.histogram ?? []));
			lines.push("");
			continue;
		}
		if (stacks.length) {
			if (keyCols.length) lines.push(`  ${keyCols.join(" ")}`);
			for (const s of stacks) for (const f of keyText(s)) lines.push(`              ${f}`);
			lines.push(`${String(r.value).padStart(19)}`);
			lines.push("");
			continue;
		}
		if (keyCols.length === 0) lines.push(`  ${String(r.value).padStart(width)}`);
		else lines.push(`  ${keyCols.join(" ")} ${String(r.value).padStart(16)}`);
	}
	return `${lines.join("\n")}\n`;
}

export function formatAll(view: SessionView): string {
	let out = "";
	for (const e of view.enablings) for (const a of e.aggregations) out += formatAggregation(a);
	return out;
}

function jsonKey(k: KeyPart): unknown {
	if (k.kind === "int") return Number.isSafeInteger(Number(k.value)) ? Number(k.value) : k.value.toString();
	if (k.kind === "string") return k.value;
	return { stack: k.frames, user: k.user };
}

/** One JSON object per aggregation (schema in the README). */
export function formatJson(view: SessionView, time = new Date()): string {
	const lines: string[] = [];
	for (const e of view.enablings) {
		for (const a of e.aggregations) {
			lines.push(
				JSON.stringify({
					time: time.toISOString(),
					enabling: e.id,
					d: e.d,
					aggregation: a.name === "" ? "@" : `@${a.name}`,
					function: a.fn,
					keys: a.keys,
					evictions: a.evictions,
					drops: e.drops,
					rows: sortRows(a.rows).map((r) => ({
						key: r.key.map(jsonKey),
						value: r.value,
						...(r.histogram
							? {
									histogram: r.histogram
										.filter((b) => b.count > 0)
										.map((b) => ({ value: b.lo.toString(), count: b.count, ...(b.edge ? { edge: b.edge } : {}) })),
								}
							: {}),
					})),
				}),
			);
		}
	}
	return lines.length ? `${lines.join("\n")}\n` : "";
}

/** Folded stacks (`outer;...;inner count`), other keys first. */
export function formatFolded(view: SessionView): string {
	const out: string[] = [];
	for (const e of view.enablings) {
		for (const a of e.aggregations) {
			for (const r of a.rows) {
				const parts: string[] = [];
				for (const k of r.key) {
					if (k.kind === "stack") parts.push(...[...k.frames].reverse().map((f) => f.replaceAll(";", ":")));
					else parts.push(keyText(k)[0].replaceAll(";", ":"));
				}
				if (parts.length) out.push(`${parts.join(";")} ${r.value}`);
			}
		}
	}
	return out.length ? `${out.join("\n")}\n` : "";
}
