// fbt on a stock kernel (run by scripts/vm-test on Debian's 6.1 cloud kernel, which
// has kprobes, BTF and the function tracer): kernel functions are listed, fentry/
// fexit and kprobe/kretprobe programs attach to vfs_read and count exactly the
// reads of one child process, entry→return latency is sane, and kernel stacks
// symbolize through kallsyms. The BPF programs are written by hand with Asm.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import {
	attachFentry,
	attachKprobe,
	attachKprobeMulti,
	fbtMode,
	fentryTarget,
	kprobeMultiSupport,
	type Link,
	openLinks,
} from "../../kernel/attach/index.ts";
import {
	Asm,
	AttachType,
	BpfMap,
	FP,
	MapType,
	openObjectList,
	Program,
	ProgType,
	R0,
	R1,
	R2,
	R3,
	R4,
	R6,
	R7,
	R8,
	R9,
	type Reg,
	stackFrames,
} from "../../kernel/bpf/index.ts";
import { KernelSymbols, listKernelFunctions } from "../../kernel/ksyms/index.ts";
import { archFor, NotSupportedError } from "../../kernel/sys/index.ts";
import { startReader } from "./reader.ts";

const READS = 100;
const BS = 7;
const arch = archFor();
const FN = "vfs_read";

type Flavor = "fentry" | "kprobe";

/** Everything a test opened, closed in reverse at the end even when it fails. */
class Scope {
	private readonly items: { close(): void }[] = [];
	add<T extends { close(): void }>(x: T): T {
		this.items.push(x);
		return x;
	}
	close(): void {
		for (const x of this.items.reverse()) x.close();
		this.items.length = 0;
	}
}

function maps(scope: Scope) {
	const cfg = scope.add(BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: "cfg" }));
	const stats = scope.add(
		BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 64, maxEntries: 1, name: "stats" }),
	);
	return { cfg, stats };
}

function setTarget(cfg: BpfMap, pid: number): void {
	const v = Buffer.alloc(8);
	v.writeBigUInt64LE(BigInt(pid));
	cfg.update(Buffer.alloc(4), v);
}

function readStats(stats: BpfMap): bigint[] {
	const v = stats.lookup(Buffer.alloc(4));
	assert.ok(v);
	return Array.from({ length: 8 }, (_, i) => v.readBigUInt64LE(i * 8));
}

/** R0 = tgid of the current task; jumps to `out` unless it is the configured target. Clobbers R1–R5. */
function onlyTarget(a: Asm, cfg: BpfMap, keep?: Reg): Asm {
	a.call("get_current_pid_tgid");
	if (keep) a.mov(keep, R0);
	return a.rsh(R0, 32).ldMapValue(R1, cfg.fd, 0).ldx(8, R2, R1, 0).jne(R0, R2, "out");
}

/** dst = argument n of the probed function: a u64 slot for fentry, a register in pt_regs for kprobes. */
function arg(a: Asm, flavor: Flavor, dst: Reg, ctx: Reg, n: number): Asm {
	return a.ldx(8, dst, ctx, flavor === "fentry" ? 8 * n : arch.regs[arch.argRegs[n]]);
}

/** dst = return value: the slot after the arguments for fexit, the return register for kretprobes. */
function ret(a: Asm, flavor: Flavor, dst: Reg, ctx: Reg, argSlots: number): Asm {
	return a.ldx(8, dst, ctx, flavor === "fentry" ? 8 * argSlots : arch.regs[arch.retReg]);
}

function load(scope: Scope, flavor: Flavor, kind: "entry" | "return", insns: Asm, name: string): Program {
	if (flavor === "fentry") {
		const t = fentryTarget(FN, kind);
		return scope.add(Program.load({ ...t.load, insns, name, license: "GPL" }));
	}
	return scope.add(Program.load({ type: ProgType.KPROBE, insns, name, license: "GPL" }));
}

function attach(scope: Scope, flavor: Flavor, kind: "entry" | "return", prog: Program, cookie: bigint): Link {
	if (flavor === "fentry") return scope.add(attachFentry(prog.fd, { function: FN, kind, cookie }));
	return scope.add(attachKprobe(prog.fd, { function: FN, retprobe: kind === "return", cookie }));
}

/** Counts the target's calls, sums their `count` argument, remembers the cookie. */
function counter(flavor: Flavor, cfg: BpfMap, stats: BpfMap): Asm {
	const a = new Asm().mov(R6, R1);
	onlyTarget(a, cfg).ldMapValue(R7, stats.fd, 0).mov(R1, 1).atomicAdd(8, R7, 0, R1);
	arg(a, flavor, R1, R6, 2);
	return a
		.atomicAdd(8, R7, 8, R1)
		.mov(R1, R6)
		.call("get_attach_cookie")
		.stx(8, R7, 16, R0)
		.label("out")
		.mov(R0, 0)
		.exit();
}

/** Lines of tracefs' enabled_functions (every function with an ftrace hook) that name FN. */
function hooked(): string[] {
	return readFileSync("/sys/kernel/tracing/enabled_functions", "latin1")
		.split("\n")
		.filter((l) => l.startsWith(`${FN} `) || l.startsWith(`${FN}\t`));
}

after(() => {
	assert.equal(openLinks(), 0, "every link was closed");
	assert.deepEqual(
		openObjectList().map((o) => `${o.kind} ${o.name}`),
		[],
		"every program and map was closed",
	);
});

test("the stock kernel carries fbt with fentry; kernel functions are listed from tracefs", () => {
	const mode = fbtMode();
	assert.equal(mode.mode, "fentry");
	assert.equal(mode.kprobe.supported, true);
	const list = listKernelFunctions();
	assert.equal(list.source, "available_filter_functions");
	assert.ok(list.functions.length > 10_000, `${list.functions.length} functions`);
	const names = new Set(list.functions.map((f) => f.name));
	for (const f of [FN, "ksys_read", "vfs_write", "do_sys_openat2"]) assert.ok(names.has(f), `${f} is traceable`);
});

for (const flavor of ["fentry", "kprobe"] as const) {
	test(`${flavor} on ${FN} counts exactly the ${READS} reads of one process and delivers the cookie`, async () => {
		const scope = new Scope();
		try {
			const { cfg, stats } = maps(scope);
			const prog = load(scope, flavor, "entry", counter(flavor, cfg, stats), `count_${flavor}`);
			const cookie = 0x1234_5678_9abcn;
			attach(scope, flavor, "entry", prog, cookie);
			assert.ok(hooked().length > 0, `${FN} is hooked while attached`);
			const child = await startReader(READS, BS);
			try {
				setTarget(cfg, child.pid);
				assert.equal(await child.go(), 0);
			} finally {
				child.kill();
			}
			const [count, bytes, seen] = readStats(stats);
			assert.equal(count, BigInt(READS));
			assert.equal(bytes, BigInt(READS * BS), "the count argument of every read");
			assert.equal(seen, cookie);
		} finally {
			scope.close();
		}
	});

	test(`${flavor === "fentry" ? "fentry+fexit" : "kprobe+kretprobe"} on ${FN}: entry→return latency is sane`, async () => {
		const scope = new Scope();
		try {
			const { cfg, stats } = maps(scope);
			const start = scope.add(
				BpfMap.create({ type: MapType.HASH, keySize: 8, valueSize: 8, maxEntries: 1024, name: "start" }),
			);
			const argSlots = flavor === "fentry" ? fentryTarget(FN, "return").function.argSlots : 0;
			assert.equal(flavor === "fentry" ? argSlots : 4, 4, "vfs_read takes four arguments");

			const entry = new Asm().mov(R6, R1);
			onlyTarget(entry, cfg, R7)
				.stx(8, FP, -8, R7)
				.call("ktime_get_ns")
				.stx(8, FP, -16, R0)
				.ldMapFd(R1, start.fd)
				.mov(R2, FP)
				.add(R2, -8)
				.mov(R3, FP)
				.add(R3, -16)
				.mov(R4, 0)
				.call("map_update_elem")
				.label("out")
				.mov(R0, 0)
				.exit();

			const exit = new Asm().mov(R6, R1);
			onlyTarget(exit, cfg, R7)
				.stx(8, FP, -8, R7)
				.ldMapFd(R1, start.fd)
				.mov(R2, FP)
				.add(R2, -8)
				.call("map_lookup_elem")
				.jeq(R0, 0, "out")
				.ldx(8, R8, R0, 0)
				.call("ktime_get_ns")
				.sub(R0, R8)
				.mov(R9, R0)
				.ldMapFd(R1, start.fd)
				.mov(R2, FP)
				.add(R2, -8)
				.call("map_delete_elem")
				.ldMapValue(R7, stats.fd, 0)
				.mov(R1, 1)
				.atomicAdd(8, R7, 0, R1) // calls
				.atomicAdd(8, R7, 8, R9) // total ns
				.ldx(8, R1, R7, 16)
				.jge(R1, R9, "nomax")
				.stx(8, R7, 16, R9) // max
				.label("nomax")
				.ldx(8, R1, R7, 24)
				.jeq(R1, 0, "setmin")
				.jle(R1, R9, "nomin")
				.label("setmin")
				.stx(8, R7, 24, R9) // min
				.label("nomin");
			ret(exit, flavor, R1, R6, argSlots)
				.atomicAdd(8, R7, 32, R1) // bytes returned
				.jne(R9, 0, "out")
				.mov(R1, 1)
				.atomicAdd(8, R7, 40, R1) // zero durations
				.label("out")
				.mov(R0, 0)
				.exit();

			const pe = load(scope, flavor, "entry", entry, `lat_in_${flavor}`);
			const px = load(scope, flavor, "return", exit, `lat_out_${flavor}`);
			attach(scope, flavor, "entry", pe, 1n);
			attach(scope, flavor, "return", px, 2n);
			const child = await startReader(READS, BS);
			try {
				setTarget(cfg, child.pid);
				assert.equal(await child.go(), 0);
			} finally {
				child.kill();
			}
			const [calls, total, max, min, returned, zeros] = readStats(stats);
			assert.equal(calls, BigInt(READS), "one return per entry");
			assert.equal(returned, BigInt(READS * BS), "each read returned its 7 bytes");
			assert.equal(zeros, 0n, "no zero durations");
			assert.ok(min > 0n, `min ${min} ns`);
			assert.ok(max < 1_000_000_000n, `max ${max} ns is under a second`);
			assert.ok(min <= total / calls && total / calls <= max, `avg ${total / calls} ns lies between min and max`);
			console.log(`# ${flavor} ${FN} latency: min ${min} ns, avg ${total / calls} ns, max ${max} ns`);
		} finally {
			scope.close();
		}
	});

	test(`${flavor} kstack() on ${FN} symbolizes through kallsyms to its caller ksys_read`, async () => {
		const scope = new Scope();
		try {
			const { cfg, stats } = maps(scope);
			const stacks = scope.add(BpfMap.createStackTrace({ maxEntries: 64, maxDepth: 32, name: "kstacks" }));
			const a = new Asm().mov(R6, R1);
			onlyTarget(a, cfg)
				.mov(R1, R6)
				.ldMapFd(R2, stacks.fd)
				.mov(R3, 0) // kernel stack
				.call("get_stackid")
				.ldMapValue(R7, stats.fd, 0)
				.jslt(R0, 0, "fail")
				.stx(8, R7, 0, R0)
				.mov(R1, 1)
				.atomicAdd(8, R7, 8, R1)
				.ja("out")
				.label("fail")
				.mov(R1, 1)
				.atomicAdd(8, R7, 16, R1)
				.label("out")
				.mov(R0, 0)
				.exit();
			const prog = load(scope, flavor, "entry", a, `kstack_${flavor}`);
			attach(scope, flavor, "entry", prog, 0n);
			const child = await startReader(READS, BS);
			try {
				setTarget(cfg, child.pid);
				assert.equal(await child.go(), 0);
			} finally {
				child.kill();
			}
			const [stackId, ok, failed] = readStats(stats);
			assert.equal(ok, BigInt(READS));
			assert.equal(failed, 0n);
			const key = Buffer.alloc(4);
			key.writeUInt32LE(Number(stackId));
			const value = stacks.lookup(key);
			assert.ok(value, "the stack is in the map");
			const ksyms = KernelSymbols.load();
			const frames = stackFrames(value).map((ip) => ksyms.symbolize(ip));
			console.log(`# ${flavor} kstack: ${frames.join(" <- ")}`);
			const names = frames.map((f) => f.replace(/\+0x[0-9a-f]+.*$/, ""));
			assert.ok(names.includes("ksys_read"), `ksys_read is among ${frames.join(", ")}`);
			assert.ok(
				names.indexOf("ksys_read") < names.indexOf("do_syscall_64"),
				"frames run from the probe outwards to the system call entry",
			);
			for (const f of frames) assert.match(f, /^\w[\w.]*\+0x[0-9a-f]+/, "every frame has a symbol");
		} finally {
			scope.close();
		}
	});
}

test("kprobe_multi attaches where the kernel has fprobes, and says why not elsewhere", async () => {
	const scope = new Scope();
	try {
		const { cfg, stats } = maps(scope);
		const prog = scope.add(
			Program.load({
				type: ProgType.KPROBE,
				insns: counter("kprobe", cfg, stats),
				name: "count_kmulti",
				expectedAttachType: AttachType.BPF_TRACE_KPROBE_MULTI,
				license: "GPL",
			}),
		);
		const support = kprobeMultiSupport();
		if (!support.supported) {
			// Debian 12's 6.1 kernels are built without CONFIG_FPROBE.
			assert.match(support.reason ?? "", /CONFIG_FPROBE|5\.18/);
			assert.throws(
				() => attachKprobeMulti(prog.fd, { functions: [FN], cookies: [5n] }),
				(e: unknown) => e instanceof NotSupportedError && e.reason === support.reason,
			);
			return;
		}
		scope.add(attachKprobeMulti(prog.fd, { functions: [FN], cookies: [5n] }));
		const child = await startReader(READS, BS);
		try {
			setTarget(cfg, child.pid);
			assert.equal(await child.go(), 0);
		} finally {
			child.kill();
		}
		const [count, , cookie] = readStats(stats);
		assert.equal(count, BigInt(READS));
		assert.equal(cookie, 5n);
	} finally {
		scope.close();
	}
});

test("functions that cannot be probed are refused with the reason", () => {
	const scope = new Scope();
	try {
		assert.throws(
			() => fentryTarget("dtop_no_such_function", "entry"),
			(e: unknown) => e instanceof NotSupportedError && /BTF does not describe dtop_no_such_function/.test(e.message),
		);
		const prog = scope.add(
			Program.load({ type: ProgType.KPROBE, insns: new Asm().mov(R0, 0).exit(), name: "nothing" }),
		);
		assert.throws(
			() => attachKprobe(prog.fd, { function: "dtop_no_such_function" }),
			(e: unknown) =>
				e instanceof NotSupportedError && /no kernel function named dtop_no_such_function/.test(e.message),
		);
	} finally {
		scope.close();
	}
});

test("closed links leave no trampoline or kprobe behind on vfs_read", async () => {
	// Trampolines and ftrace-based kprobes show in enabled_functions while attached
	// (checked above); detaching a trampoline waits for an RCU grace period.
	const deadline = Date.now() + 10_000;
	let left: string[] = [];
	do {
		left = hooked();
		if (left.length === 0) break;
		await new Promise((r) => setTimeout(r, 100));
	} while (Date.now() < deadline);
	assert.deepEqual(left, []);
});
