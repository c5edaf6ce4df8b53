// The BPF maps of the unwinder, created together and closed together:
//
//   procs        hash  tgid → that process's executable mappings (layout.ts)
//   objects      array object id → { first page, page count }
//   pages        array → { first row, row count } of one 4 KiB page of an object
//   rows         array → { address, rule id } (every loaded object's rows)
//   rules        array rule id → packed rule (shared by all objects)
//   scratch      per-CPU array: the walk's state and the record being built
//   stacks       hash  stack id → record { h2, tgid, count, stop, flags, pcs }
//   counters     per-CPU array of u64 (layout.ts Counter)
//   unknown_pids LRU hash tgid → 0: processes that fired before they were loaded
//
// The four arrays are BPF_F_MMAPABLE (Linux 5.5+): user space writes tables
// straight into them (one memcpy for node's 370,000 rows, instead of a system
// call per row), and the programs read them with inlined array lookups.
import { BpfMap, MapFlags, MapType } from "../bpf/map.ts";
import { pageSize } from "../bpf/native.ts";
import { type OpenObject, track, untrack } from "../bpf/registry.ts";
import { MAP_SHARED, PROT_READ, PROT_WRITE, sys } from "../sys/index.ts";
import type { UnwindMapFds } from "./bpf.ts";
import {
	COUNTER_SLOTS,
	OBJECT_SIZE,
	PAGE_SIZE,
	PROC_VALUE_SIZE,
	ROW_SIZE,
	RULE_SIZE,
	recordSize,
	scratchSize,
} from "./layout.ts";

export interface UnwindSizes {
	/** ustackframes: most frames a stack keeps (default 127, the kernel's perf_event_max_stack). */
	maxFrames: number;
	/** Rows of all loaded objects together (8 bytes each; default 1 Mi = 8 MiB). */
	rows: number;
	/** 4 KiB pages of code described (8 bytes each; default 64 Ki = 256 MiB of code). */
	pages: number;
	/** Distinct rules (16 bytes each; default 16 Ki). */
	rules: number;
	/** Objects loaded at once (default 2,048). */
	objects: number;
	/** Processes known at once (default 4,096; allocated on use, 4 KiB each). */
	processes: number;
	/** Distinct stacks kept (default 16 Ki; allocated as they appear). */
	stacks: number;
}

export const DEFAULT_SIZES: UnwindSizes = {
	maxFrames: 127,
	rows: 1 << 20,
	pages: 1 << 16,
	rules: 1 << 14,
	objects: 2048,
	processes: 4096,
	stacks: 1 << 14,
};

/** An mmap'ed BPF array: `buf` aliases the kernel's values. */
export class MappedArray {
	readonly buf: Buffer;
	private addr: bigint;
	private readonly length: number;
	private token: OpenObject | undefined;
	constructor(readonly map: BpfMap) {
		const page = pageSize();
		this.length = Math.ceil((map.valueSize * map.maxEntries) / page) * page;
		this.addr = sys().mmap(this.length, PROT_READ | PROT_WRITE, MAP_SHARED, map.fd, 0);
		this.buf = Buffer.from(sys().view(this.addr, this.length), 0, map.valueSize * map.maxEntries);
		this.token = track("memory", `mmap of ${map.name}`);
	}
	close(): void {
		if (!this.token) return;
		untrack(this.token);
		this.token = undefined;
		sys().munmap(this.addr, this.length);
		this.addr = 0n;
	}
}

export class UnwindMaps {
	readonly sizes: UnwindSizes;
	readonly scratch: BpfMap;
	readonly procs: BpfMap;
	readonly objects: BpfMap;
	readonly pages: BpfMap;
	readonly rows: BpfMap;
	readonly rules: BpfMap;
	readonly stacks: BpfMap;
	readonly counters: BpfMap;
	readonly unknownPids: BpfMap;
	readonly objectMem: MappedArray;
	readonly pageMem: MappedArray;
	readonly rowMem: MappedArray;
	readonly ruleMem: MappedArray;

	constructor(sizes: Partial<UnwindSizes> = {}) {
		const z = { ...DEFAULT_SIZES, ...sizes };
		this.sizes = z;
		const made: { close(): void }[] = [];
		const keep = <T extends { close(): void }>(x: T): T => {
			made.push(x);
			return x;
		};
		try {
			const array = (name: string, valueSize: number, maxEntries: number) =>
				keep(BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize, maxEntries, flags: MapFlags.MMAPABLE, name }));
			this.scratch = keep(
				BpfMap.create({
					type: MapType.PERCPU_ARRAY,
					keySize: 4,
					valueSize: scratchSize(z.maxFrames),
					maxEntries: 1,
					name: "uw_scratch",
				}),
			);
			this.procs = keep(
				BpfMap.create({
					type: MapType.HASH,
					keySize: 4,
					valueSize: PROC_VALUE_SIZE,
					maxEntries: z.processes,
					flags: MapFlags.NO_PREALLOC,
					name: "uw_procs",
				}),
			);
			this.objects = array("uw_objects", OBJECT_SIZE, z.objects);
			this.pages = array("uw_pages", PAGE_SIZE, z.pages);
			this.rows = array("uw_rows", ROW_SIZE, z.rows);
			this.rules = array("uw_rules", RULE_SIZE, z.rules);
			this.stacks = keep(
				BpfMap.create({
					type: MapType.HASH,
					keySize: 8,
					valueSize: recordSize(z.maxFrames),
					maxEntries: z.stacks,
					// Allocated as stacks appear (NMI-safe since Linux 6.1's BPF allocator), not 17 MB up front.
					flags: MapFlags.NO_PREALLOC,
					name: "uw_stacks",
				}),
			);
			this.counters = keep(
				BpfMap.create({
					type: MapType.PERCPU_ARRAY,
					keySize: 4,
					valueSize: 8,
					maxEntries: COUNTER_SLOTS,
					name: "uw_counters",
				}),
			);
			this.unknownPids = keep(
				BpfMap.create({ type: MapType.LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 1024, name: "uw_unknown" }),
			);
			this.objectMem = keep(new MappedArray(this.objects));
			this.pageMem = keep(new MappedArray(this.pages));
			this.rowMem = keep(new MappedArray(this.rows));
			this.ruleMem = keep(new MappedArray(this.rules));
		} catch (e) {
			for (const x of made.reverse()) x.close();
			throw e;
		}
	}

	fds(): UnwindMapFds {
		return {
			scratch: this.scratch.fd,
			procs: this.procs.fd,
			objects: this.objects.fd,
			pages: this.pages.fd,
			rows: this.rows.fd,
			rules: this.rules.fd,
			stacks: this.stacks.fd,
			counters: this.counters.fd,
			unknownPids: this.unknownPids.fd,
		};
	}

	/** Bytes the kernel holds for the preallocated maps (procs and stacks grow as used). */
	get preallocatedBytes(): number {
		const z = this.sizes;
		return z.rows * ROW_SIZE + z.pages * PAGE_SIZE + z.rules * RULE_SIZE + z.objects * OBJECT_SIZE;
	}

	close(): void {
		for (const m of [this.objectMem, this.pageMem, this.rowMem, this.ruleMem]) m.close();
		for (const m of [
			this.scratch,
			this.procs,
			this.objects,
			this.pages,
			this.rows,
			this.rules,
			this.stacks,
			this.counters,
			this.unknownPids,
		])
			m.close();
	}
}
