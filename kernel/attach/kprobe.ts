// Kernel probes (fbt through kprobes): a perf event of the `kprobe` PMU per
// function (Linux 4.17+), with a BPF link carrying the cookie (Linux 5.15+); or one
// kprobe_multi link for many functions (BPF_TRACE_KPROBE_MULTI, Linux 5.18+, only
// when the kernel was built with CONFIG_FPROBE — Debian 12's 6.1 was not).
// Programs are BPF_PROG_TYPE_KPROBE and see `struct pt_regs`: arguments in the
// argument registers at entry, the return value in the return register for
// kretprobes. Like PMU uprobes, these kprobes are not listed in kprobe_events and
// vanish with the last fd, so a killed dtop leaves nothing behind.
import { readFileSync } from "node:fs";
import { Asm, AttachType, kernelConfig, Program, ProgType, R0, requireFeature } from "../bpf/index.ts";
import {
	EINVAL,
	ENOENT,
	ENOTSUPP,
	EOPNOTSUPP,
	errnoName,
	NotSupportedError,
	nativeCopy,
	nativeU64Array,
	PERF_FLAG_FD_CLOEXEC,
	SyscallError,
	sys,
	VerifierError,
} from "../sys/index.ts";
import { BPF_LINK_CREATE, closeQuietly, type Link, linkPerfEvent, makeLink } from "./link.ts";
import { perfAttr } from "./perf-attr.ts";

const PMU_DIR = "/sys/bus/event_source/devices/kprobe";
const BPF_F_KPROBE_MULTI_RETURN = 1;

export interface KprobeSpec {
	/** Kernel function to probe (a text symbol from /proc/kallsyms). */
	function: string;
	/** Byte offset into the function (entry probes only); 0 is the entry. */
	offset?: bigint | number;
	/** A return probe (kretprobe) instead of an entry probe. */
	retprobe?: boolean;
	/** Delivered to the program by bpf_get_attach_cookie(): dtop's probe id. */
	cookie?: bigint | number;
}

export interface KprobeMultiSpec {
	functions: readonly string[];
	/** One per function (same order); default 0. */
	cookies?: readonly (bigint | number)[];
	retprobe?: boolean;
}

interface KprobePmu {
	type: number;
	retprobeBit: number;
}
let pmu: KprobePmu | undefined;

function kprobePmu(): KprobePmu {
	if (!pmu) {
		// Throws NotSupportedError with the reason (no CONFIG_KPROBES, ...).
		requireFeature("kprobe");
		const type = Number.parseInt(readFileSync(`${PMU_DIR}/type`, "utf8"), 10);
		let retprobeBit = 0;
		try {
			const m = /config:(\d+)/.exec(readFileSync(`${PMU_DIR}/format/retprobe`, "utf8"));
			if (m) retprobeBit = Number(m[1]);
		} catch {
			// Kernels before 4.17 had no format directory (and no kprobe PMU either).
		}
		pmu = { type, retprobeBit };
	}
	return pmu;
}

/** Why a kprobe on `fn` was refused, in words a user can act on. */
function refusedReason(fn: string, e: SyscallError): string {
	switch (e.errno) {
		case ENOENT:
			return `there is no kernel function named ${fn} (it may be static and inlined, or in a module that is not loaded)`;
		case EINVAL:
		case EOPNOTSUPP:
		case ENOTSUPP:
			return `the kernel does not allow probing ${fn} (it is on the kprobe blacklist, marked notrace, or the offset is not an instruction boundary)`;
		default:
			return `perf_event_open of a kprobe on ${fn} failed with ${errnoName(e.errno)}`;
	}
}

/**
 * Attach a KPROBE program to one kernel function's entry (or return, with
 * `retprobe`). Throws NotSupportedError when the kernel has no kprobes or refuses
 * this function; the reason says which.
 */
export function attachKprobe(progFd: number, spec: KprobeSpec): Link {
	const p = kprobePmu();
	const offset = BigInt(spec.offset ?? 0);
	if (spec.retprobe && offset !== 0n) throw new Error(`a return probe on ${spec.function} cannot have an offset.`);
	const what = `${spec.retprobe ? "kretprobe" : "kprobe"} on ${spec.function}${offset ? `+0x${offset.toString(16)}` : ""}`;
	const name = nativeCopy(Buffer.from(`${spec.function}\0`, "latin1"));
	let perfFd = -1;
	try {
		const attr = perfAttr({
			type: p.type,
			config: spec.retprobe ? 1n << BigInt(p.retprobeBit) : 0n,
			config1: name.addr, // kprobe_func
			config2: offset, // probe_offset
		});
		try {
			// cpu 0, any pid: the BPF program hangs off the kprobe itself and sees every CPU.
			perfFd = sys().perfEventOpen(attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
		} catch (e) {
			if (e instanceof SyscallError) throw new NotSupportedError(`fbt ${what}`, refusedReason(spec.function, e));
			throw e;
		}
		const linkFd = linkPerfEvent(progFd, perfFd, spec.cookie ?? 0n);
		return makeLink(spec.retprobe ? "kretprobe" : "kprobe", spec.function, 1, [linkFd]);
	} finally {
		// The link holds its own reference to the perf event.
		if (perfFd >= 0) closeQuietly([perfFd]);
		name.free();
	}
}

let multi: { supported: boolean; reason?: string } | undefined;

/**
 * Whether kprobe_multi links work here: the program type must accept the attach
 * type (5.18+) and the kernel must have been built with CONFIG_FPROBE. A link
 * request with no functions tells them apart: EINVAL once the kernel parsed it,
 * EOPNOTSUPP from the stub of a kernel without fprobes.
 */
export function kprobeMultiSupport(): { supported: boolean; reason?: string } {
	if (multi) return multi;
	try {
		requireFeature("kprobe");
	} catch (e) {
		if (!(e instanceof NotSupportedError)) throw e;
		multi = { supported: false, reason: e.reason };
		return multi;
	}
	let prog: Program;
	try {
		prog = Program.load({
			type: ProgType.KPROBE,
			name: "probe_kmulti",
			insns: new Asm().mov(R0, 0).exit(),
			expectedAttachType: AttachType.BPF_TRACE_KPROBE_MULTI,
			license: "GPL",
		});
	} catch (e) {
		if (!(e instanceof SyscallError || e instanceof VerifierError)) throw e;
		multi = {
			supported: false,
			reason: `the kernel does not know the kprobe_multi attach type (${errnoName(e.errno)}); it needs Linux 5.18 or newer`,
		};
		return multi;
	}
	try {
		const attr = Buffer.alloc(64);
		attr.writeUInt32LE(prog.fd, 0);
		attr.writeUInt32LE(AttachType.BPF_TRACE_KPROBE_MULTI, 8);
		const r = sys().bpfTry(BPF_LINK_CREATE, attr);
		if (r.ret >= 0) sys().close(r.ret);
		if (r.errno === EINVAL) multi = { supported: true };
		else {
			const noFprobe = r.errno === EOPNOTSUPP || kernelConfig("CONFIG_FPROBE") === "n";
			multi = {
				supported: false,
				reason: noFprobe
					? "the kernel was built without CONFIG_FPROBE, so kprobes are attached one perf event at a time"
					: `a test kprobe_multi link failed with ${errnoName(r.errno)} instead of EINVAL`,
			};
		}
	} finally {
		prog.close();
	}
	return multi;
}

/**
 * One kprobe_multi link for many functions (the program must be loaded with
 * expected_attach_type BPF_TRACE_KPROBE_MULTI). Throws NotSupportedError when the
 * kernel lacks kprobe_multi or refuses one of the functions.
 */
export function attachKprobeMulti(progFd: number, spec: KprobeMultiSpec): Link {
	const support = kprobeMultiSupport();
	if (!support.supported) throw new NotSupportedError("kprobe_multi links", support.reason ?? "unknown reason");
	const n = spec.functions.length;
	if (n === 0) throw new Error("attachKprobeMulti: no functions.");
	if (spec.cookies && spec.cookies.length !== n) throw new Error("attachKprobeMulti: one cookie per function.");
	// One block of native memory for the names; an array of pointers into it.
	const names = Buffer.concat(spec.functions.map((f) => Buffer.from(`${f}\0`, "latin1")));
	const strings = nativeCopy(names);
	const starts: bigint[] = [];
	let at = 0;
	for (const f of spec.functions) {
		starts.push(strings.addr + BigInt(at));
		at += Buffer.byteLength(f, "latin1") + 1;
	}
	const syms = nativeU64Array(starts);
	const cookies = spec.cookies ? nativeU64Array(spec.cookies) : undefined;
	try {
		const attr = Buffer.alloc(64);
		attr.writeUInt32LE(progFd, 0);
		attr.writeUInt32LE(AttachType.BPF_TRACE_KPROBE_MULTI, 8);
		attr.writeUInt32LE(spec.retprobe ? BPF_F_KPROBE_MULTI_RETURN : 0, 16);
		attr.writeUInt32LE(n, 20);
		attr.writeBigUInt64LE(syms.addr, 24);
		attr.writeBigUInt64LE(cookies?.addr ?? 0n, 40);
		const r = sys().bpfTry(BPF_LINK_CREATE, attr);
		if (r.ret < 0) {
			const what = `fbt kprobe_multi on ${n === 1 ? spec.functions[0] : `${n} functions`}`;
			if (r.errno === ENOENT || r.errno === EINVAL) {
				throw new NotSupportedError(
					what,
					`the kernel refused it (${errnoName(r.errno)}): a function does not exist or cannot be probed`,
				);
			}
			throw new SyscallError("bpf(BPF_LINK_CREATE)", r.errno, what);
		}
		return makeLink(spec.retprobe ? "kretprobe_multi" : "kprobe_multi", spec.functions.join(","), n, [r.ret]);
	} finally {
		strings.free();
		syms.free();
		cookies?.free();
	}
}
