// DTrace's lexer counts parentheses and brackets (dt_lex.l): a `)` or `]` with none
// open is "extra ) in input stream", whatever the grammar expected there. dtop's parser
// reports the token it did not expect; this turns that report into DTrace's words when
// the token is such a closer, keeping dtop's own message for -v.
import { DError, DSyntaxError } from "./errors.ts";

/** How many `open`s are unclosed (by `close`) in `text` before `end`, strings and comments skipped. */
function depth(text: string, end: number, open: string, close: string): number {
	let n = 0;
	for (let i = 0; i < end; i++) {
		const c = text[i];
		if (c === '"' || c === "'") {
			for (i++; i < end && text[i] !== c && text[i] !== "\n"; i++) if (text[i] === "\\") i++;
		} else if (c === "/" && text[i + 1] === "*") {
			const close = text.indexOf("*/", i + 2);
			i = close < 0 ? end : close + 1;
		} else if (c === open) n++;
		else if (c === close) n--;
	}
	return n;
}

/** `e` in DTrace's words when it is a syntax error at a closer nothing opened; otherwise `e`. */
export function extraCloser(text: string, e: unknown): unknown {
	if (!(e instanceof DError) || e.code !== "D_SYNTAX" || e.line === 0) return e;
	const c = text[e.offset];
	const open = c === ")" ? "(" : c === "]" ? "[" : undefined;
	if (!open || depth(text, e.offset, open, c!) > 0) return e;
	return new DSyntaxError(e, e.reason, "D_SYNTAX", { dtrace: `extra ${c} in input stream`, cause: e.cause });
}
