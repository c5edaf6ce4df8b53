// The `container` variable: BPF cannot build a name from a cgroup path, so the
// consumer does. Every container name gets a number (interned here); a BPF hash
// map holds cgroup id → number for every cgroup of the hierarchy, filled when
// the first clause uses `container` (one walk of /sys/fs/cgroup). A clause's
// `container` is then the number of the firing process's cgroup, so
// `container == "web.service"` is a comparison of numbers and `@[container]`
// merges a container's sub-cgroups in the kernel.
//
// A cgroup made after the fill is not in the map: the program then answers
// "unknown" (the cgroup id with the top bit set, never equal to a number) and
// puts the id in a small misses map. Every tick the consumer reads the misses
// map (one system call when it is empty), walks the hierarchy again, and
// enters the new cgroups, so a new container counts from the tick after its
// first firing; until then its firings do not match a `container ==`
// predicate and an aggregation key shows its name all the same (resolved when
// printed), possibly in a second row for that first tick.
import { BpfMap, MapType } from "../../kernel/bpf/index.ts";
import { CgroupIndex, containerName } from "../catalog/cgroups.ts";

export const UNKNOWN_BIT = 1n << 63n;
const MAX_CGROUPS = 65536;
const MAX_MISSES = 1024;

function u64(v: bigint): Buffer {
	const b = Buffer.alloc(8);
	b.writeBigUInt64LE(v);
	return b;
}

export class ContainerTable {
	readonly names: BpfMap;
	readonly misses: BpfMap;
	readonly index: CgroupIndex;
	#numbers = new Map<string, number>();
	#byNumber: string[] = [""];
	#entered = new Set<bigint>();

	constructor(index = new CgroupIndex()) {
		this.index = index;
		this.names = BpfMap.create({
			type: MapType.HASH,
			keySize: 8,
			valueSize: 8,
			maxEntries: MAX_CGROUPS,
			name: "dtop_ctnames",
		});
		this.misses = BpfMap.create({
			type: MapType.HASH,
			keySize: 8,
			valueSize: 8,
			maxEntries: MAX_MISSES,
			name: "dtop_ctmiss",
		});
		try {
			this.index.walk();
			for (const [id, path] of this.index.all()) this.enter(id, path);
		} catch (e) {
			this.close();
			throw e;
		}
	}

	/** The number of a container name (a new one for a name not seen yet). */
	intern(name: string): number {
		let n = this.#numbers.get(name);
		if (n === undefined) {
			n = this.#byNumber.length;
			this.#byNumber.push(name);
			this.#numbers.set(name, n);
		}
		return n;
	}

	private enter(id: bigint, path: string): void {
		if (this.#entered.has(id) || this.#entered.size >= MAX_CGROUPS) return;
		this.names.update(u64(id), u64(BigInt(this.intern(containerName(path)))));
		this.#entered.add(id);
	}

	/** Enter the cgroups programs missed since the last call (one system call when there are none). */
	poll(): void {
		const missed = this.misses.keys();
		if (missed.length === 0) return;
		this.index.walk();
		for (const k of missed) {
			const id = k.readBigUInt64LE(0);
			const path = this.index.path(id);
			if (path !== undefined) this.enter(id, path);
			this.misses.delete(k);
		}
	}

	/** A recorded `container` value as its name. */
	format(v: bigint): string {
		const raw = BigInt.asUintN(64, v);
		if ((raw & UNKNOWN_BIT) === 0n) return this.#byNumber[Number(raw)] ?? `<container ${raw}?>`;
		const id = raw & ~UNKNOWN_BIT;
		const path = this.index.path(id);
		// A process in a cgroup this mount does not show (another cgroup namespace): said, never "".
		return path === undefined ? `<cgroup ${id}: not under ${this.index.mount ?? "cgroup2"}>` : containerName(path);
	}

	close(): void {
		this.names.close();
		this.misses.close();
	}
}
