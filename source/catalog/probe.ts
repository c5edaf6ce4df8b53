// What the catalog knows about a probe: its DTrace name, and what the tracer
// needs to attach to it (tracepoint, uprobe sites, perf timer).

import type { EventFormat, Tracefs } from "../../kernel/tracefs/index.ts";

/** The kinds of probe the catalog holds: one per probe type (usdt and pid-provider
 * probes both attach as uprobes; the session's TargetKind says how each attaches). */
export type ProbeKind = keyof ProbeKinds;

/** What every catalog probe has; a provider's own probe type extends it. */
export interface ProbeBase {
	/** Stable for the catalog's life; larger for probes that appeared later. */
	readonly id: number;
	readonly provider: string;
	readonly module: string;
	readonly function: string;
	readonly name: string;
}

/**
 * A kernel tracepoint by group and event. The id and record layout are read
 * from tracefs on first use: listing ~2,300 probes must not open ~2,300 files.
 */
export class TracepointRef {
	readonly group: string;
	readonly event: string;
	readonly #tracefs: Tracefs;
	constructor(tracefs: Tracefs, group: string, event: string) {
		this.group = group;
		this.event = event;
		this.#tracefs = tracefs;
	}
	/** The tracepoint's id (`config` of a PERF_TYPE_TRACEPOINT perf event). */
	get id(): number {
		return this.#tracefs.eventId(this.group, this.event);
	}
	/** The record layout (fields, offsets, sizes). */
	format(): EventFormat {
		return this.#tracefs.format(this.group, this.event);
	}
	toJSON(): { group: string; event: string } {
		return { group: this.group, event: this.event };
	}
}

/** `syscall:vmlinux:NAME:entry|return`. */
export interface SyscallProbe extends ProbeBase {
	readonly kind: "syscall";
	readonly which: "entry" | "return";
	/** `syscalls:sys_enter_NAME` / `syscalls:sys_exit_NAME`. */
	readonly tracepoint: TracepointRef;
	/** `raw_syscalls:sys_enter` / `raw_syscalls:sys_exit`: one attachment for every system call, keyed by `nr`. */
	readonly raw: TracepointRef;
	/** The system call number, when this architecture's table knows the name (else attach `tracepoint`). */
	readonly nr: number | undefined;
}

/** `sdt:GROUP::EVENT`: any kernel tracepoint. */
export interface TracepointProbe extends ProbeBase {
	readonly kind: "tracepoint";
	readonly tracepoint: TracepointRef;
}

/** One place a USDT probe sits in one object. */
export interface UsdtSite {
	/** The object as the process maps it. */
	readonly path: string;
	/** A path that opens this very object from dtop (the maps path, or /proc/PID/map_files/... if it was replaced). */
	readonly openPath: string;
	readonly dev: number;
	readonly inode: number;
	/** File offset of the probe's nop: where the uprobe goes. */
	readonly pcOffset: number;
	/** File offset of the semaphore (uprobe `ref_ctr_offset`), 0 when none. */
	readonly semaphoreOffset: number;
	/** Argument specs as the compiler wrote them, e.g. `-4@%edi 8@-80(%rbx)`. */
	readonly args: string;
}

/** `PROVIDER<PID>:MODULE:FUNCTION:NAME` from `.note.stapsdt`. */
export interface UsdtProbe extends ProbeBase {
	readonly kind: "usdt";
	readonly pid: number;
	/** Provider and name as written in the binary (`simple`, `saw__line`). */
	readonly usdtProvider: string;
	readonly usdtName: string;
	/** Every site of this probe (a probe macro may be expanded in several places). */
	readonly sites: readonly UsdtSite[];
}

/** `pid<PID>:MODULE:FUNCTION:entry|return`: a uprobe on a function symbol. */
export interface PidProbe extends ProbeBase {
	readonly kind: "uprobe";
	readonly pid: number;
	readonly which: "entry" | "return";
	readonly path: string;
	readonly openPath: string;
	readonly dev: number;
	readonly inode: number;
	/** File offset of the function's first instruction. */
	readonly offset: number;
	readonly symbol: string;
}

/** `profile:::profile-N` (every CPU) and `profile:::tick-N` (one CPU). */
export interface ProfileProbe extends ProbeBase {
	readonly kind: "profile";
	/** profile-N fires on every CPU; tick-N on one. */
	readonly perCpu: boolean;
	/** Interval between firings in nanoseconds. */
	readonly periodNs: number;
	/** Set when the probe was named by a rate (`profile-997`, `tick-10hz`). */
	readonly frequencyHz?: number;
}

/** `dtrace:::BEGIN`, `dtrace:::END`, `dtrace:::ERROR`: fired by dtop itself (ids 1, 2, 3, as in DTrace). */
export interface DtraceProbe extends ProbeBase {
	readonly kind: "dtrace";
	readonly which: "BEGIN" | "END" | "ERROR";
}

/** `fbt:vmlinux:FUNCTION:entry|return`, on kernels with kprobes or fentry. */
export interface FbtProbe extends ProbeBase {
	readonly kind: "fbt";
	readonly which: "entry" | "return";
	readonly symbol: string;
}

/**
 * Every kind of catalog probe by its `kind`. A provider with a probe type of
 * its own adds it from its module (`declare module "../catalog/probe.ts"
 * { interface ProbeKinds { NAME: ItsProbe } }`): the union follows.
 */
export interface ProbeKinds {
	dtrace: DtraceProbe;
	syscall: SyscallProbe;
	tracepoint: TracepointProbe;
	usdt: UsdtProbe;
	uprobe: PidProbe;
	profile: ProfileProbe;
	fbt: FbtProbe;
}

export type Probe = ProbeKinds[ProbeKind];

/** Shown for a provider in the UI's tree and by `-l`. */
export interface ProviderInfo {
	name: string;
	kind: ProbeKind;
	available: boolean;
	/** Why the provider cannot be used here (only when unavailable). */
	reason?: string;
	/** USDT and pid providers belong to one process. */
	pid?: number;
}

/** `provider:module:function:name`. */
export function probeName(p: { provider: string; module: string; function: string; name: string }): string {
	return `${p.provider}:${p.module}:${p.function}:${p.name}`;
}
