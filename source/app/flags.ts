// dtop's flags: the help text, the flag table (also the source of the man
// page and the completion) and the parser. FLAGS keeps the
// shape meow uses, but argv is parsed by the small table-driven parser below
// instead of meow: importing meow cost 30–50 ms here (its bundled dependencies
// build SPDX license tables at import time), half of the `-l` budget, and meow
// reports an unknown flag on two lines and a repeated flag with a stack trace,
// where dtop prints one line and exits 2.

import type { CppArg } from "../d/cpp.ts";
import { OptionError, type OptionValue, parseOptionFlag } from "../d/options.ts";
import { NS_PER_UNIT } from "../util/time-units.ts";

export const HELP = `
  Usage
    $ dtop                       interactive: browse probes, toggle enablings, watch aggregations
    $ dtop -n 'CLAUSE' [...]     trace D clauses (batch with -b)
    $ dtop -s FILE               trace the clauses of a D script
    $ dtop -l [-n DESC] [-P PROVIDER] [-m MODULE] [-f FUNCTION] [-p PID | -c 'CMD ARGS'] [-v] [--json]

  Listing
    -l, --list              list probes: ID PROVIDER MODULE FUNCTION NAME
    -P, --provider NAME     probes of a provider (repeatable)
    -m, --module NAME       probes in a module (repeatable)
    -f, --function NAME     probes of a function (repeatable)
    -v, --verbose           with argument information (tracepoint fields, USDT argument specs)

  Tracing
    -n, --name DESC|CLAUSE  probe description or D clause (repeatable)
    -s, --script FILE       D script
    -p, --pid PID           the process $target names
    -c, --command 'CMD'     start CMD; $target is its pid
    -q, --quiet             print only what the clauses print (no heading or per-firing probe line)
    -b, --batch             no interactive UI: print aggregations at the end (and every --interval)
    -d, --duration SECONDS  stop after SECONDS
        --interval TIME     print every TIME in batch mode (e.g. 1s, 500ms)
        --aggrate TIME      how often aggregations are read (default 1s)
        --json              JSON lines instead of tables
        --folded            stacks in folded form (flame graphs)
        --flamegraph FILE   batch mode: also write the stack aggregations as an interactive SVG flame graph
    -x, --option NAME[=VALUE]  a D option (repeatable): quiet, bufsize, strsize, switchrate, aggsort*;
                               nodemangle prints C++ and Rust names mangled
    -Z, --zero              allow descriptions that match no probe yet (they attach when one appears)
    -e, --compile-only      check the program and match its probes, then exit without tracing
        --max-probes N      most probes one enabling may match (default 10000)
        --demo              start the fixture workload and show what dtop does
        --no-color          no colors
        --no-mouse          the interactive UI ignores the mouse (the terminal keeps selecting text)
        --trace-self        trace dtop's own process too (left out of every enabling by default)
        --cgroup PATH       count only processes in cgroup PATH and below (/sys/fs/cgroup/X or /X)

    -h, --help              this text
    -V, --version           dtop's version

  Preprocessor
    -C, --cpp               run the C preprocessor over the program (dtop's own: #define, #if, #include, ...)
    -D, --define NAME[=DEF]  define a macro for -C (repeatable)
    -U, --undef NAME        undefine a macro for -C (repeatable), such as a predefined __linux
    -I, --include-dir DIR   where -C's #include looks after the script's directory (repeatable)
    -H, --cpp-headers       -C: print the name of each file included
    -X, --stdc a|c|s|t      -C: ISO C with __STDC__ (a, c, t: the default) or K&R C without it (s)

  Probe descriptions are provider:module:function:name with globs (* ? [..]);
  fewer fields name the rightmost ones (read:entry is syscall::read:entry).
`;

type FlagType = "boolean" | "string";

interface FlagSpec {
	type: FlagType;
	shortFlag?: string;
	isMultiple?: boolean;
	default?: boolean | string | string[];
	/** Shown in errors: what the value is. */
	valueName?: string;
}

/** Every flag of every mode, defined once (the parser below reads this table). */
export const FLAGS = {
	list: { type: "boolean", shortFlag: "l" },
	name: { type: "string", shortFlag: "n", isMultiple: true, valueName: "a probe description or clause" },
	provider: { type: "string", shortFlag: "P", isMultiple: true, valueName: "a provider name" },
	module: { type: "string", shortFlag: "m", isMultiple: true, valueName: "a module name" },
	function: { type: "string", shortFlag: "f", isMultiple: true, valueName: "a function name" },
	verbose: { type: "boolean", shortFlag: "v" },
	pid: { type: "string", shortFlag: "p", valueName: "a process id" },
	command: { type: "string", shortFlag: "c", valueName: "a command" },
	script: { type: "string", shortFlag: "s", valueName: "a file name" },
	quiet: { type: "boolean", shortFlag: "q" },
	batch: { type: "boolean", shortFlag: "b" },
	duration: { type: "string", shortFlag: "d", valueName: "a number of seconds" },
	interval: { type: "string", valueName: "a time like 1s or 500ms" },
	aggrate: { type: "string", valueName: "a time like 1s or 500ms" },
	json: { type: "boolean" },
	folded: { type: "boolean" },
	flamegraph: { type: "string", valueName: "a file name (FILE.svg)" },
	demo: { type: "boolean" },
	"trace-self": { type: "boolean" },
	cgroup: { type: "string", valueName: "a cgroup path" },
	zero: { type: "boolean", shortFlag: "Z" },
	"compile-only": { type: "boolean", shortFlag: "e" },
	cpp: { type: "boolean", shortFlag: "C" },
	define: { type: "string", shortFlag: "D", isMultiple: true, valueName: "a macro NAME[=DEFINITION]" },
	undef: { type: "string", shortFlag: "U", isMultiple: true, valueName: "a macro name" },
	"include-dir": { type: "string", shortFlag: "I", isMultiple: true, valueName: "a directory" },
	"cpp-headers": { type: "boolean", shortFlag: "H" },
	stdc: { type: "string", shortFlag: "X", valueName: "a, c, s or t" },
	option: { type: "string", shortFlag: "x", isMultiple: true, valueName: "an option NAME[=VALUE]" },
	"max-probes": { type: "string", valueName: "a number of probes" },
	color: { type: "boolean", default: true },
	mouse: { type: "boolean", default: true },
	help: { type: "boolean", shortFlag: "h" },
	version: { type: "boolean", shortFlag: "V" },
} as const satisfies Record<string, FlagSpec>;

export interface Flags {
	list: boolean;
	name: string[];
	provider: string[];
	module: string[];
	function: string[];
	verbose: boolean;
	pid: number | undefined;
	command: string | undefined;
	script: string | undefined;
	/** The arguments after the program: $1, $2, ... ($$1 as a string). */
	macroArgs: string[];
	quiet: boolean;
	batch: boolean;
	/** Seconds. */
	duration: number | undefined;
	/** Milliseconds. */
	interval: number | undefined;
	/** Milliseconds. */
	aggrate: number | undefined;
	json: boolean;
	folded: boolean;
	/** Batch mode: write an SVG flame graph of the stack aggregations here at the end. */
	flamegraph: string | undefined;
	demo: boolean;
	/** `--trace-self`: dtop's own process is not left out of the enablings. */
	traceSelf: boolean;
	/** `--cgroup PATH`: every enabling limited to that cgroup subtree. */
	cgroup: string | undefined;
	zero: boolean;
	/** -e: check and match, do not trace. */
	compileOnly: boolean;
	/** -C (or -x cpp): preprocess the program; cppArgs are -D/-U/-I (and -x define/undef/incdir) in order. */
	cpp: boolean;
	cppArgs: CppArg[];
	/** -H (or -x cpphdrs). */
	cppHeaders: boolean;
	/** -X (or -x stdc). */
	stdc: string | undefined;
	/** `-x NAME[=VALUE]` options, by name (the last one given wins). */
	options: Map<string, OptionValue>;
	/** Most probes one enabling may match. */
	maxProbes: number | undefined;
	color: boolean;
	/** Mouse reporting in the interactive UI (--no-mouse turns it off). */
	mouse: boolean;
	help: boolean;
	version: boolean;
}

/** Wrong command-line usage: printed as one line, exit status 2 (1 for an option that could not be set, as dtrace's dfatal). */
export class UsageError extends Error {
	override readonly name = "UsageError";
	constructor(
		message: string,
		readonly status = 2,
	) {
		super(message);
	}
}

const SPECS = FLAGS as Record<string, FlagSpec>;
const BY_SHORT = new Map(Object.entries(SPECS).flatMap(([k, s]) => (s.shortFlag ? [[s.shortFlag, k] as const] : [])));

function show(s: string): string {
	return JSON.stringify(s).slice(1, -1);
}

type Value = string | string[] | boolean;

/** Parses argv against FLAGS: `-lv`, `-nDESC`, `-n DESC`, `--name=DESC`, `--name DESC`, `--no-color`, `--`. */
export function tokenize(argv: readonly string[]): Record<string, Value> {
	const out: Record<string, Value> = {};
	const seen = new Set<string>();
	const macroArgs: string[] = [];
	const setString = (key: string, shown: string, value: string | undefined) => {
		const spec = SPECS[key];
		if (value === undefined) throw new UsageError(`${shown} needs ${spec.valueName ?? "a value"}`);
		if (spec.isMultiple) {
			const list = (out[key] as string[] | undefined) ?? [];
			list.push(value);
			out[key] = list;
			// The preprocessor's arguments keep their order across -D, -U, -I and -x.
			const order = (out.order as string[] | undefined) ?? [];
			order.push(`${key}=${value}`);
			out.order = order;
			return;
		}
		if (seen.has(key)) throw new UsageError(`${shown} can be given only once`);
		seen.add(key);
		out[key] = value;
	};
	const setBoolean = (key: string, shown: string, value: boolean) => {
		if (seen.has(key)) throw new UsageError(`${shown} can be given only once`);
		seen.add(key);
		out[key] = value;
	};
	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		if (a === "--") {
			// Everything after -- is a macro argument ($1, $2, ...), as after dtrace's options.
			macroArgs.push(...argv.slice(i + 1));
			break;
		}
		if (a.startsWith("--")) {
			const eq = a.indexOf("=");
			const long = eq < 0 ? a.slice(2) : a.slice(2, eq);
			let key = long;
			let negated = false;
			if (!Object.hasOwn(SPECS, key) && key.startsWith("no-") && SPECS[key.slice(3)]?.type === "boolean") {
				key = key.slice(3);
				negated = true;
			}
			const spec = Object.hasOwn(SPECS, key) ? SPECS[key] : undefined;
			if (!spec || long.length === 0) throw new UsageError(`unknown option '${show(eq < 0 ? a : a.slice(0, eq))}'`);
			if (spec.type === "boolean") {
				if (eq >= 0) throw new UsageError(`--${long} takes no value`);
				setBoolean(key, `--${long}`, !negated);
			} else if (eq >= 0) setString(key, `--${long}`, a.slice(eq + 1));
			else setString(key, `--${long}`, argv[++i]);
			continue;
		}
		if (a.startsWith("-") && a.length > 1) {
			for (let j = 1; j < a.length; j++) {
				const c = a[j];
				const key = BY_SHORT.get(c);
				if (!key) throw new UsageError(`unknown option '-${show(c)}'`);
				if (SPECS[key].type === "boolean") {
					setBoolean(key, `-${c}`, true);
					continue;
				}
				const rest = a.slice(j + 1);
				setString(key, `-${c}`, rest.length > 0 ? rest : argv[++i]);
				break;
			}
			continue;
		}
		macroArgs.push(a);
	}
	if (macroArgs.length) {
		// The arguments after the program are its macro arguments ($1, $2, ... and $$1 as strings).
		if (out.script === undefined && out.name === undefined)
			throw new UsageError(`unexpected argument '${show(macroArgs[0]!)}'; probe descriptions and clauses go after -n`);
		out.macroArgs = macroArgs;
	}
	return out;
}

/** Seconds or DTrace-style times (`500ms`, `1s`, `2hz`) → milliseconds. */

export function parseTime(text: string, what: string): number {
	// DTrace's suffixes (dt_options.c's time units): ns..day, and hz.
	const m = /^(\d+(?:\.\d+)?)(ns|nsec|us|usec|ms|msec|s|sec|m|min|h|hour|d|day|hz)?$/.exec(text.trim());
	if (!m) throw new UsageError(`${what} '${show(text)}' is not a time; write e.g. 1s, 500ms or 2hz`);
	const n = Number(m[1]);
	const unit = m[2] ?? "s";
	const ms = unit === "hz" ? 1000 / n : (n * NS_PER_UNIT[unit]) / 1e6;
	if (!Number.isFinite(ms) || ms <= 0) throw new UsageError(`${what} '${show(text)}' must be more than zero`);
	return ms;
}

function maxProbes(text: string | undefined): number | undefined {
	if (text === undefined) return undefined;
	if (!/^\d{1,7}$/.test(text) || Number(text) < 1)
		throw new UsageError(`--max-probes needs a positive number, not '${show(text)}'`);
	return Number(text);
}

/** The -x options dtop acts on so far; DTrace's others are refused rather than ignored. */
const X_OPTIONS = new Set([
	"errtags",
	"nodemangle",
	"quiet",
	"bufsize",
	"strsize",
	"dynvarsize",
	"nspec",
	"specsize",
	"switchrate",
	"aggsortkey",
	"aggsortrev",
	"aggsortpos",
	"aggsortkeypos",
	"agghist",
	"aggpack",
	"aggzoom",
	"stackindent",
	"cpp",
	"cpphdrs",
	"define",
	"undef",
	"incdir",
	"stdc",
	"version",
]);

function xOptions(given: readonly string[]): Map<string, OptionValue> {
	const out = new Map<string, OptionValue>();
	for (const text of given) {
		let o: { name: string; value: OptionValue };
		try {
			o = parseOptionFlag(text);
		} catch (e) {
			if (e instanceof OptionError) throw new UsageError(e.message, 1);
			throw e;
		}
		if (!X_OPTIONS.has(o.name))
			throw new UsageError(
				`-x ${show(o.name)} is not supported by dtop yet (supported: ${[...X_OPTIONS].join(", ")})`,
				1,
			);
		out.set(o.name, o.value);
	}
	return out;
}

/** -C, -D, -U, -I, -H, -X and their -x forms (cpp, define, undef, incdir, cpphdrs, stdc). */
function cppFlags(
	f: Record<string, Value>,
	options: Map<string, OptionValue>,
	stdcFlag: string | undefined,
): Pick<Flags, "cpp" | "cppArgs" | "cppHeaders" | "stdc"> {
	const ops: Record<string, CppArg["op"]> = { define: "D", undef: "U", "include-dir": "I", incdir: "I" };
	const cppArgs: CppArg[] = [];
	for (const item of (f.order as string[] | undefined) ?? []) {
		const eq = item.indexOf("=");
		let key = item.slice(0, eq);
		let value = item.slice(eq + 1);
		if (key === "option") {
			// -x define=NAME=DEF: the option's name, then its value.
			const e2 = value.indexOf("=");
			if (e2 < 0) continue;
			key = value.slice(0, e2);
			value = value.slice(e2 + 1);
		}
		const op = ops[key];
		if (!op) continue;
		if (value === "") throw new UsageError(`-${op} needs ${op === "I" ? "a directory" : "a macro name"}`);
		cppArgs.push({ op, value });
	}
	if (stdcFlag !== undefined && !["a", "c", "s", "t"].includes(stdcFlag))
		throw new UsageError(`failed to set -X ${show(stdcFlag)}: Invalid value for specified option`, 1);
	const stdc = stdcFlag ?? (options.get("stdc") as string | undefined);
	return {
		cpp: f.cpp === true || options.get("cpp") === true,
		cppArgs,
		cppHeaders: f["cpp-headers"] === true || options.get("cpphdrs") === true,
		stdc,
	};
}

function flamegraphFile(text: string | undefined): string | undefined {
	if (text === undefined) return undefined;
	if (text.trim() === "") throw new UsageError("--flamegraph needs a file name");
	return text;
}

/** Parses and validates argv into Flags; throws UsageError. */
export function parseFlags(argv: readonly string[]): Flags {
	const f = tokenize(argv);
	const str = (k: string) => (typeof f[k] === "string" ? (f[k] as string) : undefined);
	const list = (k: string) => (Array.isArray(f[k]) ? (f[k] as unknown[]).map(String) : []);
	let pid: number | undefined;
	const pidText = str("pid");
	if (pidText !== undefined) {
		if (!/^\d{1,10}$/.test(pidText) || Number(pidText) < 1 || Number(pidText) > 0x3fffffff) {
			throw new UsageError(`-p needs a process id, not '${show(pidText)}'`);
		}
		pid = Number(pidText);
	}
	const command = str("command");
	if (command !== undefined && command.trim() === "") throw new UsageError("-c needs a command to run");
	if (pid !== undefined && command !== undefined) throw new UsageError("-p and -c cannot be used together");
	let duration: number | undefined;
	const d = str("duration");
	if (d !== undefined) {
		if (!/^\d+(\.\d+)?$/.test(d) || Number(d) <= 0)
			throw new UsageError(`-d needs a number of seconds, not '${show(d)}'`);
		duration = Number(d);
	}
	const interval = str("interval");
	const aggrate = str("aggrate");
	const options = xOptions(list("option"));
	const cpp = cppFlags(f, options, str("stdc"));
	return {
		list: f.list === true,
		name: list("name"),
		provider: list("provider"),
		module: list("module"),
		function: list("function"),
		verbose: f.verbose === true,
		pid,
		command,
		script: str("script"),
		macroArgs: (f.macroArgs as string[] | undefined) ?? [],
		quiet: f.quiet === true,
		batch: f.batch === true,
		duration,
		interval: interval === undefined ? undefined : parseTime(interval, "--interval"),
		aggrate: aggrate === undefined ? undefined : parseTime(aggrate, "--aggrate"),
		json: f.json === true,
		folded: f.folded === true,
		flamegraph: flamegraphFile(str("flamegraph")),
		demo: f.demo === true,
		traceSelf: f["trace-self"] === true,
		cgroup: str("cgroup"),
		zero: f.zero === true,
		options,
		compileOnly: f["compile-only"] === true,
		...cpp,
		maxProbes: maxProbes(str("max-probes")),
		color: f.color !== false,
		mouse: f.mouse !== false,
		help: f.help === true,
		version: f.version === true,
	};
}
