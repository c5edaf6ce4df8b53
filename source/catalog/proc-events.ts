// Process events from the kernel: exec, fork (processes, not threads), exit,
// rename and executable mmap, read from a BPF ring buffer the programs of
// kernel/codegen/proc-events.ts write. Reading the ring is a memory access (no
// system call), so an idle machine costs dtop nothing but its timer.
import { attachTracepoint, type Link } from "../../kernel/attach/index.ts";
import { BpfMap, MapType, Program, ProgType, RingBuffer } from "../../kernel/bpf/index.ts";
import { kernelMemberOffset } from "../../kernel/btf/index.ts";
import {
	CTL,
	CTL_SIZE,
	compileExec,
	compileExit,
	compileFork,
	compileMmap,
	compileRename,
	type ProcEventOffsets,
	ProcEventType,
	REC,
	STATS,
	STATS_SIZE,
} from "../../kernel/codegen/proc-events.ts";
import type { Tracefs } from "../../kernel/tracefs/index.ts";

export type ProcEvent =
	| { type: "exec"; pid: number; comm: string; held: boolean }
	| { type: "fork"; pid: number; parent: number; comm: string }
	| { type: "exit"; pid: number }
	| { type: "comm"; pid: number; tid: number; comm: string }
	| { type: "mmap"; pid: number; held: boolean };

/** Holds stop this long after the reader last renewed them (it renews every 250 ms while it runs; a busy event loop must not let it lapse). */
const HOLD_LEASE_NS = 1_000_000_000n;

/** 1 MiB: at 1,000 process starts a second (~8 records each) about 3 s of slack. */
const RING_SIZE = 1 << 20;

export class ProcessEvents {
	readonly #ring: RingBuffer;
	readonly #ringMap: BpfMap;
	readonly #ctl: BpfMap;
	readonly #stats: BpfMap;
	readonly #self: number;
	readonly #programs: Program[] = [];
	readonly #links: Link[] = [];
	#hold = false;
	#renewed = 0n;
	/** Whether holds skip children of dtop (needs BTF for task_struct offsets). */
	readonly spareChildren: boolean;

	constructor(tracefs: Tracefs, options: { self?: number; ringSize?: number } = {}) {
		const self = options.self ?? process.pid;
		const field = (group: string, event: string, name: string): number | undefined =>
			tracefs.format(group, event).fields.find((f) => f.name === name)?.offset;
		const need = (group: string, event: string, name: string): number => {
			const at = field(group, event, name);
			if (at === undefined) throw new Error(`tracepoint ${group}:${event} has no field '${name}'.`);
			return at;
		};
		const offsets: ProcEventOffsets = {
			newtaskPid: need("task", "task_newtask", "pid"),
			newtaskFlags: need("task", "task_newtask", "clone_flags"),
			exitGroupDead: field("sched", "sched_process_exit", "group_dead"),
			renamePid: need("task", "task_rename", "pid"),
			renameComm: need("task", "task_rename", "newcomm"),
			mmapProt: need("syscalls", "sys_enter_mmap", "prot"),
			mmapFd: need("syscalls", "sys_enter_mmap", "fd"),
			...taskOffsets(),
		};
		this.spareChildren = offsets.taskParent !== undefined;
		this.#self = self;
		this.#ringMap = BpfMap.create({
			type: MapType.RINGBUF,
			keySize: 0,
			valueSize: 0,
			maxEntries: options.ringSize ?? RING_SIZE,
			name: "dtop_procs",
		});
		try {
			this.#ctl = BpfMap.create({
				type: MapType.ARRAY,
				keySize: 4,
				valueSize: CTL_SIZE,
				maxEntries: 1,
				name: "dtop_procctl",
			});
			this.#stats = BpfMap.create({
				type: MapType.ARRAY,
				keySize: 4,
				valueSize: STATS_SIZE,
				maxEntries: 1,
				name: "dtop_procstat",
			});
			this.#ctl.update(Buffer.alloc(4), this.#control(false));
			const maps = { ringFd: this.#ringMap.fd, ctlFd: this.#ctl.fd, statsFd: this.#stats.fd };
			const programs: [string, string, typeof compileExec][] = [
				["sched", "sched_process_exec", compileExec],
				["task", "task_newtask", compileFork],
				["sched", "sched_process_exit", compileExit],
				["task", "task_rename", compileRename],
				["syscalls", "sys_enter_mmap", compileMmap],
			];
			for (const [group, event, compile] of programs) {
				const program = Program.load({
					type: ProgType.TRACEPOINT,
					insns: compile(maps, offsets),
					name: `dtop_${event.replace(/^sched_process_|^task_|^sys_enter_/, "p")}`,
					license: "GPL",
				});
				this.#programs.push(program);
				this.#links.push(
					attachTracepoint(program.fd, { id: tracefs.eventId(group, event), name: `${group}:${event}` }),
				);
			}
			this.#ring = new RingBuffer(this.#ringMap);
		} catch (e) {
			this.close();
			throw e;
		}
	}

	/** Bytes waiting in the ring, and its size. */
	available(): number {
		return this.#ring.available();
	}

	get size(): number {
		return this.#ring.size;
	}

	/** Records waiting, decoded, oldest first. No system call. */
	poll(): ProcEvent[] {
		const out: ProcEvent[] = [];
		for (const r of this.#ring.poll()) {
			const pid = r.readUInt32LE(REC.pid);
			const tid = r.readUInt32LE(REC.tid);
			const aux = r.readUInt32LE(REC.aux);
			const end = r.indexOf(0, REC.comm);
			const comm = r.toString("latin1", REC.comm, end < 0 || end > REC.comm + 16 ? REC.comm + 16 : end);
			switch (r.readUInt32LE(REC.type)) {
				case ProcEventType.EXEC:
					out.push({ type: "exec", pid, comm, held: aux === 1 });
					break;
				case ProcEventType.FORK:
					out.push({ type: "fork", pid: tid, parent: pid, comm });
					break;
				case ProcEventType.EXIT:
					out.push({ type: "exit", pid });
					break;
				case ProcEventType.COMM:
					out.push({ type: "comm", pid, tid, comm });
					break;
				case ProcEventType.MMAP:
					out.push({ type: "mmap", pid, held: aux === 1 });
					break;
			}
		}
		return out;
	}

	#slot(i: number): number {
		const v = this.#stats.lookup(Buffer.alloc(4));
		return v ? Number(v.readBigUInt64LE(i * 8)) : 0;
	}

	/** Records the ring had no room for so far (one system call). */
	lost(): number {
		return this.#slot(STATS.LOST);
	}

	/** Stops made at exec/mmap so far (one system call). */
	held(): number {
		return this.#slot(STATS.HELD);
	}

	/** Whether execs and executable mmaps stop the process until resumed. One system call when it changes. */
	hold(on: boolean): void {
		if (on === this.#hold) return;
		this.#ctl.update(Buffer.alloc(4), this.#control(on));
		this.#hold = on;
	}

	#control(hold: boolean): Buffer {
		const v = Buffer.alloc(CTL_SIZE);
		v.writeBigUInt64LE(hold ? 1n : 0n, CTL.HOLD * 8);
		v.writeBigUInt64LE(BigInt(this.#self), CTL.SELF * 8);
		// process.hrtime is CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns.
		this.#renewed = process.hrtime.bigint();
		v.writeBigUInt64LE(this.#renewed + HOLD_LEASE_NS, CTL.DEADLINE * 8);
		return v;
	}

	/** While holding, renew the lease now and then (one system call each 250 ms). */
	renew(): void {
		if (!this.#hold || process.hrtime.bigint() - this.#renewed < HOLD_LEASE_NS / 4n) return;
		this.#ctl.update(Buffer.alloc(4), this.#control(true));
	}

	get holding(): boolean {
		return this.#hold;
	}

	close(): void {
		for (const l of this.#links.splice(0)) l.close();
		for (const p of this.#programs.splice(0)) p.close();
		this.#ring?.close();
		this.#ringMap.close();
		this.#ctl?.close();
		this.#stats?.close();
	}
}

/** task_struct.real_parent and .tgid from the kernel's BTF; none without BTF. */
function taskOffsets(): Pick<ProcEventOffsets, "taskParent" | "taskTgid"> {
	try {
		const taskParent = kernelMemberOffset("task_struct", "real_parent");
		const taskTgid = kernelMemberOffset("task_struct", "tgid");
		return taskParent !== undefined && taskTgid !== undefined ? { taskParent, taskTgid } : {};
	} catch {
		return {};
	}
}
