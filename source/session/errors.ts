// The session's error: a problem the user can fix, in one sentence, with the
// error that caused it (if any) kept as its cause.
import { CodegenError } from "../../kernel/codegen/compile.ts";
import { NotSupportedError, SyscallError, VerifierError } from "../../kernel/sys/index.ts";
import { DError } from "../d/index.ts";
import { LowerError } from "./lower.ts";

/** A problem the user can fix; the message is one sentence. */
export class SessionError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "SessionError";
	}
}

/** A program as messages name it: its first clause, and how many follow (never the whole program). */
function named(d: string): string {
	const lines = d.split("\n").filter((l) => l.trim() !== "");
	return lines.length <= 1 ? d : `${lines[0]} … (${lines.length} clauses)`;
}

/** The error the user sees for `e`, met while enabling the program printed as `d`. */
export function explain(e: unknown, program: string): Error {
	const d = named(program);
	if (e instanceof SessionError) return e;
	if (e instanceof LowerError || e instanceof CodegenError || e instanceof DError || e instanceof NotSupportedError)
		return new SessionError(e.message, { cause: e });
	if (e instanceof VerifierError)
		return new SessionError(`the kernel rejected the program for '${d}': ${VerifierError.reason(e.log)}`, { cause: e });
	if (e instanceof SyscallError) return new SessionError(`enabling '${d}' failed: ${e.message}`, { cause: e });
	return e instanceof Error ? e : new Error(String(e));
}
