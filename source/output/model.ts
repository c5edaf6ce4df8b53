// What dtop prints, as data: the typed values of D (integers with their size
// and signedness, strings, addresses, stacks), aggregation snapshots with
// DTrace's own bucket layouts, and per-event records with their actions'
// outputs. Everything here is plain data, built by the consumer from the
// kernel's records and rendered by the formatters beside this file. Integers
// are bigint throughout: a sum above 2^53 prints exactly.

/** D integer sizes in bytes. */
export type IntSize = 1 | 2 | 4 | 8;

/** An integer of a D type: its bits are read as `size` bytes, signed or not (C's casts). */
export interface IntValue {
	kind: "int";
	value: bigint;
	size: IntSize;
	signed: boolean;
}

/** A D string, up to its NUL (the consumer cuts it at strsize and says so with `truncated`). */
export interface StringValue {
	kind: "string";
	value: string;
	truncated?: boolean;
	/**
	 * The program's own text (a string literal, or made only of literals):
	 * printed as written. Strings without it came from the traced system and
	 * are escaped on terminals.
	 */
	trusted?: boolean;
}

/** A floating-point value of a C type (from CTF data; D itself has no float literals). */
export interface FloatValue {
	kind: "float";
	value: number;
	size: 4 | 8 | 16;
}

/** What a symbolizer knows about an address. `offset` is from the symbol's start. */
export interface Resolved {
	/** Kernel module ("vmlinux") or the object's path or file name (user space). */
	module?: string;
	symbol?: string;
	offset?: bigint;
}

/** Looks up an address: kernel when `pid` is undefined, that process's otherwise. */
export type Symbolizer = (addr: bigint, pid: number | undefined) => Resolved | undefined;

/**
 * An address from one of D's address-naming functions: `sym func mod` (kernel),
 * `usym ufunc umod uaddr` (user, with the process). DTrace prints each its own way.
 */
export interface SymValue {
	kind: "sym";
	fn: "sym" | "func" | "mod" | "usym" | "ufunc" | "umod" | "uaddr";
	addr: bigint;
	pid?: number;
	/** Filled by the consumer, or looked up through the format context's symbolizer. */
	at?: Resolved;
}

export interface Frame {
	pc: bigint;
	at?: Resolved;
}

/** A kernel `stack()` or user `ustack()`, innermost frame first. */
export interface StackValue {
	kind: "stack";
	user: boolean;
	pid?: number;
	frames: Frame[];
	/** Frame texts from an older consumer, already formatted; used as they are. */
	text?: string[];
}

/** Bytes DTrace would dump (tracemem, or trace() of a non-string array). */
export interface BytesValue {
	kind: "bytes";
	bytes: Uint8Array;
}

export type DValue = IntValue | StringValue | FloatValue | SymValue | StackValue | BytesValue;

/** A component of an aggregation key. */
export type KeyValue = IntValue | StringValue | SymValue | StackValue;

export type AggFn = "count" | "sum" | "avg" | "min" | "max" | "stddev" | "quantize" | "lquantize" | "llquantize";

/** DTrace's quantize() buckets: 127 counters, bucket 63 is 0, below it -1, -2, -4 ... -2^62. */
export const QUANTIZE_NBUCKETS = 127;
export const QUANTIZE_ZEROBUCKET = 63;

export interface LQuantizeParams {
	base: number;
	step: number;
	/** (limit - base) / step, as DTrace computes it. */
	levels: number;
}

/** llquantize(expr, factor, low, high, steps): buckets of factor^low ... factor^(high+1). */
export interface LLQuantizeParams {
	factor: number;
	/** The lowest and highest magnitude (powers of factor). */
	lmag: number;
	hmag: number;
	/** Linear steps per magnitude. */
	steps: number;
}

/**
 * An aggregation's value for one key, as the kernel keeps it (merged over CPUs).
 * Counters are 64-bit: int64 where DTrace's are signed, count's uint64.
 */
export type AggData =
	| { fn: "count"; value: bigint }
	| { fn: "sum" | "min" | "max"; value: bigint }
	| { fn: "avg"; count: bigint; sum: bigint }
	/** `sumsq` is the 128-bit unsigned sum of squares DTrace keeps. */
	| { fn: "stddev"; count: bigint; sum: bigint; sumsq: bigint }
	| { fn: "quantize"; buckets: bigint[] }
	| { fn: "lquantize"; params: LQuantizeParams; buckets: bigint[] }
	| { fn: "llquantize"; params: LLQuantizeParams; buckets: bigint[] };

export interface AggRow {
	key: KeyValue[];
	data: AggData;
}

/** One aggregation variable as printed at one moment. */
export interface AggregationSnapshot {
	/** DTrace's variable id: the order aggregations were first named in the program. */
	id: number;
	/** The name without `@` ("" for the anonymous one). */
	name: string;
	fn: AggFn;
	/** Set for lquantize and llquantize (needed to print a row no key has yet). */
	lquantize?: LQuantizeParams;
	llquantize?: LLQuantizeParams;
	rows: AggRow[];
	/** normalize(@, n) divides what is printed by n; 1 when not normalized. */
	normal: bigint;
	/** printa() printed it: DTrace does not print it again at exit. */
	printed?: boolean;
}

/** The options that change how aggregations are printed (DTrace's -x names). */
export interface AggOptions {
	aggsortkey?: boolean;
	aggsortrev?: boolean;
	aggsortpos?: number;
	aggsortkeypos?: number;
	/** illumos DTrace's horizontal histograms of count/sum/avg/stddev. */
	agghist?: boolean;
	/** illumos DTrace's one-line quantize/lquantize rows. */
	aggpack?: boolean;
	/** illumos DTrace: the tallest bar fills 95 % of the width. */
	aggzoom?: boolean;
	/** aggpack's bar characters: UTF-8 block elements or ASCII. */
	encoding?: "utf8" | "ascii";
}

/** One action's contribution to a per-event record, in clause order. */
export type Action =
	| { kind: "trace"; value: DValue }
	| { kind: "printf"; format: string; args: DValue[] }
	| { kind: "printa"; format?: string; aggregations: number[] }
	| { kind: "stack"; value: StackValue }
	| { kind: "sym"; value: SymValue }
	| { kind: "exit"; status: number }
	| { kind: "clear"; aggregation: number }
	| { kind: "trunc"; aggregation: number; keep?: bigint }
	| { kind: "normalize"; aggregation: number; normal: bigint }
	| { kind: "denormalize"; aggregation: number }
	/** setopt(option[, value]): for the options that change output (options.ts). */
	| { kind: "setopt"; option: string; value?: string };

/** The probe a record came from, as DTrace names it. */
export interface ProbeName {
	/** The probe's id (dtrace -l's ID column). */
	id: number;
	provider: string;
	module: string;
	function: string;
	name: string;
}

/** One firing of a clause that records data (DTrace's per-CPU buffer record). */
export interface EventRecord {
	cpu: number;
	/** The enabled probe (clause × probe) id. */
	epid: number;
	probe: ProbeName;
	/** Nanoseconds (bpf_ktime_get_ns) when the record was written. */
	timestamp: bigint;
	actions: Action[];
}
