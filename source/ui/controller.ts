// The only way the interactive UI talks to the tracer. The session layer (or a
// fake in tests) implements it; the UI never touches kernel state itself.
// Actions may be synchronous or return a promise. Errors have one channel: a
// thrown error or a rejected promise, shown on the message line as it is (make
// its message one clear sentence plus what to do); nothing returns an error.

import type { SessionView } from "../session/view.ts";
import type { EventsView } from "./events-model.ts";
import type { TreeSource } from "./tree.ts";

export type MaybePromise<T> = T | Promise<T>;

/** What an action reports back: a message for the message line. Nothing is fine. */
// biome-ignore lint/suspicious/noConfusingVoidType: lets implementations simply not return anything
export type Outcome = void | undefined | { message?: string; showEvents?: boolean };

export type ToggleOutcome = Outcome | { needsConfirm?: number; message?: string };

/** An action the controller refuses (not a failure of the machine): its message is the whole story. */
export class ActionError extends Error {
	override readonly name = "ActionError";
}

/**
 * What `s` and `l` act on: an existing enabling, or a probe-tree node that is not
 * enabled yet (pressed in the tree on a probe without an enabling).
 */
export type Target = { enablingId: number } | { path: readonly string[] };

export interface Controller {
	/** The current picture of the session (cheap: called on every frame). */
	view(): SessionView;
	/** A line for the status line on the first frame (where the -c command's output goes). */
	readonly notice?: string;
	/** Names start raw (mangled): `-x nodemangle`. */
	readonly rawNamesAtStart?: boolean;
	/** Calls `listener` whenever view() changed (once per tick, after toggles). Returns an unsubscribe. */
	subscribe(listener: () => void): () => void;
	/** The probe tree (lazily expanded). */
	readonly tree: TreeSource;
	/**
	 * Space in the tree: enables the probe (or every probe below an inner node) with the
	 * default clause, or disables it when it is enabled. Without `confirmed`, a subtree of
	 * more than 100 probes is not enabled; instead `{ needsConfirm: n }` says how many
	 * there are, and the UI asks and calls again with `{ confirmed: true }`. With
	 * `filter` (the tree's), only what the filter shows below `path` is enabled.
	 */
	toggle(path: readonly string[], opts?: { confirmed?: boolean; filter?: string }): MaybePromise<ToggleOutcome>;
	/** Space in the enabled table: removes the enabling. */
	disable(enablingId: number): MaybePromise<Outcome>;
	/**
	 * `k`: switches the enabling's aggregation key to the next one its probes have
	 * (none, execname, pid, tid, probefunc, their arguments, copyinstr(argN) of string
	 * arguments, ustack, kstack in the kernel), skipping keys that cannot be built.
	 */
	cycleKey(enablingId: number): MaybePromise<Outcome>;
	/** `s`: adds ustack() to the key, or removes it. */
	toggleStacks(target: Target): MaybePromise<Outcome>;
	/** `l`: turns an entry probe into an entry/return latency quantize() (error if not an entry probe). */
	latency(target: Target): MaybePromise<Outcome>;
	/**
	 * `:`: enables a D program (one clause or several, BEGIN and END among them);
	 * a D error (with line and column) is thrown. `showEvents` in the outcome:
	 * it prints per event (printf, trace, the default action).
	 */
	enableClause(text: string): MaybePromise<Outcome>;
	/** `d`: the enabling as D. */
	d(enablingId: number): MaybePromise<string>;
	/** `+`/`-`: the tick (aggregation read interval) in milliseconds. */
	setTick(ms: number): MaybePromise<Outcome>;
	/** `Z`: stops or resumes reading (the kernel keeps counting). */
	pause(paused: boolean): MaybePromise<Outcome>;
	/** `m`: C++ and Rust names raw (mangled, as the binaries hold them) or demangled, from now on. */
	rawNames(raw: boolean): MaybePromise<Outcome>;
	/** `C`: the probe tree grouped by container, or machine-wide. */
	byContainer?(on: boolean): MaybePromise<Outcome>;
	/** `c`: forgets history (rates, totals, sparklines). */
	clear(): MaybePromise<Outcome>;
	/** The Events pane's lines: per-event output of every enabling (absent: none is kept). */
	events?(): EventsView;
	/** Calls `listener` when events() changed (new lines, drops). Returns an unsubscribe. */
	subscribeEvents?(listener: () => void): () => void;
	/** `q`: the user is leaving; release what can be released. The runner's cleanup still runs. */
	quit(): void;
}

/** Tick lengths `+`/`-` step through. */
export const TICK_STEPS_MS = [100, 200, 250, 500, 1000, 2000, 5000, 10000];

export function nextTick(current: number, direction: 1 | -1): number {
	if (direction > 0) return TICK_STEPS_MS.find((t) => t > current) ?? TICK_STEPS_MS[TICK_STEPS_MS.length - 1];
	return [...TICK_STEPS_MS].reverse().find((t) => t < current) ?? TICK_STEPS_MS[0];
}
