// The maps every enabling of a session shares: per-CPU counters (drops and
// inserts, one slot each), the zero buffer, thread-locals and stacks. Made on
// first use; the thread-local and stack maps are big (a 65,536-entry LRU hash,
// ~16 MB of stack slots), so only when a clause needs them. The unwinder's
// maps (kernel/unwind: .eh_frame tables, its stacks) likewise, for ustack() at
// uprobes. The per-event ring buffer, its scratch buffer and the state map too.
import { BpfMap, MapType, pageSize, possibleCpuCount, probeFeature, taskStorageMap } from "../../kernel/bpf/index.ts";
import { kernelMemberOffset } from "../../kernel/btf/index.ts";
import { BUF_SIZE, STACK_DEPTH } from "../../kernel/codegen/ir.ts";
import { tracefs } from "../../kernel/tracefs/index.ts";
import { Unwinder } from "../../kernel/unwind/unwinder.ts";
import type { ProviderEnv, TraceProbe } from "../providers/types.ts";
import { cgroupScopeFor, cgroupScopeMap } from "./cgroup-scope.ts";
import { ContainerTable } from "./containers.ts";
import { SessionError } from "./errors.ts";

const COUNTER_SLOTS = 4096;
const ZERO_SIZE = 16384;
/** The largest per-event record (a per-CPU scratch value). */
export const SCRATCH_SIZE = 8192;

export class SharedMaps {
	#counters: BpfMap | undefined;
	#zero: BpfMap | undefined;
	#tls: BpfMap | undefined;
	#stacks: BpfMap | undefined;
	#ring: BpfMap | undefined;
	#scratch: BpfMap | undefined;
	#state: BpfMap | undefined;
	#buf: BpfMap | undefined;
	#taskBuf: BpfMap | undefined;
	#taskScratch: BpfMap | undefined;
	#ringDropSlot: number | undefined;
	/**
	 * Bytes of the ring buffer: DTrace's bufsize is each CPU's buffer, and all
	 * CPUs share this one, so bufsize times the CPUs, made a power of two of at
	 * least a page (at most 1 GiB).
	 */
	readonly ringBytes: number;

	constructor(bufsize = 4 << 20) {
		const want = bufsize * possibleCpuCount();
		let n = pageSize();
		while (n < want && n < 1 << 30) n *= 2;
		this.ringBytes = n;
	}
	#unwinder: Unwinder | undefined;
	#followFailed = false;
	#containers: ContainerTable | undefined;
	#cgroupScope: BpfMap | undefined;
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
		this.#counters ??= arrayMap(MapType.PERCPU_ARRAY, 8, COUNTER_SLOTS, "dtop_ctr");
		return this.#counters;
	}

	get zero(): BpfMap {
		this.#zero ??= arrayMap(MapType.ARRAY, ZERO_SIZE, 1, "dtop_zero");
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

	/** The per-event ring buffer every recording clause writes to. */
	get ring(): BpfMap {
		this.#ring ??= BpfMap.create({
			type: MapType.RINGBUF,
			keySize: 0,
			valueSize: 0,
			maxEntries: this.ringBytes,
			name: "dtop_events",
		});
		return this.#ring;
	}

	/** Where a clause builds its record before it is copied into the ring buffer (per CPU). */
	get scratch(): BpfMap {
		this.#scratch ??= arrayMap(MapType.PERCPU_ARRAY, SCRATCH_SIZE, 1, "dtop_scratch");
		return this.#scratch;
	}

	/** Where programs build keys, compared strings and clause-locals (per CPU; see strings.ts). */
	get buf(): BpfMap {
		this.#buf ??= arrayMap(MapType.PERCPU_ARRAY, BUF_SIZE, 1, "dtop_buf");
		return this.#buf;
	}

	/** {u64 flag, u64 status}: set by exit() or before END; every program but BEGIN/END then does nothing. */
	get state(): BpfMap {
		this.#state ??= arrayMap(MapType.ARRAY, 16, 1, "dtop_state");
		return this.#state;
	}

	/** The counter of records the ring buffer could not take, per CPU. */
	get ringDropSlot(): number {
		this.#ringDropSlot ??= this.allocSlot();
		return this.#ringDropSlot;
	}

	/** The buffer and the record scratch of sleepable programs: per thread (kernel/bpf/task-storage.ts). */
	get taskBuf(): BpfMap {
		this.#taskBuf ??= taskStorageMap(BUF_SIZE, "dtop_tbuf");
		return this.#taskBuf;
	}
	get taskScratch(): BpfMap {
		this.#taskScratch ??= taskStorageMap(SCRATCH_SIZE, "dtop_tscratch");
		return this.#taskScratch;
	}

	/** The state flag and exit() status, if set. */
	readState(): { stopped: boolean; status: number } {
		const v = this.#state?.lookup(slotKey(0));
		if (!v) return { stopped: false, status: 0 };
		return { stopped: v.readBigUInt64LE(0) !== 0n, status: Number(BigInt.asIntN(32, v.readBigUInt64LE(8))) };
	}

	/** Set the state flag: every program but BEGIN/END stops recording. */
	stop(): void {
		const v = Buffer.alloc(16);
		const have = this.state.lookup(slotKey(0));
		if (have) have.copy(v);
		if (v.readBigUInt64LE(0) !== 0n) return;
		v.writeBigUInt64LE(1n, 0);
		this.state.update(slotKey(0), v);
	}

	/** Clear the state flag (the UI, after an enabling's exit()): every program records again. */
	resume(): void {
		if (this.#state) this.#state.update(slotKey(0), Buffer.alloc(16));
	}

	/** A per-CPU counter, one value per CPU. */
	readCounterPerCpu(slot: number): bigint[] {
		const v = this.counters.lookupPerCpu(slotKey(slot));
		return v ? v.map((b) => b.readBigUInt64LE(0)) : [];
	}

	/** The .eh_frame unwinder (its maps, tables and stacks), made on first use. */
	get unwinder(): Unwinder {
		this.#unwinder ??= new Unwinder();
		if (!this.#unwinder.followingForks && !this.#followFailed) this.#followFailed = !followForks(this.#unwinder);
		return this.#unwinder;
	}

	/** The container-name maps of `container` (source/session/containers.ts), made on first use. */
	get containers(): ContainerTable {
		this.#containers ??= new ContainerTable();
		return this.#containers;
	}

	get containersIfMade(): ContainerTable | undefined {
		return this.#containers;
	}

	/** --cgroup: the CGROUP_ARRAY every enabling's programs check, or undefined (no limit). */
	get cgroupScope(): BpfMap | undefined {
		return this.#cgroupScope;
	}

	/** The --cgroup map's fd for a group of probes (none for BEGIN/END/ERROR and tick-N). */
	cgroupScopeFor(probes: TraceProbe[]): number | undefined {
		return cgroupScopeFor(this.#cgroupScope, probes);
	}

	/** Limit every enabling made from now on to the cgroup subtree at `path` (SessionError if it is none). */
	scopeToCgroup(path: string): void {
		this.#cgroupScope?.close();
		this.#cgroupScope = cgroupScopeMap(path);
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
		for (const m of [
			this.#counters,
			this.#zero,
			this.#tls,
			this.#stacks,
			this.#unwinder,
			this.#ring,
			this.#scratch,
			this.#state,
			this.#buf,
			this.#taskBuf,
			this.#taskScratch,
			this.#containers,
			this.#cgroupScope,
		]) {
			if (!m) continue;
			try {
				m.close();
			} catch (e) {
				first ??= e;
			}
		}
		this.#counters =
			this.#zero =
			this.#tls =
			this.#stacks =
			this.#ring =
			this.#scratch =
			this.#state =
			this.#buf =
			this.#taskBuf =
			this.#taskScratch =
				undefined;
		this.#ringDropSlot = undefined;
		this.#unwinder = undefined;
		this.#containers = undefined;
		this.#cgroupScope = undefined;
		if (first) throw first;
	}
}

/** A map under u32 keys (an array): `maxEntries` values of `valueSize` bytes. */
function arrayMap(type: number, valueSize: number, maxEntries: number, name: string): BpfMap {
	return BpfMap.create({ type, keySize: 4, valueSize, maxEntries, name });
}

function slotKey(slot: number): Buffer {
	const key = Buffer.alloc(4);
	key.writeUInt32LE(slot);
	return key;
}

/**
 * The unwinder's entries follow fork and exec in the kernel (kernel/unwind/fork.ts).
 * Without task:task_newtask (old kernels) new processes are walked by frame
 * pointers until user space has loaded them, as before.
 */
function followForks(u: Unwinder): boolean {
	try {
		const t = tracefs();
		const fields = t.format("task", "task_newtask").fields;
		const pid = fields.find((f) => f.name === "pid")?.offset;
		const cloneFlags = fields.find((f) => f.name === "clone_flags")?.offset;
		if (pid === undefined || cloneFlags === undefined) {
			u.addProblem("new processes are walked by frame pointers until loaded (task_newtask has no pid or clone_flags)");
			return false;
		}
		u.followForks({
			newtask: { pid, cloneFlags },
			// Raw tracepoints where BTF gives task->pid: they detach without waiting.
			taskPid: kernelMemberOffset("task_struct", "pid"),
			newtaskId: t.eventId("task", "task_newtask"),
			execId: t.eventId("sched", "sched_process_exec"),
		});
		return true;
	} catch (e) {
		// No tracefs event or a refused program: processes load from user space only.
		u.addProblem(
			`new processes are walked by frame pointers until loaded (fork following failed: ${(e as Error).message})`,
		);
		return false;
	}
}
