// The line dtrace(1) writes on stderr once a program is enabled (unless quiet):
// "dtrace: script 'FILE' matched 2 probes" for -s, "dtrace: description
// 'syscall::read:entry' matched 1 probe" for -n. dtop enables all of its -n
// and -s clauses as one program, so several of them get one line naming them all.
import { escapeForTerminal } from "../util/escape.ts";

export function matchedLine(names: { script?: string; descriptions: string[] }, probes: number): string {
	const n = `matched ${probes} probe${probes === 1 ? "" : "s"}`;
	const d = names.descriptions;
	if (names.script !== undefined && d.length === 0) return `dtop: script '${escapeForTerminal(names.script)}' ${n}\n`;
	if (names.script === undefined && d.length === 1)
		return `dtop: description '${escapeForTerminal(d[0] ?? "")}' ${n}\n`;
	const all = [...(names.script !== undefined ? [`script '${names.script}'`] : []), ...d.map((x) => `'${x}'`)];
	return `dtop: ${escapeForTerminal(all.join(", "))} ${n}\n`;
}
