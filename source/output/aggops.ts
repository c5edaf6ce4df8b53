// What clear(), trunc(), normalize() and denormalize() do to what is printed,
// as operations on a snapshot (the consumer applies the same to the kernel's
// maps where they must outlive the snapshot: trunc() deletes keys, clear()
// zeroes them). DTrace: clear() keeps every key with its value reset (min to
// INT64_MAX, max to INT64_MIN); trunc(@, n) keeps the n keys with the highest
// values (n < 0: the |n| lowest; no n, or 0: none); normalize(@, n) divides
// what is printed by n until denormalize(@).

import { compareData, compareKeys } from "./aggsort.ts";
import { emptyData } from "./aggvalue.ts";
import type { AggRow, AggregationSnapshot } from "./model.ts";

/** clear(@): every key kept, every value reset. */
export function clearAggregation(a: AggregationSnapshot): AggregationSnapshot {
	return { ...a, rows: a.rows.map((r) => ({ key: r.key, data: emptyData(a, true) })) };
}

/**
 * trunc(@, n): the rows DTrace keeps. It walks the rows by value, highest
 * first (lowest first for n < 0; ties by key, reversed alike) and keeps the
 * first |n|. Returns the kept snapshot and the removed rows (the keys the
 * consumer deletes from the kernel's map).
 */
export function truncAggregation(a: AggregationSnapshot, keep = 0n): { kept: AggregationSnapshot; removed: AggRow[] } {
	const n = keep < 0n ? -keep : keep;
	const cmp = (x: AggRow, y: AggRow) => compareData(x.data, y.data) || compareKeys(x.key, y.key);
	const order = [...a.rows].sort((x, y) => (keep < 0n ? cmp(x, y) : -cmp(x, y)));
	const limit = n > BigInt(order.length) ? order.length : Number(n);
	const kept = new Set(order.slice(0, limit));
	return {
		kept: { ...a, rows: a.rows.filter((r) => kept.has(r)) },
		removed: a.rows.filter((r) => !kept.has(r)),
	};
}

/** normalize(@, n). */
export function normalizeAggregation(a: AggregationSnapshot, normal: bigint): AggregationSnapshot {
	return { ...a, normal };
}

/** denormalize(@): normalization back to 1. */
export function denormalizeAggregation(a: AggregationSnapshot): AggregationSnapshot {
	return { ...a, normal: 1n };
}
