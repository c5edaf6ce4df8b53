// Drive the real dtop in a pseudo-terminal and read the screen as a terminal
// emulator (xterm.js, headless) sees it.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
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
	/** Writes `keys` to the terminal in one write (as SSH delivers a burst). */
	press(keys: string): void;
	/** A left click at column x, row y (from 0), as an xterm with SGR mouse reporting sends it. */
	click(x: number, y: number): void;
	/** One notch of the wheel at (x, y). */
	wheel(x: number, y: number, direction: "up" | "down"): void;
	/** Where `re` first matches on screen: column and row from 0. */
	find(re: RegExp): { x: number; y: number } | undefined;
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
	/** `command`: another dtop than the checkout's (the installed package, the single executable). */
	opts: { cols?: number; rows?: number; env?: Record<string, string>; command?: string; cwd?: string } = {},
): Screen {
	const cols = opts.cols ?? 120;
	const rows = opts.rows ?? 40;
	const term = new Terminal({ cols, rows, allowProposedApi: true });
	const p = pty.spawn(opts.command ?? DTOP, args, {
		name: "xterm-256color",
		cwd: opts.cwd,
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
		click(x, y) {
			p.write(`\x1b[<0;${x + 1};${y + 1}M\x1b[<0;${x + 1};${y + 1}m`);
		},
		wheel(x, y, direction) {
			p.write(`\x1b[<${direction === "up" ? 64 : 65};${x + 1};${y + 1}M`);
		},
		find(re) {
			const all = lines();
			for (let y = 0; y < all.length; y++) {
				const m = re.exec(all[y]);
				if (m) return { x: [...all[y].slice(0, m.index)].length, y };
			}
			return undefined;
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

/** Wait for dtop to exit (bounded: a test must fail, not hang; killed after `ms`). */
export async function exitOf(s: Screen, ms = 8000): Promise<{ exitCode: number; signal?: number }> {
	const t = setTimeout(() => s.kill(), ms);
	try {
		return await s.exited;
	} finally {
		clearTimeout(t);
	}
}

/** The demo program dtop started (its child running `simple`; the other is the hold watchdog). */
export function demoPid(dtop: number): number {
	const kids = readdirSync(`/proc/${dtop}/task`).flatMap((t) =>
		readFileSync(`/proc/${dtop}/task/${t}/children`, "utf8").trim().split(/\s+/).filter(Boolean),
	);
	const demo = kids.filter((k) => {
		try {
			return readFileSync(`/proc/${k}/cmdline`, "utf8").includes("fixtures/bin/simple");
		} catch {
			return false;
		}
	});
	assert.equal(demo.length, 1, `dtop has one demo child: ${kids}`);
	return Number(demo[0]);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
