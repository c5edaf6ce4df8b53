// DTrace probe-description globs: `*` any run, `?` one character, `[...]` a
// class with ranges and `[!...]` its complement, `\c` a literal c. Every field
// of a description is a glob; an empty field matches anything.
//
// Globs are matched without backtracking. A pattern is cut at its stars into
// fixed-length segments (each a run of single-character atoms): the first must
// match at the start, the last at the end, and the ones between are found
// leftmost-first, one after the other. Taking the leftmost place of each middle
// segment is never worse than any later place, so no choice is ever revisited:
// a match costs at most len(name) × len(pattern) steps. (Globs used to compile to
// regular expressions, whose backtracking made `*?*?*?…*?Q` take seconds on
// one function name: 12 s for libc's, with the UI's filter frozen meanwhile.)
// Characters are UTF-16 code units, as they were for the regular expressions.

export const GLOB_CHARS = /[*?[\\]/;

export function isGlob(s: string): boolean {
	return GLOB_CHARS.test(s);
}

export class GlobError extends Error {
	override readonly name = "GlobError";
}

/** One character position of a pattern: any character, one code unit, or a class. */
type Atom = { any: true } | { code: number } | { negate: boolean; ranges: number[] };

interface Compiled {
	/** The segments between stars; one segment when the pattern has no star. */
	segments: Atom[][];
	/** Whether the pattern has a star at all (otherwise the one segment is the whole name). */
	star: boolean;
}

const cache = new Map<string, (s: string) => boolean>();

/** Compiles a glob to a predicate (cached: the same few patterns are matched against thousands of probes). */
export function compileGlob(pattern: string): (s: string) => boolean {
	let f = cache.get(pattern);
	if (f) return f;
	if (pattern === "" || pattern === "*") f = () => true;
	else if (!isGlob(pattern)) f = (s) => s === pattern;
	else {
		const compiled = parseGlob(pattern);
		f = (s) => matches(compiled, s);
	}
	if (cache.size > 1000) cache.clear();
	cache.set(pattern, f);
	return f;
}

function atomMatches(atom: Atom, c: number): boolean {
	if ("any" in atom) return true;
	if ("code" in atom) return atom.code === c;
	const { ranges } = atom;
	let inside = false;
	for (let i = 0; i < ranges.length; i += 2) {
		if (c >= ranges[i] && c <= ranges[i + 1]) {
			inside = true;
			break;
		}
	}
	return inside !== atom.negate;
}

function segmentAt(seg: Atom[], s: string, at: number): boolean {
	for (let k = 0; k < seg.length; k++) if (!atomMatches(seg[k], s.charCodeAt(at + k))) return false;
	return true;
}

function matches({ segments, star }: Compiled, s: string): boolean {
	if (!star) return s.length === segments[0].length && segmentAt(segments[0], s, 0);
	const head = segments[0];
	const tail = segments[segments.length - 1];
	let pos = head.length;
	const end = s.length - tail.length;
	if (end < pos || !segmentAt(head, s, 0) || !segmentAt(tail, s, end)) return false;
	for (let m = 1; m < segments.length - 1; m++) {
		const seg = segments[m];
		let found = -1;
		for (let i = pos; i + seg.length <= end; i++) {
			if (segmentAt(seg, s, i)) {
				found = i;
				break;
			}
		}
		if (found < 0) return false;
		pos = found + seg.length;
	}
	return true;
}

/** A class member as written: a character, or an unescaped `-` that may join two members into a range. */
interface Member {
	code: number;
	dash?: boolean;
}

/**
 * Parses a glob. The syntax (and its error sentences) is what the regular
 * expressions accepted: a `]` first in a class is a member, `[!` and `[^` negate,
 * a `-` between two members makes a range (after a range, a `-` is a member), and
 * an inverted range is reported once the whole pattern has been read.
 */
function parseGlob(pattern: string): Compiled {
	const segments: Atom[][] = [[]];
	let star = false;
	let invertedRange = false;
	for (let i = 0; i < pattern.length; i++) {
		const c = pattern[i];
		const seg = segments[segments.length - 1];
		if (c === "*") {
			star = true;
			// Consecutive stars are one star.
			if (seg.length > 0 || segments.length === 1) segments.push([]);
		} else if (c === "?") seg.push({ any: true });
		else if (c === "\\") {
			if (i + 1 >= pattern.length) throw new GlobError(`'${pattern}' ends with a lone backslash`);
			seg.push({ code: pattern.charCodeAt(++i) });
		} else if (c === "[") {
			let j = i + 1;
			let negate = false;
			if (pattern[j] === "!" || pattern[j] === "^") {
				negate = true;
				j++;
			}
			const members: Member[] = [];
			// A `]` right after `[` or `[!` is a member, as in the shell.
			if (pattern[j] === "]") {
				members.push({ code: 0x5d });
				j++;
			}
			while (j < pattern.length && pattern[j] !== "]") {
				const d = pattern[j];
				if (d === "\\" && j + 1 < pattern.length) {
					members.push({ code: pattern.charCodeAt(j + 1) });
					j += 2;
					continue;
				}
				const dash = d === "-" && members.length > 0 && j + 1 < pattern.length && pattern[j + 1] !== "]";
				members.push(dash ? { code: 0x2d, dash: true } : { code: pattern.charCodeAt(j) });
				j++;
			}
			if (j >= pattern.length) throw new GlobError(`'${pattern}' has a '[' without its closing ']'`);
			if (members.length === 0) throw new GlobError(`'${pattern}' has an empty character class`);
			const ranges: number[] = [];
			for (let k = 0; k < members.length; ) {
				const lo = members[k].code;
				if (k + 2 < members.length && members[k + 1].dash) {
					const hi = members[k + 2].code;
					if (lo > hi) invertedRange = true;
					ranges.push(lo, hi);
					k += 3;
				} else {
					ranges.push(lo, lo);
					k += 1;
				}
			}
			seg.push({ negate, ranges });
			i = j;
		} else seg.push({ code: pattern.charCodeAt(i) });
	}
	// Reject inverted ranges like [z-a] with a sentence.
	if (invertedRange) throw new GlobError(`'${pattern}' has an invalid character range`);
	return { segments, star };
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
