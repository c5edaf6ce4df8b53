// Errors a D program can produce. Every one carries the 1-based line and column
// of the offending text and a message that reads `line L, column C: <what is wrong>`,
// so the CLI and the UI can show it as-is. `code` is DTrace's error tag where DTrace
// has one (D_SYNTAX, D_OP_INCOMPAT, ...; the names of its err.D_*.d tests).

/** A place in the source text: 1-based line and column, 0-based character offset.
 * Nodes built in code (not parsed) carry line 0, column 0. Columns count UTF-16
 * code units; a tab counts as one column. */
export interface Position {
	line: number;
	column: number;
	offset: number;
}

/** The position given to nodes built without source text. */
export const NO_POS: Position = Object.freeze({ line: 0, column: 0, offset: 0 });

/** The tag of errors about what dtop does not support (DTrace has no tag for these). */
export const UNSUPPORTED = "DTOP_UNSUPPORTED";

/** `dtrace`: the message as DTrace words it, when dtop's differs (see DError.said). */
export type DErrorOptions = ErrorOptions & { dtrace?: string };

/** Base class of every error the D front end throws. */
export class DError extends Error {
	readonly line: number;
	readonly column: number;
	readonly offset: number;
	/** The message without the `line L, column C: ` prefix. */
	readonly reason: string;
	/** DTrace's error tag (D_SYNTAX, D_MACRO_UNDEF, ...), or UNSUPPORTED. */
	readonly code: string;
	/** The message in DTrace's words (what dtrace -s prints): `reason`, or `options.dtrace`
	 * when dtop's message says more (a hint) or says it otherwise. */
	readonly said: string;

	constructor(pos: Position, reason: string, code = "D_SYNTAX", options?: DErrorOptions) {
		const safe = escapeControls(reason);
		super(pos.line > 0 ? `line ${pos.line}, column ${pos.column}: ${safe}` : safe, options);
		this.line = pos.line;
		this.column = pos.column;
		this.offset = pos.offset;
		this.reason = safe;
		this.code = code;
		this.said = options?.dtrace === undefined ? safe : escapeControls(options.dtrace);
	}
}

/** The text is not valid D (or uses D that dtop does not support). */
export class DSyntaxError extends DError {
	override readonly name = "DSyntaxError";
}

/** The program parses but its types do not fit (string compared with number, stack
 * outside a key, aggregation redefined, ...). */
export class DTypeError extends DError {
	override readonly name = "DTypeError";
	constructor(pos: Position, reason: string, code = "D_OP_INCOMPAT", options?: DErrorOptions) {
		super(pos, reason, code, options);
	}
}

/**
 * Error text must never carry raw control characters from the input: a script with an
 * ESC in it would otherwise drive the user's terminal (issue 10). C0 controls, DEL, C1
 * controls and the bidirectional overrides are written as escapes (`\e`, `\x7f`,
 * `\u202e`); newline and tab are kept out of one-line messages too.
 */
export function escapeControls(text: string): string {
	let out = "";
	for (const ch of text) {
		const c = ch.codePointAt(0)!;
		if (c === 0x1b) out += "\\e";
		else if (c === 0x0a) out += "\\n";
		else if (c === 0x09) out += "\\t";
		else if (c === 0x0d) out += "\\r";
		else if (c === 0) out += "\\0";
		else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, "0")}`;
		else if ((c >= 0x80 && c < 0xa0) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
			out += `\\u${c.toString(16).padStart(4, "0")}`;
		else out += ch;
	}
	return out;
}
