// From the text of a D program to a checked program (Session.enable): its
// macros replaced, parsed, checked, and refused if dtop cannot compile it.
import type { Program as DProgram } from "../d/ast.ts";
import { check, DError, expandMacros, parseProgram } from "../d/index.ts";
import { refuseUncompiled } from "../d/limits.ts";
import { SessionError } from "./errors.ts";

/** A program (text, or already parsed) checked; a D error becomes a SessionError keeping it as its cause. */
export function checkedProgram(
	source: string | DProgram,
	target: number | undefined,
	opts: { macroArgs?: readonly string[]; scriptName?: string; file?: boolean } = {},
): { program: DProgram; varTypes: ReadonlyMap<string, "int" | "string"> } {
	let program: DProgram;
	let varTypes: ReadonlyMap<string, "int" | "string">;
	try {
		// A script file (-s alone) is parsed as one: a probe description needs a predicate or a body.
		program =
			typeof source === "string"
				? parseProgram(expandProgramText(source, target, opts), { language: "core", file: opts.file === true })
				: source;
		const checked = check(program);
		refuseUncompiled(checked);
		varTypes = checked.vars;
	} catch (e) {
		if (e instanceof DError) throw new SessionError(e.message, { cause: e });
		throw e;
	}
	return { program, varTypes };
}

/**
 * `$target` and DTrace's macro variables of the tracer itself (`$pid`,
 * `$ppid`, `$uid`, `$gid`, `$euid`, `$egid`: dtop's, as dtrace's are
 * dtrace's) are macros: replaced in the text before parsing, as DTrace does.
 */
export function expandProgramText(
	text: string,
	target: number | undefined,
	opts: { macroArgs?: readonly string[]; scriptName?: string } = {},
): string {
	// $1 ... $9 and $$1 ...: the command line's arguments after the program (missing or unused: an error naming it).
	if (opts.macroArgs?.length || /\$\$?[0-9]/.test(text)) {
		text = expandMacros(
			text,
			{ args: opts.macroArgs ?? [], script: opts.scriptName, target },
			opts.macroArgs !== undefined,
		);
	}
	if (!text.includes("$")) return text;
	const own: Record<string, number> = {
		pid: process.pid,
		ppid: process.ppid,
		uid: process.getuid?.() ?? 0,
		gid: process.getgid?.() ?? 0,
		euid: process.geteuid?.() ?? 0,
		egid: process.getegid?.() ?? 0,
	};
	// Not right after a number: `123$pid` is two tokens in DTrace, a syntax error (near "$pid"), not 123 and the pid run together.
	text = text.replace(/(?<![$0-9])\$(pid|ppid|uid|gid|euid|egid)\b/g, (_, name: string) => String(own[name]));
	if (!text.includes("$target")) return text;
	if (target === undefined) throw new SessionError("the program uses $target, but no process was given with -c or -p.");
	return text.replace(/\$target\b/g, String(target));
}
