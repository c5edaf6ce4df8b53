// Kernel feature probes. Each one *tries* the feature (loads a tiny program,
// creates a map, attempts a link with deliberately bad arguments) instead of
// reading version numbers, because distributions backport and configure freely.
// Results are cached for the life of the process, and per boot (feature-cache.ts).
import { existsSync, readFileSync } from "node:fs";
import { vmlinuxBtf } from "../btf/index.ts";
import {
	EBADF,
	EINVAL,
	ENOENT,
	errnoName,
	isNativeSys,
	NotSupportedError,
	PERF_FLAG_FD_CLOEXEC,
	SyscallError,
	sys,
	VerifierError,
} from "../sys/index.ts";
import { Asm, R0 } from "./asm.ts";
import { forgetBootNumbers, loadFeatureCache, saveFeatureCache } from "./feature-cache.ts";
import { probeCopyFromUserStr, probeSleepableUprobe } from "./sleepable.ts";

const VMLINUX_BTF = "/sys/kernel/btf/vmlinux";

import { BpfMap, MapType } from "./map.ts";
import { NativeMemory, pageSize } from "./native.ts";
import { AttachType, Program, type ProgramSpec, ProgType } from "./program.ts";

export const BPF_LINK_CREATE = 28;

export type FeatureName =
	| "bpfCookie"
	| "uprobeMulti"
	| "perfLink"
	| "ringbuf"
	| "buildIdStack"
	| "batchLookup"
	| "uprobe"
	| "kprobe"
	| "btf"
	| "fentry"
	| "sleepableUprobe"
	| "copyFromUserStr";

export interface FeatureResult {
	supported: boolean;
	/** Why not, in words a user can act on (only when unsupported). */
	reason?: string;
}

/** What each feature is called in messages. */
export const FEATURE_TITLES: Record<FeatureName, string> = {
	bpfCookie: "BPF cookies (bpf_get_attach_cookie)",
	uprobeMulti: "uprobe_multi links",
	perfLink: "BPF perf-event links",
	ringbuf: "BPF ring buffers",
	buildIdStack: "build-id stack traces",
	batchLookup: "batched map lookups",
	uprobe: "uprobes",
	kprobe: "kprobes",
	btf: "kernel BTF type information",
	fentry: "fentry/fexit programs",
	sleepableUprobe: "sleepable uprobe programs (user memory paged in on demand)",
	copyFromUserStr: "bpf_copy_from_user_str",
};

let config: Map<string, string> | null | undefined;

/**
 * A kernel build option from /proc/config.gz: its value ("y", "m", a number…),
 * "n" when the config says "is not set", or undefined when the kernel does not
 * publish its config or does not mention the option.
 */
export function kernelConfig(option: string): string | undefined {
	if (config === undefined) {
		config = null;
		try {
			const text = process.getBuiltinModule("node:zlib").gunzipSync(readFileSync("/proc/config.gz")).toString("utf8");
			config = new Map();
			for (const line of text.split("\n")) {
				const set = /^(CONFIG_\w+)=(.*)$/.exec(line);
				if (set) config.set(set[1], set[2]);
				const unset = /^# (CONFIG_\w+) is not set$/.exec(line);
				if (unset) config.set(unset[1], "n");
			}
		} catch {
			// No /proc/config.gz (CONFIG_IKCONFIG_PROC off): reasons just say less.
		}
	}
	return config?.get(option);
}

const cache = new Map<FeatureName, FeatureResult>();

/** Forget cached results (tests). */
export function clearFeatureCache(): void {
	cache.clear();
	booted = undefined;
	forgetBootNumbers();
}

/** What this boot's earlier runs found (feature-cache.ts), read at the first probe. */
let booted: Map<string, FeatureResult> | undefined;

/**
 * Probe one feature (cached, also per boot). Never throws: failures become
 * `{supported: false, reason}`. DTOP_DISABLE_FEATURES=name,… answers "no" for
 * the features it names (to run, or test, what older kernels get).
 */
export function probeFeature(name: FeatureName): FeatureResult {
	if (process.env.DTOP_DISABLE_FEATURES?.split(",").includes(name))
		return { supported: false, reason: `${FEATURE_TITLES[name]} turned off by DTOP_DISABLE_FEATURES` };
	let r = cache.get(name);
	if (!r) {
		// A test's fake kernel neither reads nor writes what the real one answered.
		const real = isNativeSys();
		if (real) booted ??= loadFeatureCache();
		r = real ? booted?.get(name) : undefined;
		if (!r) {
			try {
				r = PROBES[name]();
				// Only what the kernel answered is remembered; a probe that failed is retried next start.
				if (real && booted) {
					booted.set(name, r);
					saveFeatureCache(booted);
				}
			} catch (e) {
				r = { supported: false, reason: `probing it failed: ${(e as Error).message}` };
			}
		}
		cache.set(name, r);
	}
	return r;
}

/** Throw NotSupportedError (with the reason) unless the feature works here. */
export function requireFeature(name: FeatureName): void {
	const r = probeFeature(name);
	if (!r.supported) throw new NotSupportedError(FEATURE_TITLES[name], r.reason ?? "the kernel refused it");
}

/** Every feature's result, probing those not yet known. */
export function allFeatures(): Record<FeatureName, FeatureResult> {
	const out = {} as Record<FeatureName, FeatureResult>;
	for (const n of Object.keys(PROBES) as FeatureName[]) out[n] = probeFeature(n);
	return out;
}

function trivial(): Asm {
	return new Asm().mov(R0, 0).exit();
}

/** An empty test program of `spec`, or, when the kernel refuses it, the feature's answer (`reason` words it). */
function trialProgram(
	spec: Omit<ProgramSpec, "insns" | "license">,
	reason: (refusal: string) => string,
): Program | FeatureResult {
	try {
		return Program.load({ ...spec, insns: trivial(), license: "GPL" });
	} catch (e) {
		return { supported: false, reason: reason(refusal(e)) };
	}
}

function refusal(e: unknown): string {
	if (e instanceof VerifierError) return VerifierError.reason(e.log);
	if (e instanceof SyscallError) return `${e.call} failed with ${errnoName(e.errno)}`;
	return (e as Error).message;
}

/** BPF_LINK_CREATE with the given attributes; returns the errno (0 if a link was made and closed). */
function linkCreate(attr: Buffer): number {
	const r = sys().bpfTry(BPF_LINK_CREATE, attr);
	if (r.ret >= 0) {
		sys().close(r.ret);
		return 0;
	}
	return r.errno;
}

const PROBES: Record<FeatureName, () => FeatureResult> = {
	sleepableUprobe: probeSleepableUprobe,
	copyFromUserStr: probeCopyFromUserStr,
	bpfCookie() {
		// uprobes load as KPROBE programs, which is where dtop reads its cookies.
		try {
			Program.load({
				type: ProgType.KPROBE,
				name: "probe_cookie",
				insns: new Asm().call("get_attach_cookie").exit(),
				license: "GPL",
			}).close();
			return { supported: true };
		} catch (e) {
			return {
				supported: false,
				reason: `the kernel refused a program calling bpf_get_attach_cookie (${refusal(e)}); cookies need Linux 5.15 or newer`,
			};
		}
	},

	uprobeMulti() {
		// Same reasoning as libbpf's probe: a uprobe_multi link on "/" (a directory)
		// fails with EBADF once the kernel has parsed the request, while a kernel
		// without the attach type fails earlier with EINVAL. A second attempt with
		// pid -1 must fail with EINVAL: kernels before that check (6.6–6.8) filtered
		// by thread instead of process, which would make pid-scoped probes miss.
		const prog = trialProgram(
			{ type: ProgType.KPROBE, name: "probe_umulti", expectedAttachType: AttachType.BPF_TRACE_UPROBE_MULTI },
			(why) =>
				`the kernel does not know the uprobe_multi attach type (${why}); it needs Linux 6.6 or newer, so dtop will attach uprobes one perf event at a time`,
		);
		if (!(prog instanceof Program)) return prog;
		const mem = NativeMemory.alloc(16, "uprobe_multi probe");
		try {
			mem.buf.write("/\0", 8, "latin1"); // offsets[0] = 0 at byte 0, path at byte 8
			const attr = Buffer.alloc(64);
			attr.writeUInt32LE(prog.fd, 0);
			attr.writeUInt32LE(AttachType.BPF_TRACE_UPROBE_MULTI, 8);
			attr.writeBigUInt64LE(mem.at(8), 16); // path
			attr.writeBigUInt64LE(mem.at(0), 24); // offsets
			attr.writeUInt32LE(1, 48); // cnt
			const first = linkCreate(attr);
			if (first !== EBADF) {
				return {
					supported: false,
					reason: `a test uprobe_multi link failed with ${errnoName(first)} instead of EBADF; it needs Linux 6.6 or newer, so dtop will attach uprobes one perf event at a time`,
				};
			}
			attr.writeInt32LE(-1, 56); // pid
			const second = linkCreate(attr);
			if (second !== EINVAL) {
				return {
					supported: false,
					reason: `this kernel's uprobe_multi filters by thread instead of process (fixed in Linux 6.9), so dtop will attach uprobes one perf event at a time`,
				};
			}
			return { supported: true };
		} finally {
			mem.free();
			prog.close();
		}
	},

	perfLink() {
		// A perf-event link to fd -1 fails with EBADF when BPF_PERF_EVENT links exist (5.15+).
		const prog = Program.load({ type: ProgType.TRACEPOINT, name: "probe_perflink", insns: trivial(), license: "GPL" });
		try {
			const attr = Buffer.alloc(32);
			attr.writeUInt32LE(prog.fd, 0);
			attr.writeInt32LE(-1, 4);
			attr.writeUInt32LE(AttachType.BPF_PERF_EVENT, 8);
			const err = linkCreate(attr);
			if (err === EBADF) return { supported: true };
			return {
				supported: false,
				reason: `a test perf-event link failed with ${errnoName(err)} instead of EBADF; BPF perf links need Linux 5.15 or newer`,
			};
		} finally {
			prog.close();
		}
	},

	ringbuf() {
		try {
			BpfMap.create({
				type: MapType.RINGBUF,
				keySize: 0,
				valueSize: 0,
				maxEntries: pageSize(),
				name: "probe_ringbuf",
			}).close();
			return { supported: true };
		} catch (e) {
			return {
				supported: false,
				reason: `creating a ring buffer map failed (${refusal(e)}); ring buffers need Linux 5.8 or newer`,
			};
		}
	},

	buildIdStack() {
		try {
			BpfMap.createStackTrace({ maxEntries: 1, maxDepth: 1, buildId: true, name: "probe_buildid" }).close();
			return { supported: true };
		} catch (e) {
			return {
				supported: false,
				reason: `creating a stack map with BPF_F_STACK_BUILD_ID failed (${refusal(e)}); stacks will carry raw addresses only`,
			};
		}
	},

	batchLookup() {
		const map = BpfMap.create({ type: MapType.HASH, keySize: 4, valueSize: 8, maxEntries: 1, name: "probe_batch" });
		const mem = NativeMemory.alloc(64, "batch probe");
		try {
			const attr = Buffer.alloc(56);
			attr.writeBigUInt64LE(mem.at(0), 8); // out_batch
			attr.writeBigUInt64LE(mem.at(16), 16); // keys
			attr.writeBigUInt64LE(mem.at(32), 24); // values
			attr.writeUInt32LE(1, 32); // count
			attr.writeUInt32LE(map.fd, 36);
			const r = sys().bpfTry(24, attr);
			// An empty map answers ENOENT ("no more entries") when batching works.
			if (r.ret >= 0 || r.errno === ENOENT) return { supported: true };
			return {
				supported: false,
				reason: `BPF_MAP_LOOKUP_BATCH failed with ${errnoName(r.errno)} (it needs Linux 5.6 or newer); maps will be read one key at a time`,
			};
		} finally {
			mem.free();
			map.close();
		}
	},

	uprobe() {
		if (existsSync("/sys/bus/event_source/devices/uprobe/type")) return { supported: true };
		const off = kernelConfig("CONFIG_UPROBE_EVENTS") === "n";
		return {
			supported: false,
			reason: `${off ? "the kernel was built without CONFIG_UPROBE_EVENTS: " : ""}/sys/bus/event_source/devices/uprobe does not exist, so USDT and pid probes cannot be used on this machine`,
		};
	},

	kprobe() {
		const typePath = "/sys/bus/event_source/devices/kprobe/type";
		if (!existsSync(typePath)) {
			const why =
				kernelConfig("CONFIG_KPROBES") === "n"
					? "the kernel was built without CONFIG_KPROBES"
					: kernelConfig("CONFIG_KPROBE_EVENTS") === "n"
						? "the kernel was built without CONFIG_KPROBE_EVENTS"
						: "the kernel has no kprobe event source";
			return {
				supported: false,
				reason: `${why}: /sys/bus/event_source/devices/kprobe does not exist, so fbt probes need another kernel`,
			};
		}
		const pmu = Number(readFileSync(typePath, "utf8").trim());
		const fn = "vfs_read";
		const mem = NativeMemory.alloc(fn.length + 1, "kprobe probe");
		try {
			mem.buf.write(`${fn}\0`, 0, "latin1");
			const attr = Buffer.alloc(128);
			attr.writeUInt32LE(pmu, 0);
			attr.writeUInt32LE(128, 4);
			attr.writeBigUInt64LE(mem.addr, 56); // config1: kprobe_func
			const fd = sys().perfEventOpen(attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
			sys().close(fd);
			return { supported: true };
		} catch (e) {
			return {
				supported: false,
				reason: `the kernel refused a kprobe on ${fn} (${refusal(e)}), so fbt probes are unavailable here`,
			};
		} finally {
			mem.free();
		}
	},

	btf() {
		if (existsSync(VMLINUX_BTF)) return { supported: true };
		const why =
			kernelConfig("CONFIG_DEBUG_INFO_BTF") === "n"
				? "the kernel was built without CONFIG_DEBUG_INFO_BTF"
				: "the kernel publishes no BTF type information";
		return {
			supported: false,
			reason: `${why}: /sys/kernel/btf/vmlinux does not exist, so fentry/fexit probes cannot be used`,
		};
	},

	fentry() {
		// BTF alone is not enough: the kernel must also let a trampoline patch the
		// function (ftrace direct calls). Load and attach an empty program on a
		// function every kernel has, then detach at once.
		const btf = probeFeature("btf");
		if (!btf.supported) return { supported: false, reason: btf.reason };
		const fn = "vfs_read";
		const id = vmlinuxBtf().functionId(fn);
		if (id === undefined)
			return { supported: false, reason: `the kernel's BTF has no function ${fn} to test fentry with` };
		const prog = trialProgram(
			{
				type: ProgType.TRACING,
				name: "probe_fentry",
				expectedAttachType: AttachType.BPF_TRACE_FENTRY,
				attachBtfId: id,
			},
			(why) => `the kernel refused an fentry program on ${fn} (${why}), so fbt probes cannot use fentry/fexit here`,
		);
		if (!(prog instanceof Program)) return prog;
		try {
			const attr = Buffer.alloc(32);
			attr.writeUInt32LE(prog.fd, 0);
			attr.writeUInt32LE(AttachType.BPF_TRACE_FENTRY, 8);
			const err = linkCreate(attr);
			if (err === 0) return { supported: true };
			return {
				supported: false,
				reason: `attaching an fentry program to ${fn} failed with ${errnoName(err)}, so fbt probes cannot use fentry/fexit here`,
			};
		} finally {
			prog.close();
		}
	},
};
