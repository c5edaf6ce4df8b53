// The running kernel's preemption model. A BPF program attached to a uprobe runs
// with migration disabled but preemption enabled (bpf_prog_run_array_uprobe,
// Linux 5.19+), so on a kernel with full or lazy preemption another task running
// the same program on the same CPU can interleave with a plain load-add-store of a
// per-CPU counter and one of the two increments is lost. Atomic adds are exact there.
//
// Where the model can be read, measured on 2026-12-06:
// - /sys/kernel/debug/sched/preempt ("none voluntary (full) lazy", the current mode in
//   parentheses): readable on Debian's 6.1 in the VM once debugfs is mounted; on the
//   development machines' 6.18 debugfs mounts but the file answers EPERM.
// - uname -v (= the tail of /proc/version): "PREEMPT_DYNAMIC" when the mode is chosen
//   at boot (both kernels above), "PREEMPT" or "PREEMPT_RT" or "PREEMPT_LAZY" when it is
//   fixed at build time as preemptible; none of these when it is fixed as none/voluntary.
// - With PREEMPT_DYNAMIC, the last `preempt=` on /proc/cmdline wins; without one, the
//   build's default: CONFIG_PREEMPT_{NONE,VOLUNTARY,_,LAZY} in /proc/config.gz (6.18
//   here: NONE) or /boot/config-RELEASE (Debian: VOLUNTARY).
// Nothing is mounted to find out. When nothing says, the answer is "preemptible":
// atomics cost a few nanoseconds, lost counts break the promise that N firings count N.
import { existsSync, readFileSync } from "node:fs";

export type PreemptionModel = "none" | "voluntary" | "full" | "lazy" | "rt";

export interface PreemptionFiles {
	/** Reads a file, or returns undefined when it is missing or unreadable. */
	read(path: string): string | undefined;
}

const realFiles: PreemptionFiles = {
	read(path) {
		try {
			if (!existsSync(path)) return undefined;
			const buf = readFileSync(path);
			return path.endsWith(".gz")
				? process.getBuiltinModule("node:zlib").gunzipSync(buf).toString("latin1")
				: buf.toString("latin1");
		} catch {
			return undefined;
		}
	},
};

export interface PreemptionInfo {
	model: PreemptionModel | "unknown";
	/** Which file said so. */
	source: string;
}

const MODELS: readonly PreemptionModel[] = ["none", "voluntary", "full", "lazy"];

function fromConfig(text: string | undefined): PreemptionModel | undefined {
	if (!text) return undefined;
	const on = (name: string) => new RegExp(`^CONFIG_${name}=y$`, "m").test(text);
	if (on("PREEMPT_RT")) return "rt";
	if (on("PREEMPT_LAZY")) return "lazy";
	if (on("PREEMPT")) return "full";
	if (on("PREEMPT_VOLUNTARY")) return "voluntary";
	if (on("PREEMPT_NONE")) return "none";
	return undefined;
}

/** The kernel's current preemption model and where it was read. */
export function preemptionModel(files: PreemptionFiles = realFiles): PreemptionInfo {
	const debug = "/sys/kernel/debug/sched/preempt";
	const current = /\((\w+)\)/.exec(files.read(debug) ?? "")?.[1];
	if (current && (MODELS as readonly string[]).includes(current))
		return { model: current as PreemptionModel, source: debug };
	const version = files.read("/proc/version") ?? "";
	if (/\bPREEMPT_RT\b/.test(version)) return { model: "rt", source: "/proc/version" };
	if (/\bPREEMPT_LAZY\b/.test(version)) return { model: "lazy", source: "/proc/version" };
	const dynamic = /\bPREEMPT_DYNAMIC\b/.test(version);
	if (!dynamic && /\bPREEMPT\b/.test(version)) return { model: "full", source: "/proc/version" };
	if (!version) return { model: "unknown", source: "/proc/version is unreadable" };
	if (!dynamic) {
		// Neither PREEMPT nor PREEMPT_DYNAMIC: built as none or voluntary, fixed.
		return { model: "none", source: "/proc/version" };
	}
	const cmdline = files.read("/proc/cmdline") ?? "";
	const args = [...cmdline.split(" -- ")[0].matchAll(/(?:^|\s)preempt=(\w+)/g)].map((m) => m[1]);
	const last = args.at(-1);
	if (last && (MODELS as readonly string[]).includes(last))
		return { model: last as PreemptionModel, source: "/proc/cmdline" };
	const release = /^Linux version (\S+)/.exec(version)?.[1];
	for (const path of ["/proc/config.gz", ...(release ? [`/boot/config-${release}`] : [])]) {
		const model = fromConfig(files.read(path));
		if (model) return { model, source: path };
	}
	return { model: "unknown", source: "PREEMPT_DYNAMIC without a readable mode" };
}

let cached: boolean | undefined;

/**
 * Can a BPF program attached to a uprobe be preempted on this kernel (so per-CPU
 * read-modify-writes must be atomic)? DTOP_ASSUME_PREEMPTIBLE=1 or 0 overrides the
 * answer (for kernels whose model cannot be read, and for the test that shows what
 * plain adds lose).
 */
export function preemptible(): boolean {
	const forced = process.env.DTOP_ASSUME_PREEMPTIBLE;
	if (forced === "1") return true;
	if (forced === "0") return false;
	cached ??= isPreemptible(preemptionModel().model);
	return cached;
}

export function isPreemptible(model: PreemptionModel | "unknown"): boolean {
	return model !== "none" && model !== "voluntary";
}
