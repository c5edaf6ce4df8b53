// What the session needs to know about a probe to trace it. The catalog's
// probes are adapted to this shape (catalog-adapter.ts).

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
	  }
	/** Timed sampling: profile-N on every CPU, or tick-N on one. */
	| { kind: "profile"; hz?: number; periodNs?: bigint }
	/** A kernel function; only where the kernel allows kprobes or fentry. */
	| { kind: "fbt"; func: string; ret: boolean; unavailable?: string };

export interface TracepointField {
	name: string;
	offset: number;
	size: number;
	signed: boolean;
	/** Strings and arrays cannot be read as integers. */
	integer: boolean;
}

export interface TraceProbe {
	id: number;
	provider: string;
	module: string;
	function: string;
	name: string;
	target: ProbeTarget;
}

export interface MatchRequest {
	provider: string;
	module: string;
	function: string;
	name: string;
}

/** Where the session finds probes (the catalog, or a fixed list in tests). */
export interface ProbeSource {
	/** Probes matching a description (fields already macro-expanded); may create on-demand probes. */
	match(desc: MatchRequest): TraceProbe[];
	byId(id: number): TraceProbe | undefined;
	/** Why a description that matched nothing cannot match here (e.g. fbt on a kernel without kprobes). */
	whyNot?(desc: MatchRequest): string | undefined;
}
