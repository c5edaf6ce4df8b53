// Probe descriptions (`provider:module:function:name`). Macros in them are expanded
// by macros.ts (expandMacros is re-exported here for the callers that used it here).

import { DSyntaxError, NO_POS, type Position } from "./errors.ts";
import { isProbeChar } from "./lexer.ts";
import type { ProbeDescription } from "./syntax.ts";

export { expandMacros, type MacroValues } from "./macros.ts";

function at(base: Position, index: number): Position {
	if (base.line === 0) return base;
	return { line: base.line, column: base.column + index, offset: base.offset + index };
}

/** Check the glob syntax of one field; `start` is the field's index in the description. */
function checkField(field: string, start: number, base: Position): void {
	for (let i = 0; i < field.length; i++) {
		const c = field[i]!;
		if (c === "\\") {
			if (i + 1 >= field.length) {
				throw new DSyntaxError(at(base, start + i), "a probe description field cannot end with '\\'");
			}
			i++;
		} else if (c === "[") {
			let j = i + 1;
			if (field[j] === "!") j++;
			const first = j;
			while (j < field.length && field[j] !== "]") {
				if (field[j] === "\\") j++;
				j++;
			}
			if (j >= field.length) {
				throw new DSyntaxError(at(base, start + i), "'[' in probe description has no matching ']'");
			}
			if (j === first) throw new DSyntaxError(at(base, start + i), "empty '[]' in probe description");
			for (let k = first; k + 2 < j; k++) {
				if (field[k] === "\\") {
					k++;
					continue;
				}
				if (field[k + 1] === "-" && field[k + 2] !== "\\" && field[k]! > field[k + 2]!) {
					throw new DSyntaxError(
						at(base, start + k),
						`bad range '${field.slice(k, k + 3)}' in probe description: the first character must come first`,
					);
				}
			}
			i = j;
		} else if (c === "]") {
			throw new DSyntaxError(at(base, start + i), "']' in probe description has no matching '['");
		} else if (!isProbeChar(c) || c === ":") {
			throw new DSyntaxError(at(base, start + i), `probe description contains invalid character ${JSON.stringify(c)}`);
		}
	}
}

/** Build a ProbeDescription from its text; `base` is the position of the text's first character. */
export function probeFromText(text: string, base: Position): ProbeDescription {
	if (text === "") throw new DSyntaxError(base, "empty probe description");
	const parts = text.split(":");
	if (parts.length > 4) {
		let colon = -1;
		for (let n = 0; n < 4; n++) colon = text.indexOf(":", colon + 1);
		throw new DSyntaxError(
			at(base, colon),
			`probe description ${JSON.stringify(text)} has too many fields; write provider:module:function:name`,
			"D_PDESC_INVAL",
			{ dtrace: `invalid probe description ${JSON.stringify(text)}: Overspecified probe description` },
		);
	}
	let index = 0;
	for (const p of parts) {
		checkField(p, index, base);
		index += p.length + 1;
	}
	const fields = [...Array(4 - parts.length).fill(""), ...parts] as [string, string, string, string];
	const [provider, module, func, name] = fields;
	return { kind: "probe", provider, module, function: func, name, text, pos: base };
}

/**
 * Parse a probe description on its own (as `dtop -l -n` and the UI filter do). Leading
 * and trailing whitespace is ignored. Throws DSyntaxError for malformed descriptions.
 */
export function parseProbeDescription(text: string): ProbeDescription {
	let start = 0;
	while (start < text.length && /\s/.test(text[start]!)) start++;
	let end = text.length;
	while (end > start && /\s/.test(text[end - 1]!)) end--;
	let line = 1;
	let column = 1;
	for (let i = 0; i < start; i++) {
		if (text[i] === "\n") {
			line++;
			column = 1;
		} else column++;
	}
	const base = { line, column, offset: start };
	return probeFromText(text.slice(start, end), base);
}

/** Build a probe description from its fields (missing fields match anything). */
export function probe(fields: {
	provider?: string;
	module?: string;
	function?: string;
	name?: string;
}): ProbeDescription {
	const provider = fields.provider ?? "";
	const module = fields.module ?? "";
	const func = fields.function ?? "";
	const name = fields.name ?? "";
	for (const f of [provider, module, func, name]) {
		if (f.includes(":")) throw new DSyntaxError(NO_POS, `probe description field ${JSON.stringify(f)} contains ':'`);
	}
	const d = probeFromText(probeText({ provider, module, function: func, name }), NO_POS);
	return d;
}

/** The canonical text of a description: the four fields joined by `:`, leading empty
 * fields dropped (`::read:entry` → `read:entry`), `:::` when all are empty. */
export function probeText(d: { provider: string; module: string; function: string; name: string }): string {
	const fields = [d.provider, d.module, d.function, d.name];
	while (fields.length > 1 && fields[0] === "") fields.shift();
	const text = fields.join(":");
	return text === "" ? ":::" : text;
}
