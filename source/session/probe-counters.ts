// The firings of each probe, per enabling, for the probe tree's live rates.
import type { EnablingState } from "./enabling.ts";
import { RollingCounter } from "./rolling.ts";

/**
 * Firings of each probe, per enabling: every enabling of a probe counts each of
 * its firings, so a probe's rate is one enabling's count, never their sum (and
 * two enablings reading at the same tick do not see each other's counts).
 */
export class ProbeCounters {
	private readonly byProbe = new Map<number, Map<EnablingState, RollingCounter>>();

	/** The counter of probe `id` in enabling `st`, made the first time. */
	of(st: EnablingState, id: number): RollingCounter {
		let per = this.byProbe.get(id);
		if (!per) this.byProbe.set(id, (per = new Map()));
		let c = per.get(st);
		if (!c) per.set(st, (c = new RollingCounter()));
		return c;
	}

	/** Stop counting probe `id` for `st`. */
	forgetProbe(st: EnablingState, id: number): void {
		const per = this.byProbe.get(id);
		per?.delete(st);
		if (per?.size === 0) this.byProbe.delete(id);
	}

	/** Stop counting the probes of `st` for the tree. */
	forget(st: EnablingState): void {
		for (const g of st.groups) for (const p of g.probes) this.forgetProbe(st, p.id);
	}

	/** `st` replaces `old`: the tree's rates go on (a fresh counter would show 0/s for a tick). */
	carryOver(old: EnablingState, st: EnablingState): void {
		for (const per of this.byProbe.values()) {
			const c = per.get(old);
			if (c && per.has(st)) {
				c.restart();
				per.set(st, c);
			}
			per.delete(old);
		}
	}

	/** Rolling rate of one probe (for the tree's live rate), if enabled. */
	rate(id: number): number | undefined {
		const per = this.byProbe.get(id);
		if (!per) return undefined;
		// Each enabling counts the firings its predicate lets through: the largest
		// count is the probe's, and adding them up would count a firing twice.
		let rate = 0;
		for (const c of per.values()) rate = Math.max(rate, c.rate);
		return rate;
	}

	has(id: number): boolean {
		return this.byProbe.has(id);
	}

	clear(): void {
		for (const per of this.byProbe.values()) for (const c of per.values()) c.clear();
	}
}
