import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
	Asm,
	BpfMap,
	MapType,
	openObjectList,
	openObjects,
	Program,
	ProgType,
	pageSize,
	R0,
	R1,
	R2,
	R3,
	R4,
	R6,
	R7,
	R10,
	RecordSpans,
	RingBuffer,
} from "../../../kernel/bpf/index.ts";
import { FakeSys, setSys } from "../../../kernel/sys/index.ts";
import { tracingFds } from "../../helpers/bpf-objects.ts";

const fdsAtStart = tracingFds();
after(() => {
	assert.equal(openObjects(), 0, `still open: ${JSON.stringify(openObjectList())}`);
	assert.deepEqual(tracingFds(), fdsAtStart);
});

/**
 * A socket filter that numbers its runs with an array-map counter and sends
 * `size` bytes per run: the run number (u64) followed by a byte pattern. With
 * `discardEvery`, every n-th record is reserved and discarded instead.
 */
function producer(rb: BpfMap, counter: BpfMap, size: number, discardEvery = 0): Program {
	const a = new Asm().ldMapValue(R6, counter.fd, 0).mov(R7, 1).atomicAdd(8, R6, 0, R7, true); // R7 = run number
	if (discardEvery > 0) {
		a.mov(R1, R7)
			.mod(R1, discardEvery)
			.jne(R1, discardEvery - 1, "output")
			.ldMapFd(R1, rb.fd)
			.mov(R2, size)
			.mov(R3, 0)
			.call("ringbuf_reserve")
			.jeq(R0, 0, "out")
			.mov(R1, R0)
			.mov(R2, 0)
			.call("ringbuf_discard")
			.ja("out")
			.label("output");
	}
	// Build the record on the stack: [run u64][pattern bytes…]
	a.stx(8, R10, -size, R7);
	for (let off = 8; off < size; off += 8) a.st(8, R10, -size + off, 0x01020304 + off);
	a.ldMapFd(R1, rb.fd)
		.mov(R2, R10)
		.add(R2, -size)
		.mov(R3, size)
		.mov(R4, 0)
		.call("ringbuf_output")
		.label("out")
		.mov(R0, 0)
		.exit();
	return Program.load({ type: ProgType.SOCKET_FILTER, name: "t_rb_out", insns: a, license: "GPL" });
}

function setup(size: number, recordSize: number, discardEvery = 0) {
	const rb = BpfMap.create({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: size, name: "t_rb" });
	const counter = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: "t_rb_n" });
	const prog = producer(rb, counter, recordSize, discardEvery);
	const reader = new RingBuffer(rb);
	return {
		rb,
		reader,
		run: (times: number) => prog.testRun({ data: Buffer.alloc(64), repeat: times }),
		close() {
			reader.close();
			prog.close();
			counter.close();
			rb.close();
		},
	};
}

describe("ring buffer", () => {
	test("a record sent by bpf_ringbuf_output in the kernel reads back intact", () => {
		const s = setup(pageSize(), 32);
		try {
			assert.equal(s.reader.available(), 0);
			assert.deepEqual(s.reader.poll(), []);
			s.run(1);
			assert.equal(s.reader.available(), 8 + 32);
			const [rec, ...rest] = s.reader.poll();
			assert.equal(rest.length, 0);
			assert.equal(rec.length, 32);
			assert.equal(rec.readBigUInt64LE(0), 0n);
			assert.equal(rec.readBigUInt64LE(8), BigInt(0x01020304 + 8));
			assert.equal(rec.readBigUInt64LE(24), BigInt(0x01020304 + 24));
			assert.equal(s.reader.available(), 0);
		} finally {
			s.close();
		}
	});

	test("records keep their order across many wraps of the buffer, and poll honours max", () => {
		const size = pageSize(); // 4096 bytes: 64 records of 56+8 bytes fill it
		const s = setup(size, 56);
		try {
			let next = 0n;
			for (let round = 0; round < 20; round++) {
				s.run(45); // 45 × 64 bytes: every other round crosses the end of the data area
				const first = s.reader.poll(10);
				assert.equal(first.length, 10);
				const recs = [...first, ...s.reader.poll()];
				assert.equal(recs.length, 45, `round ${round}`);
				for (const r of recs) {
					assert.equal(r.length, 56);
					assert.equal(r.readBigUInt64LE(0), next++);
					assert.equal(r.readBigUInt64LE(48), BigInt(0x01020304 + 48));
				}
			}
		} finally {
			s.close();
		}
	});

	test("pending() finds records in place without consuming them; advance() gives the space back; a wrapped span reads contiguous", () => {
		const size = pageSize();
		const s = setup(size, 56);
		try {
			const spans = new RecordSpans();
			let next = 0n;
			for (let round = 0; round < 12; round++) {
				s.run(45);
				s.reader.pending(spans);
				assert.equal(spans.count, 45);
				// Not consumed: a second look finds the same records, and the producer has no room for 20 more.
				assert.equal(s.reader.pending(new RecordSpans()).count, 45);
				assert.equal(spans.end - spans.start, 45 * 64);
				const data = s.reader.bytes;
				// The span from the first record's header is one run of bytes, even across the end of the area.
				const from = spans.start % size;
				for (let i = 0; i < spans.count; i++) {
					const at = spans.offsets[i]!;
					assert.equal(at, ((spans.start + i * 64) % size) + 8, `round ${round} record ${i}`);
					assert.equal(spans.lengths[i], 56);
					assert.equal(data.readBigUInt64LE(at), next);
					assert.equal(data.readBigUInt64LE(from + i * 64 + 8), next++, "the mapping's second copy");
					assert.equal(data.readBigUInt64LE(at + 48), BigInt(0x01020304 + 48));
				}
				s.reader.advance(spans.end);
				assert.equal(s.reader.available(), 0);
			}
		} finally {
			s.close();
		}
	});

	test("a full buffer drops new records instead of overwriting unread ones", () => {
		const s = setup(pageSize(), 56);
		try {
			// The producer may never catch up with the consumer exactly (that would read
			// as empty), so 4096 bytes hold 63 records of 64 bytes, not 64.
			s.run(100);
			const recs = s.reader.poll();
			assert.equal(recs.length, 63);
			assert.deepEqual(
				recs.map((r) => Number(r.readBigUInt64LE(0))),
				Array.from({ length: 63 }, (_, i) => i),
			);
			s.run(1); // room again: the next record is run 100
			assert.deepEqual(
				s.reader.poll().map((r) => Number(r.readBigUInt64LE(0))),
				[100],
			);
		} finally {
			s.close();
		}
	});

	test("discarded records are skipped and counted", () => {
		const s = setup(pageSize(), 24, 3);
		try {
			s.run(9); // runs 2, 5, 8 discard
			const got = s.reader.poll().map((r) => Number(r.readBigUInt64LE(0)));
			assert.deepEqual(got, [0, 1, 3, 4, 6, 7]);
			assert.equal(s.reader.discarded, 3);
			assert.equal(s.reader.available(), 0);
		} finally {
			s.close();
		}
	});

	test("wait() resolves with records that arrive later", async () => {
		const s = setup(pageSize(), 16);
		try {
			setTimeout(() => s.run(2), 30);
			const recs = await s.reader.wait(2000, 5);
			assert.equal(recs.length, 2);
			assert.deepEqual(await s.reader.wait(20, 5), []);
		} finally {
			s.close();
		}
	});

	test("only ring buffer maps can be read this way; a closed reader says so", () => {
		const m = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: "t_notrb" });
		try {
			assert.throws(() => new RingBuffer(m), /is not a ring buffer/);
		} finally {
			m.close();
		}
		const s = setup(pageSize(), 16);
		s.close();
		assert.throws(() => s.reader.poll(), /reader is closed/);
		assert.throws(() => s.rb.keys(), /is closed/);
	});

	test("a record still being written (busy bit) stops the reader until it is committed", () => {
		const fake = new FakeSys();
		const mapped: bigint[] = [];
		const mmap = fake.mmap.bind(fake);
		fake.mmap = (...args) => {
			const addr = mmap(...args);
			mapped.push(addr);
			return addr;
		};
		const prev = setSys(fake);
		try {
			const rb = BpfMap.create({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: "t_fake" });
			const reader = new RingBuffer(rb);
			// The fake's mmap hands out plain memory: play the producer by hand.
			const [consumer, producer] = fake.calls.filter((c) => c.call === "mmap").map((c) => c.args);
			assert.deepEqual([consumer[0], consumer[4]], [pageSize(), 0]);
			assert.deepEqual([producer[0], producer[4]], [pageSize() + 2 * 4096, pageSize()]);
			const mem = Buffer.from(fake.view(mapped[1], pageSize() + 2 * 4096));
			const data = mem.subarray(pageSize());
			data.writeUInt32LE(5, 0); // record 1: 5 bytes, committed
			data.write("hello", 8);
			data.writeUInt32LE((0x80000000 | 3) >>> 0, 16); // record 2: busy
			data.write("abc", 24);
			mem.writeBigUInt64LE(32n, 0); // producer position
			assert.deepEqual(
				reader.poll().map((b) => b.toString()),
				["hello"],
			);
			assert.equal(reader.available(), 16);
			data.writeUInt32LE(3, 16); // committed now
			assert.deepEqual(
				reader.poll().map((b) => b.toString()),
				["abc"],
			);
			reader.close();
			rb.close();
		} finally {
			setSys(prev);
		}
	});
});
