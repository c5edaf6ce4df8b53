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
	private readonly mask: number;
	private token: OpenObject | undefined;

	constructor(map: BpfMap) {
		if (map.type !== MapType.RINGBUF) throw new Error(`map '${map.name}' is not a ring buffer.`);
		if (map.closed) throw new Error(`map '${map.name}' is closed.`);
		this.map = map;
		this.size = map.maxEntries;
		this.mask = this.size - 1;
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
		this.check();
		const out: Buffer[] = [];
		let cons = Atomics.load(this.consumerPos, 0);
		const prod = Atomics.load(this.producerPos, 0);
		while (cons < prod && out.length < max) {
			const at = Number(cons & BigInt(this.mask));
			// The producer publishes a record by clearing BUSY in its header; this
			// load is the acquire that makes the record's bytes visible.
			const len = Atomics.load(this.header, at / 4);
			if (len & BUSY_BIT) break;
			const n = len & ~(BUSY_BIT | DISCARD_BIT);
			if (len & DISCARD_BIT) this.discarded++;
			else out.push(Buffer.from(this.data.subarray(at + HDR_SIZE, at + HDR_SIZE + n)));
			cons += BigInt((n + HDR_SIZE + 7) & ~7);
			Atomics.store(this.consumerPos, 0, cons);
		}
		return out;
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
