// The one tick loop: reads the session every tickMs (unless paused) and hands
// the view on; `now()` ticks at once (after a change, or to print).
import type { Session } from "../session/session.ts";
import type { SessionView } from "../session/view.ts";
import { type LongTimer, longInterval } from "../util/timers.ts";

export class Ticker {
	#timer: LongTimer | undefined;

	constructor(
		private readonly session: Session,
		private readonly onTick: (view: SessionView) => void = () => {},
	) {}

	/** Tick every `session.tickMs` from now on. */
	start(): this {
		this.stop();
		this.#timer = longInterval(() => {
			if (!this.session.paused) this.now();
		}, this.session.tickMs);
		return this;
	}

	/** Change the interval (the UI's `+`/`-`), restarting the loop. */
	setInterval(ms: number): void {
		this.session.tickMs = ms;
		if (this.#timer) this.start();
	}

	/** Read the maps now and hand the view on. */
	now(): SessionView {
		const view = this.session.tick();
		this.onTick(view);
		return view;
	}

	stop(): void {
		this.#timer?.clear();
		this.#timer = undefined;
	}
}
