// The code generator's input: one clause, already lowered from D by the session
// (string operations on probe names resolved to probe-id sets, `self->` names to
// slots, aggregations to maps). kernel/ never sees the D AST.
import type { UstackCode } from "../unwind/bpf.ts";
import type { UserRegs } from "../unwind/regs.ts";
import type { FaultPlan } from "./faults.ts";
import type { LLQuantize } from "./llquantize.ts";

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
	| "||"
	| "^^";

export type IntBuiltin = "pid" | "tid" | "uid" | "gid" | "cpu" | "timestamp" | "probeid" | "cgroup";

/** A 64-bit signed integer expression. */
export type IntExpr =
	| { k: "const"; v: bigint }
	| { k: "builtin"; name: IntBuiltin }
	/** argN of the probe, read as the probe's context says (ArgPlan). */
	| { k: "arg"; n: number }
	| { k: "retval" }
	/** A thread-local (`self->x`), by slot number; reads 0 when unset. */
	| { k: "tls"; slot: number }
	/** `unsigned`: / % >> and comparisons of an unsigned type (D's promoted type of the operands). */
	| { k: "bin"; op: BinOp; l: IntExpr; r: IntExpr; unsigned?: boolean }
	/** A variable's value (0 when it has none). */
	| { k: "load"; v: VarRef }
	/** Store `value` (already cut to the variable's type) and yield it; storing 0 frees a dynamic variable. */
	| { k: "store"; v: VarRef; value: IntExpr }
	| { k: "cond"; c: IntExpr; t: IntExpr; f: IntExpr }
	/** Keep the low `size` bytes and sign- or zero-extend them (D's casts). */
	| { k: "ext"; e: IntExpr; size: 1 | 2 | 4; signed: boolean }
	| { k: "un"; op: "!" | "-" | "~"; e: IntExpr }
	/** 1 when the firing probe's id is one of `ids` (probefunc == "read", ...). */
	| { k: "probein"; ids: number[] }
	/**
	 * 1 when the current process is `pid` or descends from it: the parent chain
	 * (task_struct.real_parent, at most PROGENY_DEPTH steps) read with
	 * bpf_probe_read_kernel at the offsets BTF gives.
	 */
	| { k: "progenyof"; pid: IntExpr; parentOffset: number; tgidOffset: number }
	/** The firing process's container number (kernel/codegen/container.ts). */
	| { k: "container"; namesFd: number; missesFd: number }
	/** String equality (or inequality): 1 or 0, over the program's strsize bytes. */
	| { k: "streq"; neg: boolean; l: StrExpr; r: StrExpr }
	/** Built-in variables compiled by builtins.ts. */
	| { k: "xvar"; v: XVar }
	/** An integer subroutine of strings (strlen, index, rindex): strfuncs.ts. */
	| { k: "strint"; fn: StrIntFn; s: StrExpr[]; n: IntExpr[] }
	| { k: "rand" }
	/** speculation(): a free speculation's id, 0 when none is (speculation.ts). */
	| { k: "speculation" }
	/** htons/ntohs (16) and htonl/ntohl (32): the low bytes swapped to network order. */
	| { k: "bswap"; bits: 16 | 32; e: IntExpr }
	/** The current task's address (curthread: bpf_get_current_task). */
	| { k: "curtask" }
	/** `size` bytes of kernel memory at `addr` (bpf_probe_read_kernel); a failed read is DTRACEFLT_BADADDR (kread.ts). */
	| { k: "kread"; addr: IntExpr; size: 1 | 2 | 4 | 8; signed: boolean; user?: boolean };

/** ppid, vtimestamp, walltimestamp, errno, uregs[], stackdepth, ustackdepth (builtins.ts). */
export type XVar =
	/** task->real_parent->tgid. */
	| { name: "ppid"; parentOffset: number; tgidOffset: number }
	/** task->se.sum_exec_runtime at `offset` in task_struct. */
	| { name: "vtimestamp"; offset: number }
	/** The monotonic clock plus `offset` (wall clock minus monotonic, measured when compiled). */
	| { name: "walltimestamp"; offset: bigint }
	| { name: "errno" }
	/** The user register at `offset` in pt_regs. */
	| { name: "uregs"; offset: number }
	| { name: "stackdepth" }
	| { name: "ustackdepth" }
	/** The second frame of the kernel stack (caller) or of the user stack (ucaller); 0 when there is none. */
	| { name: "caller" }
	| { name: "ucaller" };

export type StrIntFn = "strlen" | "index" | "rindex";
export type StrFn =
	| "strjoin"
	| "substr"
	| "strchr"
	| "strrchr"
	| "strstr"
	| "toupper"
	| "tolower"
	| "basename"
	| "dirname"
	| "lltostr";

/** Where a variable lives. */
export type VarRef =
	/**
	 * A global scalar: 8 bytes at `off` in the globals map's one value (shared by all
	 * CPUs); a member of a struct variable (`size`): that many bytes, sign-extended
	 * when `signed`.
	 */
	| { k: "global"; off: number; size?: 1 | 2 | 4 | 8; signed?: boolean }
	/** A clause-local (`this->`): 8 bytes (or `size`) at BUF_THIS + off in the per-CPU buffer, zeroed per firing. */
	| { k: "this"; off: number; size?: 1 | 2 | 4 | 8; signed?: boolean }
	| { k: "tls"; slot: number }
	/** An element of a global associative array (a hash map); a full map is a dynamic variable drop. */
	| { k: "assoc"; mapFd: number; keys: KeyField[] };

export type StrExpr =
	| { k: "comm" }
	/** `len`: copyinstr(addr, len), at most len bytes (and p.strsize - 1: the strsize option). */
	| { k: "copyinstr"; addr: IntExpr; len?: IntExpr }
	/** c ? t : f of strings. */
	| { k: "cond"; c: IntExpr; t: StrExpr; f: StrExpr }
	/** A string subroutine (strjoin, substr, ...): strings `s`, integers `n` (strfuncs.ts). */
	| { k: "fn"; fn: StrFn; s: StrExpr[]; n: IntExpr[] }
	| { k: "strconst"; v: string }
	/** A string known per probe (probefunc, ...): the value of the case whose ids hold the firing probe's id. */
	| { k: "strsel"; cases: { ids: number[]; v: string }[] }
	/** execargs/psargs: the process's arguments, read from task->mm (offsets from BTF; execargs.ts). */
	| { k: "execargs"; mmOffset: number; startOffset: number; endOffset: number }
	/** A string variable's value (strsize bytes at the variable's place; "" when it has none). */
	| { k: "var"; v: VarRef }
	/** strtok(s, delim); without `s`, strtok(NULL, delim): on with the CPU's last string (bytes.ts). */
	| { k: "strtok"; s?: StrExpr; delim: StrExpr }
	/** copyin(addr, size): that many bytes of user memory (at most p.strsize - 1: the strsize option), zero-padded. */
	| { k: "copyin"; addr: IntExpr; size: IntExpr }
	/** inet_ntop(af, bytes) (inet_ntoa: af 2): the address in the first 4 or 16 bytes, as DTrace prints it. */
	| { k: "inet"; af: IntExpr; src: StrExpr }
	/** A string in kernel memory at `addr`, at most `size` bytes (stringof(curthread->comm)); a failed read is DTRACEFLT_BADADDR. */
	| { k: "kstr"; addr: IntExpr; size: number };

/** One field of an aggregation key; every field occupies a multiple of 8 bytes. */
export type KeyField =
	| { k: "int"; e: IntExpr }
	/** A string, zero-padded to `size` bytes (a multiple of 8); at most strsize bytes are read. */
	| { k: "str"; e: StrExpr; size: number }
	/** A stack id from the stack map; user stacks also record the tgid (high 32 bits). */
	| { k: "stack"; user: boolean };

export type AggFn = "count" | "sum" | "avg" | "min" | "max" | "stddev" | "quantize" | "lquantize" | "llquantize";

export interface LQuantize {
	lo: bigint;
	hi: bigint;
	step: bigint;
	/** llquantize's parameters (lo/hi/step unused then). */
	ll?: LLQuantize;
}

export type Stmt =
	| {
			k: "agg";
			/** Per-CPU hash (or LRU per-CPU hash) holding this aggregation. */
			mapFd: number;
			fn: AggFn;
			keys: KeyField[];
			value?: IntExpr;
			/** quantize/lquantize/llquantize's optional weight (1 when absent). */
			weight?: IntExpr;
			lq?: LQuantize;
			/** Counter slot incremented on each new key (evictions = inserts - keys present). */
			insertSlot: number;
	  }
	| { k: "tls"; slot: number; value: IntExpr }
	/** An expression evaluated for its effect (an assignment). */
	| { k: "eval"; e: IntExpr }
	/** A string stored into a string variable (global, this->, or an associative element). */
	| { k: "strstore"; v: VarRef; e: StrExpr }
	| { k: "if"; c: IntExpr; yes: Stmt[]; no: Stmt[] }
	/** speculate(id): the clause's record goes to speculation `id`, or the clause ends there (speculation.ts). */
	| { k: "speculate"; id: IntExpr }
	| RecordStmt;

/**
 * A value written into the clause's per-event record (see RecordPlan), at byte
 * `off` from the record's start. A copyinstr() string is laid out as the
 * helper's result (i64: length or -errno), the address (u64), then `size`
 * bytes; execname is `size` bytes.
 */
export type RecordStmt =
	| { k: "rec-int"; off: number; e: IntExpr }
	| { k: "rec-str"; off: number; size: number; e: Exclude<StrExpr, { k: "strconst" | "strsel" }> }
	/**
	 * stack(n)/ustack(n) as actions (record-stack.ts): at `off` the helper's
	 * result (bytes written or -errno), the pid, then `frames` program counters;
	 * `unwound`: only the 8-byte id of the .eh_frame unwinder's walk.
	 */
	| { k: "rec-stack"; off: number; user: boolean; frames: number; unwound: boolean }
	/** exit(status): the status into the record and the session's state map (flag, status). */
	| { k: "exit"; off: number; e: IntExpr }
	/** commit(id) / discard(id): the id into the record, and the speculation marked draining. */
	| { k: "spec-end"; off: number; e: IntExpr };

/**
 * The enabling's speculations: a hash map of at most `nspec` entries keyed by
 * id (1..nspec), each {u64 records written, u64 bytes taken, u64 draining};
 * an entry exists while its speculation is in use. Counter slots count failed
 * speculation() calls and records refused for specsize.
 */
export interface SpecPlan {
	mapFd: number;
	nspec: number;
	specsize: number;
	unavailSlot: number;
	busySlot: number;
	dropSlot: number;
}

/** Bytes before the first action's data: u32 descriptor, u32 probe id, u64 timestamp, u32 cpu, u32 pad. */
export const RECORD_HEADER = 24;

/**
 * A clause that records data: its record is built in a per-CPU scratch buffer
 * and copied into the ring buffer once the clause is done (so a record is
 * whole or absent); a full ring buffer is counted in `dropSlot` per CPU.
 */
export interface RecordPlan {
	ringFd: number;
	/** Per-CPU array, one value at least `size` bytes long. */
	scratchFd: number;
	/** Bytes of the record, header included (a multiple of 8). */
	size: number;
	/** The consumer's key for this record's layout. */
	descId: number;
	/** Counter slot (in countersFd) of records the ring buffer could not take. */
	dropSlot: number;
}

/** How to read one probe argument from the program's context. */
export type ArgPlan =
	/** A field of the context at a fixed offset (tracepoint record, pt_regs slot, fentry u64 array). */
	| { k: "ctx"; offset: number; size: 1 | 2 | 4 | 8; signed: boolean }
	/** User memory at (register in pt_regs at `regOffset`) + `offset` (USDT `8@-80(%rbx)`). */
	| { k: "mem"; regOffset: number; offset: number; size: 1 | 2 | 4 | 8; signed: boolean }
	| { k: "const"; v: bigint }
	/** The ERROR probe's argN run inside the faulting firing: a stack slot its fault handler filled (faults.ts). */
	| { k: "error-arg"; n: number }
	/**
	 * The pt_regs slot at `offset` when the interrupted mode is the one asked
	 * (`user`: the mode bits at `modeOffset`, masked, equal `userBits`), else 0:
	 * profile's arg0 (kernel pc) and arg1 (user pc).
	 */
	| { k: "pc"; offset: number; modeOffset: number; mask: number; userBits: number; user: boolean };

export type ContextKind =
	| "tracepoint"
	/** raw_syscalls:sys_enter / sys_exit, demultiplexed by syscall number. */
	| "syscall-enter"
	| "syscall-exit"
	| "uprobe"
	| "uprobe-multi"
	| "kprobe"
	| "perf"
	| "fentry"
	/** A raw tracepoint program run on demand (BPF_PROG_TEST_RUN): BEGIN, END, ERROR. */
	| "run";

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
	/** --cgroup: a CGROUP_ARRAY map whose entry 0 is the cgroup the clause is limited to (and below). */
	cgroupScopeFd?: number;
	/** Per-CPU array indexed by the low 32 bits of the cookie: firings per probe. */
	hitsFd: number;
	/** Per-CPU array of u64 counters (drops, inserts). */
	countersFd: number;
	dropSlot: number;
	tlsFd?: number;
	stackFd?: number;
	/**
	 * User stacks through the unwinder of kernel/unwind (.eh_frame tables in BPF
	 * maps; frame-pointer-less code), bound to its maps. The key field is then the
	 * 64-bit id of a record in the unwinder's stacks map (which holds the tgid);
	 * without it, user stacks come from bpf_get_stackid (frame pointers only).
	 * The user registers come from the context (uprobes: `ctx`) or from the
	 * current task (`task`: kernel/unwind/regs.ts).
	 */
	ustack?: UstackCode;
	ustackRegs?: UserRegs;
	/** Array map whose single value is all zeros and at least as large as any aggregation value. */
	zeroFd: number;
	predicate?: IntExpr;
	statements: Stmt[];
	/** A program bound to one probe (fentry) knows its cookie without asking the kernel. */
	fixedCookie?: bigint;
	/** The per-event record this clause writes, if it has actions that record data. */
	record?: RecordPlan;
	/** Where its runtime faults (faults.ts) are counted and reported. */
	faults?: FaultPlan;
	/**
	 * Array map of one value {u64 flag, u64 status}: the program does nothing once
	 * the flag is set (exit() was called, or END is about to run); exit() sets it.
	 */
	stateFd?: number;
	/** BEGIN and END run even when the flag is set (they run while the session stops). */
	ignoreState?: boolean;
	/**
	 * Use atomic adds for per-CPU values. Needed when another program updating the
	 * same aggregation could run nested on the same CPU (see compile.ts); plain
	 * adds are cheaper and exact otherwise.
	 */
	atomic?: boolean;
	/**
	 * Per-CPU array of one BUF_SIZE value where keys, compared strings and
	 * clause-locals are built (the BPF stack is 512 bytes). Needed by string
	 * comparisons and keyed statements.
	 */
	bufFd?: number;
	/**
	 * The program is loaded sleepable (a uprobe reading user memory, Linux 6.6+):
	 * user memory is read with bpf_copy_from_user (and the kfunc
	 * bpf_copy_from_user_str, BTF id `strKfunc`, where the kernel has it), which
	 * fault pages in; bufFd and the record's scratchFd are then task-storage maps
	 * (working memory per thread: a firing that sleeps keeps its own).
	 */
	sleepable?: { strKfunc?: number };
	/** Bytes a string may take, its NUL included: the strsize option + 1 (DTrace's strsize counts characters; default 257). */
	strsize?: number;
	/** Counter slot of strings cut at strsize (DTrace cuts them silently; dtop counts). */
	truncSlot?: number;
	/** Array map of one value holding the enabling's global scalars. */
	globalsFd?: number;
	/** Bytes of clause-locals the program zeroes at the start of each firing. */
	thisSize?: number;
	/** Counter slot of dynamic variable drops (an associative array full: dynvarsize). */
	dynDropSlot?: number;
	/** Speculations, when the enabling uses them. */
	spec?: SpecPlan;
	/**
	 * The enabling's ERROR clauses, run inside this program when one of its
	 * clauses faults (faults.ts), as DTrace fires ERROR inside the faulting
	 * firing; `cookie` is ERROR's (probe id and hits slot) while they run.
	 * Read from the program's first clause.
	 */
	onError?: { clauses: ClauseProgram[]; cookie: bigint };
}

/** Bytes of a string at DTrace's default strsize (256 characters and the NUL). */
export const STRSIZE_DEFAULT = 257;
/** The most bytes of a string dtop compiles, its NUL included (strsize 2047): strings are compared and built in the scratch buffer. */
export const STRSIZE_MAX = 2048;
/** The longest key dtop builds (keys live in the per-CPU buffer, not on the 512-byte stack). */
export const KEY_MAX = 4096;
/** Layout of the per-CPU buffer (bufFd): two key areas (a key may be built while
 * another is), two string areas for comparisons, then clause-local variables. */
export const BUF_KEY = 0;
export const BUF_STR_A = 2 * KEY_MAX;
export const BUF_STR_B = BUF_STR_A + STRSIZE_MAX;
export const BUF_THIS = BUF_STR_B + STRSIZE_MAX;
export const THIS_MAX = 4096;
/** Scratch of the string subroutines (strfuncs.ts): integer words and their strings' temporaries. */
export const BUF_TMP = BUF_THIS + THIS_MAX;
// 32 KiB in all: the largest per-CPU value the kernel makes (PCPU_MIN_UNIT_SIZE).
export const TMP_MAX = 14328;
/** strtok's state, kept per CPU across clauses and firings: the position (+1; 0: none), then the string. */
export const BUF_STRTOK = BUF_TMP + TMP_MAX;
export const BUF_SIZE = BUF_STRTOK + 8 + STRSIZE_MAX;
/** Deepest stack a stack map entry holds. */
export const STACK_DEPTH = 127;
