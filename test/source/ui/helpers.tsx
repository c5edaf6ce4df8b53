// Test doubles for the UI: a terminal of any size for Ink, a probe tree, a session
// view and a controller that records every call.

import { EventEmitter } from "node:events";
import { render as inkRender } from "ink";
import type { ReactElement } from "react";
import type { AggregationView, EnablingView, SessionView } from "../../../source/session/view.ts";
import type { Controller, MaybePromise, Outcome, Target, ToggleOutcome } from "../../../source/ui/controller.ts";
import { ESCAPE_DELAY_MS } from "../../../source/ui/input.ts";
import type { TreeEntry, TreeSource } from "../../../source/ui/tree.ts";

class FakeStdout extends EventEmitter {
	frames: string[] = [];
	isTTY = true;
	constructor(
		public columns: number,
		public rows: number,
	) {
		super();
	}
	write = (s: string) => {
		this.frames.push(s);
		return true;
	};
}

class FakeStdin extends EventEmitter {
	isTTY = true;
	private queue: string[] = [];
	write(data: string) {
		this.queue.push(data);
		this.emit("readable");
	}
	read = () => this.queue.shift() ?? null;
	setEncoding() {}
	setRawMode() {}
	resume() {}
	pause() {}
	ref() {}
	unref() {}
}

export interface Rendered {
	lastFrame(): string;
	frames: string[];
	stdin: FakeStdin;
	stdout: FakeStdout;
	/** Writes keys one at a time (each one read), letting Ink and React settle after each. */
	press(...keys: string[]): Promise<void>;
	rerender(node: ReactElement): void;
	unmount(): void;
}

export const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Renders into a fake terminal of `columns` × `rows` (debug mode: every frame is written whole). */
export function renderAt(node: ReactElement, columns = 100, rows = 40): Rendered {
	const stdout = new FakeStdout(columns, rows);
	const stdin = new FakeStdin();
	const instance = inkRender(node, {
		stdout: stdout as unknown as NodeJS.WriteStream,
		stdin: stdin as unknown as NodeJS.ReadStream,
		stderr: new FakeStdout(columns, rows) as unknown as NodeJS.WriteStream,
		debug: true,
		exitOnCtrlC: false,
		patchConsole: false,
	});
	return {
		lastFrame: () => stdout.frames[stdout.frames.length - 1] ?? "",
		frames: stdout.frames,
		stdin,
		stdout,
		async press(...keys: string[]) {
			for (const k of keys) {
				stdin.write(k);
				await tick();
				await tick();
				// A lone ESC is the Esc key only once no more input came for a moment.
				if (k.endsWith("\x1b")) await new Promise((r) => setTimeout(r, ESCAPE_DELAY_MS + 15));
			}
		},
		rerender: instance.rerender,
		unmount: () => {
			instance.unmount();
			instance.cleanup();
		},
	};
}

export const KEY = {
	up: "\x1b[A",
	down: "\x1b[B",
	right: "\x1b[C",
	left: "\x1b[D",
	pageUp: "\x1b[5~",
	pageDown: "\x1b[6~",
	home: "\x1b[H",
	end: "\x1b[F",
	enter: "\r",
	escape: "\x1b",
	tab: "\t",
	shiftTab: "\x1b[Z",
	backspace: "\x7f",
	ctrlC: "\x03",
	ctrlU: "\x15",
};

/** A nested object as a probe tree: objects are inner nodes, numbers are probe ids. */
export type TreeSpec = { [name: string]: TreeSpec | number };

export class FakeTree implements TreeSource {
	enabled = new Map<string, { rate: number; enablingId?: number }>();
	calls: { path: string[]; filter?: string }[] = [];
	constructor(public spec: TreeSpec) {}

	private node(path: readonly string[]): TreeSpec | number | undefined {
		let n: TreeSpec | number | undefined = this.spec;
		for (const p of path) {
			if (typeof n !== "object") return undefined;
			n = n[p];
		}
		return n;
	}

	private leaves(path: string[], n: TreeSpec | number, out: string[][]): void {
		if (typeof n === "number") out.push(path);
		else for (const [k, v] of Object.entries(n)) this.leaves([...path, k], v, out);
	}

	/** Every probe's full path below `path`. */
	probes(path: readonly string[]): string[][] {
		const n = this.node(path);
		const out: string[][] = [];
		if (n !== undefined) this.leaves([...path], n, out);
		return out;
	}

	private matches(path: string[], filter: string): boolean {
		return path.join(":").includes(filter);
	}

	children(path: readonly string[], filter?: string): TreeEntry[] {
		this.calls.push({ path: [...path], filter });
		if (filter === "[") throw new Error("Bad filter: unterminated [ in [.");
		const n = this.node(path);
		if (typeof n !== "object") return [];
		const out: TreeEntry[] = [];
		for (const [name, child] of Object.entries(n)) {
			const p = [...path, name];
			const below = this.probes(p);
			if (filter && !below.some((q) => this.matches(q, filter))) continue;
			const on = below.filter((q) => this.enabled.has(q.join(":")));
			if (typeof child === "number") {
				const e = this.enabled.get(p.join(":"));
				out.push({ name, probeId: child, enabled: !!e, rate: e?.rate, enablingId: e?.enablingId });
			} else {
				out.push({
					name,
					childCount: Object.keys(child).length,
					enabled: on.length === 0 ? false : on.length === below.length ? true : "partial",
				});
			}
		}
		return out;
	}
}

export function agg(partial: Partial<AggregationView> = {}): AggregationView {
	return { name: "", fn: "count", keys: [], rows: [], evictions: 0, ...partial };
}

export function enabling(id: number, partial: Partial<EnablingView> = {}): EnablingView {
	const label = partial.label ?? `syscall::probe${id}:entry`;
	return {
		id,
		d: `${label} { @[execname] = count(); }`,
		label,
		probes: 1,
		rate: 0,
		total: 0,
		history: [],
		aggregations: [],
		drops: 0,
		evictions: 0,
		...partial,
	};
}

export function sessionView(partial: Partial<SessionView> = {}): SessionView {
	return {
		host: "testhost",
		kernel: "6.18.0-test",
		cpus: 2,
		tickMs: 1000,
		paused: false,
		rate: 0,
		drops: 0,
		evictions: 0,
		enablings: [],
		uptimeMs: 0,
		...partial,
	};
}

export type Call = [string, ...unknown[]];

export class FakeController implements Controller {
	calls: Call[] = [];
	listeners = new Set<() => void>();
	/** What toggle() answers for a path (by its ":"-joined key); default: toggles with no questions. */
	toggleAnswer: (path: readonly string[], confirmed: boolean) => ToggleOutcome = () => undefined;
	clauseError: string | undefined;
	constructor(
		public tree: FakeTree,
		public current: SessionView = sessionView(),
	) {}
	view() {
		return this.current;
	}
	subscribe(listener: () => void) {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	}
	/** Replaces the view and notifies subscribers, like a tick. */
	update(view: Partial<SessionView>) {
		this.current = { ...this.current, ...view };
		for (const l of this.listeners) l();
	}
	toggle(path: readonly string[], opts?: { confirmed?: boolean }): ToggleOutcome {
		this.calls.push(["toggle", path.join(":"), opts?.confirmed ?? false]);
		return this.toggleAnswer(path, opts?.confirmed ?? false);
	}
	disable(id: number): MaybePromise<Outcome> {
		this.calls.push(["disable", id]);
	}
	cycleKey(id: number): MaybePromise<Outcome> {
		this.calls.push(["cycleKey", id]);
	}
	toggleStacks(target: Target): MaybePromise<Outcome> {
		this.calls.push(["toggleStacks", "enablingId" in target ? target.enablingId : target.path.join(":")]);
	}
	latency(target: Target): MaybePromise<Outcome> {
		this.calls.push(["latency", "enablingId" in target ? target.enablingId : target.path.join(":")]);
	}
	enableClause(text: string): Outcome {
		this.calls.push(["enableClause", text]);
		if (this.clauseError) throw new Error(this.clauseError);
	}
	d(id: number): string {
		this.calls.push(["d", id]);
		return this.current.enablings.find((e) => e.id === id)?.d ?? "";
	}
	setTick(ms: number) {
		this.calls.push(["setTick", ms]);
	}
	pause(paused: boolean) {
		this.calls.push(["pause", paused]);
	}
	clear(): void {
		this.calls.push(["clear"]);
	}
	rawNames(raw: boolean): void {
		this.calls.push(["rawNames", raw]);
	}
	quit() {
		this.calls.push(["quit"]);
	}
}

export const SAMPLE_TREE: TreeSpec = {
	syscall: {
		vmlinux: {
			read: { entry: 1, return: 2 },
			write: { entry: 3, return: 4 },
			openat: { entry: 5, return: 6 },
		},
	},
	sdt: {
		sched: { "": { sched_switch: 7, sched_wakeup: 8 } },
	},
	profile: { "": { "": { "profile-997": 9, "tick-1s": 10 } } },
};

/** Every line of a frame (Ink output has no trailing newline). */
export function frameLines(frame: string): string[] {
	return frame.split("\n");
}

/** The visible width of a frame line, ignoring SGR sequences (all UI glyphs are one column). */
export function visibleWidth(line: string): number {
	return [...line.replace(/\x1b\[[0-9;]*m/g, "")].length;
}
