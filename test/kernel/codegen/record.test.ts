// Per-event records from generated programs, run by the kernel on demand
// (raw tracepoint programs and BPF_PROG_TEST_RUN, as BEGIN and END run): the
// header, integers, execname, copyinstr's result, exit()'s state, and drops
// counted per CPU when the ring buffer is full.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";
import { after, test } from "node:test";
import { BpfMap, MapType, Program, ProgType, RingBuffer } from "../../../kernel/bpf/index.ts";
import { compileClause } from "../../../kernel/codegen/compile.ts";
import type { ClauseProgram, RecordStmt } from "../../../kernel/codegen/ir.ts";
import { RECORD_HEADER } from "../../../kernel/codegen/ir.ts";

const cleanup: { close(): void }[] = [];
after(() => {
	for (const c of cleanup.reverse()) c.close();
});

function setup(ringBytes = 1 << 16) {
	const mk = (spec: Parameters<typeof BpfMap.create>[0]) => {
		const m = BpfMap.create(spec);
		cleanup.push(m);
		return m;
	};
	return {
		hits: mk({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: "hits" }),
		counters: mk({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, name: "ctr" }),
		zero: mk({ type: MapType.ARRAY, keySize: 4, valueSize: 64, maxEntries: 1, name: "zero" }),
		ring: mk({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: ringBytes, name: "ring" }),
		scratch: mk({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 1024, maxEntries: 1, name: "scratch" }),
		state: mk({ type: MapType.ARRAY, keySize: 4, valueSize: 16, maxEntries: 1, name: "state" }),
	};
}

function load(m: ReturnType<typeof setup>, statements: RecordStmt[], size: number, extra: Partial<ClauseProgram> = {}) {
	const cp: ClauseProgram = {
		name: "rec",
		ctx: "run",
		args: [],
		hitsFd: m.hits.fd,
		countersFd: m.counters.fd,
		dropSlot: 0,
		zeroFd: m.zero.fd,
		statements,
		fixedCookie: (7n << 32n) | 0n,
		record: { ringFd: m.ring.fd, scratchFd: m.scratch.fd, size, descId: 42, dropSlot: 1 },
		stateFd: m.state.fd,
		...extra,
	};
	const prog = Program.load({ type: ProgType.RAW_TRACEPOINT, insns: compileClause(cp), name: "rec" });
	cleanup.push(prog);
	return prog;
}

const key0 = Buffer.alloc(4);

test("a record carries its descriptor, the probe id, timestamp and CPU, then integers, execname and exit's status", () => {
	const m = setup();
	const H = RECORD_HEADER;
	const prog = load(
		m,
		[
			{ k: "rec-int", off: H, e: { k: "const", v: -5n } },
			{ k: "rec-int", off: H + 8, e: { k: "builtin", name: "pid" } },
			{ k: "rec-str", off: H + 16, size: 16, e: { k: "comm" } },
			{ k: "exit", off: H + 32, e: { k: "const", v: 3n } },
		],
		H + 40,
	);
	const reader = new RingBuffer(m.ring);
	cleanup.push(reader);
	const before = process.hrtime.bigint();
	// Without a CPU the kernel runs it right here, in this process (on another CPU it would run in an interrupt).
	prog.testRun({ ctx: Buffer.alloc(8) });
	const [rec, more] = reader.poll();
	assert.equal(more, undefined);
	assert.equal(rec.length, H + 40);
	assert.equal(rec.readUInt32LE(0), 42);
	assert.equal(rec.readUInt32LE(4), 7);
	assert.ok(rec.readBigUInt64LE(8) > 0n && rec.readBigUInt64LE(8) >= before - 10n ** 9n);
	assert.ok(rec.readUInt32LE(16) < cpus().length);
	assert.equal(rec.readBigInt64LE(H), -5n);
	assert.equal(Number(rec.readBigUInt64LE(H + 8)), process.pid, "the program ran in this process");
	const comm = rec.subarray(H + 16, H + 32);
	assert.equal(comm.toString("latin1", 0, comm.indexOf(0)), readFileSync("/proc/self/comm", "latin1").trim());
	assert.equal(rec.readBigInt64LE(H + 32), 3n);
	// exit() set the state: {flag, status}.
	const st = m.state.lookup(key0)!;
	assert.equal(st.readBigUInt64LE(0), 1n);
	assert.equal(st.readBigInt64LE(8), 3n);
});

test("once the state flag is set, a program records nothing; BEGIN and END programs still do", () => {
	const m = setup();
	const H = RECORD_HEADER;
	const stmts: RecordStmt[] = [{ k: "rec-int", off: H, e: { k: "const", v: 1n } }];
	const probe = load(m, stmts, H + 8);
	const end = load(m, stmts, H + 8, { ignoreState: true });
	const reader = new RingBuffer(m.ring);
	cleanup.push(reader);
	probe.testRun({ ctx: Buffer.alloc(8) });
	assert.equal(reader.poll().length, 1);
	const v = Buffer.alloc(16);
	v.writeBigUInt64LE(1n);
	m.state.update(key0, v);
	probe.testRun({ ctx: Buffer.alloc(8) });
	assert.equal(reader.poll().length, 0);
	end.testRun({ ctx: Buffer.alloc(8) });
	assert.equal(reader.poll().length, 1);
});

test("copyinstr() of an unreadable address abandons the clause: no record is written", () => {
	const m = setup();
	const H = RECORD_HEADER;
	const prog = load(
		m,
		[{ k: "rec-str", off: H, size: 64, e: { k: "copyinstr", addr: { k: "const", v: 16n } } }],
		H + 80,
	);
	const reader = new RingBuffer(m.ring);
	cleanup.push(reader);
	prog.testRun({ ctx: Buffer.alloc(8) });
	assert.equal(reader.poll().length, 0);
});

test("a full ring buffer: every record that did not fit is counted on its CPU", () => {
	const m = setup(4096);
	const H = RECORD_HEADER;
	const prog = load(m, [{ k: "rec-int", off: H, e: { k: "const", v: 9n } }], H + 8);
	const reader = new RingBuffer(m.ring);
	cleanup.push(reader);
	const runs = 500;
	for (let i = 0; i < runs; i++) prog.testRun({ ctx: Buffer.alloc(8), cpu: 0 });
	const got = reader.poll().length;
	const perCpu = m.counters.lookupPerCpu(Buffer.from([1, 0, 0, 0]))!.map((b) => b.readBigUInt64LE(0));
	assert.ok(got > 0 && got < runs, `${got} records fit`);
	assert.equal(perCpu[0], BigInt(runs - got));
	assert.ok(perCpu.slice(1).every((n) => n === 0n));
});
