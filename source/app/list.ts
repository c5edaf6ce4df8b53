// `dtop -l`: the probe catalog as a table (`ID PROVIDER MODULE FUNCTION NAME`,
// aligned like `dtrace -l`), as JSON lines, or with argument information (-v).

import { readFileSync } from "node:fs";
import { probeFeature } from "../../kernel/bpf/index.ts";
import { demanglerFor } from "../../kernel/elf/demangle.ts";
import { NotSupportedError } from "../../kernel/sys/index.ts";
import {
	Catalog,
	compileGlob,
	DescriptionError,
	type Probe,
	type ProbeDescription,
	ProcessNotFoundError,
	readStat,
} from "../catalog/index.ts";
import { DError } from "../d/errors.ts";
import { expandMacros, parseProbeDescription } from "../d/probe.ts";
import { kindOf } from "../providers/index.ts";
import { Holds } from "../session/holds.ts";
import { escapeForTerminal, jsonStringify } from "../util/escape.ts";
import type { Flags } from "./flags.ts";
import { type Io, stdio } from "./io.ts";
import { resolveCommand } from "./process.ts";

export type ListOptions = Pick<
	Flags,
	"name" | "provider" | "module" | "function" | "pid" | "command" | "verbose" | "json"
> & { options?: Flags["options"] };

/** A failure with its exit status; the message is printed as `dtop: MESSAGE`. */
class ListFailure extends Error {
	readonly status: number;
	constructor(message: string, status: number) {
		super(message);
		this.status = status;
	}
}

interface Wanted {
	text: string;
	desc: ProbeDescription;
}

/** Parses -n/-P/-m/-f into descriptions (syntax errors are usage errors: status 2). */
function descriptions(o: ListOptions, target: number | undefined): Wanted[] {
	const out: Wanted[] = [];
	const field = (flag: string, v: string): string => {
		if (v.includes(":")) throw new ListFailure(`${flag} takes one field, not '${escapeForTerminal(v)}'`, 2);
		return v;
	};
	const parse = (text: string): ProbeDescription => {
		try {
			const expanded = expandMacros(text, target === undefined ? {} : { target });
			const d = parseProbeDescription(expanded);
			return { provider: d.provider, module: d.module, function: d.function, name: d.name };
		} catch (e) {
			if (e instanceof DError) {
				const hint = /\$target/.test(text) && target === undefined ? " (give the process with -p PID or -c 'CMD')" : "";
				throw new ListFailure(`invalid probe description '${escapeForTerminal(text)}': ${e.reason}${hint}`, 2);
			}
			throw e;
		}
	};
	for (const n of o.name) out.push({ text: n, desc: parse(n) });
	for (const p of o.provider) out.push({ text: p, desc: parse(`${field("-P", p)}:::`) });
	for (const m of o.module) out.push({ text: m, desc: parse(`:${field("-m", m)}::`) });
	for (const f of o.function) out.push({ text: f, desc: parse(`::${field("-f", f)}:`) });
	return out;
}

/** Checks that a pid names a live process whose maps dtop can read. */
function checkProcess(pid: number): void {
	if (!readStat(pid)) throw new ListFailure(`process ${pid} does not exist (or has exited)`, 1);
	try {
		readFileSync(`/proc/${pid}/maps`, "latin1");
	} catch (e) {
		const code = (e as NodeJS.ErrnoException).code;
		if (code === "ENOENT" || code === "ESRCH") throw new ListFailure(`process ${pid} has exited`, 1);
		// Root is refused too where the process is out of reach (another namespace, a lockdown policy).
		const hint = process.geteuid?.() === 0 ? "" : "; run dtop as root";
		throw new ListFailure(`cannot read the memory map of process ${pid} (${code})${hint}`, 1);
	}
}

/** Where `-l` remembers parsed objects: $DTOP_CACHE_DIR, else $XDG_CACHE_HOME/dtop, else ~/.cache/dtop; "" for none. */
export function defaultObjectIndex(): string | undefined {
	const env = process.env;
	if (env.DTOP_CACHE_DIR === "") return undefined;
	const dir =
		env.DTOP_CACHE_DIR ??
		(env.XDG_CACHE_HOME ? `${env.XDG_CACHE_HOME}/dtop` : env.HOME ? `${env.HOME}/.cache/dtop` : undefined);
	return dir ? `${dir}/objects-v1.json` : undefined;
}

function sleep(ms: number): Promise<void> {
	return new Promise((r) => setTimeout(r, ms));
}

/**
 * Starts `sh -c 'kill -STOP $$; exec CMD'`, lets it exec, and stops it again
 * once its loader has mapped the libraries: held by a uprobe at the
 * executable's entry point (so a command that exits at once is still there to
 * list), or, where that cannot be placed (a script, an unreadable file), when
 * its maps stay unchanged for a few polls. Returns the pid; the caller kills it.
 */
async function startCommand(command: string): Promise<{ pid: number; kill: () => void }> {
	const child = process
		.getBuiltinModule("node:child_process")
		.spawn("/bin/sh", ["-c", `kill -STOP $$; exec ${command}`], { stdio: ["ignore", "ignore", "ignore"] });
	const pid = child.pid;
	if (pid === undefined) throw new ListFailure(`cannot start '${escapeForTerminal(command)}'`, 1);
	let exited = false;
	child.on("exit", () => {
		exited = true;
	});
	const kill = () => {
		if (!exited) child.kill("SIGKILL");
	};
	const state = () => readStat(pid)?.state;
	const maps = () => {
		try {
			return readFileSync(`/proc/${pid}/maps`, "latin1");
		} catch {
			return undefined;
		}
	};
	try {
		for (let i = 0; state() !== "T"; i++) {
			if (exited || i > 2000) throw new ListFailure(`'${escapeForTerminal(command)}' did not start`, 1);
			await sleep(1);
		}
		if (await heldAtEntry(pid, command, () => exited)) return { pid, kill };
		const shellMaps = maps();
		process.kill(pid, "SIGCONT");
		let last = shellMaps;
		let stable = 0;
		for (let i = 0; i < 1000; i++) {
			await sleep(2);
			if (exited) break;
			const now = maps();
			if (now === undefined) break;
			if (now !== shellMaps && now === last) stable++;
			else stable = 0;
			last = now;
			if (stable >= 3) break;
		}
		if (!exited) process.kill(pid, "SIGSTOP");
		if (exited || readStat(pid)?.state === "Z") {
			throw new ListFailure(`'${escapeForTerminal(command)}' exited before its probes could be listed`, 1);
		}
		return { pid, kill };
	} catch (e) {
		kill();
		throw e;
	}
}

/** Resume the stopped shell `pid` and let it exec `command` up to the entry point; true once it is stopped there. */
async function heldAtEntry(pid: number, command: string, exited: () => boolean): Promise<boolean> {
	const binary = resolveCommand(command.trim().split(/\s+/)[0] ?? "");
	if (!binary) return false;
	const holds = new Holds(() => ({ uprobeMulti: probeFeature("uprobeMulti").supported }));
	try {
		if (!holds.placeAtEntry(pid, binary)) return false;
		process.kill(pid, "SIGCONT");
		for (let i = 0; i < 2500 && !exited(); i++) {
			if (holds.stops() > 0 && readStat(pid)?.state === "T") return true;
			await sleep(2);
		}
		// It exited, or ran something else (a shell function, an alias): no hold.
		return false;
	} finally {
		holds.close();
	}
}

const SPACES = " ".repeat(256);

function pad(s: string, width: number): string {
	const n = width - s.length;
	if (n <= 0) return s;
	return (n <= SPACES.length ? SPACES.slice(0, n) : " ".repeat(n)) + s;
}

/** Rows aligned like `dtrace -l` (right-aligned columns of at least DTrace's widths, wider when needed). */
export function formatTable(probes: readonly Probe[], fnName: (name: string) => string = (n) => n): string {
	const n = probes.length;
	const prov = new Array<string>(n);
	const mod = new Array<string>(n);
	const fn = new Array<string>(n);
	let w0 = 5;
	let w1 = 10;
	let w2 = 17;
	let w3 = 33;
	for (let i = 0; i < n; i++) {
		const p = probes[i];
		const a = (prov[i] = escapeForTerminal(p.provider));
		const b = (mod[i] = escapeForTerminal(p.module));
		const c = (fn[i] = escapeForTerminal(fnName(p.function)));
		const id = p.id < 100000 ? 5 : String(p.id).length;
		if (id > w0) w0 = id;
		if (a.length > w1) w1 = a.length;
		if (b.length > w2) w2 = b.length;
		if (c.length > w3) w3 = c.length;
	}
	let out = `${pad("ID", w0)} ${pad("PROVIDER", w1)} ${pad("MODULE", w2)} ${pad("FUNCTION", w3)} NAME\n`;
	for (let i = 0; i < n; i++) {
		const p = probes[i];
		out += `${pad(String(p.id), w0)} ${pad(prov[i], w1)} ${pad(mod[i], w2)} ${pad(fn[i], w3)} ${escapeForTerminal(p.name)}\n`;
	}
	return out;
}

/** Lines of argument information for -v (the probe's provider writes them). */
export function verboseLines(p: Probe): string[] {
	return kindOf(p).describe(p);
}

function jsonLine(p: Probe, verbose: boolean, fnName: (name: string) => string): string {
	const named = fnName(p.function);
	if (named !== p.function) p = { ...p, function: named };
	if (!verbose) return jsonStringify(p);
	return jsonStringify({ ...p, ...kindOf(p).json?.(p) });
}

/** Runs `dtop -l`; resolves to the exit status. */
export async function runList(o: ListOptions, io: Io = stdio): Promise<number> {
	let started: { pid: number; kill: () => void } | undefined;
	try {
		if (o.pid !== undefined) checkProcess(o.pid);
		// Syntax first (status 2), before any work.
		descriptions(o, o.pid ?? (o.command !== undefined ? 1 : undefined));
		if (o.command !== undefined) started = await startCommand(o.command);
		const target = o.pid ?? started?.pid;
		const wanted = descriptions(o, target);

		let catalog: Catalog;
		try {
			catalog = new Catalog({ objectIndex: defaultObjectIndex(), live: false });
		} catch (e) {
			if (e instanceof NotSupportedError) throw new ListFailure(e.message, 1);
			throw e;
		}

		// Providers the kernel lacks a feature for (fbt without kprobes or fentry) are named with the reason.
		const missing = catalog.providers().filter((r) => !r.available);
		let probes: Probe[];
		if (wanted.length === 0) {
			if (target !== undefined) probes = catalog.processProbes(target);
			else {
				probes = catalog.probes();
				for (const r of missing) io.err(`dtop: note: ${r.reason}\n`);
			}
		} else {
			const seen = new Map<number, Probe>();
			for (const w of wanted) {
				let found: Probe[];
				try {
					found = catalog.match(w.desc);
				} catch (e) {
					if (e instanceof DescriptionError) throw new ListFailure(e.message, 2);
					if (e instanceof ProcessNotFoundError) throw new ListFailure(e.message, 1);
					throw e;
				}
				if (found.length === 0) {
					const lacking = missing.find((r) => compileGlob(w.desc.provider)(r.name) && !w.desc.provider.includes("*"));
					if (lacking) throw new ListFailure(lacking.reason ?? `${lacking.name} is not available`, 1);
					throw new ListFailure(`no probes match '${escapeForTerminal(w.text)}'`, 1);
				}
				for (const p of found) seen.set(p.id, p);
			}
			probes = [...seen.values()].sort((a, b) => a.id - b.id);
		}

		catalog.saveIndex();
		// C++ and Rust function names demangled (what -l shows, not what a description matches), unless -x nodemangle.
		const fnName = demanglerFor({ nodemangle: o.options?.get("nodemangle") === true });
		if (o.json) {
			io.out(`${probes.map((p) => jsonLine(p, o.verbose, fnName)).join("\n")}\n`);
		} else if (o.verbose) {
			const table = formatTable(probes, fnName).split("\n");
			const out = [table[0]];
			probes.forEach((p, i) => {
				out.push(table[i + 1]);
				for (const l of verboseLines(p)) out.push(`\t\t${l}`);
			});
			io.out(`${out.join("\n")}\n`);
		} else {
			io.out(formatTable(probes, fnName));
		}
		return 0;
	} catch (e) {
		if (e instanceof ListFailure) {
			io.err(`dtop: ${e.message}\n`);
			return e.status;
		}
		throw e;
	} finally {
		started?.kill();
	}
}
