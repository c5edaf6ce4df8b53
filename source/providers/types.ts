// What a provider is: to the catalog, which probes it lists or makes when
// named, and how `-l -v` and the UI's `k` describe them (ProbeKindModule); to
// the session, how its probes are told apart, grouped into programs, read
// (context and arguments), loaded and attached (TargetProvider). Each provider
// is one module in this folder and one line of the registry (index.ts); the
// catalog, the session and the app ask the registry and never test a kind.
import type { Link } from "../../kernel/attach/index.ts";
import type { BpfMap } from "../../kernel/bpf/index.ts";
import type { ArgPlan, ContextKind } from "../../kernel/codegen/ir.ts";
import type { Tracefs } from "../../kernel/tracefs/index.ts";
import type { FbtAvailability } from "../catalog/fbt.ts";
import type { Probe, ProbeKind, ProviderInfo } from "../catalog/probe.ts";

/**
 * Every kind of target by its `kind`. A provider with a kind of attachment of
 * its own adds it from its module (`declare module "./types.ts" { interface
 * ProbeTargets { NAME: { kind: "NAME"; ... } } }`): the union follows.
 */
export interface ProbeTargets {
	/** A system call, served by raw_syscalls:sys_enter/sys_exit and a number filter. */
	syscall: { kind: "syscall"; nr: number; ret: boolean };
	/** A kernel tracepoint; `fields` are the record's non-common fields, for argN. */
	tracepoint: { kind: "tracepoint"; group: string; event: string; id: number; fields?: () => TracepointField[] };
	/** A uprobe at a file offset; USDT probes carry their semaphore and argument specs. */
	uprobe: {
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
	};
	/** Timed sampling: profile-N on every CPU, or tick-N on one. */
	profile: { kind: "profile"; hz?: number; periodNs?: bigint };
	/** dtrace:::BEGIN/END/ERROR: a program dtop runs itself (BPF_PROG_TEST_RUN), never attached. */
	dtrace: { kind: "dtrace"; which: "BEGIN" | "END" | "ERROR" };
	/** A kernel function; only where the kernel allows kprobes or fentry. */
	fbt: { kind: "fbt"; func: string; ret: boolean; unavailable?: string };
}

export type ProbeTarget = ProbeTargets[keyof ProbeTargets];

export type TargetKind = keyof ProbeTargets;

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

/** The arguments of a function's entry (pid and fbt probes): the first six argument registers. */
export function functionArgs(): number[] {
	return [0, 1, 2, 3, 4, 5];
}

/** What a provider's catalog side is given: the machine's tracefs and whether fbt can attach. */
export interface CatalogEnv {
	tracefs: Tracefs;
	fbt: FbtAvailability;
}

/** The catalog's next probe id. */
export type NewId = () => number;

/** A catalog probe of one kind. */
export type CatalogProbeOf<K extends ProbeKind> = Extract<Probe, { kind: K }>;

/** A probe description's four fields (globs; "" matches anything). */
export interface Described {
	provider: string;
	module: string;
	function: string;
	name: string;
}

/** A probe's arguments as the catalog knows them (the UI's `k` keys, app/probe-keys.ts). */
export interface ArgInfo {
	/** Argument indices that exist (arg0 is index 0). */
	args: number[];
	/** Those that may be a pointer to a string. */
	strings: number[];
	/** It fires in the kernel (kstack() means something). */
	kernel: boolean;
}

/** Probes a provider makes when a description names them (profile-N, tick-N). */
export interface OnDemand<K extends ProbeKind> {
	/** Names made when the catalog opens, so that `-l` lists them. */
	readonly listed: readonly string[];
	/** The probe name `d` names concretely, when it names one of this provider's. */
	named(d: Described): string | undefined;
	/** The description a bare word of the tree's filter names (`profile-1234`), when it names one of this provider's. */
	fromWord?(word: string): string | undefined;
	/** The probe called `name` (its id from `id`, asked only when the name is valid); undefined if not valid. */
	make(name: string, id: NewId): CatalogProbeOf<K> | undefined;
}

/** The program row a probe sits under (USDT: `prefork` → `prefork4242` → module → …), with its process. */
export interface TreeGroup {
	/** The row's name; the processes' providers are this name and a pid. */
	name: string;
	pid: number;
}

/**
 * Function probes of every process, made only when their rows are opened or a
 * filter names them: `ROW` → `ROW<PID>` → module → function → each of `names`
 * (the catalog makes them when a description names `ROW<PID>` or `ROW*`).
 */
export interface LazyRows {
	readonly row: string;
	readonly names: readonly string[];
}

/**
 * How the interactive probe tree shows a kind's probes (app/tree-source.ts).
 * Without it: provider → module → function → name, and a provider the kernel
 * cannot give (info() unavailable) is a row with the reason.
 */
export interface TreeShape<K extends ProbeKind> {
	/** The note on its top-level row: what else can be named there. */
	readonly hint?: string;
	/** Its probes grouped by program, then process (the container view regroups these). */
	group?(p: CatalogProbeOf<K>): TreeGroup;
	/** Its probes are listed lazily, per process (the pid provider). */
	readonly lazy?: LazyRows;
}

/** The catalog side of one kind of probe: how its probes are listed, made, traced and described. */
export interface ProbeKindModule<K extends ProbeKind = ProbeKind> {
	readonly kind: K;
	/** The DTrace provider it lists (absent for the process providers, USDT and pid, which the catalog finds in processes). */
	readonly provider?: string;
	/** Its row among the providers (`-l`, the tree): unavailable, with the reason, when a kernel feature is missing. */
	info?(env: CatalogEnv): ProviderInfo;
	/** Its probes, made when the catalog opens (ids from `id`, in order). */
	list?(env: CatalogEnv, id: NewId): CatalogProbeOf<K>[];
	onDemand?: OnDemand<K>;
	/** Whether a description with an empty provider can name only this provider's probes (`BEGIN`, `END`, `ERROR`). */
	claims?(d: Described): boolean;
	/** Why a description that matched nothing cannot match here, when this provider knows. */
	whyNot?(d: Described, env: CatalogEnv): string | undefined;
	/** What the session traces for a probe: one TraceProbe per attach site. */
	targets(p: CatalogProbeOf<K>, env: CatalogEnv): TraceProbe[];
	/** `dtop -l -v`'s lines about a probe. */
	describe(p: CatalogProbeOf<K>): string[];
	/** What `dtop -l -v --json` adds to a probe's JSON. */
	json?(p: CatalogProbeOf<K>): Record<string, unknown>;
	/** The arguments a probe has (the UI's `k` keys). */
	args(p: CatalogProbeOf<K>): ArgInfo;
	/** Lines about a probe's arguments for the Detail pane (USDT: each one's type and register). */
	argNotes?(p: CatalogProbeOf<K>): string[];
	/** The session's identities of a probe attached on its file for every process (uprobe's `u:DEV:INODE:OFFSET:RET:0`). */
	onFile?(p: CatalogProbeOf<K>): string[];
	/** How the interactive tree shows its probes. */
	readonly tree?: TreeShape<K>;
}

/**
 * One provider module: the kinds of catalog probe it describes and, when its
 * probes attach in a way of their own, that kind of target (USDT and pid
 * probes share the uprobe target; a provider may also trace its probes as
 * another's targets, as syscall's unnumbered ones are tracepoints).
 */
export interface Provider {
	readonly probes: readonly AnyProbeKindModule[];
	readonly target?: AnyTargetProvider;
}

/** A ProbeKindModule of some one kind (the registry holds them side by side). */
export type AnyProbeKindModule = { [K in ProbeKind]: ProbeKindModule<K> }[ProbeKind];
/** A TargetProvider of some one kind. */
export type AnyTargetProvider = { [K in TargetKind]: TargetProvider<K> }[TargetKind];

/** A trace probe's name fields, copied from the catalog's probe. */
export function traceBase(p: Probe): Omit<TraceProbe, "target"> {
	return { id: p.id, provider: p.provider, module: p.module, function: p.function, name: p.name };
}
