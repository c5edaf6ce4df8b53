// Running the interactive UI on a terminal, and leaving it clean whatever happens.
//
// dtop enters the alternate screen, hides the cursor, asks for SGR mouse reports
// (1000: presses, releases and the wheel; 1006: coordinates as decimal numbers,
// of any size) unless --no-mouse, and for bracketed paste (2004: a paste arrives
// marked, so it is never taken for keys). Every way out — `q`, Ctrl-C, SIGINT,
// SIGTERM, SIGHUP, an uncaught exception or rejection, an error while rendering —
// goes through one finish(): Ink is unmounted, raw mode is turned off, mouse and
// paste modes, screen and cursor are restored (synchronously, once), and only then
// does the caller's cleanup run (it releases kernel state) and is any error
// reported.

import { writeSync } from "node:fs";
import { constants } from "node:os";
import { type Instance, render } from "ink";
import { App } from "./app.tsx";
import { type Charset, charsetFor, detectColor, detectUnicode } from "./charset.ts";
import type { Controller } from "./controller.ts";
import { FrameStream } from "./frame-writer.ts";

export const ENTER_ALT_SCREEN = "\x1b[?1049h";
export const LEAVE_ALT_SCREEN = "\x1b[?1049l";
export const HIDE_CURSOR = "\x1b[?25l";
export const SHOW_CURSOR = "\x1b[?25h";
export const MOUSE_ON = "\x1b[?1000h\x1b[?1006h";
export const MOUSE_OFF = "\x1b[?1006l\x1b[?1000l";
export const PASTE_ON = "\x1b[?2004h";
export const PASTE_OFF = "\x1b[?2004l";

export interface RunOptions {
	/** Releases kernel state. Runs exactly once, after the terminal was restored, on every exit path. */
	cleanup: () => void | Promise<void>;
	stdout?: NodeJS.WriteStream;
	stdin?: NodeJS.ReadStream;
	stderr?: NodeJS.WriteStream;
	/** Where NO_COLOR, LANG/LC_ALL/LC_CTYPE and TERM are read (default process.env). */
	env?: Record<string, string | undefined>;
	/** Where `--no-color` is looked for (default process.argv). */
	argv?: readonly string[];
	/** Overrides what the environment says. */
	color?: boolean;
	/** Mouse reporting (clicks and the wheel); on unless false (--no-mouse). */
	mouse?: boolean;
	unicode?: boolean;
	/** How a signal ends the process, after cleanup (default process.exit(128 + signal number)). */
	exit?: (code: number) => void;
	/** Longest wait for an asynchronous cleanup on a signal before exiting anyway. */
	cleanupTimeoutMs?: number;
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

type Reason = { kind: "quit" } | { kind: "signal"; signal: NodeJS.Signals } | { kind: "error"; error: unknown };

/** Writes now, bypassing any stream buffering when the stream is a terminal with a descriptor. */
function writeNow(stream: NodeJS.WriteStream, s: string): void {
	try {
		const fd = (stream as { fd?: unknown }).fd;
		if (stream.isTTY && typeof fd === "number") writeSync(fd, s);
		else stream.write(s);
	} catch {
		// The terminal may be gone (SIGHUP): nothing left to restore on it.
	}
}

/**
 * Runs the interactive UI until the user quits. Resolves after `q` / Ctrl-C once the
 * terminal is restored and cleanup has run. Rejects, likewise only after the terminal
 * is restored and cleanup has run, with an uncaught error (the caller prints it and
 * exits non-zero). On SIGINT/SIGTERM/SIGHUP it restores, cleans up and exits the
 * process with 128 + the signal number.
 */
export function runInteractive(controller: Controller, opts: RunOptions): Promise<void> {
	const stdout = opts.stdout ?? process.stdout;
	const stdin = opts.stdin ?? process.stdin;
	const env = opts.env ?? process.env;
	const tty = stdout.isTTY === true;
	const cs: Charset = charsetFor(opts.unicode ?? detectUnicode(env));
	const color = opts.color ?? detectColor(env, opts.argv ?? process.argv, tty);
	const exit = opts.exit ?? ((code: number) => process.exit(code));
	const timeoutMs = opts.cleanupTimeoutMs ?? 5000;

	let instance: Instance | undefined;
	let frames: FrameStream | undefined;
	let restored = false;
	let finishing: Promise<void> | undefined;
	let resolveRun!: () => void;
	let rejectRun!: (e: unknown) => void;
	const done = new Promise<void>((resolve, reject) => {
		resolveRun = resolve;
		rejectRun = reject;
	});

	const restore = (): void => {
		if (restored) return;
		restored = true;
		try {
			instance?.unmount();
		} catch {
			// Unmounting a broken tree may throw; the terminal still has to be restored.
		}
		frames?.close();
		try {
			if (stdin.isTTY) stdin.setRawMode?.(false);
		} catch {
			// As above.
		}
		// Mouse and paste modes off too, whether or not they were asked for: a terminal left
		// reporting clicks would type escape sequences into the shell.
		if (tty) writeNow(stdout, MOUSE_OFF + PASTE_OFF + SHOW_CURSOR + LEAVE_ALT_SCREEN);
	};

	let cleaned: Promise<void> | undefined;
	const cleanupOnce = (): Promise<void> => {
		cleaned ??= (async () => opts.cleanup())();
		return cleaned;
	};

	const onSignal = (signal: NodeJS.Signals) => void finish({ kind: "signal", signal });
	const onError = (error: unknown) => void finish({ kind: "error", error });
	const onExit = () => restore();
	const handlers = SIGNALS.map((s) => [s, () => onSignal(s)] as const);
	const install = () => {
		for (const [s, h] of handlers) process.on(s, h);
		process.on("uncaughtException", onError);
		process.on("unhandledRejection", onError);
		process.on("exit", onExit);
	};
	const uninstall = () => {
		for (const [s, h] of handlers) process.off(s, h);
		process.off("uncaughtException", onError);
		process.off("unhandledRejection", onError);
		process.off("exit", onExit);
	};

	function finish(reason: Reason): Promise<void> {
		if (finishing) return finishing;
		restore();
		finishing = (async () => {
			let cleanupError: unknown;
			try {
				if (reason.kind === "signal") {
					let timer: NodeJS.Timeout | undefined;
					const timeout = new Promise<void>((resolve) => {
						timer = setTimeout(resolve, timeoutMs);
					});
					await Promise.race([cleanupOnce(), timeout]);
					clearTimeout(timer);
				} else {
					await cleanupOnce();
				}
			} catch (e) {
				cleanupError = e;
			}
			uninstall();
			if (reason.kind === "signal") {
				exit(128 + (constants.signals[reason.signal] ?? 1));
				resolveRun();
			} else if (reason.kind === "error") rejectRun(reason.error);
			else if (cleanupError !== undefined) rejectRun(cleanupError);
			else resolveRun();
		})();
		return finishing;
	}

	install();
	try {
		if (tty) writeNow(stdout, ENTER_ALT_SCREEN + HIDE_CURSOR + (opts.mouse === false ? "" : MOUSE_ON) + PASTE_ON);
		// Ink hands whole frames to the FrameStream (debug mode), which rewrites
		// only changed lines at absolute positions; the App itself redraws at most
		// ~10 times a second for ticks.
		frames = tty ? new FrameStream(stdout) : undefined;
		instance = render(<App controller={controller} ui={{ cs, color }} />, {
			stdout: (frames ?? stdout) as unknown as NodeJS.WriteStream,
			stdin,
			stderr: opts.stderr ?? process.stderr,
			exitOnCtrlC: false,
			patchConsole: false,
			debug: tty,
			maxFps: 10,
		});
		instance.waitUntilExit().then(
			() => finish({ kind: "quit" }),
			(error: unknown) => finish({ kind: "error", error }),
		);
	} catch (error) {
		void finish({ kind: "error", error });
	}
	return done;
}
