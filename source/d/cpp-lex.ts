// The C preprocessor's view of a D program (used by -C, source/d/cpp.ts): the text
// is cut into logical lines (backslash-newlines spliced, comments replaced by a
// space, as translation phases 1-3 do) and each line into preprocessing tokens.
// Identifiers may hold `$` (GCC's default, and D's `$1`, `pid$target`).

/** A preprocessing token. `ws`: whitespace came before it. `hide`: macros not to expand again. */
export interface PpToken {
	kind: "ident" | "number" | "string" | "char" | "punct" | "other";
	v: string;
	ws: boolean;
	hide?: ReadonlySet<string>;
}

/** A logical line: its text (comments gone), the physical line it starts on and how many it spans. */
export interface LogicalLine {
	text: string;
	line: number;
	span: number;
}

/** A problem the preprocessor reports in GCC's words. */
export class CppDiagnostic extends Error {
	override readonly name = "CppDiagnostic";
	constructor(
		readonly line: number,
		readonly said: string,
	) {
		super(said);
	}
}

/**
 * Splice, strip comments and cut into logical lines. An unterminated comment is
 * an error at the line it starts on.
 */
export function logicalLines(text: string): LogicalLine[] {
	const out: LogicalLine[] = [];
	let cur = "";
	let start = 1;
	let line = 1;
	let inComment = false;
	let commentStart = 0;
	let quote = "";
	const n = text.length;
	for (let i = 0; i < n; i++) {
		const c = text[i]!;
		if (c === "\\" && (text[i + 1] === "\n" || (text[i + 1] === "\r" && text[i + 2] === "\n"))) {
			i += text[i + 1] === "\r" ? 2 : 1;
			line++;
			continue;
		}
		if (c === "\n") {
			if (inComment) {
				line++;
				continue;
			}
			quote = "";
			out.push({ text: cur, line: start, span: line - start + 1 });
			cur = "";
			line++;
			start = line;
			continue;
		}
		if (inComment) {
			if (c === "*" && text[i + 1] === "/") {
				inComment = false;
				i++;
			}
			continue;
		}
		if (quote) {
			cur += c;
			if (c === "\\" && i + 1 < n && text[i + 1] !== "\n") cur += text[++i];
			else if (c === quote) quote = "";
			continue;
		}
		if (c === "/" && text[i + 1] === "*") {
			inComment = true;
			commentStart = line;
			cur += " ";
			i++;
			continue;
		}
		if (c === "/" && text[i + 1] === "/") {
			while (i + 1 < n && text[i + 1] !== "\n") i++;
			continue;
		}
		if ((c === '"' || c === "'") && !(c === "'" && inDirectiveOf(cur))) quote = c;
		cur += c;
	}
	if (inComment) throw new CppDiagnostic(commentStart, "unterminated comment");
	if (cur.length > 0 || out.length === 0 || text.endsWith("\n") === false)
		out.push({ text: cur, line: start, span: line - start + 1 });
	return out;
}

/** An apostrophe in `#error don't` or `#warning` does not start a character constant. */
function inDirectiveOf(cur: string): boolean {
	return /^\s*#\s*(error|warning)\b/.test(cur);
}

const isIdStart = (c: string) => (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_" || c === "$";
const isIdChar = (c: string) => isIdStart(c) || (c >= "0" && c <= "9");
const isDigit = (c: string) => c >= "0" && c <= "9";

/** Punctuators of more than one character, longest first. */
const PUNCTS = ["<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "^^"]
	.concat(["*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##"])
	.sort((a, b) => b.length - a.length);

/** The preprocessing tokens of one logical line (from offset `from`). */
export function tokenize(text: string, from = 0): PpToken[] {
	const out: PpToken[] = [];
	let i = from;
	let ws = false;
	const n = text.length;
	while (i < n) {
		const c = text[i]!;
		if (c === " " || c === "\t" || c === "\f" || c === "\v" || c === "\r") {
			ws = true;
			i++;
			continue;
		}
		let j = i + 1;
		let kind: PpToken["kind"] = "punct";
		if (isIdStart(c)) {
			kind = "ident";
			while (j < n && isIdChar(text[j]!)) j++;
		} else if (isDigit(c) || (c === "." && isDigit(text[i + 1] ?? ""))) {
			kind = "number";
			while (j < n) {
				const d = text[j]!;
				if ((d === "+" || d === "-") && /[eEpP]/.test(text[j - 1]!)) j++;
				else if (isIdChar(d) || d === ".") j++;
				else break;
			}
		} else if (c === '"' || c === "'") {
			kind = c === '"' ? "string" : "char";
			while (j < n && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
			j = Math.min(n, j + 1);
		} else {
			const p = PUNCTS.find((s) => text.startsWith(s, i));
			if (p) j = i + p.length;
			else if (!"{}[]()<>;:,.?!~+-*/%&|^=#@`\\".includes(c)) kind = "other";
		}
		out.push({ kind, v: text.slice(i, j), ws });
		ws = false;
		i = j;
	}
	return out;
}

/** Would writing b right after a read back as different tokens? */
export function wouldPaste(a: PpToken, b: PpToken): boolean {
	const wordy = (t: PpToken) => t.kind === "ident" || t.kind === "number";
	if (wordy(a) && (wordy(b) || (a.kind === "number" && b.v[0] === "."))) return true;
	if (a.kind === "number" && (b.v[0] === "+" || b.v[0] === "-") && /[eEpP]$/.test(a.v)) return true;
	if (a.kind !== "punct" || b.kind !== "punct") return false;
	const joined = a.v + b.v;
	return PUNCTS.some((p) => p.length > a.v.length && joined.startsWith(p)) || (a.v === "/" && b.v === "*");
}

/** The tokens written back as text, one space where the source had whitespace. */
export function spell(tokens: readonly PpToken[]): string {
	let s = "";
	let prev: PpToken | undefined;
	for (const t of tokens) {
		if (prev && (t.ws || wouldPaste(prev, t))) s += " ";
		s += t.v;
		prev = t;
	}
	return s;
}
