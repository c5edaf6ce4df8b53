// Holds the UI's state and runs what each action asks for. dispatch() reduces the
// action, then runs its effects; an effect that answers at once (most Controller
// calls, a tree read that fits its time slice) dispatches its result right there,
// before the next key of a burst is reduced, so every key sees the effect of the
// one before it. Listeners (React) hear once per outermost dispatch.

import { reduce } from "./reduce.ts";
import type { Action, Effect, State } from "./state.ts";

export type RunEffect = (effect: Effect, dispatch: (...actions: Action[]) => void) => void;

export class Store {
	private state: State;
	private readonly listeners = new Set<() => void>();
	private depth = 0;

	constructor(
		state: State,
		private readonly run: RunEffect,
	) {
		this.state = state;
	}

	readonly getState = (): State => this.state;

	readonly subscribe = (listener: () => void): (() => void) => {
		this.listeners.add(listener);
		return () => {
			this.listeners.delete(listener);
		};
	};

	/** Runs the effects the first state asks for (its first tree rows). */
	start(): void {
		this.depth++;
		try {
			this.runEffects(this.state.effects);
		} finally {
			this.depth--;
		}
	}

	readonly dispatch = (...actions: Action[]): void => {
		this.depth++;
		try {
			for (const action of actions) {
				this.state = reduce(this.state, action);
				this.runEffects(this.state.effects);
			}
		} finally {
			this.depth--;
		}
		if (this.depth === 0) for (const l of [...this.listeners]) l();
	};

	private runEffects(effects: readonly Effect[]): void {
		for (const effect of effects) this.run(effect, this.dispatch);
	}
}
