// The maps every enabling of a session shares: per-CPU counters (drops and
// inserts, one slot each), the zero buffer, thread-locals and stacks. Made on
// first use; the thread-local and stack maps are big (a 65,536-entry LRU hash,
// ~16 MB of stack slots), so only when a clause needs them. The unwinder's
// maps (kernel/unwind: .eh_frame tables, its stacks) likewise, for ustack() at
// uprobes.
import { BpfMap, MapType, possibleCpuCount, probeFeature } from "../../kernel/bpf/index.ts";
import { STACK_DEPTH } from "../../kernel/codegen/ir.ts";
import { Unwinder } from "../../kernel/unwind/unwinder.ts";
import type { ProviderEnv } from "../providers/types.ts";
import { SessionError } from "./errors.ts";

const COUNTER_SLOTS = 4096;
const ZERO_SIZE = 16384;

export class SharedMaps {
	#counters: BpfMap | undefined;
	#zero: BpfMap | undefined;
	#tls: BpfMap | undefined;
	#stacks: BpfMap | undefined;
	#unwinder: Unwinder | undefined;
	#cpus: number | undefined;
	#env: ProviderEnv | undefined;
	#nextSlot = 0;
	#freeSlots: number[] = [];

	get cpus(): number {
		this.#cpus ??= possibleCpuCount();
		return this.#cpus;
	}

	/** What the machine offers the providers. */
	get env(): ProviderEnv {
		this.#env ??= { uprobeMulti: probeFeature("uprobeMulti").supported };
		return this.#env;
	}

	get counters(): BpfMap {
		this.#counters ??= BpfMap.create({
			type: MapType.PERCPU_ARRAY,
			keySize: 4,
			valueSize: 8,
			maxEntries: COUNTER_SLOTS,
			name: "dtop_ctr",
		});
		return this.#counters;
	}

	get zero(): BpfMap {
		this.#zero ??= BpfMap.create({
			type: MapType.ARRAY,
			keySize: 4,
			valueSize: ZERO_SIZE,
			maxEntries: 1,
			name: "dtop_zero",
		});
		return this.#zero;
	}

	get tls(): BpfMap {
		this.#tls ??= BpfMap.create({
			type: MapType.LRU_HASH,
			keySize: 16,
			valueSize: 8,
			maxEntries: 65536,
			name: "dtop_self",
		});
		return this.#tls;
	}

	get stacks(): BpfMap {
		this.#stacks ??= BpfMap.createStackTrace({ maxEntries: 16384, maxDepth: STACK_DEPTH, name: "dtop_stacks" });
		return this.#stacks;
	}

	/** The .eh_frame unwinder (its maps, tables and stacks), made on first use. */
	get unwinder(): Unwinder {
		this.#unwinder ??= new Unwinder();
		return this.#unwinder;
	}

	/** The unwinder if one was made (reading stacks must not create one). */
	get unwinderIfMade(): Unwinder | undefined {
		return this.#unwinder;
	}

	/** A counter slot, zeroed (slots are reused: a new owner starts from 0). */
	allocSlot(): number {
		const s = this.#freeSlots.pop() ?? this.#nextSlot++;
		if (s >= COUNTER_SLOTS) throw new SessionError("too many aggregations are enabled; disable some first.");
		this.counters.update(
			slotKey(s),
			Array.from({ length: this.cpus }, () => Buffer.alloc(8)),
		);
		return s;
	}

	freeSlot(slot: number): void {
		if (slot >= 0) this.#freeSlots.push(slot);
	}

	/** A counter summed over CPUs. */
	readCounter(slot: number): number {
		const v = this.counters.lookupPerCpu(slotKey(slot));
		return v ? v.reduce((n, b) => n + Number(b.readBigUInt64LE(0)), 0) : 0;
	}

	/** Close every map made so far; the first failure is thrown after all were tried. */
	close(): void {
		let first: unknown;
		for (const m of [this.#counters, this.#zero, this.#tls, this.#stacks, this.#unwinder]) {
			if (!m) continue;
			try {
				m.close();
			} catch (e) {
				first ??= e;
			}
		}
		this.#counters = this.#zero = this.#tls = this.#stacks = undefined;
		this.#unwinder = undefined;
		if (first) throw first;
	}
}

function slotKey(slot: number): Buffer {
	const key = Buffer.alloc(4);
	key.writeUInt32LE(slot);
	return key;
}
