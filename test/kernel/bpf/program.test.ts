import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { after, describe, test } from "node:test";
import {
	Asm,
	AttachType,
	DEFAULT_LOG_SIZE,
	openObjectList,
	openObjects,
	Program,
	ProgType,
	R0,
	R1,
	R2,
	R3,
	R10,
	SyscallError,
	VerifierError,
} from "../../../kernel/bpf/index.ts";
import { FakeSys, setSys } from "../../../kernel/sys/index.ts";
import { tracingFds } from "../../helpers/bpf-objects.ts";

const fdsAtStart = tracingFds();
after(() => {
	assert.equal(openObjects(), 0, `still open: ${JSON.stringify(openObjectList())}`);
	assert.deepEqual(tracingFds(), fdsAtStart);
});

const ret = (n: number) => new Asm().mov(R0, n).exit();

describe("Program.load", () => {
	test("a kprobe-type program the verifier accepts loads and is tracked until closed", () => {
		const before = openObjects();
		const p = Program.load({ type: ProgType.KPROBE, name: "t_ok", insns: ret(0) });
		assert.ok(p.fd > 2);
		assert.equal(p.insnCount, 2);
		assert.equal(openObjects(), before + 1);
		assert.ok(readdirSync("/proc/self/fd").includes(String(p.fd)));
		p.close();
		p.close(); // idempotent
		assert.ok(p.closed);
		assert.equal(openObjects(), before);
	});

	test("assembled bytes load as well as an Asm", () => {
		const p = Program.load({ type: ProgType.SOCKET_FILTER, name: "t_bytes", insns: ret(7).assemble() });
		try {
			assert.equal(p.testRun({ data: Buffer.alloc(14) }).retval, 7);
		} finally {
			p.close();
		}
	});

	test("a rejected program is a VerifierError carrying the verifier's log", () => {
		// Reading R2 before writing it: the verifier refuses with "R2 !read_ok".
		const bad = new Asm().mov(R0, R1).add(R0, R2).exit();
		assert.throws(
			() => Program.load({ type: ProgType.SOCKET_FILTER, name: "t_bad", insns: bad }),
			(e: unknown) => {
				assert.ok(e instanceof VerifierError, String(e));
				assert.equal(e.program, "t_bad");
				assert.equal(e.errno, 13); // EACCES
				assert.match(e.log, /1: \(0f\) r0 \+= r2/);
				assert.match(e.log, /R2 !read_ok/);
				assert.match(e.message, /verifier rejected program 't_bad' \(EACCES\): R2 !read_ok$/);
				assert.ok(!e.message.includes("\n"), "the message is one line");
				return true;
			},
		);
	});

	test("a log buffer that is too small grows until the whole log fits", () => {
		// A long program makes a long log; start with 64 bytes.
		const a = new Asm().mov(R0, 0);
		for (let i = 0; i < 200; i++) a.add(R0, 1);
		a.add(R0, R3).exit(); // R3 was never written
		assert.throws(
			() => Program.load({ type: ProgType.SOCKET_FILTER, name: "t_log", insns: a, logSize: 64 }),
			(e: unknown) => e instanceof VerifierError && e.log.length > 4000 && /R3 !read_ok/.test(e.log),
		);
	});

	test("the license reaches the kernel: GPL-only helpers need a GPL-compatible one", () => {
		const read = () =>
			new Asm().mov(R1, R10).add(R1, -8).mov(R2, 8).mov(R3, 0).call("probe_read_user").mov(R0, 0).exit();
		assert.throws(
			() => Program.load({ type: ProgType.KPROBE, name: "t_lic", insns: read(), license: "Proprietary" }),
			(e: unknown) => e instanceof VerifierError && /GPL/.test(e.log),
		);
		Program.load({ type: ProgType.KPROBE, name: "t_lic", insns: read() }).close(); // default "Dual MIT/GPL"
	});

	test("expected attach type is passed: a uprobe_multi program loads with attach type 48", () => {
		const p = Program.load({
			type: ProgType.KPROBE,
			name: "t_umulti",
			insns: ret(0),
			expectedAttachType: AttachType.BPF_TRACE_UPROBE_MULTI,
		});
		assert.equal(p.expectedAttachType, 48);
		p.close();
		// A tracing program names its target; without one the kernel refuses.
		assert.throws(
			() =>
				Program.load({
					type: ProgType.TRACING,
					name: "t_fentry",
					insns: ret(0),
					expectedAttachType: AttachType.BPF_TRACE_FENTRY,
				}),
			(e: unknown) => e instanceof VerifierError || e instanceof SyscallError,
		);
	});

	test("failures without a verifier log are SyscallErrors that say what was being loaded", () => {
		assert.throws(
			() => Program.load({ type: 999, name: "t_type", insns: ret(0) }),
			(e: unknown) =>
				e instanceof SyscallError && e.code === "EINVAL" && /loading type 999 program 't_type'/.test(e.message),
		);
		assert.throws(() => Program.load({ type: ProgType.KPROBE, name: "t_empty", insns: Buffer.alloc(0) }), /non-empty/);
	});

	test("names are cut to what the kernel keeps; the full name stays for messages", () => {
		const p = Program.load({ type: ProgType.KPROBE, name: "syscall::read:entry", insns: ret(0) });
		assert.equal(p.name, "syscall::read:entry");
		p.close();
	});

	test("the default log is 16 MiB; the first load asks for none", () => {
		assert.equal(DEFAULT_LOG_SIZE, 16 << 20);
		const fake = new FakeSys();
		const attrs: Buffer[] = [];
		fake.bpfHandler = (_cmd, attr) => {
			attrs.push(Buffer.from(attr));
			return { errno: 13 };
		};
		const prev = setSys(fake);
		try {
			assert.throws(() => Program.load({ type: ProgType.KPROBE, name: "t_fake", insns: ret(0) }), SyscallError);
		} finally {
			setSys(prev);
		}
		assert.equal(attrs.length, 2);
		assert.deepEqual([attrs[0].readUInt32LE(24), attrs[0].readUInt32LE(28)], [0, 0]);
		assert.deepEqual([attrs[1].readUInt32LE(24), attrs[1].readUInt32LE(28)], [1, 16 << 20]);
		assert.equal(attrs[0].toString("latin1", 48, 58), "t_fake\0\0\0\0");
	});
});

describe("Program.testRun", () => {
	test("raw tracepoint programs see their u64 arguments and can be pinned to a CPU", () => {
		// return arg0 + arg1 * 10 + cpu * 100
		const a = new Asm()
			.ldx(8, R2, R1, 0)
			.ldx(8, R3, R1, 8)
			.mul(R3, 10)
			.add(R2, R3)
			.mov(R0, R2)
			.stx(8, R10, -8, R0)
			.call("get_smp_processor_id")
			.mul(R0, 100)
			.ldx(8, R1, R10, -8)
			.add(R0, R1)
			.exit();
		const p = Program.load({ type: ProgType.RAW_TRACEPOINT, name: "t_rawtp", insns: a, license: "GPL" });
		try {
			const ctx = Buffer.alloc(16);
			ctx.writeBigUInt64LE(3n, 0);
			ctx.writeBigUInt64LE(4n, 8);
			assert.equal(p.testRun({ ctx, cpu: 0 }).retval, 43);
			assert.equal(p.testRun({ ctx, cpu: 1 }).retval, 143);
		} finally {
			p.close();
		}
	});

	test("socket filters run on packet data and report a duration", () => {
		const a = new Asm().ldx(4, R0, R1, 0).exit(); // skb->len
		const p = Program.load({ type: ProgType.SOCKET_FILTER, name: "t_len", insns: a });
		try {
			const r = p.testRun({ data: Buffer.alloc(100), repeat: 1000 });
			assert.equal(r.retval, 100 - 14, "skb->len excludes the Ethernet header the kernel pulled");
			assert.ok(r.duration >= 0);
			assert.equal(r.dataOut?.length, 100);
		} finally {
			p.close();
		}
		assert.throws(() => p.testRun({ data: Buffer.alloc(14) }), /is closed/);
	});
});
