// Reading an enabling's maps each tick: firings per probe (the groups' hits),
// drops, and every aggregation's rows merged over CPUs into rolling windows.
import { combineMerged, type DecodedKeyPart, decodeKey, type Merged, mergePerCpu } from "./aggregation.ts";
import type { AggState, EnablingState, Group } from "./enabling.ts";
import type { SharedMaps } from "./maps.ts";
import type { RecordSymbols } from "./record-syms.ts";
import { RollingCounter } from "./rolling.ts";
import { normalKey } from "./symkeys.ts";

/** Firings per slot of a group's hits map (one slot per probe site), summed over CPUs. */
export function readHits(g: Group): Map<number, number> {
	const raw = g.hits.batchLookupRaw();
	const cpus = raw.cpuStride ? raw.valueStride / raw.cpuStride : 1;
	const out = new Map<number, number>();
	for (let e = 0; e < raw.count; e++) {
		let n = 0;
		for (let c = 0; c < cpus; c++) n += Number(raw.values.readBigUInt64LE(e * raw.valueStride + c * raw.cpuStride));
		out.set(raw.keys.readUInt32LE(e * raw.keyStride), n);
	}
	return out;
}

/**
 * Firings of the group's program the kernel refused because it was already
 * running on that CPU (an interrupt's tracepoint inside a task's firing, a
 * tracepoint hit from a helper): lost firings, counted as drops.
 */
export function groupMisses(g: Group): number {
	return g.program && !g.program.closed ? (g.program.recursionMisses() ?? 0) : 0;
}

export function groupHits(g: Group): number {
	let n = 0;
	for (const v of readHits(g).values()) n += v;
	return n;
}

/** What reading needs from the session around it. */
export interface ReadContext {
	maps: SharedMaps;
	tickNo: number;
	/** The rolling counter of one probe in one enabling (made when first asked for). */
	probeCounter(st: EnablingState, id: number): RollingCounter;
	/** A user stack of this process was seen: keep its mappings. */
	sawUserStack(pid: number): void;
	/** Names func()/ufunc() & co keys. */
	symbols?: RecordSymbols;
}

export function readEnabling(cx: ReadContext, st: EnablingState, now: number): void {
	let total = 0;
	// A probe may have several sites (and so several slots): sum them per probe.
	const perProbe = new Map<number, number>();
	for (const g of st.groups) {
		for (const [idx, n] of readHits(g)) {
			const p = g.probes[idx] ?? (idx === g.probes.length ? g.errorProbe : undefined);
			if (p) perProbe.set(p.id, (perProbe.get(p.id) ?? 0) + n);
			total += n;
		}
	}
	for (const [id, n] of perProbe) cx.probeCounter(st, id).observe(now, n);
	st.counter.observe(now, total + st.retired);
	let misses = st.retiredMisses;
	for (const g of st.groups) misses += groupMisses(g);
	st.drops = cx.maps.readCounter(st.dropSlot) + misses;
	if (st.truncSlot >= 0) st.truncated = cx.maps.readCounter(st.truncSlot);
	if (st.faultSlot >= 0) st.faults = cx.maps.readCounter(st.faultSlot);
	st.vars.dynDrops = cx.maps.readCounter(st.vars.dynDropSlot);
	for (const a of st.aggs.values()) readAggregation(cx, a, now);
}

function readAggregation(cx: ReadContext, a: AggState, now: number): void {
	const raw = a.map.batchLookupRaw();
	const cpus = raw.cpuStride ? raw.valueStride / raw.cpuStride : 1;
	// func()/ufunc() & co keys: entries of one function are one row (symkeys.ts).
	const symbolic = cx.symbols !== undefined && a.decode.some((d) => d.k === "sym");
	const entries = new Map<string, { merged: Merged; parts: () => DecodedKeyPart[] }>();
	for (let e = 0; e < raw.count; e++) {
		let keyHex = raw.keys.toString("hex", e * raw.keyStride, (e + 1) * raw.keyStride);
		let merged = mergePerCpu(a.fn, a.lq, raw.values, e * raw.valueStride, cpus, raw.cpuStride);
		// An array's slot exists before anything fired: no row until something did.
		if (merged.count === 0n) continue;
		let parts = () => decodeKey(a.decode, raw.keys, e * raw.keyStride);
		if (symbolic) {
			const n = normalKey(a, keyHex, parts, cx.symbols!);
			keyHex = n.key;
			parts = () => n.parts;
			const before = entries.get(keyHex);
			if (before) merged = combineMerged(a.fn, before.merged, merged);
		}
		entries.set(keyHex, { merged, parts });
	}
	for (const [keyHex, { merged, parts }] of entries) {
		let row = a.rows.get(keyHex);
		if (!row) {
			const decoded = parts();
			for (const p of decoded) if (p.kind === "stack" && p.user && p.pid > 0) cx.sawUserStack(p.pid);
			row = { counter: new RollingCounter(), parts: decoded, merged, seenTick: cx.tickNo };
			a.rows.set(keyHex, row);
		}
		row.merged = merged;
		row.seenTick = cx.tickNo;
		row.counter.observe(now, Number(merged.count));
	}
	for (const [k, r] of a.rows) if (r.seenTick !== cx.tickNo) a.rows.delete(k);
	if (a.lru) a.evictions = Math.max(0, cx.maps.readCounter(a.insertSlot) - raw.count);
}
