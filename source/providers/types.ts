// What a provider is to the session: how its probes are told apart, grouped
// into programs, read (context and arguments), loaded and attached. Each kind
// of attachment is one module in this folder; the session asks the registry
// (index.ts) and never tests a probe's kind itself.
import type { Link } from "../../kernel/attach/index.ts";
import type { BpfMap } from "../../kernel/bpf/index.ts";
import type { ArgPlan, ContextKind } from "../../kernel/codegen/ir.ts";

export type ProbeTarget =
	/** A system call, served by raw_syscalls:sys_enter/sys_exit and a number filter. */
	| { kind: "syscall"; nr: number; ret: boolean }
	/** A kernel tracepoint; `fields` are the record's non-common fields, for argN. */
	| { kind: "tracepoint"; group: string; event: string; id: number; fields?: () => TracepointField[] }
	/** A uprobe at a file offset; USDT probes carry their semaphore and argument specs. */
	| {
			kind: "uprobe";
			path: string;
			offset: bigint;
			ret: boolean;
			pid?: number;
			refCtrOffset?: bigint;
			/** USDT argument specs (`-4@%edi 8@%rax`); absent for pid-provider probes. */
			usdtArgs?: string;
			/** On the file (no pid), widened from the catalog's probe of this process (session/widen.ts). */
			seenIn?: number;
	  }
	/** Timed sampling: profile-N on every CPU, or tick-N on one. */
	| { kind: "profile"; hz?: number; periodNs?: bigint }
	/** dtrace:::BEGIN/END/ERROR: a program dtop runs itself (BPF_PROG_TEST_RUN), never attached. */
	| { kind: "dtrace"; which: "BEGIN" | "END" | "ERROR" }
	/** A kernel function; only where the kernel allows kprobes or fentry. */
	| { kind: "fbt"; func: string; ret: boolean; unavailable?: string };

export type TargetKind = ProbeTarget["kind"];

export interface TracepointField {
	name: string;
	offset: number;
	size: number;
	signed: boolean;
	/** Strings and arrays cannot be read as integers. */
	integer: boolean;
}

/** A probe as the session traces it: its DTrace name and where it attaches. */
export interface TraceProbe<T extends ProbeTarget = ProbeTarget> {
	id: number;
	provider: string;
	module: string;
	function: string;
	name: string;
	target: T;
}

/** A probe of one kind of target. */
export type ProbeOf<K extends TargetKind> = TraceProbe<Extract<ProbeTarget, { kind: K }>>;

/** What the compiled program reads: its context and where each argument is. */
export interface ContextPlan {
	ctx: ContextKind;
	args: (ArgPlan | undefined)[];
	retval?: ArgPlan;
}

/** How a group's program is loaded. */
export interface LoadPlan {
	type: number;
	expectedAttachType?: number;
	attachBtfId?: number;
	/** A program bound to one probe when loaded knows its cookie without asking the kernel. */
	fixedCookie?: bigint;
}

/** What the machine offers, decided once per session. */
export interface ProviderEnv {
	/** The kernel has uprobe_multi links (6.6). */
	uprobeMulti: boolean;
}

/** The cookie of the i-th probe of a group: probe id (high 32 bits) and slot (low 32). */
export type Cookie = (i: number) => bigint;

/** What a clause's program reads of the context its probe fires in. */
export interface ClauseReads {
	/** Arguments (argN, retval): programs are split by argument layout. */
	args: boolean;
	/** The kernel stack (kstack(), stack()): it starts where the probe's context says. */
	kernelStack: boolean;
}

/** How a group is attached: what its program reads, and where refusals go. */
export interface AttachOpts {
	reads: ClauseReads;
	/**
	 * The kernel refused the i-th probe alone (an instruction it cannot probe, an
	 * event it will not attach to): the rest are attached without it, and the
	 * session reports it. Errors that are not about one probe are thrown.
	 */
	skip(i: number, reason: string): void;
}

export interface TargetProvider<K extends TargetKind> {
	readonly kind: K;
	/**
	 * Probes that could run nested on one CPU are in different classes; an
	 * enabling over more than one class, or over a class that interrupts
	 * itself (`nests`), updates its per-CPU values atomically.
	 */
	readonly nesting: string;
	readonly nests: boolean;
	/** What makes two probes the same attachment (a probe seen again under a new id is the same probe). */
	identity(p: ProbeOf<K>): string;
	/** Probes with the same key share one program and one kind of link. */
	groupKey(p: ProbeOf<K>, reads: ClauseReads): string;
	/** Why this probe cannot be enabled here, when it cannot. */
	unavailable?(p: ProbeOf<K>): string | undefined;
	/** `reads`: what the group's program reads (see groupKey). */
	context(p: ProbeOf<K>, env: ProviderEnv, reads: ClauseReads): ContextPlan;
	load(probes: ProbeOf<K>[], env: ProviderEnv, cookie: Cookie, reads: ClauseReads): LoadPlan;
	/** Maps the group's program reads besides the session's (the syscall-number filter); owned by the group. */
	groupMaps?(probes: ProbeOf<K>[], cookie: Cookie): { syscallMap?: BpfMap };
	attach(progFd: number, probes: ProbeOf<K>[], env: ProviderEnv, cookie: Cookie, opts: AttachOpts): Link[];
}

export function reg(offset: number, signed = true): ArgPlan {
	return { k: "ctx", offset, size: 8, signed };
}
