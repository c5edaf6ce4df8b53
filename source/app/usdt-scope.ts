// Which processes the catalog must scan for USDT probes before a batch run's
// clauses are matched. Scanning every process's objects for USDT notes is the
// slowest part of starting; clauses that name their processes (`simple$target`,
// `python4242`, `pid$target`) need only those, read on demand.
import { isGlob } from "../catalog/glob.ts";
import { parseProgram } from "../d/index.ts";
import { madeWhenNamed, namesListedOnly } from "../providers/index.ts";

const MACRO = /(?<!\$)\$(target|pid|ppid|uid|gid|euid|egid)\b/g;

/**
 * The pids whose USDT probes the clauses can name: [] when they name none,
 * undefined when any process's could (a glob, an empty provider, a provider
 * without a pid, or a program that does not parse: the session reports it).
 */
export function usdtScope(text: string, target: number | undefined): number[] | undefined {
	if (!text.trim()) return undefined;
	let program: ReturnType<typeof parseProgram>;
	try {
		program = parseProgram(text.replace(MACRO, (_, m: string) => (m === "target" && target ? String(target) : "1")));
	} catch {
		return undefined;
	}
	const pids = new Set<number>();
	for (const c of program.clauses) {
		for (const d of c.probes) {
			const p = d.provider;
			// Kernel, profile and dtrace probes; pid probes are made on demand.
			if (namesListedOnly(d) || madeWhenNamed(p)) continue;
			if (p === "" || isGlob(p)) return undefined;
			const m = /^(.*?)(\d+)$/.exec(p);
			if (!m || m[1] === "") return undefined;
			pids.add(Number(m[2]));
		}
	}
	return [...pids];
}
