// Putting per-CPU record streams in the order their output is printed.
// Records of one CPU always keep their order. At each switchrate interval the
// consumer drains what arrived: in "timestamp" order (the default) the CPUs'
// records are merged by timestamp (equal stamps: lower CPU first), like
// illumos DTrace's temporal option; in "cpu" order each CPU's records follow
// the previous CPU's, as DTrace for Linux's dtrace_consume() prints them.
// Either way BEGIN's records come before everything else and END's after
// everything else, as dtrace_consume() arranges. Records are never reordered
// across drains, and records the kernel could not write are counted per CPU.

export interface Timed {
	cpu: number;
	timestamp: bigint;
	/** Records of the BEGIN or END probe. */
	phase?: "begin" | "end";
}

export type MergeOrder = "timestamp" | "cpu";

export interface Drained<T> {
	records: T[];
	/** Records lost per CPU since the last drain (the consumer prints cpuDropLine for each). */
	drops: Map<number, bigint>;
}

export class EventMerger<T extends Timed> {
	private readonly queues = new Map<number, T[]>();
	private readonly lost = new Map<number, bigint>();

	constructor(private readonly order: MergeOrder = "timestamp") {}

	/** Records read from one CPU's buffer, in that buffer's order. */
	push(cpu: number, records: Iterable<T>): void {
		let q = this.queues.get(cpu);
		if (!q) this.queues.set(cpu, (q = []));
		for (const r of records) q.push(r);
	}

	/** Records the kernel dropped on a CPU (full buffer). */
	drop(cpu: number, count: bigint | number): void {
		if (BigInt(count) > 0n) this.lost.set(cpu, (this.lost.get(cpu) ?? 0n) + BigInt(count));
	}

	/** Everything pushed since the last drain, in output order. */
	drain(): Drained<T> {
		const cpus = [...this.queues.keys()].sort((a, b) => a - b);
		const begin: T[] = [];
		const end: T[] = [];
		const rest = new Map<number, T[]>();
		for (const c of cpus) {
			const q = this.queues.get(c)!;
			const mid: T[] = [];
			for (const r of q) (r.phase === "begin" ? begin : r.phase === "end" ? end : mid).push(r);
			rest.set(c, mid);
		}
		this.queues.clear();
		const drops = new Map(this.lost);
		this.lost.clear();
		const byTime = (a: T, b: T) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : a.cpu - b.cpu);
		begin.sort(byTime);
		end.sort(byTime);
		const middle =
			this.order === "cpu" ? cpus.flatMap((c) => rest.get(c)!) : mergeByTime(cpus.map((c) => rest.get(c)!));
		return { records: [...begin, ...middle, ...end], drops };
	}
}

/** A k-way merge that takes each queue's head in turn: per-queue order is kept even if its stamps are not monotonic. */
function mergeByTime<T extends Timed>(queues: T[][]): T[] {
	const live = queues.filter((q) => q.length);
	if (live.length <= 1) return live[0] ?? [];
	const at = new Array<number>(live.length).fill(0);
	const out: T[] = [];
	for (;;) {
		let best = -1;
		for (let i = 0; i < live.length; i++) {
			if (at[i] >= live[i].length) continue;
			if (best < 0) {
				best = i;
				continue;
			}
			const a = live[i][at[i]];
			const b = live[best][at[best]];
			if (a.timestamp < b.timestamp || (a.timestamp === b.timestamp && a.cpu < b.cpu)) best = i;
		}
		if (best < 0) return out;
		out.push(live[best][at[best]++]);
	}
}
