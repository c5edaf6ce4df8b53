// syscall:::entry/return through raw_syscalls:sys_enter/sys_exit: one link for
// every system call of a group, the program demultiplexing by number through a
// hash map (number → cookie), instead of one tracepoint link per call.
import { attachTracepoint, type Link } from "../../kernel/attach/index.ts";
import { BpfMap, MapType, ProgType } from "../../kernel/bpf/index.ts";
import type { ArgPlan } from "../../kernel/codegen/ir.ts";
import { syscallNumber, type Tracefs, tracefs } from "../../kernel/tracefs/index.ts";
import { type SyscallProbe, TracepointRef } from "../catalog/probe.ts";
import { programLimit } from "./refusal.ts";
import { tracefsArgs, tracepointJson, tracepointLines } from "./tracefs-probes.ts";
import {
	type Cookie,
	type NewId,
	type ProbeKindModule,
	type Provider,
	reg,
	type TargetProvider,
	traceBase,
} from "./types.ts";

/** Offset of `args[0]` (and of `ret`) in raw_syscalls' records, after the common fields and `id`. */
const ARGS_OFFSET = 16;

/** The program's filter: system call number → cookie of the i-th probe, for the numbers enabled. */
export function syscallNumberMap(nrs: readonly number[], cookie: Cookie): BpfMap {
	const map = BpfMap.create({
		type: MapType.HASH,
		keySize: 4,
		valueSize: 8,
		maxEntries: Math.max(1, nrs.length),
		name: "dtop_sysnr",
	});
	nrs.forEach((nr, i) => {
		const k = Buffer.alloc(4);
		k.writeUInt32LE(nr);
		const v = Buffer.alloc(8);
		v.writeBigUInt64LE(cookie(i));
		map.update(k, v);
	});
	return map;
}

/** raw_syscalls:sys_enter or sys_exit, with one perf-event link (the kernel's limit of 64 programs named). */
export function attachRawSyscalls(fd: number, exit: boolean): Link {
	const ev = exit ? "sys_exit" : "sys_enter";
	try {
		return attachTracepoint(fd, { id: tracefs().eventId("raw_syscalls", ev), name: `raw_syscalls:${ev}` }, 0n);
	} catch (e) {
		throw programLimit(e, `raw_syscalls:${ev}`);
	}
}

export const syscallProvider: TargetProvider<"syscall"> = {
	kind: "syscall",
	nesting: "tracepoint",
	nests: false,
	identity: (p) => `${p.provider}:${p.module}:${p.function}:${p.name}`,
	groupKey: (p) => `sys:${p.target.ret}`,
	context(p) {
		if (p.target.ret) {
			const rv = reg(ARGS_OFFSET);
			return { ctx: "syscall-exit", args: [rv, rv], retval: rv };
		}
		const args: ArgPlan[] = Array.from({ length: 6 }, (_, i) => reg(ARGS_OFFSET + 8 * i));
		return { ctx: "syscall-enter", args };
	},
	load: () => ({ type: ProgType.TRACEPOINT }),
	groupMaps: (probes, cookie) => ({
		syscallMap: syscallNumberMap(
			probes.map((p) => p.target.nr),
			cookie,
		),
	}),
	attach: (fd, probes) => [attachRawSyscalls(fd, probes[0].target.ret)],
};

/** `syscall:vmlinux:NAME:entry|return`: a pair per system call tracefs has events for. */
function syscallProbes(t: Tracefs, id: NewId): SyscallProbe[] {
	const out: SyscallProbe[] = [];
	const rawEnter = new TracepointRef(t, "raw_syscalls", "sys_enter");
	const rawExit = new TracepointRef(t, "raw_syscalls", "sys_exit");
	const exits = new Set(t.eventsOf("syscalls").filter((e) => e.startsWith("sys_exit_")));
	const names = t
		.eventsOf("syscalls")
		.filter((e) => e.startsWith("sys_enter_"))
		.map((e) => e.slice(10))
		.sort();
	for (const name of names) {
		const nr = syscallNumber(name);
		out.push({
			id: id(),
			provider: "syscall",
			module: "vmlinux",
			function: name,
			name: "entry",
			kind: "syscall",
			which: "entry",
			tracepoint: new TracepointRef(t, "syscalls", `sys_enter_${name}`),
			raw: rawEnter,
			nr,
		});
		if (!exits.has(`sys_exit_${name}`)) continue;
		out.push({
			id: id(),
			provider: "syscall",
			module: "vmlinux",
			function: name,
			name: "return",
			kind: "syscall",
			which: "return",
			tracepoint: new TracepointRef(t, "syscalls", `sys_exit_${name}`),
			raw: rawExit,
			nr,
		});
	}
	return out;
}

const syscallProbeKind: ProbeKindModule<"syscall"> = {
	kind: "syscall",
	provider: "syscall",
	info: () => ({ name: "syscall", kind: "syscall", available: true }),
	list: (env, id) => syscallProbes(env.tracefs, id),
	// A system call this architecture's table does not number is traced as its own tracepoint.
	targets: (p) => [
		{
			...traceBase(p),
			target:
				p.nr === undefined
					? { kind: "tracepoint", group: p.tracepoint.group, event: p.tracepoint.event, id: p.tracepoint.id }
					: { kind: "syscall", nr: p.nr, ret: p.which === "return" },
		},
	],
	describe: (p) =>
		tracepointLines(p.tracepoint, p.which === "entry", [
			p.nr === undefined ? "system call number unknown on this architecture" : `system call number ${p.nr}`,
		]),
	json: (p) => tracepointJson(p.tracepoint),
	// The return probe's arg0 is the return value.
	args: (p) =>
		p.which === "return" ? { args: [0], strings: [], kernel: true } : tracefsArgs(() => p.tracepoint.format()),
};

export const syscall: Provider = { probes: [syscallProbeKind], target: syscallProvider };
