// Ink's measure-text module, with a bounded cache. Ink's own keeps the size of every
// distinct text it has ever laid out, forever: a live UI whose counts and rates change
// every tick lays out new strings all the time, and the 30-minute soak grew by ~12 MiB
// that way (heap snapshots: thousands of old table rows held by that one Map). The
// bundle (scripts/build) puts this file in place of ink/build/measure-text.js.
import widestLine from "widest-line";

export interface Dimensions {
	width: number;
	height: number;
}

/** More distinct texts than one screen holds; the cache restarts empty when full. */
export const MEASURE_CACHE_LIMIT = 4096;

const cache = new Map<string, Dimensions>();

export default function measureText(text: string): Dimensions {
	if (text.length === 0) return { width: 0, height: 0 };
	const hit = cache.get(text);
	if (hit) return hit;
	const dims = { width: widestLine(text), height: text.split("\n").length };
	if (cache.size >= MEASURE_CACHE_LIMIT) cache.clear();
	cache.set(text, dims);
	return dims;
}

/** Entries held now (for tests). */
export function measureCacheSize(): number {
	return cache.size;
}
