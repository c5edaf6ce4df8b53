// -C: the program goes through dtop's C preprocessor (source/d/cpp.ts) before the
// D compiler reads it, as dtrace -C runs cpp(1). Its diagnostics are printed as
// dtrace prints cpp's (GCC's lines, then dtrace's own line), exit status 1.
import { dirname, resolve } from "node:path";
import { CppError, preprocess } from "../d/cpp.ts";
import { escapeForTerminal } from "../util/escape.ts";
import type { Flags } from "./flags.ts";
import type { Io } from "./io.ts";

/** The preprocessor refused a part of the program. */
export class ProgramCppError extends Error {
	override readonly name = "ProgramCppError";
	constructor(
		readonly cpp: CppError,
		/** dtrace's words for the part: `failed to compile script FILE`, `invalid probe specifier CLAUSE`. */
		readonly what: string,
	) {
		super(`${what}: ${cpp.message}`, { cause: cpp });
	}
}

/** A -s script's text (script: its name) or a -n clause, preprocessed when -C asks for it. */
export function maybePreprocess(
	text: string,
	flags: Flags,
	script: string | undefined,
	err: (s: string) => void = (s) => process.stderr.write(s),
): string {
	if (!flags.cpp) return text;
	try {
		const r = preprocess(text, {
			dir: script ? dirname(resolve(script)) : process.cwd(),
			args: flags.cppArgs,
			stdc: flags.stdc,
			onInclude: flags.cppHeaders ? (path, depth) => err(`${".".repeat(depth)} ${path}\n`) : undefined,
		});
		for (const w of r.warnings) err(`${escapeForTerminal(w)}\n`);
		return r.text;
	} catch (e) {
		if (!(e instanceof CppError)) throw e;
		throw new ProgramCppError(e, script ? `failed to compile script ${script}` : `invalid probe specifier ${text}`);
	}
}

/** Print a preprocessor failure as dtrace does; the exit status. */
export function reportCppError(e: ProgramCppError, io: Io): number {
	for (const line of e.cpp.diagnostics) io.err(`${escapeForTerminal(line)}\n`);
	// A -n clause as given, its newlines too (as dtrace prints it); other controls escaped.
	const what = e.what.split("\n").map(escapeForTerminal).join("\n");
	io.err(`dtop: ${what}: ${e.cpp.message}\n`);
	return 1;
}
