// The interactive UI's per-event output: reads the session's ring buffer (every
// POLL_MS), formats each record as dtrace(1) would print it (one EventFormatter
// per enabling, so each has its own heading and its own quiet option), splits
// the text into lines and keeps the last RING_LINES of them. Every line is
// escaped for the terminal: traced strings and format strings alike never reach
// it raw. Drops (records the kernel could not write) and runtime faults become
// counts and lines; records per second are counted per enabling for the table.
import { dropLine, errorLine, inErrorClause, type RuntimeFault } from "../output/diagnostics.ts";
import { EventFormatter } from "../output/events.ts";
import { snapshots } from "../output/printa.ts";
import type { OrderedRecord } from "../session/events.ts";
import type { SessionView } from "../session/view.ts";
import type { EventLine, EventsView } from "../ui/events-model.ts";
import { escapeForTerminal } from "../util/escape.ts";

/** Lines kept for scrollback (bounded memory however fast events come). */
export const RING_LINES = 10_000;
/** How often the ring buffer is read. */
export const POLL_MS = 100;
/** A line without its newline yet is cut here (a printf that never prints one). */
const MAX_PARTIAL = 4096;

/** What the feed needs of the session. */
export interface FeedSource {
	readonly recording: boolean;
	pollEvents(): { records: OrderedRecord[]; faults: RuntimeFault[]; drops: Map<number, bigint> };
	fault(f: RuntimeFault): void;
	view(): SessionView;
	/** Whether enabling `id` runs quiet (its `#pragma D option quiet`). */
	quiet(id: number): boolean;
}

/** A fixed-size ring of lines. */
export class LineRing {
	private readonly buf: (EventLine | undefined)[];
	private start = 0;
	size = 0;
	total = 0;
	constructor(readonly capacity = RING_LINES) {
		this.buf = new Array(capacity);
	}
	push(line: EventLine): void {
		this.total++;
		if (this.size < this.capacity) this.buf[(this.start + this.size++) % this.capacity] = line;
		else {
			this.buf[this.start] = line;
			this.start = (this.start + 1) % this.capacity;
		}
	}
	toArray(): EventLine[] {
		const out: EventLine[] = new Array(this.size);
		for (let i = 0; i < this.size; i++) out[i] = this.buf[(this.start + i) % this.capacity] as EventLine;
		return out;
	}
}

export class EventFeed {
	readonly ring: LineRing;
	private readonly formatters = new Map<number, EventFormatter>();
	private readonly partial = new Map<number, string>();
	private readonly counts = new Map<number, number>();
	private rates = new Map<number, number>();
	private drops = 0;
	private faults = 0;
	private skipped = 0;
	private version = 0;
	private snapshot: EventsView | undefined;
	/** Enablings whose records called exit() since the last take. */
	private exits: { enabling: number; status: number }[] = [];

	constructor(
		private readonly source: FeedSource,
		capacity = RING_LINES,
	) {
		this.ring = new LineRing(capacity);
	}

	private formatter(id: number): EventFormatter {
		let f = this.formatters.get(id);
		if (!f) {
			f = new EventFormatter({ quiet: this.source.quiet(id), ctx: { strings: "escape" } });
			this.formatters.set(id, f);
		}
		return f;
	}

	private add(enabling: number, text: string): void {
		if (!text) return;
		const parts = text.split("\n");
		parts[0] = (this.partial.get(enabling) ?? "") + parts[0];
		const last = parts.pop() as string;
		for (const p of parts) this.ring.push({ enabling, text: escapeForTerminal(p) });
		if (last.length > MAX_PARTIAL) {
			this.ring.push({ enabling, text: escapeForTerminal(last) });
			this.partial.delete(enabling);
		} else if (last) this.partial.set(enabling, last);
		else this.partial.delete(enabling);
	}

	/** One of dtop's own lines (an error reading the ring buffer, an exit()). */
	note(text: string): void {
		this.add(0, `${text}\n`);
		this.version++;
	}

	/** Read what arrived; true when something changed. */
	poll(): boolean {
		if (!this.source.recording) return false;
		const batch = this.source.pollEvents();
		let changed = false;
		for (const n of batch.drops.values()) {
			this.drops += Number(n);
			changed = true;
		}
		let errorErrors = 0;
		for (const f of batch.faults) {
			this.faults++;
			// A fault in an ERROR clause is counted, as DTrace counts it, not reported on a line of its own.
			if (inErrorClause(f)) errorErrors++;
			else this.add(0, errorLine(f));
			this.source.fault(f);
			changed = true;
		}
		if (errorErrors > 0) this.add(0, dropLine("error-in-error", errorErrors));
		if (batch.records.length === 0) {
			if (changed) this.version++;
			return changed;
		}
		if (batch.records.some((r) => r.actions.some((a) => a.kind === "printa"))) {
			const snaps = snapshots(this.source.view());
			for (const id of new Set(batch.records.map((r) => r.enabling ?? 0))) this.formatter(id).update(snaps);
		}
		// Of a flood, only the records whose lines can stay in the ring are formatted
		// (each prints a line at least); the others are counted, and an exit() in them still acts.
		const from = Math.max(0, batch.records.length - this.ring.capacity);
		for (let i = 0; i < batch.records.length; i++) {
			const r = batch.records[i];
			const id = r.enabling ?? 0;
			this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
			if (i < from) {
				this.skipped++;
				for (const a of r.actions) if (a.kind === "exit") this.exits.push({ enabling: id, status: a.status });
				continue;
			}
			const out = this.formatter(id).format(r);
			this.add(id, out.text);
			if (out.exit !== undefined) this.exits.push({ enabling: id, status: out.exit });
		}
		this.version++;
		return true;
	}

	/** The exit() calls seen since the last call. */
	takeExits(): { enabling: number; status: number }[] {
		const e = this.exits;
		this.exits = [];
		return e;
	}

	/** An enabling is gone: its unfinished line is printed, its formatter forgotten. */
	finish(id: number): void {
		const rest = this.partial.get(id);
		if (rest) {
			this.ring.push({ enabling: id, text: escapeForTerminal(rest) });
			this.partial.delete(id);
			this.version++;
		}
		this.formatters.delete(id);
		this.counts.delete(id);
		this.rates.delete(id);
	}

	/** Turn the counts since the last call into rates (records per second). */
	roll(elapsedMs: number): void {
		const rates = new Map<number, number>();
		for (const [id, n] of this.counts) rates.set(id, elapsedMs > 0 ? (n * 1000) / elapsedMs : 0);
		for (const id of this.formatters.keys()) if (!rates.has(id)) rates.set(id, 0);
		this.counts.clear();
		this.rates = rates;
	}

	/** Records per second of enabling `id` (undefined: it never printed anything). */
	rate(id: number): number | undefined {
		return this.rates.get(id);
	}

	view(): EventsView {
		if (this.snapshot?.version === this.version) return this.snapshot;
		const lines = this.ring.toArray();
		for (const [enabling, text] of this.partial) lines.push({ enabling, text: escapeForTerminal(text) });
		this.snapshot = {
			lines,
			total: this.ring.total,
			skipped: this.skipped,
			drops: this.drops,
			faults: this.faults,
			version: this.version,
		};
		return this.snapshot;
	}
}
