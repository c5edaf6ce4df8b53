// DTrace probe-description globs: `*` any run, `?` one character, `[...]` a
// class with ranges and `[!...]` its complement, `\c` a literal c. Every field
// of a description is a glob; an empty field matches anything.

export const GLOB_CHARS = /[*?[\\]/;

export function isGlob(s: string): boolean {
	return GLOB_CHARS.test(s);
}

export class GlobError extends Error {
	override readonly name = "GlobError";
}

const cache = new Map<string, (s: string) => boolean>();

/** Compiles a glob to a predicate (cached: the same few patterns are matched against thousands of probes). */
export function compileGlob(pattern: string): (s: string) => boolean {
	let f = cache.get(pattern);
	if (f) return f;
	if (pattern === "" || pattern === "*") f = () => true;
	else if (!isGlob(pattern)) f = (s) => s === pattern;
	else {
		const re = new RegExp(`^${globToRegExpSource(pattern)}$`, "s");
		f = (s) => re.test(s);
	}
	if (cache.size > 1000) cache.clear();
	cache.set(pattern, f);
	return f;
}

function escapeRe(c: string): string {
	return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

export function globToRegExpSource(pattern: string): string {
	let out = "";
	for (let i = 0; i < pattern.length; i++) {
		const c = pattern[i];
		if (c === "*") out += ".*";
		else if (c === "?") out += ".";
		else if (c === "\\") {
			if (i + 1 >= pattern.length) throw new GlobError(`'${pattern}' ends with a lone backslash`);
			out += escapeRe(pattern[++i]);
		} else if (c === "[") {
			let j = i + 1;
			let negate = false;
			if (pattern[j] === "!" || pattern[j] === "^") {
				negate = true;
				j++;
			}
			let body = "";
			// A `]` right after `[` or `[!` is a member, as in the shell.
			if (pattern[j] === "]") {
				body += "\\]";
				j++;
			}
			while (j < pattern.length && pattern[j] !== "]") {
				const d = pattern[j];
				if (d === "\\" && j + 1 < pattern.length) {
					body += escapeRe(pattern[j + 1]);
					j += 2;
					continue;
				}
				if (d === "-" && body !== "" && j + 1 < pattern.length && pattern[j + 1] !== "]") body += "-";
				else body += escapeRe(d);
				j++;
			}
			if (j >= pattern.length) throw new GlobError(`'${pattern}' has a '[' without its closing ']'`);
			if (body === "") throw new GlobError(`'${pattern}' has an empty character class`);
			out += `[${negate ? "^" : ""}${body}]`;
			i = j;
		} else out += escapeRe(c);
	}
	// Reject inverted ranges like [z-a] with a sentence instead of a SyntaxError.
	try {
		new RegExp(out);
	} catch {
		throw new GlobError(`'${pattern}' has an invalid character range`);
	}
	return out;
}

/** Checks a glob's syntax; returns an error sentence or undefined. */
export function globProblem(pattern: string): string | undefined {
	try {
		compileGlob(pattern);
		return undefined;
	} catch (e) {
		return (e as Error).message;
	}
}
