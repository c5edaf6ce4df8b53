import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, describe, test } from "node:test";
import {
	Asm,
	BpfMap,
	buildIdFrames,
	MapFlags,
	MapType,
	openObjectList,
	openObjects,
	Program,
	ProgType,
	parseCpuList,
	possibleCpuCount,
	possibleCpus,
	R0,
	R1,
	R2,
	R3,
	R10,
	reducePerCpuU64,
	SyscallError,
	stackFrames,
	sumPerCpu,
	sumPerCpuU64,
	UpdateFlags,
} from "../../../kernel/bpf/index.ts";
import { FakeSys, setSys } from "../../../kernel/sys/index.ts";
import { tracingFds } from "../../helpers/bpf-objects.ts";

const fdsAtStart = tracingFds();
after(() => {
	assert.equal(openObjects(), 0, `still open: ${JSON.stringify(openObjectList())}`);
	assert.deepEqual(tracingFds(), fdsAtStart);
});

const u32 = (n: number) => {
	const b = Buffer.alloc(4);
	b.writeUInt32LE(n);
	return b;
};
const u64 = (n: bigint | number) => {
	const b = Buffer.alloc(8);
	b.writeBigUInt64LE(BigInt(n));
	return b;
};

/** Run `f` with a map that is always closed afterwards. */
function withMap<T>(spec: Parameters<typeof BpfMap.create>[0], f: (m: BpfMap) => T): T {
	const m = BpfMap.create(spec);
	try {
		return f(m);
	} finally {
		m.close();
	}
}

describe("CPUs", () => {
	test("CPU lists parse like the kernel writes them", () => {
		assert.deepEqual(parseCpuList("0-3,5,7-8\n"), [0, 1, 2, 3, 5, 7, 8]);
		assert.deepEqual(parseCpuList("0\n"), [0]);
		assert.throws(() => parseCpuList("zero"), /cannot read the CPU list/);
	});

	test("possible CPUs come from sysfs", () => {
		const text = readFileSync("/sys/devices/system/cpu/possible", "utf8");
		assert.deepEqual(possibleCpus(), parseCpuList(text));
		assert.ok(possibleCpuCount() >= 1);
	});
});

describe("hash maps", () => {
	for (const [type, label] of [
		[MapType.HASH, "hash"],
		[MapType.LRU_HASH, "LRU hash"],
	] as const) {
		test(`${label}: update, lookup, delete, keys, batch`, () => {
			withMap({ type, keySize: 4, valueSize: 8, maxEntries: 64, name: `t_${type}` }, (m) => {
				assert.equal(m.lookup(u32(1)), undefined);
				m.update(u32(1), u64(100));
				m.update(u32(2), u64(200));
				assert.equal(m.lookup(u32(1))?.readBigUInt64LE(), 100n);
				assert.deepEqual(
					m
						.keys()
						.map((k) => k.readUInt32LE())
						.sort(),
					[1, 2],
				);
				const all = m.batchLookup();
				assert.ok(m.usesBatch);
				assert.deepEqual(
					all.map((e) => [e.key.readUInt32LE(), e.value.readBigUInt64LE()]).sort((a, b) => Number(a[0]) - Number(b[0])),
					[
						[1, 100n],
						[2, 200n],
					],
				);
				assert.equal(m.delete(u32(1)), true);
				assert.equal(m.delete(u32(1)), false);
				assert.equal(m.lookup(u32(1)), undefined);
				assert.equal(m.batchLookup().length, 1);
			});
		});
	}

	test("update flags: NOEXIST refuses an existing key, EXIST a missing one", () => {
		withMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: "t_flags" }, (m) => {
			m.update(u32(1), u64(1), UpdateFlags.NOEXIST);
			assert.throws(
				() => m.update(u32(1), u64(2), UpdateFlags.NOEXIST),
				(e: unknown) => e instanceof SyscallError && e.code === "EEXIST" && /map 't_flags'/.test(e.message),
			);
			assert.throws(
				() => m.update(u32(9), u64(2), UpdateFlags.EXIST),
				(e: unknown) => e instanceof SyscallError && e.code === "ENOENT",
			);
			m.update(u32(1), u64(3), UpdateFlags.EXIST);
			assert.equal(m.lookup(u32(1))?.readBigUInt64LE(), 3n);
		});
	});

	test("a full hash map refuses new keys; an LRU hash evicts instead", () => {
		withMap({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: "t_full" }, (m) => {
			for (let i = 0; i < 4; i++) m.update(u32(i), u64(i));
			assert.throws(
				() => m.update(u32(99), u64(0)),
				(e: unknown) => e instanceof SyscallError && e.code === "E2BIG",
			);
		});
		withMap({ type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 64, name: "t_lru" }, (m) => {
			for (let i = 0; i < 1000; i++) m.update(u32(i), u64(i));
			const n = m.batchLookup().length;
			assert.ok(n > 0 && n <= 64, `LRU map holds ${n}`);
			assert.ok(m.lookup(u32(999)), "the newest key survives");
		});
	});

	test("batch lookup reads thousands of entries exactly, across several batches", () => {
		withMap({ type: MapType.HASH, keySize: 8, valueSize: 16, maxEntries: 10000, name: "t_big" }, (m) => {
			for (let i = 0; i < 9000; i++) {
				const v = Buffer.alloc(16);
				v.writeBigUInt64LE(BigInt(i) * 3n, 0);
				v.writeBigUInt64LE(BigInt(i) ^ 0x5555n, 8);
				m.update(u64(i), v);
			}
			const t = performance.now();
			const all = m.batchLookup();
			const ms = performance.now() - t;
			assert.ok(m.usesBatch);
			assert.equal(all.length, 9000);
			const seen = new Set<bigint>();
			for (const e of all) {
				const k = e.key.readBigUInt64LE();
				seen.add(k);
				assert.equal(e.value.readBigUInt64LE(0), k * 3n);
				assert.equal(e.value.readBigUInt64LE(8), k ^ 0x5555n);
			}
			assert.equal(seen.size, 9000);
			assert.ok(ms < 1000, `batch read of 9000 entries took ${ms} ms`);
		});
	});

	test("wrong key sizes and closed maps are clear errors", () => {
		const m = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 4, name: "t_err" });
		assert.throws(() => m.lookup(Buffer.alloc(3)), /has 4-byte keys; cannot look up a key with a 3-byte key/);
		assert.throws(() => m.update(u32(1), Buffer.alloc(4)), /takes 8-byte values here, not 4/);
		assert.throws(() => m.lookupPerCpu(u32(1)), /is not per-CPU; read it with lookup/);
		assert.throws(() => m.batchLookupPerCpu(), /is not per-CPU/);
		m.close();
		m.close(); // idempotent
		assert.throws(() => m.lookup(u32(1)), /map 't_err' is closed/);
	});

	test("an impossible map is a SyscallError naming the map", () => {
		assert.throws(
			() => BpfMap.create({ type: MapType.HASH, keySize: 0, valueSize: 8, maxEntries: 4, name: "t_bad" }),
			(e: unknown) => e instanceof SyscallError && e.code === "EINVAL" && /'t_bad'/.test(e.message),
		);
		assert.throws(
			() => BpfMap.create({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 5000, name: "t_rb" }),
			/power of two and a multiple of the page size/,
		);
	});

	test("map names are sanitized to what the kernel accepts", () => {
		withMap({ type: MapType.HASH, keySize: 4, valueSize: 4, maxEntries: 1, name: "dtop:syscall/read-entry" }, (m) => {
			assert.equal(m.name, "dtop_syscall_re");
		});
	});
});

describe("array maps", () => {
	test("every index exists; entries cannot be deleted", () => {
		withMap({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 8, name: "t_arr" }, (m) => {
			assert.deepEqual(
				m.keys().map((k) => k.readUInt32LE()),
				[0, 1, 2, 3, 4, 5, 6, 7],
			);
			m.update(u32(3), u32(33));
			assert.equal(m.lookup(u32(3))?.readUInt32LE(), 33);
			assert.equal(m.lookup(u32(8)), undefined);
			assert.throws(() => m.delete(u32(3)), /is an array; its entries cannot be deleted/);
			const all = m.batchLookup();
			assert.ok(m.usesBatch);
			assert.equal(all.length, 8);
			assert.equal(all[3].value.readUInt32LE(), 33);
		});
	});
});

describe("per-CPU maps", () => {
	for (const [type, label] of [
		[MapType.PERCPU_HASH, "per-CPU hash"],
		[MapType.LRU_PERCPU_HASH, "LRU per-CPU hash"],
		[MapType.PERCPU_ARRAY, "per-CPU array"],
	] as const) {
		test(`${label}: one value per possible CPU, padded to 8 bytes, merged exactly`, () => {
			const n = possibleCpuCount();
			// A 12-byte value makes the kernel's 8-byte per-CPU padding visible.
			withMap({ type, keySize: 4, valueSize: 12, maxEntries: 16, name: `t_pc${type}` }, (m) => {
				assert.equal(m.cpuStride, 16);
				assert.equal(m.valueBytes, 16 * n);
				const values = Array.from({ length: n }, (_, c) => {
					const v = Buffer.alloc(12);
					v.writeBigUInt64LE(1000n * BigInt(c + 1), 0);
					v.writeUInt32LE(c + 7, 8);
					return v;
				});
				m.update(u32(5), values);
				const got = m.lookupPerCpu(u32(5))!;
				assert.equal(got.length, n);
				for (let c = 0; c < n; c++) assert.deepEqual(got[c], values[c]);
				const want = (1000n * BigInt(n * (n + 1))) / 2n;
				assert.equal(sumPerCpuU64(got), want);
				const all = m.batchLookupPerCpu();
				const e = all.find((x) => x.key.readUInt32LE() === 5)!;
				assert.equal(e.values.length, n);
				assert.equal(sumPerCpuU64(e.values), want);
				assert.equal(e.values[n - 1].readUInt32LE(8), n - 1 + 7);
				assert.throws(() => m.lookup(u32(5)), /is per-CPU; read it with lookupPerCpu/);
				assert.throws(() => m.update(u32(5), values.slice(1)), /needs \d+ per-CPU values/);
			});
		});
	}

	test("counts made by a program on each CPU are kept apart and sum exactly", () => {
		const n = possibleCpuCount();
		withMap({ type: MapType.PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: "t_pcrun" }, (m) => {
			const code = new Asm()
				.st(4, R10, -4, 0)
				.ldMapFd(R1, m.fd)
				.mov(R2, R10)
				.add(R2, -4)
				.call("map_lookup_elem")
				.jeq(R0, 0, "out")
				.ldx(8, R1, R0, 0)
				.add(R1, 1)
				.stx(8, R0, 0, R1)
				.label("out")
				.mov(R0, 0)
				.exit();
			const p = Program.load({ type: ProgType.RAW_TRACEPOINT, name: "t_pcrun", insns: code, license: "GPL" });
			try {
				const runs = possibleCpus().map((_, i) => 3 + 2 * i);
				possibleCpus().forEach((cpu, i) => {
					for (let r = 0; r < runs[i]; r++) p.testRun({ ctx: Buffer.alloc(8), cpu });
				});
				const values = m.lookupPerCpu(u32(0))!;
				assert.deepEqual(
					values.map((v) => Number(v.readBigUInt64LE())),
					runs,
				);
				assert.equal(sumPerCpuU64(values), BigInt(runs.reduce((a, b) => a + b, 0)));
				assert.equal(values.length, n);
			} finally {
				p.close();
			}
		});
	});

	test("merge helpers: sum wraps at 2^64, min/max signed and unsigned, field-wise sum", () => {
		const v = (...xs: bigint[]) => {
			const b = Buffer.alloc(8 * xs.length);
			for (const [i, x] of xs.entries()) b.writeBigUInt64LE(BigInt.asUintN(64, x), 8 * i);
			return b;
		};
		const vals = [v(2n ** 64n - 1n, 5n), v(2n, -3n), v(7n, 9n)];
		assert.equal(sumPerCpuU64(vals), 8n);
		assert.equal(reducePerCpuU64(vals, 0, "max"), 2n ** 64n - 1n);
		assert.equal(reducePerCpuU64(vals, 0, "smax"), 7n);
		assert.equal(reducePerCpuU64(vals, 8, "smin"), -3n);
		assert.equal(reducePerCpuU64(vals, 8, "min"), 5n);
		assert.deepEqual(sumPerCpu(vals), v(8n, 11n));
	});
});

describe("stack trace maps", () => {
	/** Let a raw-tracepoint test run record the caller's stack with bpf_get_stackid. */
	function recordStack(m: BpfMap, flags: number): number {
		const code = new Asm().ldMapFd(R2, m.fd).mov(R3, flags).call("get_stackid").exit();
		const p = Program.load({ type: ProgType.RAW_TRACEPOINT, name: "t_stack", insns: code, license: "GPL" });
		try {
			return p.testRun({ ctx: Buffer.alloc(8) }).retval | 0;
		} finally {
			p.close();
		}
	}
	const USER_STACK = 0x100;

	test("kernel and user stacks recorded by a program read back by id; batch falls back to iteration", () => {
		// One stack per map: two stacks hashing to the same bucket would make
		// bpf_get_stackid answer EEXIST (without BPF_F_REUSE_STACKID).
		const km = BpfMap.createStackTrace({ maxEntries: 16, name: "t_kstk" });
		const um = BpfMap.createStackTrace({ maxEntries: 16, name: "t_ustk" });
		try {
			assert.equal(km.valueSize, 127 * 8);
			const kid = recordStack(km, 0);
			const uid = recordStack(um, USER_STACK);
			assert.ok(kid >= 0 && uid >= 0, `stack ids ${kid} ${uid}`);
			const kernel = stackFrames(km.lookup(u32(kid))!);
			const user = stackFrames(um.lookup(u32(uid))!);
			assert.ok(kernel.length > 2 && kernel.every((ip) => ip >= 0xffff800000000000n), "kernel addresses");
			// Only the innermost frame is certain: libraries without frame pointers make the rest best-effort.
			assert.ok(user.length >= 1 && user[0] < 0x800000000000n, `user address ${user[0]?.toString(16)}`);
			assert.deepEqual(
				km.keys().map((k) => k.readUInt32LE()),
				[kid],
			);
			const all = km.batchLookup();
			assert.equal(km.usesBatch, false, "stack maps have no batch operations");
			assert.equal(all.length, 1);
			assert.deepEqual(stackFrames(all[0].value), kernel);
			assert.ok(km.delete(u32(kid)));
			assert.equal(km.lookup(u32(kid)), undefined);
		} finally {
			km.close();
			um.close();
		}
	});

	test("build-id stacks name the object and file offset of each user frame", () => {
		const plain = BpfMap.createStackTrace({ maxEntries: 4, name: "t_plain" });
		const bid = BpfMap.createStackTrace({ maxEntries: 4, buildId: true, name: "t_bid" });
		try {
			assert.equal(bid.flags, MapFlags.STACK_BUILD_ID);
			assert.equal(bid.valueSize, 127 * 32);
			const ip = stackFrames(plain.lookup(u32(recordStack(plain, USER_STACK)))!)[0];
			const frames = buildIdFrames(bid.lookup(u32(recordStack(bid, USER_STACK)))!);
			assert.equal(frames[0].status, 1, "first frame has a build id");
			// The innermost user frame is the bpf(2) call site in libc: find its mapping.
			const maps = readFileSync("/proc/self/maps", "utf8").split("\n");
			const line = maps.find((l) => {
				const [range] = l.split(" ");
				const [lo, hi] = (range ?? "").split("-").map((x) => BigInt(`0x${x || "0"}`));
				return ip >= lo && ip < hi;
			})!;
			const [range, , offset, , , path] = line.split(/\s+/);
			const start = BigInt(`0x${range.split("-")[0]}`);
			const notes = execFileSync("readelf", ["-n", path], { encoding: "utf8" });
			const buildId = /Build ID: ([0-9a-f]+)/.exec(notes)![1];
			assert.equal(frames[0].buildId.toString("hex"), buildId);
			assert.equal(frames[0].offsetOrIp, ip - start + BigInt(`0x${offset}`));
		} finally {
			plain.close();
			bid.close();
		}
	});
});

describe("batch engine edge cases (fake kernel)", () => {
	test("ENOSPC grows the buffers and retries from the same position", () => {
		const fake = new FakeSys();
		const counts: number[] = [];
		fake.bpfHandler = (cmd, attr) => {
			if (cmd !== 24) return 100;
			counts.push(attr.readUInt32LE(32));
			if (counts.length === 1) return { errno: 28 };
			attr.writeUInt32LE(0, 32);
			return { errno: 2 };
		};
		const prev = setSys(fake);
		try {
			const m = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8, name: "t_fake" });
			assert.deepEqual(m.batchLookup(), []);
			assert.deepEqual(counts, [8, 16]);
			assert.ok(m.usesBatch);
			m.close();
		} finally {
			setSys(prev);
		}
	});

	test("EINVAL on the first batch call falls back to GET_NEXT_KEY for good", () => {
		const fake = new FakeSys();
		const cmds: number[] = [];
		fake.bpfHandler = (cmd) => {
			cmds.push(cmd);
			if (cmd === 0) return 100;
			if (cmd === 24) return { errno: 22 };
			return { errno: 2 }; // no keys
		};
		const prev = setSys(fake);
		try {
			const m = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 8, name: "t_fake2" });
			assert.deepEqual(m.batchLookup(), []);
			assert.deepEqual(m.batchLookup(), []);
			assert.equal(m.usesBatch, false);
			assert.deepEqual(cmds, [0, 24, 4, 4]);
			m.close();
		} finally {
			setSys(prev);
		}
	});
});
