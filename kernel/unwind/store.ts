// Places unwind tables in the BPF maps: each object gets an id, a run of pages
// and a run of rows; rules are shared by all objects. Objects stay loaded while
// any process maps them and are kept afterwards as a cache, evicted (least
// recently used first) only when space runs out. Space an evicted object used
// is reused only after a grace period, so that a walk already running in the
// kernel never reads another object's rows as its own.
import { CfaKind, ruleKey, UNKNOWN_RULE, type UnwindRule } from "./cfa.ts";
import { MAX_ROWS_PER_PAGE, packRule, RULE_SIZE, RULE_UNKNOWN, RULE_UNSUPPORTED } from "./layout.ts";
import type { UnwindMaps } from "./maps.ts";
import type { UnwindTable } from "./table.ts";

/** Object id 0 is never loaded: mappings whose object has no table point at it (page count 0). */
export const NO_TABLE_OBJECT = 0;
/** How long freed space waits before reuse; a walk takes microseconds. */
export const GRACE_MS = 50;

interface Span {
	start: number;
	length: number;
}

/** First-fit allocation over [0, capacity), with freed spans held back for GRACE_MS. */
class SpanAllocator {
	private free: Span[];
	private held: { span: Span; at: number }[] = [];
	used = 0;
	constructor(readonly capacity: number) {
		this.free = capacity > 0 ? [{ start: 0, length: capacity }] : [];
	}
	alloc(length: number, now: number): number | undefined {
		this.release(now);
		if (length === 0) return 0;
		const i = this.free.findIndex((s) => s.length >= length);
		if (i < 0) return undefined;
		const s = this.free[i];
		const start = s.start;
		if (s.length === length) this.free.splice(i, 1);
		else this.free[i] = { start: s.start + length, length: s.length - length };
		this.used += length;
		return start;
	}
	hold(start: number, length: number, now: number): void {
		if (length > 0) this.held.push({ span: { start, length }, at: now });
		this.used -= length;
	}
	/** Whether freed space is still in its grace period. */
	get holding(): boolean {
		return this.held.length > 0;
	}
	private release(now: number): void {
		const ready = this.held.filter((h) => now - h.at >= GRACE_MS);
		if (ready.length === 0) return;
		this.held = this.held.filter((h) => now - h.at < GRACE_MS);
		for (const r of ready) this.free.push(r.span);
		this.free.sort((a, b) => a.start - b.start);
		const merged: Span[] = [];
		for (const s of this.free) {
			const last = merged[merged.length - 1];
			if (last && last.start + last.length === s.start) last.length += s.length;
			else merged.push({ ...s });
		}
		this.free = merged;
	}
}

interface Loaded {
	id: number;
	key: string;
	pagesBase: number;
	pageCount: number;
	rowsBase: number;
	rowCount: number;
	refs: number;
	lastUsed: number;
}

export interface StoreStats {
	objects: number;
	rowsUsed: number;
	rowsCapacity: number;
	pagesUsed: number;
	pagesCapacity: number;
	rules: number;
	rulesCapacity: number;
	/** Objects removed to make room for others. */
	evictions: number;
	/** Objects that found no room even after evicting every unused one (their frames use frame pointers). */
	refused: number;
	/** Rules that did not fit the rules map (their rows became UNSUPPORTED). */
	rulesFull: number;
	/** Pages with more rows than the kernel's search takes (treated as without information). */
	densePages: number;
}

export class TableStore {
	private readonly rows: SpanAllocator;
	private readonly pages: SpanAllocator;
	private readonly ids: number[];
	private readonly byKey = new Map<string, Loaded>();
	private readonly ruleIds = new Map<string, number>();
	private readonly objectWords: Uint32Array;
	private clock = 0;
	private readonly counts = { evictions: 0, refused: 0, rulesFull: 0, densePages: 0 };

	constructor(private readonly maps: UnwindMaps) {
		const z = maps.sizes;
		this.rows = new SpanAllocator(z.rows);
		this.pages = new SpanAllocator(z.pages);
		this.ids = [];
		for (let i = z.objects - 1; i > NO_TABLE_OBJECT; i--) this.ids.push(i);
		const o = maps.objectMem.buf;
		this.objectWords = new Uint32Array(o.buffer, o.byteOffset, o.length / 4);
		this.intern(UNKNOWN_RULE); // RULE_UNKNOWN
		this.intern({ ...UNKNOWN_RULE, cfa: CfaKind.UNSUPPORTED }); // RULE_UNSUPPORTED
	}

	private intern(r: UnwindRule): number {
		const k = ruleKey(r);
		let id = this.ruleIds.get(k);
		if (id !== undefined) return id;
		if (this.ruleIds.size >= this.maps.sizes.rules) {
			this.counts.rulesFull++;
			return r.cfa === CfaKind.UNKNOWN ? RULE_UNKNOWN : RULE_UNSUPPORTED;
		}
		id = this.ruleIds.size;
		packRule(r, this.maps.ruleMem.buf, id * RULE_SIZE);
		this.ruleIds.set(k, id);
		return id;
	}

	/** The object id of a loaded table (loading it if needed), or NO_TABLE_OBJECT when there is no room. */
	acquire(key: string, table: UnwindTable): number {
		const now = Date.now();
		const have = this.byKey.get(key);
		if (have) {
			have.refs++;
			have.lastUsed = ++this.clock;
			return have.id;
		}
		const placed = this.place(table, now);
		if (!placed) {
			this.counts.refused++;
			return NO_TABLE_OBJECT;
		}
		const l: Loaded = { ...placed, key, refs: 1, lastUsed: ++this.clock };
		this.byKey.set(key, l);
		this.write(l, table);
		return l.id;
	}

	/** One mapping fewer uses the object; it stays cached until room is needed. */
	release(id: number): void {
		for (const l of this.byKey.values()) {
			if (l.id === id && l.refs > 0) {
				l.refs--;
				return;
			}
		}
	}

	private place(table: UnwindTable, now: number) {
		const pageCount = table.pageCount;
		const rowCount = table.rowCount;
		for (;;) {
			const id = this.ids.length ? this.ids[this.ids.length - 1] : undefined;
			const rowsBase = this.rows.alloc(rowCount, now);
			const pagesBase = rowsBase === undefined ? undefined : this.pages.alloc(pageCount, now);
			if (id !== undefined && rowsBase !== undefined && pagesBase !== undefined) {
				this.ids.pop();
				return { id, rowsBase, rowCount, pagesBase, pageCount };
			}
			if (rowsBase !== undefined) this.rows.hold(rowsBase, rowCount, -GRACE_MS); // give it straight back
			if (pagesBase !== undefined) this.pages.hold(pagesBase, pageCount, -GRACE_MS);
			if (!this.evictOne(now)) return undefined;
		}
	}

	private evictOne(now: number): boolean {
		let victim: Loaded | undefined;
		for (const l of this.byKey.values()) if (l.refs === 0 && (!victim || l.lastUsed < victim.lastUsed)) victim = l;
		if (!victim) return false;
		// Unpublish first: a walk that reads page count 0 treats the object as without a table.
		Atomics.store(this.objectWords, victim.id * 2 + 1, 0);
		this.byKey.delete(victim.key);
		this.rows.hold(victim.rowsBase, victim.rowCount, now);
		this.pages.hold(victim.pagesBase, victim.pageCount, now);
		this.ids.push(victim.id);
		this.counts.evictions++;
		return true;
	}

	private write(l: Loaded, table: UnwindTable): void {
		const global = table.rules.map((r) => this.intern(r));
		const rowBuf = this.maps.rowMem.buf;
		for (let i = 0; i < table.rowCount; i++) {
			const at = (l.rowsBase + i) * 8;
			rowBuf.writeUInt32LE(table.addrs[i], at);
			rowBuf.writeUInt32LE(global[table.ruleIds[i]], at + 4);
		}
		const pageBuf = this.maps.pageMem.buf;
		for (let p = 0; p < table.pageCount; p++) {
			const first = table.pages[p];
			const end = Math.min(table.pages[p + 1] + 1, table.rowCount);
			let count = end - first;
			if (count > MAX_ROWS_PER_PAGE) {
				this.counts.densePages++;
				count = 0;
			}
			const at = (l.pagesBase + p) * 8;
			pageBuf.writeUInt32LE(l.rowsBase + first, at);
			pageBuf.writeUInt32LE(count, at + 4);
		}
		// Publish last: page count non-zero makes the object visible to walks.
		Atomics.store(this.objectWords, l.id * 2, l.pagesBase);
		Atomics.store(this.objectWords, l.id * 2 + 1, l.pageCount);
	}

	stats(): StoreStats {
		return {
			objects: this.byKey.size,
			rowsUsed: this.rows.used,
			rowsCapacity: this.rows.capacity,
			pagesUsed: this.pages.used,
			pagesCapacity: this.pages.capacity,
			rules: this.ruleIds.size,
			rulesCapacity: this.maps.sizes.rules,
			...this.counts,
		};
	}
}
