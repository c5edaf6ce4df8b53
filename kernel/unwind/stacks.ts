// Reading stacks back: the aggregation key holds a stack id, the stacks map the
// record behind it. Records never change once stored, so they are cached.
import { COLLISION_ID, R, recordSize } from "./layout.ts";
import type { UnwindMaps } from "./maps.ts";
import { STOP_NAMES, Stop, type StopReason, WalkFlags } from "./walk.ts";

export interface UserStack {
	id: bigint;
	/** The process (tgid) the stack was taken in. */
	pid: number;
	/** Frame 0 is the pc at the probe; the others are return addresses. */
	frames: number[];
	stop: StopReason;
	/** STOP_NAMES[stop], e.g. "complete", "no unwind information for the pc". */
	stopName: string;
	/** Some frames were found by frame pointers, in code without unwind information. */
	fpFallback: boolean;
	/** The walk went through a signal frame (into a signal handler's caller, the interrupted code). */
	signalFrame: boolean;
}

/** Why an id has no record. */
export type MissingStack = { id: bigint; missing: "collision" | "not recorded" };

export class StackReader {
	private readonly cache = new Map<bigint, UserStack>();
	private readonly key = Buffer.alloc(8);
	constructor(private readonly maps: UnwindMaps) {}

	/**
	 * The stack behind `id`. A missing record means the stacks map was full when
	 * the stack first occurred (counted in Counter.STACKS_FULL) or, for
	 * COLLISION_ID, that its hash collided with another stack's (Counter.COLLISIONS);
	 * the firings are still counted under the id.
	 */
	read(id: bigint): UserStack | MissingStack {
		if (id === COLLISION_ID) return { id, missing: "collision" };
		const have = this.cache.get(id);
		if (have) return have;
		this.key.writeBigUInt64LE(id);
		const v = this.maps.stacks.lookup(this.key);
		if (!v) return { id, missing: "not recorded" };
		const s = decodeRecord(id, v, this.maps.sizes.maxFrames);
		this.cache.set(id, s);
		return s;
	}
}

/** A stacks map value as a UserStack. */
export function decodeRecord(id: bigint, v: Buffer, maxFrames: number): UserStack {
	if (v.length < recordSize(Math.min(maxFrames, 1)))
		throw new Error(`a stack record of ${v.length} bytes is too short.`);
	const count = Math.min(v.readUInt16LE(R.COUNT), maxFrames, (v.length - R.FRAMES) / 8);
	const frames: number[] = [];
	for (let i = 0; i < count; i++) frames.push(Number(v.readBigUInt64LE(R.FRAMES + 8 * i)));
	// A process not loaded yet was walked by frame pointers alone: that is its stop reason.
	const stop = (v[R.FLAGS] & WalkFlags.UNKNOWN_PROCESS ? Stop.NO_PROCESS : v[R.STOP]) as StopReason;
	return {
		id,
		pid: v.readUInt32LE(R.TGID),
		frames,
		stop,
		stopName: STOP_NAMES[stop] ?? `stop reason ${stop}`,
		fpFallback: (v[R.FLAGS] & WalkFlags.FP_FALLBACK) !== 0,
		signalFrame: (v[R.FLAGS] & WalkFlags.SIGNAL_FRAME) !== 0,
	};
}

export { Stop };
