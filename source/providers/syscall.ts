// syscall:::entry/return through raw_syscalls:sys_enter/sys_exit: one link for
// every system call of a group, the program demultiplexing by number through a
// hash map (number → cookie), instead of one tracepoint link per call.
import { attachTracepoint, type Link } from "../../kernel/attach/index.ts";
import { BpfMap, MapType, ProgType } from "../../kernel/bpf/index.ts";
import type { ArgPlan } from "../../kernel/codegen/ir.ts";
import { tracefs } from "../../kernel/tracefs/index.ts";
import { programLimit } from "./refusal.ts";
import { type Cookie, reg, type TargetProvider } from "./types.ts";

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
