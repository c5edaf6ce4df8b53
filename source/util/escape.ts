// Strings that come from binaries and processes (symbol names, paths, comm,
// probe names in .note.stapsdt, strings copied out of a traced process) are
// attacker-controlled: a program can name a symbol "\x1b]0;pwned\x07" and
// rewrite the user's terminal title, clear the screen with "\x1b[2J", or hide
// text with bidirectional overrides. Everything such a string goes through
// before it reaches a terminal is escapeForTerminal(); JSON output goes through
// jsonStringify(), which writes the same characters as \u escapes.

// C0 controls, DEL, C1 controls (U+009B is a one-character CSI on many
// terminals), line/paragraph separators, bidi marks, embeddings, overrides and
// isolates.
const UNSAFE_CLASS = "\\x00-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069";
const UNSAFE = new RegExp(`[${UNSAFE_CLASS}]`);
const UNSAFE_ALL = new RegExp(`[${UNSAFE_CLASS}]`, "g");
/** JSON.stringify already escapes C0 controls and lone surrogates; these it leaves raw. */
const JSON_UNSAFE_ALL = /[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

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

/** True when escapeForTerminal(s) would return s unchanged. */
export function isTerminalSafe(s: string): boolean {
	return !UNSAFE.test(s);
}

function jsonEscape(c: string): string {
	return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * JSON.stringify, with every character a terminal would act on written as a
 * \u escape (JSON.stringify itself leaves DEL, C1 controls, U+2028/9 and the
 * bidi controls raw). Lossless: a JSON parser gives back the original string.
 * Those characters can only occur inside JSON strings, so escaping the whole
 * text is safe. Bigints become numbers when exact, decimal strings otherwise.
 */
export function jsonStringify(value: unknown): string {
	const text = JSON.stringify(value, (_k, v) =>
		typeof v === "bigint" ? (v >= -(2n ** 53n) + 1n && v <= 2n ** 53n - 1n ? Number(v) : v.toString()) : v,
	);
	return text === undefined ? "" : text.replace(JSON_UNSAFE_ALL, jsonEscape);
}

const encoder = new TextEncoder();

/**
 * DTrace's escaped-string form (printf's %S and %C): C escapes for \0 \a \b \f
 * \n \r \t \v " and \\, three-digit octal for every other byte outside
 * '!'..'~' except the space, the UTF-8 bytes of a non-ASCII character
 * included. It stops at a NUL, as DTrace's strchr2esc() does.
 */
export function escapeDString(s: string | Uint8Array): string {
	const bytes = typeof s === "string" ? encoder.encode(s) : s;
	let out = "";
	for (const b of bytes) {
		switch (b) {
			case 0:
				return `${out}\\0`;
			case 7:
				out += "\\a";
				break;
			case 8:
				out += "\\b";
				break;
			case 12:
				out += "\\f";
				break;
			case 10:
				out += "\\n";
				break;
			case 13:
				out += "\\r";
				break;
			case 9:
				out += "\\t";
				break;
			case 11:
				out += "\\v";
				break;
			case 0x22:
				out += '\\"';
				break;
			case 0x5c:
				out += "\\\\";
				break;
			default:
				if (b === 0x20 || (b >= 0x21 && b <= 0x7e)) out += String.fromCharCode(b);
				else out += `\\${((b >> 6) & 3).toString()}${((b >> 3) & 7).toString()}${(b & 7).toString()}`;
		}
	}
	return out;
}
