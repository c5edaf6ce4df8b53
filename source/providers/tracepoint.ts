// Kernel tracepoints (sdt:GROUP::EVENT, and syscalls this architecture's table
// does not number): one perf-event link per tracepoint, the cookie naming it.
import { attachTracepoint } from "../../kernel/attach/index.ts";
import { ProgType } from "../../kernel/bpf/index.ts";
import type { TargetProvider } from "./types.ts";

export const tracepointProvider: TargetProvider<"tracepoint"> = {
	kind: "tracepoint",
	nesting: "tracepoint",
	nests: false,
	identity: (p) => `${p.provider}:${p.module}:${p.function}:${p.name}`,
	// Arguments are record fields at per-tracepoint offsets: a program that reads
	// them serves one tracepoint; one that does not serves them all.
	groupKey: (p, byArgs) => (byArgs ? `tp:${p.target.group}:${p.target.event}` : "tp"),
	context(p) {
		const fields = p.target.fields?.() ?? [];
		return {
			ctx: "tracepoint",
			args: fields.map((f) =>
				f.integer && [1, 2, 4, 8].includes(f.size)
					? { k: "ctx" as const, offset: f.offset, size: f.size as 1 | 2 | 4 | 8, signed: f.signed }
					: undefined,
			),
		};
	},
	load: () => ({ type: ProgType.TRACEPOINT }),
	attach: (fd, probes, _env, cookie) =>
		probes.map((p, i) =>
			attachTracepoint(fd, { id: p.target.id, name: `${p.target.group}:${p.target.event}` }, cookie(i)),
		),
};
