// The names of today's subset of D (source/d/subset.ts): the D names dtop does not
// support, keywords and type names, and the errors for an unknown or reserved name
// (with a did-you-mean suggestion for a likely typo).

import * as core from "./ast.ts";
import { UNSUPPORTED_WHY } from "./bytes.ts";
import { DSyntaxError, type Position } from "./errors.ts";
import { TAG, type Tag } from "./errtags.ts";

/** DTrace actions, subroutines, variables and aggregating functions today's back end
 * does not support: using one is reported as `'name' is not supported`. */
export const UNSUPPORTED_NAMES = new Set(
	[
		"printf printa printm print trace tracemem exit stop raise system breakpoint panic chill copyout copyoutstr",
		"setopt freopen ftruncate",
		"copyinto",
		"cleanpath strtoll inet_ntoa6 htonll",
		"ntohll alloca bcopy memref getmajor getminor ddi_pathname mutex_owned mutex_owner",
		"mutex_type_adaptive mutex_type_spin rw_read_held rw_write_held rw_iswriter msgsize msgdsize d_path link_ntop",
		"getf json curthread curpsinfo curlwpsinfo curcpu ipl",
		"cwd root zonename projid taskid",
	]
		.join(" ")
		.split(" "),
);

/** D keywords (statements, operators and declarations), none of which the subset has. */
const KEYWORDS = new Set(
	"if else for while do switch case default break continue return goto sizeof offsetof stringof xlate inline typedef translator provider probe counter import".split(
		" ",
	),
);

/** Type names and qualifiers. */
const TYPE_KEYWORDS = new Set(
	"int char short long signed unsigned float double void string struct union enum const volatile static extern register auto restrict int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t intptr_t uintptr_t size_t ssize_t pid_t uid_t gid_t".split(
		" ",
	),
);

export const ASSIGN_OPS = new Set(["+=", "-=", "*=", "/=", "%=", "&=", "^=", "|=", "<<=", ">>="]);
export const BUILTINS: ReadonlySet<string> = new Set(core.BUILTIN_VARIABLES);
export const FUNCTION_NAMES: ReadonlySet<string> = new Set(core.FUNCTIONS);
export const AGG_NAMES: ReadonlySet<string> = new Set(core.AGG_FUNCTIONS);

export const reserved = (name: string) => UNSUPPORTED_NAMES.has(name) || KEYWORDS.has(name) || TYPE_KEYWORDS.has(name);

/** Edit distance between two short words (insertions, deletions, substitutions, swaps). */
function distance(a: string, b: string): number {
	const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
	for (let j = 1; j <= b.length; j++) d[0]![j] = j;
	for (let i = 1; i <= a.length; i++) {
		for (let j = 1; j <= b.length; j++) {
			const cost = a[i - 1] === b[j - 1] ? 0 : 1;
			let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
			if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
			d[i]![j] = v;
		}
	}
	return d[a.length]![b.length]!;
}

/** The known name closest to a misspelt one, if it is close enough to be a likely typo. */
export function suggest(name: string, known: readonly string[]): string | undefined {
	let best: string | undefined;
	let bestDistance = Math.min(2, Math.floor(name.length / 3));
	for (const k of known) {
		const dist = k === name.toLowerCase() ? 0 : distance(name, k);
		if (dist <= bestDistance) {
			best = k;
			bestDistance = dist;
		}
	}
	return best;
}

export const err = (pos: Position, reason: string, tag?: Tag) =>
	tag ? new DSyntaxError(pos, reason, ...tag) : new DSyntaxError(pos, reason);

/** The error for a name that is neither a built-in nor a variable the program assigns. */
export function unknownName(name: string, pos: Position): never {
	identifier(name, pos, true);
}

export function identifier(name: string, pos: Position, unassigned = false): never {
	if (AGG_NAMES.has(name)) {
		throw err(
			pos,
			`aggregating function ${name}() can only be assigned to an aggregation, as in @name[key] = ${name}(...)`,
			TAG.aggregatingFunctionOutside(name),
		);
	}
	if (reserved(name)) throw err(pos, `'${name}' is not supported${UNSUPPORTED_WHY[name] ?? ""}`, TAG.unsupported());
	if (/^arg[0-9]+$/.test(name)) throw err(pos, `'${name}' is not available; the probe arguments are arg0 to arg9`);
	const guess = suggest(name, core.BUILTIN_VARIABLES);
	throw err(
		pos,
		guess
			? `unknown variable '${name}'; did you mean '${guess}'?`
			: `unknown variable '${name}'${unassigned ? ": no clause assigns it" : ""}; use a built-in variable such as pid or execname, or assign it (${name} = ...)`,
		TAG.unknownVariable(name),
	);
}

/** May `name` be a global variable (not a keyword, a type, a D name dtop lacks, argN, ...)? */
export function globalName(name: string): boolean {
	return !reserved(name) && !AGG_NAMES.has(name) && !/^arg[0-9]+$/.test(name) && !FUNCTION_NAMES.has(name);
}
