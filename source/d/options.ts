// D's options (`#pragma D option NAME[=VALUE]` and `-x NAME[=VALUE]`): names, kinds,
// units and defaults as DTrace for Linux has them (libdtrace/dt_options.c, dt_open.c,
// cmd/dtrace.c), parsed by DTrace's rules: sizes take k/m/g/t suffixes, times take
// ns/us/ms/s/m/h/d (or hz, a rate), booleans take yes/no/on/off/true/false/set/unset/
// enable(d)/disable(d) or a number.

import { NS_PER_UNIT } from "../util/time-units.ts";
import { DSyntaxError, type Position } from "./errors.ts";
import type { Program } from "./syntax.ts";

export type OptionKind =
	/** A compile-time flag: given without a value. */
	| "flag"
	/** On/off, or a non-negative number (DTrace's runtime options). */
	| "bool"
	/** A non-negative count (frames, speculations, ...). */
	| "count"
	/** Bytes, with an optional k/m/g/t suffix. */
	| "size"
	/** Nanoseconds, with a unit suffix or a rate in hz. */
	| "time"
	/** One of a few words. */
	| "enum"
	/** Any text (a macro definition, a directory); a value is required. */
	| "text";

export type OptionValue = boolean | number | string;

export interface OptionSpec {
	name: string;
	kind: OptionKind;
	/** DTrace's default (what dtrace(1) runs with); undefined when unset. */
	default?: OptionValue;
	/** The words an enum option takes. */
	values?: readonly string[];
	/** Smallest value accepted (strsize must hold at least one character and its NUL). */
	min?: number;
	/** What the option does, in a few words. */
	what: string;
	/** Options that only make sense for DTrace's own compiler or kernel module. */
	notForDtop?: boolean;
	/** Settable only before compiling (-x, the flags), never by a program's pragma (DTrace's EDT_BADOPTCTX). */
	commandLineOnly?: boolean;
	/** A further check of a text value: why it is refused, in DTrace's words. */
	check?: (value: string) => string | undefined;
}

/** Options DTrace takes only before compiling (dt_options.c's EDT_BADOPTCTX). */
const CONTEXT_ONLY = new Set(["cppargs", "cpppath", "ctfpath", "ldpath", "lockmem", "modpath", "procfspath"]);

/** D's versions (dt_version.h); dtop implements 2.0's language. */
const VERSIONS = ["1.0", "1.1", "1.2", "1.2.1", "1.2.2", "1.3", "1.4", "1.4.1", "1.5", "1.6", "1.6.1", "1.6.2"].concat([
	"1.6.3",
	"1.6.4",
	"2.0",
	"2.0.1",
]);

function versionProblem(v: string): string | undefined {
	const m = /^(\d{1,3})\.(\d{1,4})(?:\.(\d{1,4}))?$/.exec(v);
	if (!m || Number(m[1]) > 255 || Number(m[2]) > 4095 || Number(m[3] ?? 0) > 4095)
		return "Version is not properly formatted or is too large";
	const canonical = `${Number(m[1])}.${Number(m[2])}${m[3] && Number(m[3]) > 0 ? `.${Number(m[3])}` : ""}`;
	if (!VERSIONS.includes(canonical)) return "Requested version is not supported by compiler";
	// An older version hides what later ones added; dtop does not track that, so it refuses rather than ignore it.
	if (Number(m[1]) < 2) return "dtop implements D 2.0 and cannot restrict a program to an older version";
	return undefined;
}

const K = 1024;
const M = K * K;

const SPECS: OptionSpec[] = [
	{ name: "aggpercpu", kind: "flag", what: "aggregate per CPU" },
	{ name: "aggrate", kind: "time", default: 0, what: "how often aggregations are read (0: DTrace's default)" },
	{ name: "aggsize", kind: "size", default: 4 * M, what: "aggregation buffer size" },
	{ name: "aggsortkey", kind: "bool", what: "sort aggregations by key" },
	{ name: "aggsortkeypos", kind: "count", what: "which key to sort aggregations by" },
	{ name: "aggsortpos", kind: "count", what: "which aggregation to sort printa() by" },
	{ name: "aggsortrev", kind: "bool", what: "reverse the aggregation sort" },
	// illumos' aggregation display options (not in DTrace for Linux).
	{ name: "aggpack", kind: "bool", what: "print histograms packed on one line" },
	{ name: "agghist", kind: "bool", what: "print aggregations as histograms" },
	{ name: "aggzoom", kind: "bool", what: "scale histograms to the largest bucket" },
	{ name: "argref", kind: "flag", what: "allow unreferenced macro arguments" },
	{ name: "bpflog", kind: "bool", what: "print the BPF verifier log" },
	{ name: "bpflogsize", kind: "size", what: "size of the BPF verifier log" },
	{ name: "bufpolicy", kind: "enum", values: ["ring", "fill", "switch"], default: "switch", what: "buffer policy" },
	{ name: "bufresize", kind: "enum", values: ["auto", "manual"], default: "auto", what: "buffer resizing policy" },
	{ name: "bufsize", kind: "size", default: 4 * M, what: "per-CPU output buffer size" },
	{ name: "cleanrate", kind: "time", what: "how often dynamic variables are cleaned" },
	{ name: "cpu", kind: "count", what: "trace only this CPU" },
	{ name: "cpp", kind: "flag", what: "run the C preprocessor over the program (-C)" },
	{ name: "cpphdrs", kind: "flag", commandLineOnly: true, what: "print the names of included files (-H)" },
	{ name: "define", kind: "text", commandLineOnly: true, what: "define a preprocessor macro (-D)" },
	{ name: "undef", kind: "text", commandLineOnly: true, what: "undefine a preprocessor macro (-U)" },
	{ name: "incdir", kind: "text", commandLineOnly: true, what: "a directory #include searches (-I)" },
	{
		name: "stdc",
		kind: "enum",
		values: ["a", "c", "s", "t"],
		commandLineOnly: true,
		what: "the preprocessor's C mode (-X)",
	},
	{ name: "version", kind: "text", check: versionProblem, what: "the D version the program is written for" },
	{ name: "defaultargs", kind: "flag", what: 'macro arguments not given are 0 or ""' },
	{ name: "destructive", kind: "bool", what: "allow destructive actions" },
	{ name: "dynvarsize", kind: "size", default: 1 * M, what: "dynamic variable space" },
	{ name: "empty", kind: "flag", what: "allow an empty program" },
	{ name: "errtags", kind: "flag", what: "prefix errors with their tags" },
	{ name: "flowindent", kind: "bool", what: "indent function entry and return" },
	{ name: "grabanon", kind: "bool", what: "grab the anonymous state", notForDtop: true },
	{ name: "jstackframes", kind: "count", what: "frames in jstack()" },
	{ name: "jstackstrsize", kind: "size", what: "string space of jstack()" },
	{ name: "maxframes", kind: "count", what: "most stack frames (the kernel's perf_event_max_stack)" },
	{ name: "noresolve", kind: "bool", what: "do not resolve addresses to symbols" },
	{ name: "nodemangle", kind: "bool", what: "print C++ and Rust names mangled, as the binary holds them" },
	{ name: "nspec", kind: "count", default: 1, what: "number of speculation buffers" },
	{ name: "pspec", kind: "flag", what: "read every outer word as a probe description" },
	{ name: "quiet", kind: "bool", what: "print only what the program prints" },
	{ name: "quietresize", kind: "bool", what: "do not report buffer resizing" },
	{ name: "rawbytes", kind: "bool", what: "print trace()d data as raw bytes" },
	{ name: "specsize", kind: "size", default: 4 * M, what: "speculation buffer size" },
	{ name: "stackframes", kind: "count", default: 20, what: "frames in stack()" },
	{ name: "stackindent", kind: "count", what: "indentation of stack() output" },
	{ name: "statusrate", kind: "time", default: 1_000_000_000, what: "how often status is checked" },
	{ name: "strsize", kind: "size", default: 256, min: 2, what: "string size" },
	{ name: "switchrate", kind: "time", default: 0, what: "how often output buffers are read (0: DTrace's default)" },
	{ name: "ustackframes", kind: "count", default: 100, what: "frames in ustack()" },
	{ name: "zdefs", kind: "flag", what: "allow descriptions that match no probes" },
	// DTrace's own compiler, linker and kernel module: nothing in dtop for them to set.
	...["core", "cpppath", "cppargs", "ctfpath", "ctypes", "debug", "disasm", "droptags"]
		.concat(["dtypes", "evaltime", "iregs", "kdefs", "knodefs", "late", "lazyload", "ldpath", "libdir"])
		.concat(["linkmode", "linktype", "linknommap", "lockmem", "modpath", "nolibs", "pcapsize", "pgmax"])
		.concat(["preallocate", "procfspath", "scratchsize", "strip", "syslibdir", "sysslice", "tree"])
		.concat(["tregs", "udefs", "unodefs", "useruid", "verbose", "dofstashpath", "amin"])
		.concat(["debugassert", "printsize"])
		.map(
			(name): OptionSpec => ({
				name,
				kind: "flag",
				what: "DTrace's compiler and kernel",
				notForDtop: true,
				commandLineOnly: CONTEXT_ONLY.has(name),
			}),
		),
];

/** Every D option by name. */
export const OPTIONS: ReadonlyMap<string, OptionSpec> = new Map(SPECS.map((s) => [s.name, s]));

/** Why an option could not be set, in DTrace's words (its dtrace_errmsg texts). */
export class OptionError extends Error {
	override readonly name = "OptionError";
	constructor(
		readonly option: string,
		readonly value: string | undefined,
		readonly why: string,
	) {
		super(why);
	}
}

const BOOLEANS: Record<string, boolean> = {
	yes: true,
	no: false,
	enable: true,
	disable: false,
	enabled: true,
	disabled: false,
	true: true,
	false: false,
	on: true,
	off: false,
	set: true,
	unset: false,
};

/** strtoull(s, &end, 0): the number at the start of s (C's base prefixes) and what follows. */
function leadingNumber(s: string): [number, string] | undefined {
	const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(.*)$/s.exec(s);
	if (!m) return undefined;
	const digits = m[1]!;
	const v =
		digits.length > 1 && digits[0] === "0" && !/^0[xX]/.test(digits) ? Number.parseInt(digits, 8) : Number(digits);
	if (!Number.isSafeInteger(v)) return undefined;
	return [v, m[2]!];
}

const BAD_VALUE = "Invalid value for specified option";

/** The value of option `name` given as `value` (undefined: given without a value). */
export function parseOptionValue(name: string, value: string | undefined): OptionValue {
	const spec = OPTIONS.get(name);
	if (!spec) throw new OptionError(name, value, "Invalid option name");
	if (spec.notForDtop) throw new OptionError(name, value, "Option is not supported by dtop");
	const bad = () => new OptionError(name, value, BAD_VALUE);
	switch (spec.kind) {
		case "flag":
			if (value !== undefined) throw bad();
			return true;
		case "bool":
		case "count": {
			if (value === undefined) return spec.kind === "bool" ? true : 0;
			if (value === "") return false;
			const word = BOOLEANS[value.toLowerCase()];
			if (word !== undefined) return spec.kind === "bool" ? word : word ? 1 : 0;
			const n = leadingNumber(value);
			if (n?.[1] !== "") throw bad();
			return spec.kind === "bool" ? n[0] !== 0 : n[0];
		}
		case "size": {
			if (value === undefined) return 0;
			const suffix = /[kmgtKMGT]$/.exec(value)?.[0];
			const mul = suffix ? 1024 ** ("kmgt".indexOf(suffix.toLowerCase()) + 1) : 1;
			const n = leadingNumber(suffix ? value.slice(0, -1) : value);
			if (n?.[1] !== "") throw bad();
			const v = n[0] * mul;
			if (!Number.isSafeInteger(v) || (spec.min !== undefined && v < spec.min)) throw bad();
			return v;
		}
		case "time": {
			if (value === undefined) return 0;
			const n = leadingNumber(value);
			if (!n) throw bad();
			const unit = n[1].toLowerCase();
			if (unit === "hz") return n[0] === 0 ? 0 : Math.floor(1e9 / n[0]);
			if (unit === "") return n[0];
			const mul = NS_PER_UNIT[unit];
			if (mul === undefined) throw bad();
			return n[0] * mul;
		}
		case "enum":
			if (value === undefined || !spec.values!.includes(value)) throw bad();
			return value;
		case "text": {
			if (value === undefined) throw bad();
			const why = spec.check?.(value);
			if (why) throw new OptionError(name, value, why);
			return value;
		}
	}
}

/** Split `NAME[=VALUE]`. */
export function splitOption(text: string): [string, string | undefined] {
	const eq = text.indexOf("=");
	return eq < 0 ? [text, undefined] : [text.slice(0, eq), text.slice(eq + 1)];
}

/** Check `#pragma D option NAME[=VALUE]` (DTrace sets it as soon as it reads the line). */
export function validatePragmaOption(text: string, pos: Position): void {
	const [name, value] = splitOption(text);
	try {
		if (OPTIONS.get(name)?.commandLineOnly)
			throw new OptionError(name, value, "Option cannot be used from within a D program");
		parseOptionValue(name, value);
	} catch (e) {
		if (!(e instanceof OptionError)) throw e;
		const what = value === undefined ? `'${name}'` : `'${name}' to '${value}'`;
		throw new DSyntaxError(pos, `failed to set option ${what}: ${e.why}`, "D_PRAGMA_OPTSET", { cause: e });
	}
}

/** The option a `-x NAME[=VALUE]` flag sets; errors read as dtrace(1)'s. */
export function parseOptionFlag(text: string): { name: string; value: OptionValue } {
	const [name, value] = splitOption(text);
	try {
		return { name, value: parseOptionValue(name, value) };
	} catch (e) {
		if (!(e instanceof OptionError)) throw e;
		throw new OptionError(name, value, `failed to set -x ${name}: ${e.why}`);
	}
}

/** The options a program's pragmas set, in source order (a later pragma wins). */
export function programOptions(program: Program): Map<string, OptionValue> {
	const out = new Map<string, OptionValue>();
	for (const p of program.pragmas) {
		if (p.name !== "option") continue;
		const [name, value] = splitOption(p.words[0]!);
		out.set(name, parseOptionValue(name, value));
	}
	return out;
}

/** Every option's DTrace default, for the options that have one. */
export function defaultOptions(): Map<string, OptionValue> {
	const out = new Map<string, OptionValue>();
	for (const s of SPECS) if (s.default !== undefined) out.set(s.name, s.default);
	return out;
}
