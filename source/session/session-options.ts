// What a Session is made with (session.ts).
import type { ProbeSource } from "./probes.ts";

export interface SessionOptions {
	probes: ProbeSource;
	tickMs?: number;
	/** `$target` (the -c/-p process). */
	target?: number;
	maxProbesPerEnabling?: number;
	/** Keys per aggregation map before the oldest are evicted. */
	aggEntries?: number;
	/** Bytes of the per-event ring buffer (the bufsize option; a power of two, at least a page). */
	bufsize?: number;
	/** The strsize option: the characters a string holds, its NUL not counted (DTrace's 256). */
	strsize?: number;
	/** Bytes of dynamic variable space per associative array (the dynvarsize option; DTrace's 1m). */
	dynvarsize?: number;
	now?: () => number;
	/** Speculations per enabling (the nspec option) and the bytes each may hold (specsize). */
	nspec?: number;
	specsize?: number;
	/** `-x nodemangle`: C++ and Rust names in stacks and probefunc keys as the binaries hold them. */
	nodemangle?: boolean;
	/** `--trace-self`: dtop's own process is traced too (by default every clause leaves it out). */
	traceSelf?: boolean;
	/** `--cgroup PATH`: every enabling counts only processes in that cgroup subtree. */
	cgroup?: string;
}
