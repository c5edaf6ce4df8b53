// Errors a D program can produce. Every one carries the 1-based line and column
// of the offending text and a message that reads `line L, column C: <what is wrong>`,
// so the CLI and the UI can show it as-is.

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

/** Base class of every error the D front end throws. */
export class DError extends Error {
	readonly line: number;
	readonly column: number;
	readonly offset: number;
	/** The message without the `line L, column C: ` prefix. */
	readonly reason: string;

	constructor(pos: Position, reason: string) {
		super(pos.line > 0 ? `line ${pos.line}, column ${pos.column}: ${reason}` : reason);
		this.line = pos.line;
		this.column = pos.column;
		this.offset = pos.offset;
		this.reason = reason;
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
}
