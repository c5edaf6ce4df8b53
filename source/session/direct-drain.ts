// One drain of the per-event ring buffer on the fast path: find every
// committed record in place (no copies), put them in DTrace's output order
// (each CPU's records in their order, CPUs merged by timestamp, as
// source/output/merge.ts does), write each with its layout's compiled printer
// (direct-print.ts) into one buffer, and only then give the ring's space back
// to the producer. When a record in the drain needs the general path (a fault
// record, a speculation, BEGIN/END, an action the printers do not do) nothing
// is consumed and the caller reads the drain the general way, so the output
// is the same either way.
import { RecordSpans, type RingBuffer } from "../../kernel/bpf/index.ts";
import { FAULT_RECORD_BIT } from "../../kernel/codegen/faults.ts";
import { SPEC_ID_OFFSET } from "../../kernel/codegen/speculation.ts";
import type { ProbeName } from "../output/model.ts";
import { probeLinePrefix } from "../output/trace.ts";
import { compilePrinter, type DirectOptions, OutBuf, type Printer, type RingView, runPrinter } from "./direct-print.ts";
import type { RecordLayout } from "./records.ts";

export class DirectDrain {
	readonly #spans = new RecordSpans();
	readonly #out = new OutBuf();
	/** Compiled printers by descriptor id (ids are never reused); null: the general path. */
	#printers = new Map<number, Printer | null>();
	/** The default action's line starts, by probe id and CPU. */
	#prefixes = new Map<number, Buffer>();
	#opts: DirectOptions;
	#order = new Int32Array(1024);
	#next = new Int32Array(1024);
	#which = new Array<Printer | undefined>(1024);

	constructor(opts: DirectOptions) {
		this.#opts = opts;
	}

	/** New output options (quiet, the string policy): the printers are compiled again. */
	configure(opts: DirectOptions): void {
		const o = this.#opts;
		if (o.quiet === opts.quiet && o.testing === opts.testing && o.ctx.strings === opts.ctx.strings) return;
		this.#opts = opts;
		this.#printers = new Map();
		this.#prefixes = new Map();
	}

	/**
	 * The text of every record committed now, and how many records it holds; or
	 * undefined (nothing consumed) when the general path must read them. The
	 * text is a view into a buffer the next drain reuses.
	 */
	drain(
		reader: RingBuffer,
		layoutOf: (desc: number) => RecordLayout | undefined,
		nameOf: (id: number) => ProbeName,
	): { text: Buffer; records: number; fill: number } | undefined {
		const spans = reader.pending(this.#spans);
		const data = reader.bytes;
		const view = { data, ...reader.words };
		const n = spans.count;
		if (this.#which.length < n) {
			this.#which = new Array(n);
			this.#order = new Int32Array(n);
			this.#next = new Int32Array(n);
		}
		const which = this.#which;
		const cpuHead = new Map<number, { head: number; tail: number }>();
		const from = spans.start % reader.size;
		// Pass 1: every record can take the fast path; each CPU's records linked in ring order.
		for (let i = 0; i < n; i++) {
			const base = spans.offsets[i]!; // the record's first byte (past the ring's header)
			const w = base >>> 2;
			const desc = view.u32[w]!;
			if (desc & FAULT_RECORD_BIT) return undefined;
			const layout = layoutOf(desc);
			if (!layout) {
				which[i] = undefined; // an enabling disabled since: skipped, as the general path does
				continue;
			}
			let p = this.#printers.get(desc);
			if (p === undefined) {
				p = compilePrinter(layout, this.#opts, nameOf) ?? null;
				this.#printers.set(desc, p);
			}
			if (p === null || view.u32[(base + SPEC_ID_OFFSET) >>> 2] !== 0) return undefined;
			for (const off of p.copyins) if (view.i32[(base + off + 4) >>> 2]! < 0) return undefined;
			which[i] = p;
			// Where the record will be in the copy (the ring's span from `from`, which may wrap).
			spans.offsets[i] = base - from < 0 ? base - from + reader.size : base - from;
			const cpu = view.u32[w + 4]!;
			this.#next[i] = -1;
			const q = cpuHead.get(cpu);
			if (!q) cpuHead.set(cpu, { head: i, tail: i });
			else {
				this.#next[q.tail] = i;
				q.tail = i;
			}
		}
		// One copy of the whole span (the mapping shows a wrapped span contiguous), and
		// the ring's space goes back to the producer before the slow part: formatting.
		const fill = spans.end - spans.start;
		const copy = this.#copyOf(fill);
		data.copy(copy.data, 0, from, from + fill);
		reader.advance(spans.end);
		const order = this.#order;
		const count = mergeOrder(cpuHead, this.#next, order, copy.u32, spans.offsets);
		// Pass 2: the text, in output order.
		const out = this.#out;
		out.pos = 0;
		const raw = this.#opts.ctx.strings === "raw";
		for (let k = 0; k < count; k++) {
			const i = order[k]!;
			const p = which[i]!;
			const base = spans.offsets[i]!;
			if (p.line) out.bytes(this.#prefix(copy.u32, base, nameOf));
			runPrinter(p, copy, base, out, raw);
			if (p.line) out.bytes(NEWLINE);
		}
		// How full the ring was (the caller drains again at once when it was busy).
		return { text: out.buf.subarray(0, out.pos), records: count, fill: fill / reader.size };
	}

	#copy: RingView | undefined;

	/** The buffer records are copied into (word-aligned, reused). */
	#copyOf(n: number): RingView {
		if (!this.#copy || this.#copy.data.length < n) {
			const data = Buffer.from(new ArrayBuffer(Math.max(n, 1 << 20) + 8));
			this.#copy = { data, u32: new Uint32Array(data.buffer), i32: new Int32Array(data.buffer) };
		}
		return this.#copy;
	}

	#prefix(u32: Uint32Array, base: number, nameOf: (id: number) => ProbeName): Buffer {
		const probe = u32[(base + 4) >>> 2]!;
		const cpu = u32[(base + 16) >>> 2]!;
		const key = probe * 4096 + (cpu & 4095);
		let b = this.#prefixes.get(key);
		if (!b || cpu > 4095) {
			b = Buffer.from(probeLinePrefix(cpu, nameOf(probe), this.#opts.testing), "utf8");
			if (cpu <= 4095) this.#prefixes.set(key, b);
		}
		return b;
	}
}

const NEWLINE = Buffer.from("\n");

/**
 * The records' output order into `order`: one CPU's in ring order; several
 * merged by each queue's head timestamp, lower CPU first on a tie (merge.ts).
 */
function mergeOrder(
	queues: Map<number, { head: number; tail: number }>,
	next: Int32Array,
	order: Int32Array,
	u32: Uint32Array,
	offsets: Int32Array,
): number {
	const cpus = [...queues.keys()].sort((a, b) => a - b);
	const heads = cpus.map((c) => queues.get(c)!.head);
	let count = 0;
	if (heads.length === 1) {
		for (let i = heads[0]!; i >= 0; i = next[i]!) order[count++] = i;
		return count;
	}
	for (;;) {
		let best = -1;
		let bestHi = 0;
		let bestLo = 0;
		for (let q = 0; q < heads.length; q++) {
			const i = heads[q]!;
			if (i < 0) continue;
			const w = (offsets[i]! + 8) >>> 2;
			const lo = u32[w]!;
			const hi = u32[w + 1]!;
			// Strictly earlier only: on equal stamps the lower CPU (earlier in `heads`) stays.
			if (best < 0 || hi < bestHi || (hi === bestHi && lo < bestLo)) {
				best = q;
				bestHi = hi;
				bestLo = lo;
			}
		}
		if (best < 0) return count;
		const i = heads[best]!;
		order[count++] = i;
		heads[best] = next[i]!;
	}
}
