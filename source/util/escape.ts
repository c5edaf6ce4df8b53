// Strings that come from binaries and processes (symbol names, paths, comm,
// probe names in .note.stapsdt) are attacker-controlled: a program can name a
// symbol "\x1b]0;pwned\x07" and rewrite the user's terminal title, or hide text
// with bidirectional overrides. Everything such a string goes through before it
// reaches a terminal is escapeForTerminal().

// C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings,
// overrides and isolates.
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_ALL = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = {
	"\n": "\\n",
	"\r": "\\r",
	"\t": "\\t",
	"\x1b": "\\e",
	"\0": "\\0",
};

function replace(c: string): string {
	const named = NAMED[c];
	if (named) return named;
	const code = c.charCodeAt(0);
	if (code <= 0xff) return `\\x${code.toString(16).padStart(2, "0")}`;
	return `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Makes a string safe to print on a terminal: control characters, C1 controls
 * and bidi/line-separator code points become visible escapes (`\e`, `\n`,
 * `\x07`, `\u202e`). Strings without such characters are returned as they are
 * (the common case costs one regular-expression test and no allocation).
 */
export function escapeForTerminal(s: string): string {
	if (!UNSAFE.test(s)) return s;
	return s.replace(UNSAFE_ALL, replace);
}
