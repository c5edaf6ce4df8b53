// Probe descriptions (`provider:module:function:name`) and macro expansion.

import type { ProbeDescription } from "./ast.ts";
import { DSyntaxError, NO_POS, type Position } from "./errors.ts";
import { isProbeChar } from "./lexer.ts";

const SPECIAL_PROBES = new Set(["BEGIN", "END", "ERROR"]);

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
		);
	}
	let index = 0;
	for (const p of parts) {
		checkField(p, index, base);
		index += p.length + 1;
	}
	const fields = [...Array(4 - parts.length).fill(""), ...parts] as [string, string, string, string];
	const [provider, module, func, name] = fields;
	if ((provider === "" || provider === "dtrace") && module === "" && func === "" && SPECIAL_PROBES.has(name)) {
		throw new DSyntaxError(at(base, text.length - name.length), `'${name}' is not supported`);
	}
	if (provider === "dtrace") throw new DSyntaxError(base, "the dtrace provider is not supported");
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

// ---------------------------------------------------------------------------
// Macros

export interface MacroValues {
	/** The value of `$target` (a process id). */
	target?: number | bigint | string;
	/** The values of `$1`, `$2`, ... (`args[0]` is `$1`). */
	args?: readonly string[];
}

function quote(s: string): string {
	let out = '"';
	for (const ch of s) {
		const code = ch.charCodeAt(0);
		if (ch === '"' || ch === "\\") out += `\\${ch}`;
		else if (ch === "\n") out += "\\n";
		else if (ch === "\t") out += "\\t";
		else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(8).padStart(3, "0")}`;
		else out += ch;
	}
	return `${out}"`;
}

/**
 * Replace the macros DTrace expands before compiling: `$target`, `$1`..`$N` (the
 * argument text; inside a predicate or body an argument that is not an integer or an
 * identifier becomes a string literal, as in DTrace) and `$$1`..`$$N` (always a string
 * literal). String literals and comments are left alone. An undefined macro is a
 * DSyntaxError. Positions in errors from parsing the result refer to the expanded text.
 */
export function expandMacros(text: string, values: MacroValues = {}): string {
	let out = "";
	let line = 1;
	let column = 1;
	let depth = 0;
	let i = 0;
	const copy = (n: number) => {
		for (let k = 0; k < n; k++) {
			if (text[i] === "\n") {
				line++;
				column = 1;
			} else column++;
			out += text[i];
			i++;
		}
	};
	while (i < text.length) {
		const c = text[i]!;
		if (c === "/" && text[i + 1] === "*") {
			const close = text.indexOf("*/", i + 2);
			copy((close < 0 ? text.length : close + 2) - i);
		} else if (c === "/" && text[i + 1] === "/") {
			const nl = text.indexOf("\n", i);
			copy((nl < 0 ? text.length : nl) - i);
		} else if (c === '"' || c === "'") {
			let j = i + 1;
			while (j < text.length && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
			copy(Math.min(j + 1, text.length) - i);
		} else if (c === "{") {
			depth++;
			copy(1);
		} else if (c === "}") {
			depth = Math.max(0, depth - 1);
			copy(1);
		} else if (c === "$") {
			const m = /^\$(\$?)([0-9]+|[A-Za-z_][A-Za-z0-9_]*)?/.exec(text.slice(i))!;
			const whole = m[0];
			const pos = { line, column, offset: i };
			const stringify = m[1] === "$";
			const name = m[2];
			if (name === undefined)
				throw new DSyntaxError(pos, `syntax error near "${whole}": expected a macro such as $target or $1`);
			let value: string;
			if (/^[0-9]+$/.test(name)) {
				const n = Number(name);
				const arg = n >= 1 ? values.args?.[n - 1] : undefined;
				if (arg === undefined) throw new DSyntaxError(pos, `macro argument ${whole} is not defined`);
				value = arg;
			} else if (name === "target") {
				if (values.target === undefined) {
					throw new DSyntaxError(pos, `macro variable ${whole} is not defined; give a target process`);
				}
				value = String(values.target);
			} else throw new DSyntaxError(pos, `macro variable ${whole} is not defined`);
			let prev = out.length - 1;
			while (prev >= 0 && /\s/.test(out[prev]!)) prev--;
			const adjacent = i > 0 && isProbeChar(text[i - 1]!);
			const inProbe = depth === 0 && (adjacent || prev < 0 || out[prev] === "}" || out[prev] === ",");
			if (stringify) value = quote(value);
			else if (!inProbe && !/^([0-9]+|0[xX][0-9a-fA-F]+|[A-Za-z_][A-Za-z0-9_]*)$/.test(value)) {
				const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
				value = quote(unquoted);
			}
			out += value;
			column += whole.length;
			i += whole.length;
		} else copy(1);
	}
	return out;
}
