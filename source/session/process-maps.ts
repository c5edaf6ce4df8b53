// The mappings of traced processes, read while they live so that their stacks
// symbolize (and unwind) after they exit.
import type { MappingEvent } from "../catalog/catalog-types.ts";
import { isKind, providerOf, type TraceProbe } from "../providers/index.ts";
import { unwindsAt } from "./build.ts";
import type { SharedMaps } from "./maps.ts";
import type { Symbolizer } from "./symbolize.ts";
import type { UnwoundProcesses } from "./unwinding.ts";

export class ProcessMaps {
	constructor(
		private readonly symbolizer: Symbolizer,
		private readonly unwound: UnwoundProcesses,
		private readonly maps: SharedMaps,
		/** `$target` (the -c/-p process). */
		private readonly target: number | undefined,
	) {}

	/** Remember the mappings of a traced process now, so its stacks symbolize after it exits. */
	captureFor(probes: TraceProbe[]): void {
		const pids = new Set<number>();
		if (this.target !== undefined) pids.add(this.target);
		// A probe on the file (widen.ts) names the process it was found in: a pre-fork
		// server's parent, whose mappings its children inherit (kernel/unwind/fork.ts).
		for (const p of probes) {
			const pid = isKind(p, "uprobe") ? (p.target.pid ?? p.target.seenIn) : undefined;
			if (pid) pids.add(pid);
		}
		for (const pid of pids) this.symbolizer.capture(pid);
		// Stacks go through the unwinder: its tables for these processes.
		// (Asked of the context a clause reading arguments gets: the widest.)
		const reads = { args: true, kernelStack: false };
		if (probes.some((p) => unwindsAt(providerOf(p).context(p, this.maps.env, reads).ctx) !== undefined)) {
			void this.maps.unwinder;
			for (const pid of pids) this.unwound.load(pid);
		}
	}

	/** Session.processesChanged: `userStacks` tells whether some enabling takes user stacks. */
	changed(
		userStacks: () => boolean,
		started: readonly number[],
		exited: readonly number[],
		remapped: readonly number[],
		forks?: ReadonlyMap<number, number>,
		mappings?: readonly MappingEvent[],
	): void {
		// What was mapped when (dlopen, dlclose, exec), before the maps are read again below.
		if (mappings?.length && userStacks()) this.symbolizer.mappingEvents(mappings);
		if ((started.length || remapped.length) && userStacks()) {
			for (const pid of started) {
				// A child that already exited keeps its parent's mappings (it had them).
				const parent = forks?.get(pid);
				if (parent !== undefined) this.symbolizer.forked(pid, parent);
				this.symbolizer.capture(pid, true);
			}
			// exec'd or mapped new code: what was read before is stale
			for (const pid of remapped) this.symbolizer.capture(pid, true);
			this.unwound.started([...started, ...remapped]);
		}
		for (const pid of exited) {
			this.symbolizer.exited(pid);
			this.unwound.exited(pid);
		}
	}

	/** Read a (stopped) process's mappings now, for symbolizing its stacks after it exits. */
	capture(pid: number): void {
		this.symbolizer.capture(pid, true);
		this.unwound.load(pid);
	}
}
