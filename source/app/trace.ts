// Tracing modes: -n/-s clauses, -c/-p targets, --demo; batch output when stdout
// is not a terminal (or with -b), the interactive UI otherwise.
import { closeOpenLinks } from "../../kernel/attach/index.ts";
import { Catalog, DescriptionError, ProcessNotFoundError } from "../catalog/index.ts";
import { defaultOptions, type OptionValue, parseProgram, programOptions } from "../d/index.ts";
import { namesListedOnly } from "../providers/index.ts";
import { skippedSummary } from "../session/build.ts";
import { CatalogProbes } from "../session/catalog-source.ts";
import { NoProbesError } from "../session/no-match.ts";
import { Session, SessionError } from "../session/session.ts";
import { escapeForTerminal } from "../util/escape.ts";
import { atExit } from "../util/exit.ts";
import { readLimited, TooLargeError } from "../util/read-limited.ts";
import { demoProgram } from "../util/resources.ts";
import { batchLoop, outputOptions } from "./batch.ts";
import { compileError, formatCompileError, programParts, wantsErrtags } from "./compile-error.ts";
import { maybePreprocess, ProgramCppError, reportCppError } from "./cpp-run.ts";
import { type Flags, UsageError } from "./flags.ts";
import { followMachine } from "./follow.ts";
import { type Io, stdio } from "./io.ts";
import { matchedLine } from "./matched.ts";
import { attachTo, type HoldNeeds, holdTarget, outputFile, stage, startStopped, type Target } from "./process.ts";
import { usdtScope } from "./usdt-scope.ts";
import { zeroHint } from "./zero-hint.ts";

export function demoBinary(): string {
	return demoProgram();
}

/**
 * What the target must be held for. A command dtop started under the
 * interactive UI may get any enabling later: both. Otherwise what the clauses
 * name: probes of user-space providers (in libraries it may load) and stacks
 * (the unwinder's tables of what it maps, and its mappings at exit).
 */
export function holdNeeds(text: string, anything: boolean): HoldNeeds {
	if (anything) return { libraries: true, exit: true };
	const stacks = /\bustack\s*\(/.test(text);
	return {
		// Stacks too: the unwinder must know the objects the command maps after its
		// exec (the target is a shell until then) before the command runs.
		libraries: needsUserProviders(text) || stacks,
		exit: stacks,
	};
}

/** Could any clause name a user-space provider (USDT or pid)? */
function needsUserProviders(text: string): boolean {
	let program: ReturnType<typeof parseProgram>;
	try {
		program = parseProgram(text.replace(/(?<!\$)\$(target|pid|ppid|uid|gid|euid|egid)\b/g, "1"));
	} catch {
		return true;
	}
	return program.clauses.some((c) => c.probes.some((d) => !namesListedOnly(d)));
}

/** A -n argument is a clause; a bare probe description is a clause without a body (DTrace's default action: a line per firing). */
export function clauseText(arg: string): string {
	return arg.trim();
}

/** The D options in force: DTrace's defaults, then -x flags, then the program's pragmas (which win), then -q. */
export function runOptions(flags: Flags, text: string): Map<string, OptionValue> {
	const opts = defaultOptions();
	for (const [name, value] of flags.options) opts.set(name, value);
	try {
		for (const [k, v] of programOptions(
			parseProgram(text.replace(/(?<!\$)\$(target|pid|ppid|uid|gid|euid|egid)\b/g, "1")),
		))
			opts.set(k, v);
	} catch {
		// the session reports what is wrong with the program
	}
	if (flags.quiet) opts.set("quiet", true);
	return opts;
}

/** The largest script -s reads (DTrace scripts are kilobytes; this bounds memory for /dev/zero or a FIFO). */
const SCRIPT_LIMIT = 4 << 20;

export function programText(flags: Flags): string {
	const parts: string[] = [];
	if (flags.script) {
		try {
			parts.push(maybePreprocess(readLimited(flags.script, SCRIPT_LIMIT), flags, flags.script));
		} catch (e) {
			if (e instanceof ProgramCppError) throw e;
			if (e instanceof TooLargeError)
				throw new SessionError(
					`script '${escapeForTerminal(flags.script)}' is larger than ${SCRIPT_LIMIT >> 20} MiB, the most dtop reads; is it the right file?`,
					{ cause: e },
				);
			throw new SessionError(
				`cannot read script '${escapeForTerminal(flags.script)}': ${(e as NodeJS.ErrnoException).code ?? e}.`,
				{ cause: e },
			);
		}
	}
	for (const n of flags.name) parts.push(maybePreprocess(clauseText(n), flags, undefined));
	return parts.join("\n");
}

/** One line for the probes the kernel refused (always: counts must not silently shrink); -v names each. */
function reportSkipped(skipped: ReturnType<Session["skipped"]>, verbose: boolean, io: Io): void {
	const line = skippedSummary(skipped);
	if (!line) return;
	io.err(`dtop: ${escapeForTerminal(line)}${verbose || skipped.length <= 3 ? "" : "; -v lists them"}\n`);
	if (verbose) for (const s of skipped) io.err(`dtop:   skipped ${escapeForTerminal(s.probe)}: ${s.reason}\n`);
}

export async function runTrace(flags: Flags, io: Io = stdio): Promise<number> {
	// The UI needs a terminal on both ends (raw keyboard input, a screen).
	const interactive =
		!flags.batch &&
		!flags.compileOnly &&
		process.stdout.isTTY === true &&
		process.stdin.isTTY === true &&
		!flags.json &&
		!flags.folded &&
		!flags.flamegraph;
	let text: string;
	try {
		text = programText(flags);
	} catch (e) {
		if (e instanceof ProgramCppError) return reportCppError(e, io);
		throw e;
	}
	if (!text.trim() && !interactive && !flags.demo) {
		io.err(
			"dtop: nothing to trace: give a clause with -n or a script with -s (or run on a terminal for the interactive UI).\n",
		);
		return 2;
	}
	let options: Map<string, OptionValue>;
	try {
		options = runOptions(flags, text);
	} catch (e) {
		if (!(e instanceof UsageError)) throw e;
		io.err(`dtop: ${e.message}\n`);
		return 2;
	}
	const quiet = options.get("quiet") === true;
	let target: Target | undefined;
	let catalog: Catalog | undefined;
	let session: Session | undefined;
	let exitCode = 0;
	let unhold = () => {};
	// The -c command's output file under the UI, when it kept anything.
	let kept: string | undefined;
	const cleanup = () => {
		try {
			session?.close();
		} catch {
			// releasing is best effort on the way out; the kernel frees the rest with our fds
		}
		unhold();
		catalog?.close();
		target?.kill();
		kept = target?.output?.finish() ?? kept;
		leaving();
	};
	const leaving = atExit(cleanup);
	try {
		if (flags.demo) {
			target = await startStopped(`${demoBinary()} --loop --with-parent`, "ignore");
			if (!text.trim() && !interactive) text = "simple$target:::saw-line { @[probename] = count(); }";
		} else if (flags.command) target = await startStopped(flags.command, interactive ? outputFile() : "inherit");
		else if (flags.pid !== undefined) target = attachTo(flags.pid);
		// Scanning every process for USDT probes is the slowest part of starting;
		// batch runs whose clauses name only kernel, profile or pid providers skip it.
		stage("target");
		// Clauses that name their processes (`simple$target`) need only those scanned.
		const scope = interactive || flags.demo ? undefined : usdtScope(text, target?.pid);
		catalog = new Catalog({ usdt: scope === undefined });
		for (const pid of scope ?? []) catalog.refreshProcess(pid);
		stage("catalog");
		const probes = new CatalogProbes(catalog, target?.pid);
		const needs = target && holdNeeds(text, interactive && target.watched === true);
		// The -c command's binary and libraries are read for their USDT probes only
		// where a clause could use them (or the UI, where any enabling may come later).
		if (target?.binary && (interactive || needs?.libraries)) probes.planObjects(target.pid, target.binary);
		session = new Session({
			probes,
			target: target?.pid,
			tickMs: flags.aggrate,
			maxProbesPerEnabling: flags.maxProbes,
			bufsize: Number(options.get("bufsize")),
			strsize: Number(options.get("strsize")),
			dynvarsize: Number(options.get("dynvarsize")),
			nspec: Number(options.get("nspec")),
			specsize: Number(options.get("specsize")),
			nodemangle: flags.options.get("nodemangle") === true,
			traceSelf: flags.traceSelf,
			cgroup: flags.cgroup,
		});
		if (target && needs) unhold = holdTarget(session, target, probes, catalog, needs);
		stage("session");
		target?.follow?.(catalog);
		if (interactive) {
			const { runInteractiveSession } = await import("./interactive.ts");
			const output = target?.output;
			const notice = output && `the command's output goes to ${output.path}`;
			const code = await runInteractiveSession({
				session,
				catalog,
				probes,
				flags,
				target,
				initial: text,
				cleanup,
				notice,
			});
			kept = output?.finish() ?? kept;
			if (kept) io.err(`dtop: the output of '${escapeForTerminal(flags.command ?? "")}' is in ${kept}\n`);
			return code;
		}
		if (flags.compileOnly) {
			// -e: compiled and matched; nothing is loaded or traced.
			if (text.trim()) session.check(text, { allowZero: flags.zero, macroArgs: flags.macroArgs });
			cleanup();
			return 0;
		}
		if (text.trim()) {
			const id = session.enable(text, undefined, {
				allowZero: flags.zero,
				macroArgs: flags.macroArgs,
				scriptName: flags.script,
				file: flags.script !== undefined && flags.name.length === 0,
			});
			const view = session.view().enablings.find((e) => e.id === id);
			if (!quiet) io.err(matchedLine({ script: flags.script, descriptions: flags.name }, view?.probes ?? 0));
			reportSkipped(session.skipped(id), flags.verbose, io);
		}
		followMachine(session, catalog);
		stage("enabled");
		target?.resume();
		const switchNs = Number(options.get("switchrate") ?? 0);
		exitCode = await batchLoop(session, flags, io, target, {
			quiet,
			switchMs: switchNs > 0 ? Math.max(1, switchNs / 1e6) : 50,
			rawStrings: process.stdout.isTTY !== true,
			testing: process.env._DTRACE_TESTING !== undefined,
			output: outputOptions(options),
			beforeEnd: () => catalog?.flushEvents(),
		});
	} catch (e) {
		cleanup();
		const d = compileError(e);
		if (d) {
			const parts = programParts(flags.script, flags.name.map(clauseText), text);
			io.err(`dtop: ${formatCompileError(d, parts, wantsErrtags(options.get("errtags"), text))}\n`);
			// -v: dtop's own words too, with the column and its advice.
			if (flags.verbose) io.err(`dtop: ${d.message}\n`);
			else if (d instanceof NoProbesError && d.why) io.err(`dtop: ${d.why}.\n`);
			const hint = e instanceof SessionError ? zeroHint(e.message, flags).trim() : "";
			if (hint) io.err(`dtop: ${hint}\n`);
			return 1;
		}
		if (e instanceof SessionError || e instanceof DescriptionError || e instanceof ProcessNotFoundError) {
			io.err(`dtop: ${e.message}${zeroHint(e.message, flags)}\n`);
			return e instanceof DescriptionError ? 2 : 1;
		}
		throw e;
	}
	await closeOpenLinks();
	cleanup();
	return exitCode;
}
