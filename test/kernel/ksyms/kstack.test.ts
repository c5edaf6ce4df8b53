// kstack() symbolization on this kernel: a tracepoint program records the kernel
// stack of one process's execve(2); kallsyms names every frame. (Not a syscalls:
// tracepoint: on Linux 6.1 those hand BPF the task's user registers, so a kernel
// stack taken there is empty and bpf_get_stackid fails with EFAULT; 6.18 passes
// the kernel's own. sched:sched_process_exec fires in kernel context everywhere.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { attachTracepoint } from "../../../kernel/attach/index.ts";
import {
	Asm,
	BpfMap,
	MapType,
	openObjects,
	Program,
	ProgType,
	R0,
	R1,
	R2,
	R3,
	R6,
	R7,
	stackFrames,
} from "../../../kernel/bpf/index.ts";
import { KernelSymbols } from "../../../kernel/ksyms/index.ts";
import { tracefs } from "../../../kernel/tracefs/index.ts";
import { startReader } from "../../vm/reader.ts";

test("the kernel stack at sched_process_exec symbolizes through exec to the system call entry", async () => {
	const before = openObjects();
	const cfg = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: "cfg" });
	const stats = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 24, maxEntries: 1, name: "stats" });
	const stacks = BpfMap.createStackTrace({ maxEntries: 16, maxDepth: 32, name: "kstacks" });
	const insns = new Asm()
		.mov(R6, R1)
		.call("get_current_pid_tgid")
		.rsh(R0, 32)
		.ldMapValue(R1, cfg.fd, 0)
		.ldx(8, R2, R1, 0)
		.jne(R0, R2, "out")
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
		.stx(8, R7, 0, R0) // the error, for the message
		.mov(R1, 1)
		.atomicAdd(8, R7, 16, R1)
		.label("out")
		.mov(R0, 0)
		.exit();
	const prog = Program.load({ type: ProgType.TRACEPOINT, insns, name: "kstack_tp", license: "GPL" });
	const link = attachTracepoint(prog.fd, {
		id: tracefs().eventId("sched", "sched_process_exec"),
		name: "sched:sched_process_exec",
	});
	try {
		const child = await startReader(20, 3);
		try {
			const pid = Buffer.alloc(8);
			pid.writeBigUInt64LE(BigInt(child.pid));
			cfg.update(Buffer.alloc(4), pid);
			assert.equal(await child.go(), 0);
		} finally {
			child.kill();
		}
		const v = stats.lookup(Buffer.alloc(4));
		assert.ok(v);
		assert.equal(v.readBigUInt64LE(16), 0n, `no failed stack walk (bpf_get_stackid: ${v.readBigInt64LE(0)})`);
		assert.equal(v.readBigUInt64LE(8), 1n, "one stack: the exec of dd");
		const key = Buffer.alloc(4);
		key.writeUInt32LE(Number(v.readBigUInt64LE(0)));
		const value = stacks.lookup(key);
		assert.ok(value);
		const ksyms = KernelSymbols.load();
		const frames = stackFrames(value).map((ip) => ksyms.symbolize(ip));
		console.log(`# kstack at sched:sched_process_exec: ${frames.join(" <- ")}`);
		assert.ok(frames.length >= 2, frames.join(", "));
		for (const f of frames) assert.match(f, /^[\w.]+\+0x[0-9a-f]+/, "every frame has a symbol");
		const names = frames.map((f) => f.replace(/\+0x.*$/, ""));
		assert.ok(names.includes("do_syscall_64"), `do_syscall_64 is among ${names.join(", ")}`);
		assert.ok(
			names.some((n) => /exec/.test(n)),
			`an exec function (bprm_execve, exec_binprm...) is among ${names.join(", ")}`,
		);
		assert.ok(names.at(-1)?.startsWith("entry_SYSCALL_64"), "the outermost frame is the system call entry");
	} finally {
		link.close();
		prog.close();
		stacks.close();
		stats.close();
		cfg.close();
	}
	assert.equal(openObjects(), before);
});
