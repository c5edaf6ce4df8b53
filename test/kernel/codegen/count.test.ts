import assert from "node:assert/strict";
import { after, test } from "node:test";
import { attachUprobeMulti, type Link } from "../../../kernel/attach/index.ts";
import { BpfMap, MapType, Program, ProgType, sumPerCpuU64 } from "../../../kernel/bpf/index.ts";
import { compileClause } from "../../../kernel/codegen/compile.ts";
import type { AggFn, ClauseProgram, KeyField } from "../../../kernel/codegen/ir.ts";
import { keySize, valueSize } from "../../../kernel/codegen/layout.ts";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { SIMPLE, startSimple } from "../../helpers/fixture.ts";

const cleanup: { close(): void }[] = [];
after(() => {
	for (const c of cleanup.reverse()) c.close();
});

function maps() {
	const hits = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 16, name: "hits" });
	const counters = BpfMap.create({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 16, name: "ctr" });
	const zero = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4096, maxEntries: 1, name: "zero" });
	cleanup.push(hits, counters, zero);
	return { hits, counters, zero };
}

function probeOffset(name: string): number {
	const p = ElfFile.open(SIMPLE)
		.usdtProbes()
		.find((x) => x.provider === "simple" && x.name === name);
	assert.ok(p, `fixture has simple:${name}`);
	return p.pcOffset;
}

function aggMap(keys: KeyField[], fn: AggFn) {
	const m = BpfMap.create({
		type: MapType.PERCPU_HASH,
		keySize: keySize(keys),
		valueSize: valueSize(fn),
		maxEntries: 1024,
		name: "agg",
	});
	cleanup.push(m);
	return m;
}

test("a USDT probe fired 1,000,000 times counts exactly 1,000,000 across CPUs", async () => {
	const { hits, counters, zero } = maps();
	const keys: KeyField[] = [];
	const agg = aggMap(keys, "count");
	const clause: ClauseProgram = {
		name: "count",
		ctx: "uprobe-multi",
		args: [],
		hitsFd: hits.fd,
		countersFd: counters.fd,
		dropSlot: 0,
		zeroFd: zero.fd,
		statements: [{ k: "agg", mapFd: agg.fd, fn: "count", keys, insertSlot: 1 }],
	};
	const prog = Program.load({
		type: ProgType.KPROBE,
		insns: compileClause(clause),
		name: "dtop_count",
		expectedAttachType: 48,
	});
	cleanup.push(prog);
	const fx = await startSimple(["--count", "1000000"]);
	let link: Link | undefined;
	try {
		link = attachUprobeMulti(prog.fd, {
			path: SIMPLE,
			pid: fx.pid,
			sites: [{ offset: BigInt(probeOffset("saw__line")), cookie: (7n << 32n) | 0n }],
		});
		await fx.go();
		assert.equal(await fx.exited, 0);
	} finally {
		link?.close();
		fx.kill();
	}
	const v = agg.lookupPerCpu(Buffer.alloc(8));
	assert.ok(v);
	assert.equal(sumPerCpuU64(v, 0), 1_000_000n);
	assert.equal(sumPerCpuU64(hits.lookupPerCpu(Buffer.alloc(4))!, 0), 1_000_000n);
	assert.equal(sumPerCpuU64(counters.lookupPerCpu(Buffer.from([1, 0, 0, 0]))!, 0), 1n, "one key inserted");
});
