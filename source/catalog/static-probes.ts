// The static providers' probes (catalog.ts): dtrace's BEGIN, END and ERROR, a
// syscall entry and return per system call, an sdt probe per tracepoint, and an
// fbt entry and return per traceable kernel function; ids come from the catalog.

import { syscallNumber, type Tracefs } from "../../kernel/tracefs/index.ts";
import { fbtFunctions } from "./fbt.ts";
import type { DtraceProbe, FbtProbe, SyscallProbe, TracepointProbe } from "./probe.ts";
import { TracepointRef } from "./probe.ts";

/** The catalog's next probe id. */
type NewId = () => number;

/** BEGIN, END and ERROR first, so they have DTrace's ids 1, 2 and 3. */
export function dtraceProbes(id: NewId): DtraceProbe[] {
	const out: DtraceProbe[] = [];
	for (const which of ["BEGIN", "END", "ERROR"] as const)
		out.push({
			id: id(),
			provider: "dtrace",
			module: "",
			function: "",
			name: which,
			kind: "dtrace",
			which,
		});
	return out;
}

export function syscallProbes(t: Tracefs, id: NewId): SyscallProbe[] {
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

export function tracepointProbes(t: Tracefs, id: NewId): TracepointProbe[] {
	const out: TracepointProbe[] = [];
	for (const e of t.events()) {
		out.push({
			id: id(),
			provider: "sdt",
			module: e.group,
			function: "",
			name: e.name,
			kind: "tracepoint",
			tracepoint: new TracepointRef(t, e.group, e.name),
		});
	}
	return out;
}

export function fbtProbes(tracefsRoot: string, id: NewId): FbtProbe[] {
	const out: FbtProbe[] = [];
	for (const fn of fbtFunctions(tracefsRoot)) {
		for (const which of ["entry", "return"] as const) {
			out.push({
				id: id(),
				provider: "fbt",
				module: "vmlinux",
				function: fn,
				name: which,
				kind: "fbt",
				which,
				symbol: fn,
			});
		}
	}
	return out;
}
