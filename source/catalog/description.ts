// Probe descriptions `provider:module:function:name` with DTrace's rules:
// fewer than four fields name the rightmost ones (`read:entry` is function
// `read`, name `entry`), empty fields match anything, every field is a glob,
// `$target` is the pid given with -p/-c, and names may be written with `__`
// or `-` (`saw__line` and `saw-line` are the same USDT probe).

import { compileGlob, globProblem } from "./glob.ts";
import { compileModule } from "./module-match.ts";

export interface ProbeDescription {
	provider: string;
	module: string;
	function: string;
	name: string;
}

export class DescriptionError extends Error {
	override readonly name = "DescriptionError";
	/** The part of the description that is wrong. */
	readonly part: string;
	constructor(message: string, part: string) {
		super(message);
		this.part = part;
	}
}

// What DTrace accepts in a probe description, plus `$` for macros.
const FIELD_CHARS = /^[A-Za-z0-9_.\-+*?[\]!^\\$]*$/;

/** Replaces `$target` (and `$pid`, an alias some scripts use) with the target pid. */
export function expandTarget(text: string, target: number | undefined): string {
	return text.replace(/\$(target|pid)\b/g, (m) => {
		if (target === undefined) {
			throw new DescriptionError(`'${m}' needs a process: give one with -p PID or -c 'COMMAND'`, m);
		}
		return String(target);
	});
}

/**
 * Parses a description's text. Throws DescriptionError naming the bad part.
 * (source/d parses descriptions inside clauses; this is the standalone form
 * used by `-l -n` and by `catalog.match("...")`.)
 */
export function parseDescription(text: string, target?: number): ProbeDescription {
	const raw = text.trim();
	if (raw === "")
		throw new DescriptionError("an empty probe description matches nothing; write e.g. 'syscall::read:entry'", raw);
	const expanded = expandTarget(raw, target);
	const fields = expanded.split(":");
	if (fields.length > 4) {
		throw new DescriptionError(
			`'${raw}' has ${fields.length} fields; a probe description has at most four (provider:module:function:name)`,
			raw,
		);
	}
	for (const f of fields) {
		if (!FIELD_CHARS.test(f)) {
			const bad = [...f].find((c) => !FIELD_CHARS.test(c)) ?? f;
			throw new DescriptionError(`'${raw}' contains '${bad}', which cannot appear in a probe description`, bad);
		}
		const dollar = /\$[A-Za-z0-9_]*/.exec(f);
		if (dollar) throw new DescriptionError(`'${raw}' uses the unknown macro '${dollar[0]}'`, dollar[0]);
		const problem = globProblem(f);
		if (problem) throw new DescriptionError(`probe description ${problem}`, f);
	}
	while (fields.length < 4) fields.unshift("");
	return { provider: fields[0], module: fields[1], function: fields[2], name: fields[3] };
}

export function formatDescription(d: ProbeDescription): string {
	return `${d.provider}:${d.module}:${d.function}:${d.name}`;
}

export interface Named {
	provider: string;
	module: string;
	function: string;
	name: string;
}

/** A compiled description: a predicate over probes. */
export function compileDescription(d: ProbeDescription): (p: Named) => boolean {
	const prov = compileGlob(d.provider);
	const mod = compileModule(d.module);
	const fn = compileGlob(d.function);
	const name = compileGlob(d.name);
	// USDT names are shown with `-` for the `__` in the binary; accept both spellings.
	const alt = d.name.includes("__") ? compileGlob(d.name.replaceAll("__", "-")) : undefined;
	return (p) => prov(p.provider) && mod(p.module) && fn(p.function) && (name(p.name) || (alt?.(p.name) ?? false));
}
