// The code generator's input: one clause, already lowered from D by the session
// (string operations on probe names resolved to probe-id sets, `self->` names to
// slots, aggregations to maps). kernel/ never sees the D AST.

export type BinOp =
	| "+"
	| "-"
	| "*"
	| "/"
	| "%"
	| "&"
	| "|"
	| "^"
	| "<<"
	| ">>"
	| "=="
	| "!="
	| "<"
	| "<="
	| ">"
	| ">="
	| "&&"
	| "||";

export type IntBuiltin = "pid" | "tid" | "uid" | "gid" | "cpu" | "timestamp" | "probeid";

/** A 64-bit signed integer expression. */
export type IntExpr =
	| { k: "const"; v: bigint }
	| { k: "builtin"; name: IntBuiltin }
	/** argN of the probe, read as the probe's context says (ArgPlan). */
	| { k: "arg"; n: number }
	| { k: "retval" }
	/** A thread-local (`self->x`), by slot number; reads 0 when unset. */
	| { k: "tls"; slot: number }
	| { k: "bin"; op: BinOp; l: IntExpr; r: IntExpr }
	| { k: "un"; op: "!" | "-" | "~"; e: IntExpr }
	/** 1 when the firing probe's id is one of `ids` (probefunc == "read", ...). */
	| { k: "probein"; ids: number[] }
	/**
	 * 1 when the current process is `pid` or descends from it: the parent chain
	 * (task_struct.real_parent, at most PROGENY_DEPTH steps) read with
	 * bpf_probe_read_kernel at the offsets BTF gives.
	 */
	| { k: "progenyof"; pid: IntExpr; parentOffset: number; tgidOffset: number }
	/** String equality (or inequality): 1 or 0. */
	| { k: "streq"; neg: boolean; l: StrExpr; r: StrExpr };

export type StrExpr = { k: "comm" } | { k: "copyinstr"; addr: IntExpr } | { k: "strconst"; v: string };

/** One field of an aggregation key; every field occupies a multiple of 8 bytes. */
export type KeyField =
	| { k: "int"; e: IntExpr }
	/** A string, zero-padded to `size` bytes (a multiple of 8, at most STR_MAX). */
	| { k: "str"; e: StrExpr; size: number }
	/** A stack id from the stack map; user stacks also record the tgid (high 32 bits). */
	| { k: "stack"; user: boolean };

export type AggFn = "count" | "sum" | "avg" | "min" | "max" | "stddev" | "quantize" | "lquantize";

export interface LQuantize {
	lo: bigint;
	hi: bigint;
	step: bigint;
}

export type Stmt =
	| {
			k: "agg";
			/** Per-CPU hash (or LRU per-CPU hash) holding this aggregation. */
			mapFd: number;
			fn: AggFn;
			keys: KeyField[];
			value?: IntExpr;
			lq?: LQuantize;
			/** Counter slot incremented on each new key (evictions = inserts - keys present). */
			insertSlot: number;
	  }
	| { k: "tls"; slot: number; value: IntExpr };

/** How to read one probe argument from the program's context. */
export type ArgPlan =
	/** A field of the context at a fixed offset (tracepoint record, pt_regs slot, fentry u64 array). */
	| { k: "ctx"; offset: number; size: 1 | 2 | 4 | 8; signed: boolean }
	/** User memory at (register in pt_regs at `regOffset`) + `offset` (USDT `8@-80(%rbx)`). */
	| { k: "mem"; regOffset: number; offset: number; size: 1 | 2 | 4 | 8; signed: boolean }
	| { k: "const"; v: bigint };

export type ContextKind =
	| "tracepoint"
	/** raw_syscalls:sys_enter / sys_exit, demultiplexed by syscall number. */
	| "syscall-enter"
	| "syscall-exit"
	| "uprobe"
	| "uprobe-multi"
	| "kprobe"
	| "perf"
	| "fentry";

export interface ClauseProgram {
	name: string;
	ctx: ContextKind;
	/** arg0..arg9; missing entries read as an error at compile time. */
	args: (ArgPlan | undefined)[];
	retval?: ArgPlan;
	/** syscall contexts: array/hash map u32 syscall nr → u64 cookie; absent nr = not enabled. */
	syscallMapFd?: number;
	/** Only this process (tgid). */
	pid?: number;
	/** Per-CPU array indexed by the low 32 bits of the cookie: firings per probe. */
	hitsFd: number;
	/** Per-CPU array of u64 counters (drops, inserts). */
	countersFd: number;
	dropSlot: number;
	tlsFd?: number;
	stackFd?: number;
	/** Array map whose single value is all zeros and at least as large as any aggregation value. */
	zeroFd: number;
	predicate?: IntExpr;
	statements: Stmt[];
	/** A program bound to one probe (fentry) knows its cookie without asking the kernel. */
	fixedCookie?: bigint;
	/**
	 * Use atomic adds for per-CPU values. Needed when another program updating the
	 * same aggregation could run nested on the same CPU (see compile.ts); plain
	 * adds are cheaper and exact otherwise.
	 */
	atomic?: boolean;
}

/** Longest string (bytes, including the NUL) read by copyinstr or kept in a key. */
export const STR_MAX = 64;
/** Deepest stack a stack map entry holds. */
export const STACK_DEPTH = 127;
