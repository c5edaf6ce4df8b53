// Reader for a BPF ring buffer map (Linux 5.8+). The kernel exposes it through
// mmap: one writable page holding the consumer position, then (read-only) one
// page holding the producer position followed by the data area mapped twice in a
// row, so a record that wraps around the end can be read as one contiguous span.
// Node has no epoll binding, so readers poll the positions (each tick) instead
// of sleeping on the map's fd.
import { MAP_SHARED, PROT_READ, PROT_WRITE, sys } from "../sys/index.ts";
import { type BpfMap, MapType } from "./map.ts";
import { pageSize } from "./native.ts";
import { type OpenObject, track, untrack } from "./registry.ts";

/** Record header bits (include/uapi/linux/bpf.h, BPF_RINGBUF_*_BIT). */
const BUSY_BIT = 0x80000000;
const DISCARD_BIT = 0x40000000;
const HDR_SIZE = 8;

export class RingBuffer {
	readonly map: BpfMap;
	/** Data area size in bytes (the map's max_entries). */
	readonly size: number;
	/** Records the producer discarded (bpf_ringbuf_discard) and we skipped. */
	discarded = 0;

	private readonly page: number;
	private consumerAddr: bigint;
	private producerAddr: bigint;
	private readonly consumerPos: BigUint64Array;
	private readonly producerPos: BigUint64Array;
	private readonly header: Uint32Array;
	private readonly data: Buffer;
	private token: OpenObject | undefined;
	#i32: Int32Array | undefined;

	constructor(map: BpfMap) {
		if (map.type !== MapType.RINGBUF) throw new Error(`map '${map.name}' is not a ring buffer.`);
		if (map.closed) throw new Error(`map '${map.name}' is closed.`);
		this.map = map;
		this.size = map.maxEntries;
		this.page = pageSize();
		const s = sys();
		this.consumerAddr = s.mmap(this.page, PROT_READ | PROT_WRITE, MAP_SHARED, map.fd, 0);
		try {
			this.producerAddr = s.mmap(this.page + 2 * this.size, PROT_READ, MAP_SHARED, map.fd, this.page);
		} catch (e) {
			s.munmap(this.consumerAddr, this.page);
			throw e;
		}
		this.consumerPos = new BigUint64Array(s.view(this.consumerAddr, 8));
		const prod = s.view(this.producerAddr, this.page + 2 * this.size);
		this.producerPos = new BigUint64Array(prod, 0, 1);
		this.header = new Uint32Array(prod, this.page, (2 * this.size) / 4);
		this.data = Buffer.from(prod, this.page, 2 * this.size);
		this.token = track("memory", `ringbuf ${map.name} mapping`);
	}

	/** Bytes written by the producer and not yet consumed. */
	available(): number {
		this.check();
		return Number(Atomics.load(this.producerPos, 0) - Atomics.load(this.consumerPos, 0));
	}

	private check(): void {
		if (!this.token) throw new Error(`ring buffer '${this.map.name}' reader is closed.`);
	}

	/**
	 * Read committed records (copies), advancing the consumer position past them and
	 * past discarded ones. Stops at the first record still being written (busy),
	 * or after `max` records.
	 */
	poll(max = Number.POSITIVE_INFINITY): Buffer[] {
		const spans = this.pending(new RecordSpans(), max);
		const out: Buffer[] = [];
		for (let i = 0; i < spans.count; i++) {
			const at = spans.offsets[i]!;
			out.push(Buffer.from(this.data.subarray(at, at + spans.lengths[i]!)));
		}
		this.advance(spans.end);
		return out;
	}

	/**
	 * Where the committed records are, in place (no copies): each record's offset
	 * into `bytes` (past its header) and length, up to the first record still
	 * being written or `max` records. The consumer position is not moved: the
	 * bytes stay the producer's to keep until advance(spans.end).
	 */
	pending(spans: RecordSpans, max = Number.POSITIVE_INFINITY): RecordSpans {
		this.check();
		spans.count = 0;
		// Positions as numbers: exact below 2^53 bytes (a petabyte a day for 25 years).
		spans.start = Number(Atomics.load(this.consumerPos, 0));
		let cons = spans.start;
		const prod = Number(Atomics.load(this.producerPos, 0));
		const { header, size } = this;
		while (cons < prod && spans.count < max) {
			const at = cons % size; // not a 32-bit mask: positions pass 2^32
			// The producer publishes a record by clearing BUSY in its header; this
			// load is the acquire that makes the record's bytes visible.
			const len = Atomics.load(header, at >>> 2);
			if (len & BUSY_BIT) break;
			const n = len & ~(BUSY_BIT | DISCARD_BIT);
			if (len & DISCARD_BIT) this.discarded++;
			else spans.push(at + HDR_SIZE, n);
			cons += (n + HDR_SIZE + 7) & ~7;
		}
		spans.end = cons;
		return spans;
	}

	/** The mapped data area (twice over, so a record that wraps reads as one span). */
	get bytes(): Buffer {
		this.check();
		return this.data;
	}

	/** The data area as 32-bit words (records start 8-byte aligned). */
	get words(): { u32: Uint32Array; i32: Int32Array } {
		this.check();
		this.#i32 ??= new Int32Array(this.header.buffer, this.header.byteOffset, this.header.length);
		return { u32: this.header, i32: this.#i32 };
	}

	/** Give the producer back everything before `end` (a RecordSpans' end). */
	advance(end: number): void {
		this.check();
		Atomics.store(this.consumerPos, 0, BigInt(end));
	}

	/** Poll until at least one record arrives or `timeoutMs` passes (checking every `intervalMs`). */
	async wait(timeoutMs: number, intervalMs = 10): Promise<Buffer[]> {
		const end = Date.now() + timeoutMs;
		for (;;) {
			const r = this.poll();
			if (r.length > 0 || Date.now() >= end) return r;
			await new Promise((res) => setTimeout(res, intervalMs));
		}
	}

	/** Unmap the buffer; the map itself stays open (close it separately). */
	close(): void {
		if (!this.token) return;
		untrack(this.token);
		this.token = undefined;
		const s = sys();
		s.munmap(this.producerAddr, this.page + 2 * this.size);
		s.munmap(this.consumerAddr, this.page);
		this.producerAddr = 0n;
		this.consumerAddr = 0n;
	}
}

/** Committed records found by RingBuffer.pending(): reused from one read to the next. */
export class RecordSpans {
	offsets = new Int32Array(1024);
	lengths = new Int32Array(1024);
	count = 0;
	/** The consumer position before the first record found. */
	start = 0;
	/** The consumer position after the last record found. */
	end = 0;

	push(offset: number, length: number): void {
		if (this.count === this.offsets.length) {
			const o = new Int32Array(this.count * 2);
			o.set(this.offsets);
			this.offsets = o;
			const l = new Int32Array(this.count * 2);
			l.set(this.lengths);
			this.lengths = l;
		}
		this.offsets[this.count] = offset;
		this.lengths[this.count++] = length;
	}
}
