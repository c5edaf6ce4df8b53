// Rolling statistics over monotonic counters. The kernel's maps only ever grow;
// every tick the session feeds each key's cumulative count here and reads back
// the rate, the 10 s and 60 s sliding windows, the total since enabled and a
// short per-tick history for sparklines. All of it is computed from deltas in
// user space, so there is no read/clear race with the kernel.

export const HISTORY_TICKS = 60;
const KEEP_MS = 60_000;

export class RollingCounter {
	/** Tick times (ms) and accumulated totals at those ticks, oldest first. */
	private times: number[] = [];
	private accs: number[] = [];
	/** Last raw cumulative value read from the kernel. */
	private lastRaw: number | undefined;
	/** Accumulated firings since enabled (sum of deltas). */
	private acc = 0;
	/** Accumulated value at the last clear. */
	private base = 0;
	/** Per-tick deltas, oldest first, at most HISTORY_TICKS. */
	readonly history: number[] = [];
	/** Firings per second over the last tick. */
	rate = 0;
	/** Set by restart(): the next observation keeps `rate`. */
	private keepRate = false;

	/**
	 * Record the kernel's cumulative count `raw` observed at `now` (ms). The first
	 * observation is the baseline when `fromZero` is false (a key that already had
	 * firings when first seen still counts them when `fromZero` is true, which is
	 * right for keys born during this session).
	 */
	observe(now: number, raw: number, fromZero = true): void {
		let delta: number;
		if (this.lastRaw === undefined) delta = fromZero ? raw : 0;
		else if (raw >= this.lastRaw) delta = raw - this.lastRaw;
		else delta = raw; // the key was evicted and made anew: its count restarted
		this.lastRaw = raw;
		this.acc += delta;
		const prevTime = this.times.at(-1);
		const dt = prevTime === undefined ? 0 : now - prevTime;
		if (this.keepRate) this.keepRate = false;
		else this.rate = dt > 0 ? (delta * 1000) / dt : 0;
		this.times.push(now);
		this.accs.push(this.acc);
		this.history.push(delta);
		if (this.history.length > HISTORY_TICKS) this.history.shift();
		// Keep one sample at or before now - 60 s so the longest window stays exact.
		while (this.times.length > 2 && this.times[1] <= now - KEEP_MS) {
			this.times.shift();
			this.accs.shift();
		}
	}

	/** Firings since enabled (or since the last clear). */
	get total(): number {
		return this.acc - this.base;
	}

	/** Firings during the last `ms` milliseconds, at tick granularity. */
	window(ms: number): number {
		const n = this.times.length;
		if (n === 0) return 0;
		const edge = this.times[n - 1] - ms;
		let from = this.base;
		for (let i = n - 1; i >= 0; i--) {
			if (this.times[i] <= edge) {
				from = Math.max(this.accs[i], this.base);
				break;
			}
		}
		return this.acc - from;
	}

	/**
	 * The kernel's count starts again from zero (the enabling was rebuilt): the
	 * next reading is all new. It comes at once (the UI reads after a change) and
	 * covers a moment, not a tick, so it keeps the rate; the one after sets it.
	 */
	restart(): void {
		this.lastRaw = 0;
		this.keepRate = true;
	}

	/** Forget history (the `c` key): windows and totals restart from now. */
	clear(): void {
		this.base = this.acc;
		this.history.length = 0;
		this.rate = 0;
	}
}
