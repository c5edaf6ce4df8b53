// Kernel tracepoints (sdt:GROUP::EVENT, and syscalls this architecture's table
// does not number): one perf-event link per tracepoint, the cookie naming it.
import { attachTracepoint, type Link } from "../../kernel/attach/index.ts";
import { ProgType } from "../../kernel/bpf/index.ts";
import { programLimit, tracepointRefusal } from "./refusal.ts";
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
	// A tracepoint the kernel refuses alone is skipped; the rest are attached.
	attach(fd, probes, _env, cookie, { skip }) {
		const links: Link[] = [];
		try {
			probes.forEach((p, i) => {
				const t = p.target;
				try {
					links.push(attachTracepoint(fd, { id: t.id, name: `${t.group}:${t.event}` }, cookie(i)));
				} catch (e) {
					const why = tracepointRefusal(e);
					if (!why) throw programLimit(e, `${t.group}:${t.event}`);
					skip(i, why);
				}
			});
		} catch (e) {
			for (const l of links) l.close();
			throw e;
		}
		return links;
	},
};
