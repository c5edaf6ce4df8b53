// The lines DTrace writes to stderr about lost data and runtime faults, with
// dtop's name: "dtop: 123 drops on CPU 1", "dtop: 3 dynamic variable drops",
// "dtop: error on enabled probe ID 2 (ID 5: syscall:vmlinux:read:entry):
// invalid address (0x0) in action #1" (illumos DTrace's wording, which
// names the enabled probe and the action; DTrace for Linux names its clause
// function instead). Probe names are escaped: they come from binaries.

import { escapeForTerminal } from "../util/escape.ts";
import type { ProbeName } from "./model.ts";

const PREFIX = "dtop: ";

function plural(n: bigint, word: string): string {
	return `${n} ${word}${n === 1n ? "" : "s"}`;
}

/** DTrace's droptags option: each drop line starts with the drop's kind, "[DTRACEDROP_DYNAMIC] ". */
function tag(kind: string, tags: boolean): string {
	return tags ? `[DTRACEDROP_${kind}] ` : "";
}

/** Records the per-CPU buffer could not take (DTRACEDROP_PRINCIPAL), or aggregation drops. */
export function cpuDropLine(count: bigint | number, cpu: number, aggregation = false, tags = false): string {
	const n = BigInt(count);
	const t = tag(aggregation ? "AGGREGATION" : "PRINCIPAL", tags);
	return `${PREFIX}${t}${plural(n, aggregation ? "aggregation drop" : "drop")} on CPU ${cpu}\n`;
}

export type DropKind =
	| "dynamic"
	| "dynamic-rinsing"
	| "dynamic-dirty"
	| "speculative"
	| "speculation-busy"
	| "speculation-unavailable"
	| "stack-strings"
	| "error-in-error";

const DROPS: Record<DropKind, [string, string, string]> = {
	dynamic: ["DYNAMIC", "dynamic variable drop", ""],
	"dynamic-rinsing": ["DYNRINSE", "dynamic variable drop", " with non-empty rinsing list"],
	"dynamic-dirty": ["DYNDIRTY", "dynamic variable drop", " with non-empty dirty list"],
	speculative: ["SPEC", "speculative drop", ""],
	"speculation-busy": ["SPECBUSY", "failed speculation", " (available buffer(s) still busy)"],
	"speculation-unavailable": ["SPECUNAVAIL", "failed speculation", " (no speculative buffer available)"],
	"stack-strings": ["STKSTROVERFLOW", "jstack()/ustack() string table overflow", ""],
	"error-in-error": ["DBLERROR", "error", " in ERROR probe enabling"],
};

/** Drops counted for the whole machine since the last report (DTrace's dt_handle_status). */
export function dropLine(kind: DropKind, count: bigint | number, tags = false): string {
	const [t, what, more] = DROPS[kind];
	return `${PREFIX}${tag(t, tags)}${plural(BigInt(count), what)}${more}\n`;
}

/** DTrace's fault codes (DTRACEFLT_*) and their messages. */
export const FAULTS: Record<number, string> = {
	1: "invalid address",
	2: "invalid alignment",
	3: "illegal operation",
	4: "divide-by-zero",
	5: "out of scratch space",
	6: "invalid kernel access",
	7: "invalid user access",
	8: "tuple stack overflow",
	9: "bad stack",
	10: "invalid size",
	11: "index out of bounds",
	1000: "library-level fault",
};

export const FAULT = {
	BADADDR: 1,
	BADALIGN: 2,
	ILLOP: 3,
	DIVZERO: 4,
	NOSCRATCH: 5,
	KPRIV: 6,
	UPRIV: 7,
	TUPOFLOW: 8,
	BADSTACK: 9,
	BADSIZE: 10,
	BADINDEX: 11,
	LIBRARY: 1000,
} as const;

export interface RuntimeFault {
	/** The enabled probe (clause × probe) that faulted. */
	epid: number;
	probe: ProbeName;
	/** A DTRACEFLT_* code. */
	fault: number;
	/** The address for invalid address/alignment and bad stack faults. */
	addr?: bigint;
	/** 0: the predicate; n: the clause's nth action. */
	action: number;
	/** Offset of the faulting instruction, when known. */
	offset?: number;
	/** The clause's index in its program (the ERROR probe's arg2). */
	clause?: number;
	/** The session enabling whose clause faulted: only its ERROR clauses fire. */
	enabling?: number;
	/** Where and when (bpf_ktime_get_ns) it faulted, for a fault record of the kernel. */
	cpu?: number;
	timestamp?: bigint;
	/** ERROR already ran inside the faulting firing (kernel/codegen/faults.ts): the consumer fires nothing. */
	errorFired?: boolean;
}

/** "dtop: error on enabled probe ID 2 (ID 5: syscall:vmlinux:read:entry): invalid address (0x0) in action #1". */
export function errorLine(e: RuntimeFault): string {
	const p = e.probe;
	const name = [p.provider, p.module, p.function, p.name].map(escapeForTerminal).join(":");
	const what = FAULTS[e.fault] ?? "unknown fault";
	const hasAddr = e.fault === FAULT.BADADDR || e.fault === FAULT.BADALIGN || e.fault === FAULT.BADSTACK;
	const details = hasAddr ? ` (0x${BigInt.asUintN(64, e.addr ?? 0n).toString(16)})` : "";
	const where = e.action === 0 ? "predicate" : `action #${e.action}`;
	const at = e.offset !== undefined && e.offset !== -1 ? ` at BPF offset ${e.offset}` : "";
	return `${PREFIX}error on enabled probe ID ${e.epid} (ID ${p.id}: ${name}): ${what}${details} in ${where}${at}\n`;
}

/**
 * A fault in an ERROR clause itself. DTrace does not report it on a line of its
 * own nor fire ERROR again: it counts it (illumos' dts_dblerrors,
 * DTRACEDROP_DBLERROR) and prints the count with its drops, "dtrace: 1 error
 * in ERROR probe enabling".
 */
export function inErrorClause(f: Pick<RuntimeFault, "probe">): boolean {
	return f.probe.provider === "dtrace" && f.probe.name === "ERROR";
}
