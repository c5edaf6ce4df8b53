// Fault records from generated programs run by the kernel (BPF_PROG_TEST_RUN):
// a zero divisor or an unreadable copyinstr() address jumps to the clause's
// handler, which counts the fault and writes DTrace's fault data (enabled probe,
// clause, action, DTRACEFLT_* code, address) into the ring; the clause's record
// is not written, and the next clause of the program still runs.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { BpfMap, MapType, Program, ProgType, RingBuffer } from "../../../kernel/bpf/index.ts";
import { compileClauses } from "../../../kernel/codegen/compile.ts";
import { DTRACEFLT, decodeFaultRecord, type FaultPlan } from "../../../kernel/codegen/faults.ts";
import type { ClauseProgram, IntExpr, Stmt } from "../../../kernel/codegen/ir.ts";
import { BUF_SIZE, RECORD_HEADER } from "../../../kernel/codegen/ir.ts";

const cleanup: { close(): void }[] = [];
after(() => {
	for (const c of cleanup.reverse()) c.close();
});
const mk = (spec: Parameters<typeof BpfMap.create>[0]) => {
	const m = BpfMap.create(spec);
	cleanup.push(m);
	return m;
};
const H = RECORD_HEADER;
const arg0: IntExpr = { k: "arg", n: 0 };

function setup() {
	const m = {
		hits: mk({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: "hits" }),
		counters: mk({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, name: "ctr" }),
		zero: mk({ type: MapType.ARRAY, keySize: 4, valueSize: 64, maxEntries: 1, name: "zero" }),
		ring: mk({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 1 << 16, name: "ring" }),
		scratch: mk({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 1024, maxEntries: 1, name: "scratch" }),
		buf: mk({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: BUF_SIZE, maxEntries: 1, name: "buf" }),
	};
	const reader = new RingBuffer(m.ring);
	cleanup.push(reader);
	return { m, reader };
}

function clause(
	m: ReturnType<typeof setup>["m"],
	statements: Stmt[],
	descId: number,
	extra: Partial<ClauseProgram> = {},
) {
	const faults: FaultPlan = { ringFd: m.ring.fd, epid: descId, clause: descId - 40, slot: 2, dropSlot: 3 };
	return {
		name: "flt",
		ctx: "run",
		args: [{ k: "ctx", offset: 0, size: 8, signed: true }],
		hitsFd: m.hits.fd,
		countersFd: m.counters.fd,
		dropSlot: 0,
		zeroFd: m.zero.fd,
		bufFd: m.buf.fd,
		statements,
		fixedCookie: (7n << 32n) | 0n,
		record: { ringFd: m.ring.fd, scratchFd: m.scratch.fd, size: H + 8, descId, dropSlot: 1 },
		faults,
		...extra,
	} satisfies ClauseProgram;
}

function load(ps: ClauseProgram[]) {
	const prog = Program.load({ type: ProgType.RAW_TRACEPOINT, insns: compileClauses(ps), name: "flt" });
	cleanup.push(prog);
	return prog;
}

function ctx(v: bigint): Buffer {
	const b = Buffer.alloc(8);
	b.writeBigInt64LE(v);
	return b;
}

const faultCount = (m: ReturnType<typeof setup>["m"]) => {
	const k = Buffer.alloc(4);
	k.writeUInt32LE(2);
	return (m.counters.lookupPerCpu(k) ?? []).reduce((n, b) => n + b.readBigUInt64LE(0), 0n);
};

for (const op of ["/", "%"] as const)
	test(`'${op}' by zero writes a DIVZERO fault record and no record; a non-zero divisor records the value`, () => {
		const { m, reader } = setup();
		const div: IntExpr = { k: "bin", op, l: { k: "const", v: -100n }, r: arg0 };
		const prog = load([
			clause(
				m,
				[
					{ k: "eval", e: { k: "const", v: 1n } },
					{ k: "rec-int", off: H, e: div },
				],
				42,
			),
			clause(m, [{ k: "rec-int", off: H, e: { k: "const", v: 5n } }], 43),
		]);
		prog.testRun({ ctx: ctx(0n) });
		const got = reader.poll();
		assert.equal(got.length, 2);
		const f = decodeFaultRecord(got[0]!);
		assert.ok(f, "a fault record first");
		assert.deepEqual(
			{ epid: f.epid, probe: f.probe, fault: f.fault, action: f.action, clause: f.clause, addr: f.addr },
			{ epid: 42, probe: 7, fault: DTRACEFLT.DIVZERO, action: 2, clause: 2, addr: 0n },
		);
		// The next clause ran.
		assert.equal(got[1]!.readUInt32LE(0), 43);
		assert.equal(got[1]!.readBigInt64LE(H), 5n);
		assert.equal(faultCount(m), 1n);
		prog.testRun({ ctx: ctx(7n) });
		const ok = reader.poll();
		assert.equal(ok[0]!.readUInt32LE(0), 42);
		assert.equal(ok[0]!.readBigInt64LE(H), op === "/" ? -14n : -2n);
		assert.equal(faultCount(m), 1n);
	});

test("copyinstr() of an unreadable address is a BADADDR fault at that address; in the predicate it is action 0", () => {
	const { m, reader } = setup();
	const prog = load([
		clause(m, [{ k: "rec-str", off: H, size: 64, e: { k: "copyinstr", addr: arg0 } }], 44, {
			record: { ringFd: m.ring.fd, scratchFd: m.scratch.fd, size: H + 80, descId: 44, dropSlot: 1 },
		}),
		clause(m, [{ k: "rec-int", off: H, e: { k: "const", v: 1n } }], 45, {
			predicate: {
				k: "streq",
				neg: false,
				l: { k: "copyinstr", addr: { k: "const", v: 24n } },
				r: { k: "strconst", v: "x" },
			},
		}),
	]);
	prog.testRun({ ctx: ctx(16n) });
	const got = reader.poll().map((b) => decodeFaultRecord(b));
	assert.equal(got.length, 2);
	assert.deepEqual(
		got.map((f) => f && [f.epid, f.fault, f.action, f.addr]),
		[
			[44, DTRACEFLT.BADADDR, 1, 16n],
			[45, DTRACEFLT.BADADDR, 0, 24n],
		],
	);
	assert.equal(faultCount(m), 2n);
});

test("without a fault plan a fault still abandons the clause, silently", () => {
	const { m, reader } = setup();
	const div: IntExpr = { k: "bin", op: "/", l: { k: "const", v: 1n }, r: arg0, unsigned: true };
	const prog = load([clause(m, [{ k: "rec-int", off: H, e: div }], 46, { faults: undefined })]);
	prog.testRun({ ctx: ctx(0n) });
	assert.equal(reader.poll().length, 0);
});
