// Kernel tracepoints (sdt:GROUP::EVENT, and syscalls this architecture's table
// does not number). A clause that reads no arguments runs as a raw tracepoint
// program, one BPF_RAW_TRACEPOINT_OPEN link per tracepoint (no perf event: it
// attaches and, above all, detaches fast, even after kill -9: ~0.5 s for 1,500
// against ~75 ms each for perf events, which wait for RCU grace periods). A
// clause that reads arguments reads the formatted record, so it needs a
// perf-event link per tracepoint. The cookie names the probe either way.
import { attachRawTracepoint, attachTracepoint, type Link, rawTracepointCookies } from "../../kernel/attach/index.ts";
import { ProgType } from "../../kernel/bpf/index.ts";
import { syscallNumber, tracefs } from "../../kernel/tracefs/index.ts";
import { type TracepointProbe, TracepointRef } from "../catalog/probe.ts";
import { programLimit, tracepointRefusal } from "./refusal.ts";
import { attachRawSyscalls, syscallNumberMap } from "./syscall.ts";
import { tracefsArgs, tracepointFields, tracepointJson, tracepointLines } from "./tracefs-probes.ts";
import {
	type ClauseReads,
	type ProbeKindModule,
	type ProbeOf,
	type Provider,
	type TargetProvider,
	traceBase,
} from "./types.ts";

let eventNames: Map<string, number> | undefined;

/**
 * Whether a tracepoint can be reached by name as a raw tracepoint: the
 * syscalls group's events are ftrace's own (served by raw_syscalls), and a
 * raw tracepoint is looked up by event name alone, so the name must be unique.
 */
function rawCapable(p: ProbeOf<"tracepoint">): boolean {
	if (p.target.group === "syscalls" || !rawTracepointCookies()) return false;
	if (!eventNames) {
		eventNames = new Map();
		for (const e of tracefs().events()) eventNames.set(e.name, (eventNames.get(e.name) ?? 0) + 1);
	}
	return (eventNames.get(p.target.event) ?? 1) === 1;
}

/**
 * A raw tracepoint serves a clause that reads neither arguments nor the kernel
 * stack (from a raw tracepoint program it would start with the program's own
 * frames and bpf_trace_run's, not at the tracepoint's caller).
 */
const raw = (p: ProbeOf<"tracepoint">, reads: ClauseReads) => !reads.args && !reads.kernelStack && rawCapable(p);

/**
 * The system call behind syscalls:sys_enter_X / sys_exit_X, when this
 * architecture's table numbers it and the clause reads no arguments (their
 * record fields start with __syscall_nr, unlike raw_syscalls'): such probes
 * share one raw_syscalls link with a number filter, like syscall::: probes,
 * instead of a perf event each (~75 ms each to release).
 */
function viaRawSyscalls(p: ProbeOf<"tracepoint">, reads: ClauseReads): { nr: number; exit: boolean } | undefined {
	if (reads.args || p.target.group !== "syscalls") return undefined;
	const m = /^sys_(enter|exit)_(.+)$/.exec(p.target.event);
	const nr = m ? syscallNumber(m[2]) : undefined;
	return m && nr !== undefined ? { nr, exit: m[1] === "exit" } : undefined;
}

export const tracepointProvider: TargetProvider<"tracepoint"> = {
	kind: "tracepoint",
	nesting: "tracepoint",
	// Raw tracepoint programs guard only against running inside themselves: a
	// tracepoint firing in an interrupt runs another clause's program (same
	// aggregations) in the middle of one running for a task-context tracepoint.
	nests: true,
	identity: (p) => `${p.provider}:${p.module}:${p.function}:${p.name}`,
	// Arguments are record fields at per-tracepoint offsets: a program that reads
	// them serves one tracepoint; one that does not serves them all.
	groupKey(p, reads) {
		if (reads.args) return `tp:${p.target.group}:${p.target.event}`;
		const sys = viaRawSyscalls(p, reads);
		if (sys) return `tp-sys:${sys.exit}`;
		return raw(p, reads) ? "tp-raw" : "tp";
	},
	context(p, _env, reads) {
		const sys = viaRawSyscalls(p, reads);
		if (sys) return { ctx: sys.exit ? "syscall-exit" : "syscall-enter", args: [] };
		// A raw tracepoint's context is the tracepoint's own arguments, not the
		// record: it offers none (its program reads none; see groupKey).
		if (raw(p, reads)) return { ctx: "tracepoint", args: [] };
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
	load: (probes, _env, _cookie, reads) => ({
		type: raw(probes[0], reads) ? ProgType.RAW_TRACEPOINT : ProgType.TRACEPOINT,
	}),
	groupMaps(probes, cookie) {
		const nrs = probes.map((p) => viaRawSyscalls(p, { args: false, kernelStack: false })?.nr);
		if (nrs.some((nr) => nr === undefined)) return {};
		return { syscallMap: syscallNumberMap(nrs as number[], cookie) };
	},
	// A tracepoint the kernel refuses alone is skipped; the rest are attached.
	attach(fd, probes, _env, cookie, { reads, skip }) {
		const sys = viaRawSyscalls(probes[0], reads);
		if (sys) return [attachRawSyscalls(fd, sys.exit)];
		const rawMode = raw(probes[0], reads);
		const links: Link[] = [];
		try {
			probes.forEach((p, i) => {
				const t = p.target;
				try {
					links.push(
						rawMode
							? attachRawTracepoint(fd, t.event, cookie(i))
							: attachTracepoint(fd, { id: t.id, name: `${t.group}:${t.event}` }, cookie(i)),
					);
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

/** `sdt:GROUP::EVENT`: a probe per kernel tracepoint. */
const sdtProbeKind: ProbeKindModule<"tracepoint"> = {
	kind: "tracepoint",
	provider: "sdt",
	info: () => ({ name: "sdt", kind: "tracepoint", available: true }),
	list: (env, id) =>
		env.tracefs.events().map(
			(e): TracepointProbe => ({
				id: id(),
				provider: "sdt",
				module: e.group,
				function: "",
				name: e.name,
				kind: "tracepoint",
				tracepoint: new TracepointRef(env.tracefs, e.group, e.name),
			}),
		),
	targets(p) {
		const tp = p.tracepoint;
		return [
			{
				...traceBase(p),
				target: {
					kind: "tracepoint",
					group: tp.group,
					event: tp.event,
					id: tp.id,
					fields: () => tracepointFields(() => tp.format()),
				},
			},
		];
	},
	describe: (p) => tracepointLines(p.tracepoint, false),
	json: (p) => tracepointJson(p.tracepoint),
	// Only integer fields of 1-8 bytes are readable as argN.
	args: (p) => ({ ...tracefsArgs(() => p.tracepoint.format()), strings: [] }),
};

export const sdt: Provider = { probes: [sdtProbeKind], target: tracepointProvider };
