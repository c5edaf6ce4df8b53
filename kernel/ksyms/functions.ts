// Which kernel functions fbt can offer. The authoritative list is tracefs'
// `available_filter_functions`: the functions the function tracer can patch,
// which is exactly the set fentry and (ftrace-based) kprobes at offset 0 can
// attach to. Kernels that refuse the function tracer (these development machines
// answer EPERM) still have /proc/kallsyms, which names every text symbol; that is
// a superset (it includes notrace and inlined-away functions), so the answer says
// which source it came from.
import { readFileSync } from "node:fs";
import { NotSupportedError } from "../sys/index.ts";
import { KernelSymbols } from "./kallsyms.ts";

export interface KernelFunction {
	name: string;
	/** Loadable module the function lives in; undefined for vmlinux. */
	module?: string;
}

export interface KernelFunctionList {
	/** Where the names came from; kallsyms names may not all be traceable. */
	source: "available_filter_functions" | "kallsyms";
	functions: KernelFunction[];
	/** Why available_filter_functions was not used (only when source is kallsyms). */
	reason?: string;
}

const TRACEFS_ROOTS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/**
 * Parse `available_filter_functions`: one `name` or `name [module]` per line.
 * A name can repeat (static functions of the same name in different files); it is
 * listed once.
 */
export function parseFilterFunctions(text: string): KernelFunction[] {
	const out: KernelFunction[] = [];
	const seen = new Set<string>();
	let pos = 0;
	while (pos < text.length) {
		let eol = text.indexOf("\n", pos);
		if (eol < 0) eol = text.length;
		const line = text.slice(pos, eol).trim();
		pos = eol + 1;
		if (line.length === 0) continue;
		const sp = line.indexOf(" ");
		const name = sp < 0 ? line : line.slice(0, sp);
		let module: string | undefined;
		if (sp >= 0) {
			const m = /\[([^\]]+)\]/.exec(line.slice(sp));
			if (m) module = m[1];
		}
		// Symbols such as `__ftrace_invalid_address___64` mark addresses the kernel
		// could not resolve (Linux 6.0+); they are not functions.
		if (name.startsWith("__ftrace_invalid_address__")) continue;
		const key = module ? `${name}\0${module}` : name;
		if (seen.has(key)) continue;
		seen.add(key);
		out.push(module ? { name, module } : { name });
	}
	return out;
}

/** Functions named in kallsyms, once each, in name order. */
export function functionsFromKallsyms(symbols: KernelSymbols): KernelFunction[] {
	const out: KernelFunction[] = [];
	const seen = new Set<string>();
	for (const s of symbols.symbols()) {
		// `__pfx_X` (Linux 6.2+) labels the padding before X, not a function.
		if (s.name.startsWith("__pfx_")) continue;
		const key = s.module ? `${s.name}\0${s.module}` : s.name;
		if (seen.has(key)) continue;
		seen.add(key);
		out.push(s.module ? { name: s.name, module: s.module } : { name: s.name });
	}
	out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
	return out;
}

/** Read `available_filter_functions`; throws NotSupportedError with the reason when it cannot. */
export function readFilterFunctions(roots: readonly string[] = TRACEFS_ROOTS): KernelFunction[] {
	let lastReason = "tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)";
	for (const root of roots) {
		const path = `${root}/available_filter_functions`;
		try {
			return parseFilterFunctions(readFileSync(path, "latin1"));
		} catch (e) {
			const code = (e as NodeJS.ErrnoException).code;
			if (code === "ENOENT") continue;
			lastReason =
				code === "EPERM" || code === "EACCES"
					? `the kernel refuses to list traceable functions (${path}: ${code}); the function tracer is disabled or locked down on this machine`
					: `${path} could not be read (${code ?? (e as Error).message})`;
			break;
		}
	}
	throw new NotSupportedError("the list of traceable kernel functions", lastReason);
}

/**
 * Kernel functions for the fbt provider: available_filter_functions when readable,
 * else the text symbols of /proc/kallsyms (with the reason the better list was not
 * available). Throws NotSupportedError when neither can be read.
 */
export function listKernelFunctions(opts: { roots?: readonly string[]; kallsyms?: string } = {}): KernelFunctionList {
	try {
		return { source: "available_filter_functions", functions: readFilterFunctions(opts.roots) };
	} catch (e) {
		if (!(e instanceof NotSupportedError)) throw e;
		const symbols = KernelSymbols.load(opts.kallsyms);
		return { source: "kallsyms", functions: functionsFromKallsyms(symbols), reason: e.reason };
	}
}
