// A D program's compile error as dtrace(1) prints it (cmd/dtrace.c's dfatal over
// libdtrace's dt_set_errmsg):
//
//   dtrace: failed to compile script FILE: [D_TAG] line 12: message
//   dtrace: invalid probe specifier CLAUSE: [D_TAG] line 1: message
//
// The [D_TAG] part only with -x errtags (or `#pragma D option errtags`); the line is
// the line within the script or within the -n argument the error is in.
import { DError, UNSUPPORTED } from "../d/errors.ts";
import { escapeForTerminal } from "../util/escape.ts";

/** Where the program's text came from, in the order programText() joins it. */
export interface ProgramParts {
	/** The -s script's name and text, if there is one. */
	script?: { name: string; text: string };
	/** The -n arguments (each one clause text). */
	clauses: readonly string[];
}

/** The D error somewhere in e's cause chain; an error of the lowering or the code generator at a line is one too. */
export function compileError(e: unknown): DError | undefined {
	for (let x: unknown = e, depth = 0; x instanceof Error && depth < 8; x = x.cause, depth++)
		if (x instanceof DError) return x;
	for (let x: unknown = e, depth = 0; x instanceof Error && depth < 8; x = x.cause, depth++) {
		const m = /^line (\d+), column (\d+): (.*)$/s.exec(x.message);
		if (m && (x.name === "LowerError" || x.name === "CodegenError"))
			return new DError({ line: Number(m[1]), column: Number(m[2]), offset: 0 }, m[3]!.replace(/\.$/, ""), UNSUPPORTED);
	}
	return undefined;
}

/** The -s script or -n argument a line of the joined program text is in, and the line within it. */
export function locate(parts: ProgramParts, line: number): { what: string; line: number } {
	let first = 1;
	if (parts.script) {
		const n = parts.script.text.split("\n").length;
		if (line < first + n || parts.clauses.length === 0)
			return { what: `failed to compile script ${parts.script.name}`, line };
		first += n;
	}
	for (const [i, c] of parts.clauses.entries()) {
		const n = c.split("\n").length;
		if (line < first + n || i === parts.clauses.length - 1)
			return { what: `invalid probe specifier ${c}`, line: Math.max(0, line - first + 1) };
		first += n;
	}
	return { what: "failed to compile program", line };
}

/** dtrace(1)'s line for a D error (without the program name and the newline). */
export function formatCompileError(e: DError, parts: ProgramParts, errtags: boolean): string {
	const where = e.line > 0 ? locate(parts, e.line) : { what: locate(parts, 1).what, line: 0 };
	const tag = errtags ? `[${e.code}] ` : "";
	const line = where.line > 0 ? `line ${where.line}: ` : "";
	// The clause as given, newlines and tabs too (as dtrace prints it); other controls escaped.
	const what = where.what
		.split("\n")
		.map((l) => l.split("\t").map(escapeForTerminal).join("\t"))
		.join("\n");
	return `${what}: ${tag}${line}${dtraceLayout(e.said)}`;
}

/**
 * dtop writes DTrace's multi-line prototype mismatches on one line
 * (`... prototype: prototype: int; argument: string`); DTrace lays the parts out
 * one a line, tab-indented, labels right-aligned:
 *
 *   exit( ) argument #1 is incompatible with prototype:
 *   \tprototype: int
 *   \t argument: string
 */
export function dtraceLayout(said: string): string {
	// printa( ) of aggregations whose keys differ: each side's key on a line, its name right-aligned in 9.
	const keys =
		/^(printa\( \): @\S+\[ \] key #\d+ is incompatible with @\S+:) (\S+)( key #\d+: [^;]+); (\S+)( key #\d+: [^;]+)$/.exec(
			said,
		);
	// An identifier defined again: what it is now and what it was, on lines of their own.
	const redef = /^(identifier redefined: \S+); current: ([^;]+); previous: (.*)$/.exec(said);
	if (redef) return `${redef[1]}\n\t current: ${redef[2]}\n\tprevious: ${redef[3]}`;
	if (keys) return `${keys[1]}\n${keys[2]!.padStart(9)}${keys[3]}\n${keys[4]!.padStart(9)}${keys[5]}`;
	const m = /^(.* prototype:) ((?:[a-z ]+: [^;]+)(?:; [a-z ]+: [^;]+)+)$/.exec(said);
	if (!m) return said;
	const parts = m[2]!.split("; ").map((p) => {
		const i = p.indexOf(": ");
		return [p.slice(0, i), p.slice(i + 2)] as const;
	});
	const width = Math.max(...parts.map(([k]) => k.length));
	return [m[1], ...parts.map(([k, v]) => `\t${k.padStart(width)}: ${v}`)].join("\n");
}

/** The parts of `text` (programText's join of the -s script and the -n clauses). */
export function programParts(script: string | undefined, clauses: readonly string[], text: string): ProgramParts {
	if (!script) return { clauses };
	const tail = clauses.length ? clauses.join("\n").length + 1 : 0;
	return { script: { name: script, text: text.slice(0, Math.max(0, text.length - tail)) }, clauses };
}

/** Whether errors carry their tags: -x errtags, or the pragma (even in a program that does not parse). */
export function wantsErrtags(option: unknown, text: string): boolean {
	return option === true || /^[ \t]*#[ \t]*pragma[ \t]+D[ \t]+option[ \t]+errtags[ \t]*$/m.test(text);
}
