// Runs the reducer's effects: Controller calls, whose results (at once or later)
// come back as actions — a value as `done`/`needsConfirm`/`showD`, any error,
// thrown or rejected, as `failed` (the one way errors reach the message line) —
// and tree reads, in time slices so that keys and signals are answered while a
// large filtered tree is read.

import type { Controller, MaybePromise } from "./controller.ts";
import type { Action, Effect, TreeQuery } from "./state.ts";
import { type TreeSource, TreeWalk } from "./tree.ts";

type Dispatch = (...actions: Action[]) => void;

/** Rows a filter may expand to (everything under a filter starts expanded). */
export const FILTER_ROW_LIMIT = 5000;
/** The longest a tree read holds the thread before keys and signals get their turn. */
export const SLICE_MS = 20;

export function errorText(e: unknown): string {
	return e instanceof Error ? e.message : String(e);
}

/** Reads the tree's rows for one query at a time; a newer query cancels an older read. */
export class TreeReader {
	private job: { query: TreeQuery; walk: TreeWalk; timer?: NodeJS.Immediate } | undefined;
	/** A refresh asked for while the same tree was being read: read again once done. */
	private again: TreeQuery | undefined;

	constructor(private readonly source: () => TreeSource) {}

	request(q: TreeQuery, dispatch: Dispatch): void {
		if (this.job) {
			// Ticks must not keep restarting a read that takes longer than a tick.
			if (q.refresh && this.job.query.query === q.query) {
				this.again = q;
				return;
			}
			this.cancel();
		}
		this.again = undefined;
		const walk = new TreeWalk(this.source(), {
			filter: q.filter,
			isExpanded: q.filter ? (k) => !q.collapsed.has(k) : (k) => q.expanded.has(k),
			limit: q.filter ? FILTER_ROW_LIMIT : undefined,
		});
		this.job = { query: q, walk };
		// The first slice at once: a small tree (the usual case) is read before the next key.
		if (this.step(dispatch)) return;
		if (!q.refresh) dispatch({ type: "rows", query: q.query, rows: [...walk.rows], done: false });
		this.schedule(dispatch);
	}

	private schedule(dispatch: Dispatch): void {
		const job = this.job;
		if (!job) return;
		job.timer = setImmediate(() => {
			job.timer = undefined;
			if (this.job !== job) return;
			if (!this.step(dispatch)) this.schedule(dispatch);
		});
	}

	/** One slice; true when the read is over (its rows, or its error, dispatched). */
	private step(dispatch: Dispatch): boolean {
		const job = this.job;
		if (!job) return true;
		let finished: boolean;
		let error: string | undefined;
		try {
			finished = job.walk.run(performance.now() + SLICE_MS);
		} catch (e) {
			finished = true;
			error = errorText(e);
		}
		if (!finished) return false;
		this.job = undefined;
		const rows = error === undefined ? job.walk.rows : [];
		dispatch({ type: "rows", query: job.query.query, rows, error, done: true });
		const again = this.again;
		this.again = undefined;
		if (again) this.request(again, dispatch);
		return true;
	}

	cancel(): void {
		if (this.job?.timer) clearImmediate(this.job.timer);
		this.job = undefined;
		this.again = undefined;
	}
}

export interface EffectHost {
	/** Leaves the Ink app (after `q`). */
	exit(): void;
	onQuit?: () => void;
}

/** Calls `call`; its value (now or later) becomes `ok(value)`, an error a `failed` action. */
function settle<T>(effect: Effect, dispatch: Dispatch, call: () => MaybePromise<T>, ok: (value: T) => Action): void {
	const fail = (e: unknown) => dispatch({ type: "failed", effect, error: errorText(e) });
	let result: MaybePromise<T>;
	try {
		result = call();
	} catch (e) {
		fail(e);
		return;
	}
	if (result instanceof Promise) result.then((v) => dispatch(ok(v)), fail);
	else dispatch(ok(result));
}

export class Effects {
	readonly tree: TreeReader;
	host: EffectHost = { exit: () => {} };

	constructor(private readonly controller: Controller) {
		this.tree = new TreeReader(() => controller.tree);
	}

	readonly run = (effect: Effect, dispatch: Dispatch): void => {
		const c = this.controller;
		const done = (o: unknown): Action => {
			const message = o && typeof o === "object" && "message" in o ? String(o.message ?? "") : undefined;
			const showEvents = Boolean(o && typeof o === "object" && "showEvents" in o && o.showEvents === true);
			return { type: "done", effect, message: message || undefined, ...(showEvents ? { showEvents: true } : {}) };
		};
		switch (effect.kind) {
			case "rows":
				this.tree.request(effect, dispatch);
				return;
			case "quit":
				this.tree.cancel();
				try {
					c.quit();
				} catch {
					// Leaving anyway: the runner's cleanup releases what quit() could not.
				}
				this.host.onQuit?.();
				this.host.exit();
				return;
			case "toggle": {
				const { path, confirmed, filter } = effect;
				settle(
					effect,
					dispatch,
					() => c.toggle(path, filter === undefined ? { confirmed } : { confirmed, filter }),
					(o): Action =>
						o && "needsConfirm" in o && o.needsConfirm !== undefined
							? { type: "needsConfirm", path, count: o.needsConfirm, ...(filter === undefined ? {} : { filter }) }
							: done(o),
				);
				return;
			}
			case "showD":
				settle(
					effect,
					dispatch,
					() => c.d(effect.id),
					(d): Action => ({ type: "showD", title: effect.title, d }),
				);
				return;
			default:
				settle(effect, dispatch, this.call(effect), done);
		}
	};

	/** The Controller call of an effect whose result is only a message (or an error). */
	private call(effect: Effect): () => MaybePromise<unknown> {
		const c = this.controller;
		switch (effect.kind) {
			case "disable":
				return () => c.disable(effect.id);
			case "cycleKey":
				return () => c.cycleKey(effect.id);
			case "stacks":
				return () => c.toggleStacks(effect.target);
			case "latency":
				return () => c.latency(effect.target);
			case "enableClause":
				return () => c.enableClause(effect.text);
			case "setTick":
				return () => c.setTick(effect.ms);
			case "pause":
				return () => c.pause(effect.paused);
			case "clear":
				return () => c.clear();
			case "rawNames":
				return () => c.rawNames(effect.raw);
			case "byContainer":
				return () => {
					if (!c.byContainer) throw new Error("this view cannot group by container.");
					return c.byContainer(effect.on);
				};
			default:
				throw new Error(`no controller call for the ${effect.kind} effect`);
		}
	}

	close(): void {
		this.tree.cancel();
	}
}
