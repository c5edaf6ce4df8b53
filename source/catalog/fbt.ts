// fbt (function boundary tracing of the kernel) needs kprobes (the kprobe PMU,
// Linux 4.17+, for perf_event_open) or fentry (BTF, Linux 5.5+), and the list
// of traceable functions from tracefs. Where the kernel offers none, the
// provider is shown with the reason instead of silently missing.

import { existsSync, readFileSync } from "node:fs";

export interface FbtAvailability {
	available: boolean;
	/** The sentence shown to the user when unavailable. */
	reason?: string;
	/** What attaches: kprobes or fentry. */
	via?: "kprobe" | "fentry";
}

export interface FbtPaths {
	kprobePmu: string;
	btf: string;
	/** tracefs root. */
	tracefs: string;
}

const DEFAULT_PATHS: Omit<FbtPaths, "tracefs"> = {
	kprobePmu: "/sys/bus/event_source/devices/kprobe",
	btf: "/sys/kernel/btf/vmlinux",
};

function readableError(path: string): string | undefined {
	try {
		// Reading a few bytes is enough to learn whether the kernel refuses.
		const text = readFileSync(path, { encoding: "latin1", flag: "r" });
		return text.length > 0 ? undefined : "empty";
	} catch (e) {
		return (e as NodeJS.ErrnoException).code ?? "unreadable";
	}
}

export function fbtAvailability(tracefsRoot: string, paths: Partial<FbtPaths> = {}): FbtAvailability {
	const p = { ...DEFAULT_PATHS, tracefs: tracefsRoot, ...paths };
	const kprobes = existsSync(p.kprobePmu);
	const btf = existsSync(p.btf);
	const listPath = `${p.tracefs}/available_filter_functions`;
	const listError = existsSync(listPath) ? readableError(listPath) : "missing";
	if ((kprobes || btf) && listError === undefined) return { available: true, via: kprobes ? "kprobe" : "fentry" };
	const parts: string[] = [];
	parts.push(
		kprobes
			? "kprobes are there but the function tracer's list of functions is not"
			: `there is no kprobe PMU at ${p.kprobePmu} (CONFIG_KPROBES is off)`,
	);
	const tracer =
		listError === "missing"
			? "tracefs has no available_filter_functions (no function tracer)"
			: listError !== undefined
				? `the function tracer refuses access to available_filter_functions (${listError})`
				: undefined;
	if (!btf) parts.push(`fentry needs BTF and there is none at ${p.btf} (CONFIG_DEBUG_INFO_BTF is off)`);
	else if (tracer) parts.push(`fentry cannot attach because ${tracer}, although BTF is present`);
	if (!btf && tracer) parts.push(tracer);
	return {
		available: false,
		reason: `fbt (kernel function probes) is not available on this kernel: ${parts.join("; ")}.`,
	};
}

/** Kernel functions that can be probed (one per line in available_filter_functions, maybe `name [module]`). */
export function fbtFunctions(tracefsRoot: string): string[] {
	let text: string;
	try {
		text = readFileSync(`${tracefsRoot}/available_filter_functions`, "latin1");
	} catch {
		return [];
	}
	const seen = new Set<string>();
	for (const line of text.split("\n")) {
		const name = line.split(" ")[0];
		// `__ftrace_invalid_address___123` entries are placeholders, not functions.
		if (name && !name.startsWith("__ftrace_invalid_address")) seen.add(name);
	}
	return [...seen].sort();
}
