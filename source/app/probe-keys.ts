// The aggregation keys `k` cycles through for one enabling: only those its
// probes have. Arguments as the catalog knows them (a system call's and a
// tracepoint's fields from their tracefs formats, a USDT probe's argument specs,
// a function's argument registers), copyinstr(argN) for each argument that can
// hold a string, ustack() and, where the probe runs in the kernel, kstack().
import { splitUsdtArgs } from "../../kernel/usdt/index.ts";
import type { Probe } from "../catalog/index.ts";

const BASE = ["", "execname", "pid", "tid", "probefunc", "cgroup", "container"];
/** Registers a function's arguments are read from (pid and fbt entry probes). */
const FUNCTION_ARGS = 6;
/** Probes looked at to find the keys of a large enabling (they are alike). */
const SAMPLE = 64;

interface ArgInfo {
	/** Argument indices that exist (arg0 is index 0). */
	args: number[];
	/** Those that may be a pointer to a string. */
	strings: number[];
	kernel: boolean;
}

function tracefsArgs(format: () => { fields: { name: string; type: string; common: boolean }[] }): ArgInfo {
	let fields: { name: string; type: string }[];
	try {
		fields = format().fields.filter((f) => !f.common && f.name !== "__syscall_nr");
	} catch {
		fields = [];
	}
	const args = fields.map((_, i) => i);
	const strings = args.filter((i) => /char\s*\*/.test(fields[i].type));
	return { args, strings, kernel: true };
}

function argsOf(p: Probe): ArgInfo {
	switch (p.kind) {
		case "syscall":
			// The return probe's arg0 is the return value.
			if (p.which === "return") return { args: [0], strings: [], kernel: true };
			return tracefsArgs(() => p.tracepoint.format());
		case "tracepoint": {
			// Only integer fields of 1-8 bytes are readable as argN.
			const info = tracefsArgs(() => p.tracepoint.format());
			return { ...info, strings: [] };
		}
		case "usdt": {
			const specs = splitUsdtArgs(p.sites[0]?.args ?? "");
			const args = specs.map((_, i) => i);
			// A pointer is 8 unsigned bytes (`8@%rdi`); signed or narrower ones are numbers.
			const strings = args.filter((i) => /^8@/.test(specs[i]));
			return { args, strings, kernel: false };
		}
		case "uprobe":
			// DTrace's return probes: arg0 the offset, arg1 the return value.
			return p.which === "return"
				? { args: [1], strings: [], kernel: false }
				: { args: range(FUNCTION_ARGS), strings: [], kernel: false };
		case "fbt":
			return p.which === "return"
				? { args: [1], strings: [], kernel: true }
				: { args: range(FUNCTION_ARGS), strings: [], kernel: true };
		case "profile":
			return { args: [], strings: [], kernel: true };
		case "dtrace":
			// BEGIN, END, ERROR: no arguments, no stack of their own.
			return { args: [], strings: [], kernel: false };
	}
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** The keys of one probe, in cycling order. */
export function probeKeys(p: Probe): string[] {
	const a = argsOf(p);
	return [
		...BASE,
		...a.args.map((i) => `arg${i}`),
		...a.strings.map((i) => `copyinstr(arg${i})`),
		"ustack()",
		...(a.kernel ? ["kstack()"] : []),
	];
}

/** The keys every probe of an enabling has (the keys of the first, kept where all the others have them too). */
export function keysFor(probes: readonly Probe[]): string[] {
	if (probes.length === 0) return BASE;
	const sample = probes.slice(0, SAMPLE).map((p) => new Set(probeKeys(p)));
	return probeKeys(probes[0]).filter((k) => sample.every((s) => s.has(k)));
}

/**
 * A USDT probe's arguments as its note describes them, one line each:
 * `arg0  uint64  %rdi  (copyinstr(arg0) if it points to a string)`.
 */
export function usdtArgLines(p: Probe): string[] {
	if (p.kind !== "usdt") return [];
	return splitUsdtArgs(p.sites[0]?.args ?? "").map((spec, i) => {
		const m = /^([+-]?)(\d+)@(.*)$/.exec(spec);
		// SystemTap's first note format had no size: a whole register, unsigned.
		const [signed, bytes, where] = m ? [m[1] === "-", Number(m[2]), m[3]] : [false, 8, spec];
		const type = `${signed ? "int" : "uint"}${bytes * 8}`;
		const hint = !signed && bytes === 8 ? `  (copyinstr(arg${i}) if it points to a string)` : "";
		return `arg${i}  ${type}  ${where}${hint}`;
	});
}
