// clear() and trunc() as the consumer sees them. The kernel's aggregation maps
// only grow (DESIGN.md: rolling windows are deltas of monotonic counters), so
// clearing is done here: what a key held when clear() or trunc() acted is its
// baseline, and later snapshots print what came since. A key trunc() removed
// stays hidden until it fires again, then prints from zero, as in DTrace.
//
// min() and max() cannot be subtracted: after clear() a key whose kernel value
// has not changed prints as cleared (INT64_MAX / INT64_MIN, as DTrace's
// reset); a later value only shows when it is a new minimum or maximum of the
// whole run (a limitation the README names).

import { emptyData } from "./aggvalue.ts";
import type { AggData, AggRow, AggregationSnapshot, KeyValue } from "./model.ts";

const keyId = (k: KeyValue[]) => JSON.stringify(k, (_, v) => (typeof v === "bigint" ? `${v}n` : v));

interface Base {
	data: AggData;
	/** trunc() removed the key: not printed until its data changes. */
	hidden: boolean;
}

function sameData(a: AggData, b: AggData): boolean {
	return keyId([a as unknown as KeyValue]) === keyId([b as unknown as KeyValue]);
}

/** `now` less `base` (both the kernel's totals for one key). */
function subtract(now: AggData, base: AggData, snap: AggregationSnapshot): AggData {
	const minus = (x: bigint[], y: bigint[]) => x.map((v, i) => v - (y[i] ?? 0n));
	switch (now.fn) {
		case "count":
		case "sum":
			return { fn: now.fn, value: now.value - (base as typeof now).value };
		case "min":
		case "max":
			return sameData(now, base) ? emptyData(snap, true) : now;
		case "avg": {
			const b = base as typeof now;
			return { fn: "avg", count: now.count - b.count, sum: now.sum - b.sum };
		}
		case "stddev": {
			const b = base as typeof now;
			return { fn: "stddev", count: now.count - b.count, sum: now.sum - b.sum, sumsq: now.sumsq - b.sumsq };
		}
		case "quantize":
			return { fn: "quantize", buckets: minus(now.buckets, (base as typeof now).buckets) };
		case "lquantize":
			return { ...now, buckets: minus(now.buckets, (base as typeof now).buckets) };
		case "llquantize":
			return { ...now, buckets: minus(now.buckets, (base as typeof now).buckets) };
	}
}

/** The baselines of one program's aggregations, by aggregation id and key. */
export class AggBaselines {
	private readonly base = new Map<number, Map<string, Base>>();

	private of(id: number): Map<string, Base> {
		let m = this.base.get(id);
		if (!m) this.base.set(id, (m = new Map()));
		return m;
	}

	/** clear(@): every key of the kernel's totals `raw` starts again from zero, and stays printed. */
	clear(raw: AggregationSnapshot): void {
		const m = this.of(raw.id);
		for (const r of raw.rows) {
			const hidden = m.get(keyId(r.key))?.hidden === true && sameData(m.get(keyId(r.key))!.data, r.data);
			m.set(keyId(r.key), { data: r.data, hidden });
		}
	}

	/** trunc(@, n): the removed keys (as printed) start again from zero, unprinted until they fire. */
	trunc(raw: AggregationSnapshot, removed: AggRow[]): void {
		const m = this.of(raw.id);
		const rawOf = new Map(raw.rows.map((r) => [keyId(r.key), r.data]));
		for (const r of removed) {
			const id = keyId(r.key);
			const data = rawOf.get(id);
			if (data) m.set(id, { data, hidden: true });
		}
	}

	/** The kernel's totals as they print after the clear()s and trunc()s so far. */
	apply(raw: AggregationSnapshot): AggregationSnapshot {
		const m = this.base.get(raw.id);
		if (!m || m.size === 0) return raw;
		const rows: AggRow[] = [];
		for (const r of raw.rows) {
			const id = keyId(r.key);
			const b = m.get(id);
			if (!b) {
				rows.push(r);
				continue;
			}
			if (b.hidden) {
				if (sameData(b.data, r.data)) continue;
				// It fired again: printed from here on, from its baseline.
				m.set(id, { data: b.data, hidden: false });
			}
			rows.push({ key: r.key, data: subtract(r.data, b.data, raw) });
		}
		return { ...raw, rows };
	}
}
