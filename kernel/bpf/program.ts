// Loading BPF programs. A program is loaded without a verifier log first (a log
// buffer costs time and, when too small, makes even a valid program fail with
// ENOSPC); only if the kernel refuses it do we load again with a log and turn the
// verifier's explanation into a VerifierError.
import { ENOSPC, SyscallError, sys, VerifierError } from "../sys/index.ts";
import { Asm } from "./asm.ts";
import { FUNC_INFO_SIZE, funcInfoRecords, loadFuncInfoBtf } from "./func-info.ts";
import { NativeMemory } from "./native.ts";
import { type OpenObject, track, untrack } from "./registry.ts";

/** `enum bpf_prog_type` values used by dtop. */
export const ProgType = {
	SOCKET_FILTER: 1,
	/** kprobes and uprobes (including uprobe_multi) */
	KPROBE: 2,
	TRACEPOINT: 5,
	XDP: 6,
	PERF_EVENT: 7,
	RAW_TRACEPOINT: 17,
	/** fentry/fexit; needs BTF */
	TRACING: 26,
} as const;

/** `enum bpf_attach_type` values used by dtop. */
export const AttachType = {
	NONE: 0,
	BPF_TRACE_RAW_TP: 23,
	BPF_TRACE_FENTRY: 24,
	BPF_TRACE_FEXIT: 25,
	BPF_PERF_EVENT: 41,
	BPF_TRACE_KPROBE_MULTI: 42, // Linux 5.18+
	BPF_TRACE_UPROBE_MULTI: 48, // Linux 6.6+
} as const;

export const BPF_PROG_LOAD = 5;
export const BPF_PROG_TEST_RUN = 10;

/** Default verifier log size for the retry after a refusal. */
export const DEFAULT_LOG_SIZE = 16 << 20;
/** The kernel rejects log buffers larger than UINT_MAX >> 2 (about 1 GiB). */
const MAX_LOG_SIZE = 0x3fffffff;

const PROG_TYPE_NAMES: Record<number, string> = {
	1: "socket filter",
	2: "kprobe",
	5: "tracepoint",
	6: "XDP",
	7: "perf event",
	17: "raw tracepoint",
	26: "tracing",
};

export interface ProgramSpec {
	type: number;
	insns: Buffer | Asm;
	/** Up to 15 of [A-Za-z0-9_.] reach the kernel; the full name is kept for messages. */
	name: string;
	expectedAttachType?: number;
	/** GPL-compatible licenses unlock GPL-only helpers (e.g. bpf_get_stackid with user stacks). */
	license?: string;
	attachBtfId?: number;
	/** Bytes for the verifier log on the retry; grown when the kernel says ENOSPC. */
	logSize?: number;
	/** `prog_flags` (e.g. BPF_F_SLEEPABLE). */
	flags?: number;
}

export interface TestRunOptions {
	/** Packet bytes for socket filter / XDP programs (at least 14, an Ethernet header). */
	data?: Buffer;
	/** Context bytes (e.g. u64 arguments for a raw tracepoint program). */
	ctx?: Buffer;
	/** Run this many times (not allowed for raw tracepoint programs). */
	repeat?: number;
	/** Run on this CPU (raw tracepoint programs; BPF_F_TEST_RUN_ON_CPU). */
	cpu?: number;
	/** Bytes to reserve for the output packet (default: the input size). */
	dataOutSize?: number;
}

export interface TestRunResult {
	/** The program's return value (R0, truncated to 32 bits). */
	retval: number;
	/** Average run time in nanoseconds, as measured by the kernel. */
	duration: number;
	dataOut?: Buffer;
}

function sanitizeName(name: string): string {
	return name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, 15);
}

const BPF_OBJ_GET_INFO_BY_FD = 15;
/** struct bpf_prog_info up to and including recursion_misses (u64 at 208), as in Linux's UAPI. */
const RECURSION_MISSES_AT = 208;
const PROG_INFO_SIZE = 224;

export class Program {
	readonly fd: number;
	readonly name: string;
	readonly type: number;
	readonly expectedAttachType: number;
	readonly insnCount: number;
	private token: OpenObject | undefined;

	private constructor(fd: number, name: string, type: number, expectedAttachType: number, insnCount: number) {
		this.fd = fd;
		this.name = name;
		this.type = type;
		this.expectedAttachType = expectedAttachType;
		this.insnCount = insnCount;
		this.token = track("program", name, fd);
	}

	/**
	 * Load a program. Throws VerifierError (with the full log) when the verifier
	 * refuses it, SyscallError for other failures (e.g. EPERM without privileges).
	 */
	static load(spec: ProgramSpec): Program {
		const code = spec.insns instanceof Asm ? spec.insns.assemble() : spec.insns;
		if (code.length === 0 || code.length % 8 !== 0) {
			throw new Error(`program '${spec.name}' must be a non-empty multiple of 8 bytes, not ${code.length}.`);
		}
		const license = Buffer.from(`${spec.license ?? "Dual MIT/GPL"}\0`, "latin1");
		// Callbacks (bpf_loop's) need BTF func_info naming every subprogram (Linux 5.13+).
		const subs = spec.insns instanceof Asm ? spec.insns.subprograms() : undefined;
		const funcInfo = subs?.callbacks ? funcInfoRecords(subs.starts) : undefined;
		const insnsAt = 0;
		const licenseAt = code.length;
		const funcInfoAt = licenseAt + license.length;
		const mem = NativeMemory.alloc(funcInfoAt + (funcInfo?.length ?? 0), `program ${spec.name}`);
		const btfFd = funcInfo && subs ? loadFuncInfoBtf(subs.starts.length, `program ${spec.name}`) : undefined;
		try {
			code.copy(mem.buf, insnsAt);
			license.copy(mem.buf, licenseAt);
			const attr = Buffer.alloc(144);
			attr.writeUInt32LE(spec.type, 0);
			attr.writeUInt32LE(code.length / 8, 4);
			attr.writeBigUInt64LE(mem.at(insnsAt), 8);
			attr.writeBigUInt64LE(mem.at(licenseAt), 16);
			attr.writeUInt32LE(spec.flags ?? 0, 44);
			attr.write(sanitizeName(spec.name), 48, "latin1");
			attr.writeUInt32LE(spec.expectedAttachType ?? 0, 68);
			attr.writeUInt32LE(spec.attachBtfId ?? 0, 108);
			if (funcInfo && btfFd !== undefined) {
				funcInfo.copy(mem.buf, funcInfoAt);
				attr.writeUInt32LE(btfFd, 72); // prog_btf_fd
				attr.writeUInt32LE(FUNC_INFO_SIZE, 76);
				attr.writeBigUInt64LE(mem.at(funcInfoAt), 80);
				attr.writeUInt32LE(funcInfo.length / FUNC_INFO_SIZE, 88);
			}

			const first = sys().bpfTry(BPF_PROG_LOAD, attr);
			if (first.ret >= 0) {
				return new Program(first.ret, spec.name, spec.type, spec.expectedAttachType ?? 0, code.length / 8);
			}
			return Program.retryWithLog(spec, attr, first.errno, code.length / 8);
		} finally {
			mem.free();
			// The loaded program holds its own reference to the BTF.
			if (btfFd !== undefined) sys().close(btfFd);
		}
	}

	private static retryWithLog(spec: ProgramSpec, attr: Buffer, firstErrno: number, insnCount: number): Program {
		let size = Math.min(spec.logSize ?? DEFAULT_LOG_SIZE, MAX_LOG_SIZE);
		for (;;) {
			const log = NativeMemory.alloc(size, `verifier log for ${spec.name}`);
			try {
				attr.writeUInt32LE(1, 24); // log_level
				attr.writeUInt32LE(size, 28);
				attr.writeBigUInt64LE(log.addr, 32);
				attr.writeUInt32LE(0, 140); // log_true_size (out, Linux 6.4+)
				const r = sys().bpfTry(BPF_PROG_LOAD, attr);
				if (r.ret >= 0) {
					// Accepted on the second try (a transient failure such as EAGAIN).
					return new Program(r.ret, spec.name, spec.type, spec.expectedAttachType ?? 0, insnCount);
				}
				if (r.errno === ENOSPC && size < MAX_LOG_SIZE) {
					const needed = attr.readUInt32LE(140);
					size = Math.min(MAX_LOG_SIZE, Math.max(needed + 1, size * 2));
					continue;
				}
				const end = log.buf.indexOf(0);
				const text = log.buf.toString("utf8", 0, end < 0 ? size : end);
				const what = `loading ${PROG_TYPE_NAMES[spec.type] ?? `type ${spec.type}`} program '${spec.name}'`;
				if (text.trim().length === 0) throw new SyscallError("bpf(BPF_PROG_LOAD)", r.errno || firstErrno, what);
				throw new VerifierError(spec.name, r.errno || firstErrno, text);
			} finally {
				log.free();
			}
		}
	}

	get closed(): boolean {
		return this.token === undefined;
	}

	close(): void {
		if (!this.token) return;
		untrack(this.token);
		this.token = undefined;
		sys().close(this.fd);
	}

	/**
	 * Firings the kernel skipped because this program was already running on that
	 * CPU (bpf_prog_info.recursion_misses, Linux 5.12+: a tracepoint hit from inside
	 * the program's own helpers, an interrupt's tracepoint inside a task's firing).
	 * Undefined when the kernel's bpf_prog_info is too old to say.
	 */
	recursionMisses(): number | undefined {
		if (!this.token) throw new Error(`program '${this.name}' is closed.`);
		const mem = NativeMemory.alloc(PROG_INFO_SIZE, `information of program ${this.name}`);
		try {
			mem.buf.fill(0);
			const attr = Buffer.alloc(16);
			attr.writeUInt32LE(this.fd, 0);
			attr.writeUInt32LE(PROG_INFO_SIZE, 4);
			attr.writeBigUInt64LE(mem.at(0), 8);
			sys().bpf(BPF_OBJ_GET_INFO_BY_FD, attr, `reading information of program '${this.name}'`);
			if (attr.readUInt32LE(4) < RECURSION_MISSES_AT + 8) return undefined;
			return Number(mem.buf.readBigUInt64LE(RECURSION_MISSES_AT));
		} finally {
			mem.free();
		}
	}

	/**
	 * Run the program in the kernel on test input (BPF_PROG_TEST_RUN), for program
	 * types that support it: socket filter and XDP (with `data`), raw tracepoint
	 * (with `ctx`, optionally pinned to a `cpu`).
	 */
	testRun(opts: TestRunOptions = {}): TestRunResult {
		if (!this.token) throw new Error(`program '${this.name}' is closed.`);
		const data = opts.data ?? Buffer.alloc(0);
		const ctx = opts.ctx ?? Buffer.alloc(0);
		const outSize = data.length > 0 ? (opts.dataOutSize ?? data.length) : 0;
		const mem = NativeMemory.alloc(data.length + outSize + ctx.length + 8, `test run of ${this.name}`);
		try {
			const dataAt = 0;
			const outAt = data.length;
			const ctxAt = data.length + outSize;
			data.copy(mem.buf, dataAt);
			ctx.copy(mem.buf, ctxAt);
			const attr = Buffer.alloc(80);
			attr.writeUInt32LE(this.fd, 0);
			if (data.length > 0) {
				attr.writeUInt32LE(data.length, 8);
				attr.writeUInt32LE(outSize, 12);
				attr.writeBigUInt64LE(mem.at(dataAt), 16);
				attr.writeBigUInt64LE(mem.at(outAt), 24);
			}
			attr.writeUInt32LE(opts.repeat ?? 0, 32);
			if (ctx.length > 0) {
				attr.writeUInt32LE(ctx.length, 40);
				attr.writeBigUInt64LE(mem.at(ctxAt), 48);
			}
			if (opts.cpu !== undefined) {
				attr.writeUInt32LE(1, 64); // BPF_F_TEST_RUN_ON_CPU
				attr.writeUInt32LE(opts.cpu, 68);
			}
			sys().bpf(BPF_PROG_TEST_RUN, attr, `test-running program '${this.name}'`);
			const result: TestRunResult = { retval: attr.readUInt32LE(4), duration: attr.readUInt32LE(36) };
			if (outSize > 0) {
				const n = Math.min(attr.readUInt32LE(12), outSize);
				result.dataOut = Buffer.from(mem.buf.subarray(outAt, outAt + n));
			}
			return result;
		} finally {
			mem.free();
		}
	}
}
