// Entry points of the D parser. Without options it parses today's subset (what the
// back end compiles, with today's messages); with { language: "full" } the whole of D.
// It follows DTrace's grammar (dt_grammar.y) and names every construct it refuses.

import type * as core from "./ast.ts";
import { withCTypes } from "./ctypes/registry.ts";
import { DSyntaxError, NO_POS } from "./errors.ts";
import { type ParseOptions, syntax } from "./parse-expr.ts";
import { ProgramParser } from "./parse-program.ts";
import { CoreParser, restrictExpr } from "./subset.ts";
import type { Expr, Program } from "./syntax.ts";
import { extraCloser } from "./syntax-extra.ts";

export type { ParseOptions } from "./parse-expr.ts";

/** The largest program dtop reads (1 MiB): DTrace's own scripts are a few kilobytes. */
export const MAX_PROGRAM_BYTES = 1024 * 1024;

function checkSize(text: string): void {
	// Every UTF-16 unit is at least one byte, so only long texts need counting.
	if (text.length > MAX_PROGRAM_BYTES / 3 && Buffer.byteLength(text) > MAX_PROGRAM_BYTES) {
		throw new DSyntaxError(
			NO_POS,
			`the program is ${Buffer.byteLength(text)} bytes, more than the ${MAX_PROGRAM_BYTES} bytes (1 MiB) dtop reads; split it or shorten it`,
			"DTOP_LIMIT",
		);
	}
}

/** Parse a D program of today's subset (clauses of aggregations and self-> assignments). */
export function parseProgram(text: string): core.Program;
export function parseProgram(text: string, options: ParseOptions & { language: "core" }): core.Program;
/** Parse a D program in the whole of the language. */
export function parseProgram(text: string, options: ParseOptions & { language: "full" }): Program;
export function parseProgram(text: string, options?: ParseOptions): Program | core.Program;
export function parseProgram(text: string, options: ParseOptions = {}): Program | core.Program {
	checkSize(text);
	try {
		// The program's C types (ctypes/) are the active ones while it is parsed and narrowed.
		const parser = options.language === "full" ? new ProgramParser(text, options) : new CoreParser(text, options.file);
		return withCTypes(parser.ctypes, () => parser.program()) as Program | core.Program;
	} catch (e) {
		throw extraCloser(text, e);
	}
}

class StandaloneParser extends ProgramParser {
	whole(): Expr {
		const e = this.expression();
		if (this.core) restrictExpr(e);
		const t = this.peek();
		if (t.kind !== "eof") throw syntax(t, "an operator or the end of the expression");
		return e;
	}
}

/** Parse a single D expression (a predicate without its slashes, a key, ...). */
export function parseExpression(text: string): core.Expr;
export function parseExpression(text: string, options: { language: "full" }): Expr;
export function parseExpression(text: string, options: ParseOptions = {}): Expr | core.Expr {
	checkSize(text);
	return new StandaloneParser(text, options).whole();
}
