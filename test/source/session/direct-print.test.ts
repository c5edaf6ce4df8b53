// The fast path of per-event output (source/session/direct-drain.ts and
// direct-print.ts) against the general one (decodeRecord + EventFormatter):
// the same records, laid out as the kernel writes them into a ring buffer,
// must give byte-for-byte the same text, in the same order, for every
// conversion, value size, sign, string (escaped or raw), quiet or not.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { RingBuffer } from "../../../kernel/bpf/index.ts";
import { RecordSpans } from "../../../kernel/bpf/ringbuf.ts";
import { EventFormatter } from "../../../source/output/events.ts";
import type { ProbeName } from "../../../source/output/model.ts";
import { DirectDrain } from "../../../source/session/direct-drain.ts";
import { decodeRecord, type RecordLayout } from "../../../source/session/records.ts";

const SIZE = 1 << 16;

/** A ring buffer's data area, as RingBuffer shows it: twice over, records behind 8-byte headers. */
class FakeRing {
	readonly size = SIZE;
	readonly ab = new ArrayBuffer(2 * SIZE);
	readonly bytes = Buffer.from(this.ab);
	readonly words = { u32: new Uint32Array(this.ab), i32: new Int32Array(this.ab) };
	cons = 0;
	prod = 0;

	/** Writes one record (its bytes are mirrored into the second copy, as the kernel's mapping shows them). */
	put(rec: Buffer): void {
		const hdr = Buffer.alloc(8);
		hdr.writeUInt32LE(rec.length, 0);
		const whole = Buffer.concat([hdr, rec, Buffer.alloc((8 - (rec.length % 8)) % 8)]);
		for (let i = 0; i < whole.length; i++) {
			const at = (this.prod + i) % SIZE;
			this.bytes[at] = whole[i]!;
			this.bytes[at + SIZE] = whole[i]!;
		}
		this.prod += whole.length;
	}

	pending(spans: RecordSpans): RecordSpans {
		spans.count = 0;
		spans.start = this.cons;
		let c = this.cons;
		while (c < this.prod) {
			const at = c % SIZE;
			const n = this.bytes.readUInt32LE(at);
			spans.push(at + 8, n);
			c += (n + 8 + 7) & ~7;
		}
		spans.end = c;
		return spans;
	}

	advance(end: number): void {
		this.cons = end;
	}
}

const PROBES: ProbeName[] = [
	{ id: 7, provider: "syscall", module: "vmlinux", function: "getppid", name: "entry" },
	{ id: 1234, provider: "simple42", module: "simple", function: "fire_line", name: "saw-line" },
];
const probeOf = (id: number) => PROBES.find((p) => p.id === id) ?? PROBES[0]!;

const int = (off: number, size: 1 | 2 | 4 | 8, signed: boolean) => ({ k: "int" as const, off, size, signed });
const str = (off: number, size: number) => ({ k: "str" as const, off, size, copyin: false });

/** Layouts by descriptor id; each field is an 8-byte slot or a string after the 24-byte header. */
const LAYOUTS: Record<number, RecordLayout> = {
	1: {
		size: 56,
		actions: [{ kind: "printf", format: "%d %s %d\n", args: [int(24, 4, true), str(32, 16), int(48, 8, true)] }],
	},
	2: {
		size: 136,
		actions: [
			{
				kind: "printf",
				format: "%u|%i|%x|%5d|%-6s|%.2s|%%|%c|%S|%ld|%s|%d|%llu|%hd\n",
				args: [
					int(24, 4, false),
					int(32, 8, false),
					int(40, 8, true),
					int(48, 4, true),
					str(56, 8),
					str(64, 8),
					int(72, 1, true),
					str(80, 8),
					int(88, 8, true),
					{ k: "const", value: "lit\x1b", trusted: true },
					int(96, 2, true),
					int(104, 8, false),
					int(112, 2, true),
				],
			},
		],
	},
	3: {
		size: 64,
		actions: [
			{ kind: "trace", arg: int(24, 2, true) },
			{ kind: "trace", arg: str(32, 16) },
			{ kind: "trace", arg: { k: "const", value: "k", trusted: true } },
			{ kind: "trace", arg: int(48, 8, false) },
			{
				kind: "printf",
				format: "[%s:%s]",
				args: [
					{ k: "probe", field: "function" },
					{ k: "probe", field: "name" },
				],
			},
		],
	},
	4: { size: 24, actions: [] },
	5: {
		size: 48,
		actions: [
			{ kind: "printf", format: "yes %d\n", args: [int(32, 4, true)], guard: 24 },
			{
				kind: "printf",
				format: "always %*d|%-*s|\n",
				args: [int(40, 4, true), int(32, 4, true), int(40, 4, true), { k: "const", value: "ab", trusted: true }],
			},
		],
	},
};

const INTS = [
	0n,
	1n,
	-1n,
	127n,
	-128n,
	255n,
	32767n,
	-32768n,
	65535n,
	2147483647n,
	-2147483648n,
	4294967295n,
	(1n << 53n) - 1n,
	1n << 53n,
	-(1n << 53n),
	-(1n << 53n) - 1n,
	(1n << 63n) - 1n,
	-(1n << 63n),
	(1n << 64n) - 1n,
	123456789012345n,
];
const STRINGS = ["bench-loop", "", "a\tb", "é", "\x1b[2J", "x".repeat(16), "\x7fz", "sp ace~"];

/** A small, well-mixed PRNG (mulberry32): every value and string gets its turn. */
function rng(seed: number): () => number {
	let s = seed >>> 0;
	return () => {
		s = (s + 0x6d2b79f5) >>> 0;
		let t = Math.imul(s ^ (s >>> 15), 1 | s);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return (t ^ (t >>> 14)) >>> 0;
	};
}

function record(desc: number, r: () => number, ts: bigint, cpu: number): Buffer {
	const layout = LAYOUTS[desc]!;
	const b = Buffer.alloc(layout.size);
	b.writeUInt32LE(desc, 0);
	b.writeUInt32LE(PROBES[r() % PROBES.length]!.id, 4);
	b.writeBigUInt64LE(ts, 8);
	b.writeUInt32LE(cpu, 16);
	for (let off = 24; off < layout.size; off += 8) b.writeBigUInt64LE(BigInt.asUintN(64, INTS[r() % INTS.length]!), off);
	// Strings where the layouts have them (the rest of their slot stays as written: after the NUL).
	const strs: Record<number, [number, number][]> = {
		1: [[32, 16]],
		2: [
			[56, 8],
			[64, 8],
			[80, 8],
		],
		3: [[32, 16]],
	};
	for (const [off, size] of strs[desc] ?? []) {
		b.fill(0, off, off + size);
		Buffer.from(STRINGS[r() % STRINGS.length]!, "utf8").copy(b, off, 0, size);
	}
	if (desc === 5) {
		b.writeBigUInt64LE(BigInt(r() % 2), 24); // the guard
		b.writeBigInt64LE(BigInt((r() % 21) - 10), 40); // a small dynamic width
	}
	return b;
}

for (const quiet of [true, false])
	for (const strings of ["raw", "escape"] as const)
		for (const testing of [false, true])
			test(`the fast path writes what the general one does (quiet ${quiet}, ${strings} strings, testing ${testing})`, () => {
				const r = rng(quiet ? 11 : 7);
				const ring = new FakeRing();
				const recs: Buffer[] = [];
				const opts = { quiet, testing, ctx: { strings } };
				const drain = new DirectDrain({ ...opts });
				const general = new EventFormatter(opts);
				const fast = new EventFormatter(opts);
				let fastText = "";
				let generalText = "";
				for (let round = 0; round < 20; round++) {
					// Two CPUs whose records interleave in the ring out of timestamp order.
					const batch: { cpu: number; ts: bigint; desc: number }[] = [];
					for (let i = 0; i < 40; i++)
						batch.push({ cpu: i % 2, ts: BigInt(round * 1000 + i * 10 + (i % 2) * 15), desc: 1 + (r() % 5) });
					for (const x of batch) {
						const rec = record(x.desc, r, x.ts, x.cpu);
						ring.put(rec);
						recs.push(rec);
					}
					const got = drain.drain(ring as unknown as RingBuffer, (d) => LAYOUTS[d], probeOf);
					assert.ok(got, "every layout here takes the fast path");
					assert.equal(got.records, batch.length);
					if (got.records) fastText += fast.takeHeading();
					fastText += got.text.toString("utf8");
					// The general path: each CPU's records in ring order, CPUs merged by timestamp.
					const decoded = recs.splice(0).map((b) => decodeRecord(b, LAYOUTS[b.readUInt32LE(0)]!, probeOf, 1, () => 0));
					const ordered = decoded
						.map((d) => d.record!)
						.sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.cpu - b.cpu));
					for (const rec of ordered) generalText += general.format(rec).text;
				}
				assert.equal(ring.cons, ring.prod, "the drain consumed every record");
				if (process.env.SHOW) console.log(JSON.stringify(fastText.slice(0, 1500)));
				assert.equal(fastText, generalText);
			});

test("a drain with a record the fast path does not do consumes nothing", () => {
	const ring = new FakeRing();
	const layouts: Record<number, RecordLayout> = {
		...LAYOUTS,
		9: { size: 32, actions: [{ kind: "exit", arg: int(24, 4, true) }] },
	};
	ring.put(record(1, rng(3), 5n, 0));
	const exitRec = Buffer.alloc(32);
	exitRec.writeUInt32LE(9, 0);
	ring.put(exitRec);
	const drain = new DirectDrain({ quiet: true, testing: false, ctx: {} });
	assert.equal(
		drain.drain(ring as unknown as RingBuffer, (d) => layouts[d], probeOf),
		undefined,
	);
	assert.equal(ring.cons, 0);
	// A record of a speculation likewise.
	const ring2 = new FakeRing();
	const spec = record(1, rng(3), 5n, 0);
	spec.writeUInt32LE(1, 20);
	ring2.put(spec);
	assert.equal(
		drain.drain(ring2 as unknown as RingBuffer, (d) => layouts[d], probeOf),
		undefined,
	);
	assert.equal(ring2.cons, 0);
});

test("records of an enabling that is gone are skipped and consumed", () => {
	const ring = new FakeRing();
	ring.put(record(1, rng(5), 5n, 0));
	const gone = record(1, rng(5), 6n, 0);
	gone.writeUInt32LE(77, 0);
	ring.put(gone);
	const drain = new DirectDrain({ quiet: true, testing: false, ctx: { strings: "raw" } });
	const got = drain.drain(ring as unknown as RingBuffer, (d) => LAYOUTS[d], probeOf);
	assert.equal(got?.records, 1);
	assert.equal(ring.cons, ring.prod);
});

test("RecordSpans grows past its first thousand records", () => {
	const s = new RecordSpans();
	for (let i = 0; i < 5000; i++) s.push(i * 8, i);
	assert.equal(s.count, 5000);
	assert.equal(s.offsets[4999], 4999 * 8);
	assert.equal(s.lengths[4321], 4321);
});
