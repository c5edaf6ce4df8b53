// Tracing modes: -n/-s clauses, -c/-p targets, --demo; batch output when stdout
// is not a terminal (or with -b), the interactive UI otherwise.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Catalog, DescriptionError, ProcessNotFoundError } from "./catalog/index.ts";
import type { Flags } from "./cli.ts";
import { parseProgram } from "./d/index.ts";
import { formatAll, formatFolded, formatJson } from "./output/printa.ts";
import { CatalogProbes } from "./session/catalog-source.ts";
import { Session, SessionError } from "./session/session.ts";
import { attachTo, procState, startStopped, type Target } from "./target.ts";

import { projectRoot } from "./util/root.ts";

export function demoBinary(): string {
	return join(projectRoot(), "test/fixtures/bin/simple");
}

export interface Io {
	out(s: string): void;
	err(s: string): void;
}

const stdio: Io = {
	out: (s) => process.stdout.write(s),
	err: (s) => process.stderr.write(s),
};

/** Could any clause's provider name a USDT provider (so every process must be scanned)? */
export function needsUsdt(text: string): boolean {
	if (!text.trim()) return true;
	let program: ReturnType<typeof parseProgram>;
	try {
		program = parseProgram(text.replace(/\$target\b/g, "1"));
	} catch {
		return true; // the session reports the error
	}
	return program.clauses.some((c) => c.probes.some((d) => !/^(syscall|sdt|profile|fbt|pid\d+)$/.test(d.provider)));
}

/** A -n argument with no body is a bare probe description: count its firings per probe. */
export function clauseText(arg: string): string {
	const t = arg.trim();
	if (/[{/]/.test(t)) return t;
	return `${t} { @[probeprov, probemod, probefunc, probename] = count(); }`;
}

export function programText(flags: Flags): string {
	const parts: string[] = [];
	if (flags.script) {
		try {
			parts.push(readFileSync(flags.script, "utf8"));
		} catch (e) {
			throw new SessionError(`cannot read script '${flags.script}': ${(e as NodeJS.ErrnoException).code ?? e}.`);
		}
	}
	for (const n of flags.name) parts.push(clauseText(n));
	return parts.join("\n");
}

export async function runTrace(flags: Flags, io: Io = stdio): Promise<number> {
	// The UI needs a terminal on both ends (raw keyboard input, a screen).
	const interactive =
		!flags.batch && process.stdout.isTTY === true && process.stdin.isTTY === true && !flags.json && !flags.folded;
	let text = programText(flags);
	if (!text.trim() && !interactive && !flags.demo) {
		io.err(
			"dtop: nothing to trace: give a clause with -n or a script with -s (or run on a terminal for the interactive UI).\n",
		);
		return 2;
	}
	let target: Target | undefined;
	let catalog: Catalog | undefined;
	let session: Session | undefined;
	let exitCode = 0;
	const cleanup = () => {
		try {
			session?.close();
		} catch {
			// releasing is best effort on the way out; the kernel frees the rest with our fds
		}
		catalog?.close();
		target?.kill();
	};
	try {
		if (flags.demo) {
			target = await startStopped(`${demoBinary()} --loop --with-parent`, "ignore");
			if (!text.trim() && !interactive) text = "simple$target:::saw-line { @[probename] = count(); }";
		} else if (flags.command) target = await startStopped(flags.command);
		else if (flags.pid !== undefined) target = attachTo(flags.pid);
		// Scanning every process for USDT probes is the slowest part of starting;
		// batch runs whose clauses name only kernel, profile or pid providers skip it.
		catalog = new Catalog({ usdt: interactive || flags.demo || needsUsdt(text) });
		const probes = new CatalogProbes(catalog, target?.pid);
		if (target?.binary) probes.planObjects(target.pid, target.binary);
		session = new Session({
			probes,
			target: target?.pid,
			tickMs: flags.aggrate,
			maxProbesPerEnabling: flags.maxProbes,
		});
		if (target) holdTarget(session, target, probes, catalog);
		if (interactive) {
			const { runInteractiveSession } = await import("./ui-session.ts");
			return await runInteractiveSession({ session, catalog, probes, flags, target, initial: text, cleanup });
		}
		if (text.trim()) {
			const id = session.enable(text, undefined, { allowZero: flags.zero });
			const view = session.view().enablings.find((e) => e.id === id);
			if (!flags.quiet)
				io.err(`dtop: ${view?.d.split("\n").length ?? 1} clause(s) matched ${view?.probes ?? 0} probes\n`);
		}
		// Follow the machine: processes that start (or libraries loaded with
		// dlopen) get the enablings that match them; exited ones are released.
		const live = session;
		catalog.watch(500);
		catalog.subscribe((change) => {
			live.processesChanged(change.started, change.exited);
			if (change.added.length || change.exited.length) live.rematch(new Set(change.exited));
		});
		target?.resume();
		exitCode = await batchLoop(session, flags, io, target);
	} catch (e) {
		cleanup();
		if (e instanceof SessionError || e instanceof DescriptionError || e instanceof ProcessNotFoundError) {
			io.err(`dtop: ${e.message}\n`);
			return e instanceof DescriptionError ? 2 : 1;
		}
		throw e;
	}
	cleanup();
	return exitCode;
}

/**
 * Hold the target at two moments, like DTrace's process control: when the
 * dynamic loader has mapped a library (dlopen included) — rescan and attach
 * matching probes before the library runs — and when it calls exit() — read its
 * mappings so its stacks symbolize after it is gone. Then let it go on.
 */
function holdTarget(session: Session, target: Target, probes: CatalogProbes, catalog: Catalog): void {
	const libs = probes.libraries(target);
	const libc = libs.find((l) => /\/libc\.so\.6$/.test(l));
	const loader = libs.find((l) => /\/ld-linux[^/]*\.so(\.\d+)*$/.test(l));
	let held = false;
	if (libc) held = session.holdAt(target.pid, libc, "exit") || held;
	if (loader) held = session.holdAt(target.pid, loader, "_dl_debug_state") || held;
	if (!held) return;
	startWatchdog(target.pid);
	const timer = setInterval(() => {
		if (procState(target.pid) !== "T") return;
		try {
			const change = catalog.refreshProcess(target.pid);
			if (change.added.length) session.rematch();
		} catch {
			// the catalog's own errors do not stop the target
		}
		session.captureProcess(target.pid);
		try {
			process.kill(target.pid, "SIGCONT");
		} catch {
			// gone
		}
	}, 5);
	timer.unref();
	target.exited.then(() => clearInterval(timer));
}

/**
 * A held target must never stay stopped: if dtop dies (kill -9) between a hold
 * and its SIGCONT, a small watchdog outside dtop continues the target. It ends
 * by itself once dtop or the target is gone.
 */
function startWatchdog(target: number): void {
	const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${target} 2>/dev/null; do sleep 0.2; done; kill -CONT ${target} 2>/dev/null; exit 0`;
	try {
		const w = spawn("/bin/sh", ["-c", script], { stdio: "ignore", detached: true });
		w.on("error", () => {});
		w.unref();
	} catch {
		// without a watchdog the hold still works; dtop continues the target itself
	}
}

function print(session: Session, flags: Flags, io: Io): void {
	const view = session.tick();
	if (flags.json) io.out(formatJson(view));
	else if (flags.folded) io.out(formatFolded(view));
	else io.out(formatAll(view));
	for (const e of view.enablings) {
		if (e.drops) io.err(`dtop: ${e.drops} events dropped by '${e.label}' (full maps or failed stack walks)\n`);
		if (e.evictions) io.err(`dtop: ${e.evictions} keys evicted from '${e.label}' (raise the map size)\n`);
	}
}

async function batchLoop(session: Session, flags: Flags, io: Io, target: Target | undefined): Promise<number> {
	const tickMs = flags.aggrate ?? 1000;
	return await new Promise<number>((resolve) => {
		let done = false;
		const timers: NodeJS.Timeout[] = [];
		const finish = (code: number) => {
			if (done) return;
			done = true;
			for (const t of timers) clearInterval(t);
			process.off("SIGINT", onSignal);
			process.off("SIGTERM", onSignal);
			process.off("SIGHUP", onSignal);
			try {
				print(session, flags, io);
			} catch (e) {
				io.err(`dtop: ${(e as Error).message}\n`);
			}
			resolve(code);
		};
		const onSignal = () => finish(0);
		process.on("SIGINT", onSignal);
		process.on("SIGTERM", onSignal);
		process.on("SIGHUP", onSignal);
		timers.push(setInterval(() => session.tick(), tickMs));
		if (flags.interval) timers.push(setInterval(() => print(session, flags, io), flags.interval));
		if (flags.duration) timers.push(setTimeout(() => finish(0), flags.duration * 1000));
		target?.exited.then(() => finish(0));
	});
}
