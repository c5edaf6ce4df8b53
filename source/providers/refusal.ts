// Which kernel refusals are about one probe alone. Those are skipped (the
// session attaches the rest and says how many and why); anything else (out of
// memory, out of descriptors, a missing file) fails the enabling.
import { errnoName, SyscallError } from "../../kernel/sys/index.ts";

const UPROBE: Record<number, string> = {
	1: "the kernel refuses to probe there",
	13: "the kernel refuses to probe there",
	22: "the kernel refuses the address as a probe site",
	95: "the kernel cannot probe the instruction there",
	524: "the kernel cannot probe the instruction there",
};

const TRACEPOINT: Record<number, string> = {
	1: "the kernel refuses BPF programs on it",
	2: "it has no raw tracepoint",
	13: "the kernel refuses BPF programs on it",
	22: "the kernel refuses to attach to it",
	95: "the kernel cannot attach to it",
	524: "the kernel cannot attach to it",
};

function reason(table: Record<number, string>, e: unknown): string | undefined {
	if (!(e instanceof SyscallError)) return undefined;
	const text = table[e.errno];
	return text ? `${text} (${errnoName(e.errno)})` : undefined;
}

/** Why the kernel refused one uprobe site alone, or undefined when the error is not about one site. */
export function uprobeRefusal(e: unknown): string | undefined {
	return reason(UPROBE, e);
}

/** Why the kernel refused one tracepoint alone, or undefined when the error is not about one tracepoint. */
export function tracepointRefusal(e: unknown): string | undefined {
	return reason(TRACEPOINT, e);
}

/** BPF_TRACE_MAX_PROGS in the kernel: programs one perf-event tracepoint (or kprobe, uprobe) can run. */
export const MAX_PROGS_PER_EVENT = 64;

/** The kernel refused another program on an event that already runs its limit of programs (E2BIG). */
export class ProgramLimitError extends Error {
	constructor(
		readonly event: string,
		options?: { cause?: unknown },
	) {
		super(
			`tracepoint ${event} already runs ${MAX_PROGS_PER_EVENT} BPF programs, the most the kernel allows on one tracepoint; put the statements of these clauses into fewer clauses (one clause can hold many), or disable other enablings on it.`,
			options,
		);
		this.name = "ProgramLimitError";
	}
}

/** `e` as a ProgramLimitError when it is the kernel's E2BIG for `event`; `e` itself otherwise. */
export function programLimit(e: unknown, event: string): unknown {
	return e instanceof SyscallError && e.errno === 7 ? new ProgramLimitError(event, { cause: e }) : e;
}
