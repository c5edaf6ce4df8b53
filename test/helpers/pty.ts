// Drive the real dtop in a pseudo-terminal and read the screen as a terminal
// emulator (xterm.js, headless) sees it.
import xterm from "@xterm/headless";
import * as pty from "node-pty";
import { DTOP } from "./cli.ts";

const { Terminal } = xterm as unknown as { Terminal: typeof import("@xterm/headless").Terminal };

export interface Screen {
	readonly pid: number;
	/** Every byte dtop wrote. */
	readonly written: () => number;
	text(): string;
	lines(): string[];
	/** Wait until the screen matches `re` (or `fn` says yes); throws with the screen after `ms`. */
	waitFor(re: RegExp | ((text: string) => boolean), ms?: number): Promise<string>;
	press(keys: string): void;
	resize(cols: number, rows: number): void;
	alternate(): boolean;
	cursorHidden(): boolean;
	exited: Promise<{ exitCode: number; signal?: number }>;
	kill(signal?: string): void;
	/** Raw output (for escape-sequence checks). */
	raw(): string;
	/** The emulator itself (for rendering screenshots). */
	readonly terminal: InstanceType<typeof Terminal>;
}

export const KEYS = {
	up: "\x1b[A",
	down: "\x1b[B",
	right: "\x1b[C",
	left: "\x1b[D",
	enter: "\r",
	esc: "\x1b",
	tab: "\t",
	space: " ",
	home: "\x1b[H",
	end: "\x1b[F",
	pgup: "\x1b[5~",
	pgdn: "\x1b[6~",
	ctrlC: "\x03",
};

export function startDtop(
	args: string[],
	opts: { cols?: number; rows?: number; env?: Record<string, string> } = {},
): Screen {
	const cols = opts.cols ?? 120;
	const rows = opts.rows ?? 40;
	const term = new Terminal({ cols, rows, allowProposedApi: true });
	const p = pty.spawn(DTOP, args, {
		name: "xterm-256color",
		cols,
		rows,
		env: { ...process.env, CI: "false", TERM: "xterm-256color", LANG: "C.UTF-8", ...opts.env } as Record<
			string,
			string
		>,
	});
	let bytes = 0;
	let raw = "";
	let pending = Promise.resolve();
	p.onData((d) => {
		bytes += Buffer.byteLength(d);
		raw += d;
		pending = pending.then(() => new Promise<void>((r) => term.write(d, r)));
	});
	const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => p.onExit(resolve));
	const lines = () => {
		const b = term.buffer.active;
		const out: string[] = [];
		for (let i = 0; i < term.rows; i++) out.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? "");
		return out;
	};
	const screen: Screen = {
		pid: p.pid,
		written: () => bytes,
		lines,
		text: () => lines().join("\n"),
		async waitFor(re, ms = 10_000) {
			const t0 = Date.now();
			for (;;) {
				await pending;
				const t = lines().join("\n");
				if (typeof re === "function" ? re(t) : re.test(t)) return t;
				if (Date.now() - t0 > ms) throw new Error(`screen never matched ${re} in ${ms} ms; it shows:\n${t}`);
				await new Promise((r) => setTimeout(r, 50));
			}
		},
		press(keys) {
			p.write(keys);
		},
		resize(c, r) {
			p.resize(c, r);
			term.resize(c, r);
		},
		alternate: () => term.buffer.active.type === "alternate",
		cursorHidden: () => /\x1b\[\?25l(?![\s\S]*\x1b\[\?25h)/.test(raw),
		exited,
		kill(signal = "SIGKILL") {
			try {
				p.kill(signal);
			} catch {
				// gone
			}
		},
		raw: () => raw,
		terminal: term,
	};
	return screen;
}
