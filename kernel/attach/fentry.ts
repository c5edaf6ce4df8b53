// Kernel function entry/return through BPF trampolines (fentry/fexit, Linux 5.5+;
// needs BTF and ftrace direct calls). Cheaper per firing than kprobes and typed:
// the program is BPF_PROG_TYPE_TRACING, bound *at load time* to one function by its
// BTF type id, and its context is an array of u64 — one slot per argument (two for
// a 9–16 byte struct passed by value), and for fexit the return value in the slot
// after the last argument.
//
// So one program serves one function: callers ask fentryTarget() for the load
// parameters (and the prototype, for argument and return slots), load, then
// attachFentry(). fbtMode() says whether fentry or kprobes should carry fbt here.
import { AttachType, type FeatureResult, ProgType, probeFeature } from "../bpf/index.ts";
import { type Btf, type BtfFunction, vmlinuxBtf } from "../btf/index.ts";
import { EINVAL, errnoName, NotSupportedError, sys } from "../sys/index.ts";
import { BPF_LINK_CREATE, type Link, makeLink } from "./link.ts";

export type FentryKind = "entry" | "return";

export interface FentryTarget {
	kind: FentryKind;
	/** The function's BTF description: `params`, `argSlots` (fexit's return slot), `returnSize`. */
	function: BtfFunction;
	/** Spread into Program.load's spec. */
	load: { type: number; expectedAttachType: number; attachBtfId: number };
}

export interface FentryAttach {
	function: string;
	kind: FentryKind;
	/** Delivered to the program by bpf_get_attach_cookie() (tracing links carry cookies since Linux 6.0). */
	cookie?: bigint | number;
}

const BPF_RAW_TRACEPOINT_OPEN = 17;

function attachType(kind: FentryKind): number {
	return kind === "entry" ? AttachType.BPF_TRACE_FENTRY : AttachType.BPF_TRACE_FEXIT;
}

function requireFentry(what: string): void {
	// Loads and attaches an empty fentry program once per process (cached).
	const r = probeFeature("fentry");
	if (!r.supported) throw new NotSupportedError(what, r.reason ?? "the kernel refused a test fentry program");
}

/**
 * The load parameters and prototype for an fentry (`entry`) or fexit (`return`)
 * program on kernel function `fn`. Throws NotSupportedError when this kernel has
 * no usable fentry, or its BTF does not describe `fn`.
 */
export function fentryTarget(fn: string, kind: FentryKind, btf?: Btf): FentryTarget {
	const what = `fbt ${kind === "entry" ? "fentry" : "fexit"} on ${fn}`;
	requireFentry(what);
	const types = btf ?? vmlinuxBtf();
	const func = types.findFunction(fn);
	if (!func) {
		throw new NotSupportedError(
			what,
			`the kernel's BTF does not describe ${fn} (it may be inlined, not exist, or live in a module); a kprobe may still reach it`,
		);
	}
	if (func.variadic) {
		throw new NotSupportedError(what, `${fn} takes variable arguments, which BPF trampolines cannot pass`);
	}
	const big = func.params.find((p) => p.size > 16);
	if (big) {
		throw new NotSupportedError(
			what,
			`${fn} takes ${big.typeName} (${big.size} bytes) by value, and BPF trampolines pass at most 16 bytes per argument`,
		);
	}
	return {
		kind,
		function: func,
		load: { type: ProgType.TRACING, expectedAttachType: attachType(kind), attachBtfId: func.id },
	};
}

/**
 * Attach a TRACING program loaded with fentryTarget()'s parameters. BPF_LINK_CREATE
 * carries the cookie (Linux 6.0+); kernels that predate tracing links get
 * BPF_RAW_TRACEPOINT_OPEN, which cannot carry one.
 */
export function attachFentry(progFd: number, spec: FentryAttach): Link {
	const what = `fbt ${spec.kind === "entry" ? "fentry" : "fexit"} on ${spec.function}`;
	requireFentry(what);
	const cookie = BigInt.asUintN(64, BigInt(spec.cookie ?? 0));
	const attr = Buffer.alloc(48);
	attr.writeUInt32LE(progFd, 0);
	attr.writeUInt32LE(attachType(spec.kind), 8);
	attr.writeUInt32LE(0, 16); // tracing.target_btf_id: 0 = the program's attach_btf_id
	attr.writeBigUInt64LE(cookie, 24); // tracing.cookie
	const r = sys().bpfTry(BPF_LINK_CREATE, attr);
	if (r.ret >= 0) return makeLink(spec.kind === "entry" ? "fentry" : "fexit", spec.function, 1, [r.ret]);
	if (r.errno === EINVAL && cookie === 0n) {
		const raw = Buffer.alloc(16);
		raw.writeUInt32LE(progFd, 8); // name stays 0: the program names its target
		const o = sys().bpfTry(BPF_RAW_TRACEPOINT_OPEN, raw);
		if (o.ret >= 0) return makeLink(spec.kind === "entry" ? "fentry" : "fexit", spec.function, 1, [o.ret]);
	}
	if (r.errno === EINVAL && cookie !== 0n) {
		throw new NotSupportedError(what, "this kernel's tracing links carry no cookie (that needs Linux 6.0 or newer)");
	}
	throw new NotSupportedError(
		what,
		`the kernel refused to attach a trampoline to ${spec.function} (bpf(BPF_LINK_CREATE) failed with ${errnoName(r.errno)})`,
	);
}

export interface FbtMode {
	/** fentry/fexit when BTF trampolines work, else kprobes. */
	mode: "fentry" | "kprobe";
	fentry: FeatureResult;
	kprobe: FeatureResult;
}

/**
 * How fbt probes attach on this kernel: fentry/fexit (typed arguments, cheaper,
 * one program per function) when available, else kprobes. Throws
 * NotSupportedError with both reasons when neither works.
 */
export function fbtMode(): FbtMode {
	const fentry = probeFeature("fentry");
	const kprobe = probeFeature("kprobe");
	if (fentry.supported) return { mode: "fentry", fentry, kprobe };
	if (kprobe.supported) return { mode: "kprobe", fentry, kprobe };
	throw new NotSupportedError(
		"fbt (kernel function probes)",
		`fentry: ${fentry.reason ?? "refused"}; kprobes: ${kprobe.reason ?? "refused"}`,
	);
}
