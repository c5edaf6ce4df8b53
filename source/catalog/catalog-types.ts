// The catalog's options, its change events, the state it keeps per process and
// the error for a process that is not there (catalog.ts).

import type { Tracefs } from "../../kernel/tracefs/index.ts";
import type { FbtAvailability } from "./fbt.ts";
import type { MappedObject } from "./objects.ts";
import type { PidProbe, Probe, UsdtProbe } from "./probe.ts";

export interface CatalogOptions {
	tracefs?: Tracefs;
	/** Scan processes for USDT probes (default true). */
	usdt?: boolean;
	/** Leave dtop's own process out (default true). */
	excludeSelf?: boolean;
	/** Override fbt detection (tests). */
	fbt?: FbtAvailability;
	/** A file remembering parsed objects across runs (see ObjectCache); saveIndex() writes it. */
	objectIndex?: string;
	/**
	 * false for a one-shot listing (`dtop -l`): processes are scanned once, so
	 * their start times and comm (one /proc/PID/stat read each) are not needed.
	 */
	live?: boolean;
}

export interface CatalogChange {
	added: Probe[];
	removed: Probe[];
	started: number[];
	exited: number[];
	/** Processes whose mappings changed (exec, an executable mmap) since they started; from kernel events only. */
	remapped?: number[];
	/** Started processes that were forked and have not exec'd: child → parent (kernel events only). */
	forks?: Map<number, number>;
	/** Code mapped at a known address (MAP_FIXED) and ranges unmapped, with when (kernel events only; symbolizing by time). */
	mappings?: MappingEvent[];
}

/** `path` set: `[start, end)` now maps `path` from file `offset`; else `[start, end)` was unmapped. At `at` (CLOCK_MONOTONIC ns). */
export interface MappingEvent {
	pid: number;
	at: number;
	start: number;
	end: number;
	path?: string;
	offset?: number;
}

/** The providers that list their own probes, from the registry (source/providers). */
export { STATIC_PROVIDERS } from "../providers/index.ts";

export interface ProcState {
	pid: number;
	startTime: number;
	comm: string;
	objects: MappedObject[];
	usdt: UsdtProbe[];
	/** pid-provider probes made on demand, by `${objectKey}\0${symbol}\0${which}`. */
	pidProbes: Map<string, PidProbe>;
	/** Scans left during which maps are re-read (a fork is followed by exec shortly after). */
	young: number;
}

/** A process-bound description names a process that is not there. */
export class ProcessNotFoundError extends Error {
	override readonly name = "ProcessNotFoundError";
	readonly pid: number;
	constructor(pid: number, what = `process ${pid} does not exist`) {
		super(what);
		this.pid = pid;
	}
}
