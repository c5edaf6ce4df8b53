// The consumer of per-event records: reads the session's ring buffer, decodes
// each record with the layout its clause registered, puts them in DTrace's
// output order (source/output/merge.ts: BEGIN's first, END's last, CPUs merged
// by timestamp) and counts, per CPU, the records the kernel could not write.
import { RecordSpans, RingBuffer } from "../../kernel/bpf/index.ts";
import { decodeFaultRecord } from "../../kernel/codegen/faults.ts";
import type { RuntimeFault } from "../output/diagnostics.ts";
import { EventMerger } from "../output/merge.ts";
import type { EventRecord, ProbeName } from "../output/model.ts";
import type { DirectDrain } from "./direct-drain.ts";
import { runtimeFault } from "./fault-records.ts";
import type { SharedMaps } from "./maps.ts";
import type { RecordSymbols } from "./record-syms.ts";
import { decodeRecord, type RecordLayout } from "./records.ts";

/** A record in output order; `enabling` is the session enabling whose clause wrote it. */
export type OrderedRecord = EventRecord & { phase?: "begin" | "end"; enabling?: number };

export interface EventBatch {
	records: OrderedRecord[];
	/** Runtime faults (each abandoned its clause's firing), in arrival order. */
	faults: RuntimeFault[];
	/** Records lost per CPU since the last poll. */
	drops: Map<number, bigint>;
}

export class EventStream {
	#reader: RingBuffer | undefined;
	readonly #spans = new RecordSpans();
	readonly #merger = new EventMerger<OrderedRecord>("timestamp");
	readonly #layouts = new Map<number, { layout: RecordLayout; enabling: number }>();
	#nextDesc = 1;
	#dropsSeen: bigint[] = [];
	/** Probe names by id: looked up once (a planned pid probe's lookup walks a list). */
	readonly #names = new Map<number, ProbeName>();
	readonly #nameOf = (id: number): ProbeName => {
		let n = this.#names.get(id);
		if (!n) this.#names.set(id, (n = this.probeName(id)));
		return n;
	};

	constructor(
		private readonly maps: SharedMaps,
		private readonly probeName: (id: number) => ProbeName,
		/** The id printa() records name an enabling's aggregation by (as the batch's snapshots number them). */
		private readonly aggId: (enabling: number, name: string) => number,
		/** Names addresses and stacks as records are read. */
		private readonly syms?: RecordSymbols,
	) {}

	/** A clause × probe group's layout; the id is the record's first word (and DTrace's enabled probe id). */
	register(layout: RecordLayout, enabling: number): number {
		const id = this.#nextDesc++;
		this.#layouts.set(id, { layout, enabling });
		return id;
	}

	/** Some clause writes records. */
	get active(): boolean {
		return this.#layouts.size > 0;
	}

	/** Forget an enabling's layouts (after its programs are gone). */
	forget(enabling: number): void {
		for (const [id, l] of this.#layouts) if (l.enabling === enabling) this.#layouts.delete(id);
	}

	/** Everything that arrived since the last poll, in output order. */
	poll(): EventBatch {
		const faults: RuntimeFault[] = [];
		if (!this.active) return { records: [], faults, drops: new Map() };
		this.#reader ??= new RingBuffer(this.maps.ring);
		const perCpu = new Map<number, OrderedRecord[]>();
		// The records in place: decoding copies what it keeps (numbers, strings), so the
		// ring's space goes back after the loop, with no copy of each record.
		const spans = this.#reader.pending(this.#spans);
		const data = this.#reader.bytes;
		try {
			this.#decode(spans, data, perCpu, faults);
		} finally {
			this.#reader.advance(spans.end);
		}
		for (const [cpu, q] of perCpu) this.#merger.push(cpu, q);
		for (const [cpu, n] of this.#newDrops()) this.#merger.drop(cpu, n);
		const { records, drops } = this.#merger.drain();
		return { records, faults, drops };
	}

	#decode(spans: RecordSpans, data: Buffer, perCpu: Map<number, OrderedRecord[]>, faults: RuntimeFault[]): void {
		for (let i = 0; i < spans.count; i++) {
			const buf = data.subarray(spans.offsets[i]!, spans.offsets[i]! + spans.lengths[i]!);
			const desc = buf.readUInt32LE(0);
			const fault = decodeFaultRecord(buf);
			const l = this.#layouts.get(fault ? fault.epid : desc);
			if (!l) continue; // a record of an enabling disabled since
			if (fault) {
				faults.push(runtimeFault(fault, this.#nameOf(fault.probe), l.enabling));
				continue;
			}
			const d = decodeRecord(buf, l.layout, this.#nameOf, desc, (name) => this.aggId(l.enabling, name), this.syms);
			if (d.fault) faults.push(d.fault);
			if (!d.record) continue;
			(d.record as OrderedRecord).enabling = l.enabling;
			let q = perCpu.get(d.record.cpu);
			if (!q) perCpu.set(d.record.cpu, (q = []));
			q.push(d.record);
		}
	}

	/** Records the kernel could not write, per CPU, since the last look. */
	#newDrops(): Map<number, bigint> {
		const out = new Map<number, bigint>();
		const now = this.maps.readCounterPerCpu(this.maps.ringDropSlot);
		now.forEach((n, cpu) => {
			const before = this.#dropsSeen[cpu] ?? 0n;
			if (n > before) out.set(cpu, n - before);
		});
		this.#dropsSeen = now;
		return out;
	}

	/**
	 * The fast path of poll() for batch output (direct-drain.ts): the text of
	 * everything that arrived, and the drops; undefined when this drain must be
	 * read with poll() (nothing was consumed then).
	 */
	pollText(
		direct: DirectDrain,
	): { text: Buffer; records: number; fill: number; drops: Map<number, bigint> } | undefined {
		if (!this.active) return undefined;
		this.#reader ??= new RingBuffer(this.maps.ring);
		const r = direct.drain(this.#reader, (id) => this.#layouts.get(id)?.layout, this.#nameOf);
		return r && { ...r, drops: this.#newDrops() };
	}

	close(): void {
		this.#reader?.close();
		this.#reader = undefined;
	}
}
