// `container` (source/session/containers.ts): the number the consumer gave the
// firing process's cgroup, from a hash map cgroup id → number; for a cgroup the
// map does not hold yet, the id with the top bit set, and the id goes into the
// misses map (BPF_NOEXIST: one entry per cgroup) for the consumer to resolve.
import { R0, R1, R2, R3, R4, R10 } from "../bpf/asm.ts";
import { Helper } from "../bpf/helpers.ts";
import { label, type State, slot } from "./compile.ts";
import type { IntExpr } from "./ir.ts";

const NOEXIST = 1;

export function evalContainer(s: State, e: Extract<IntExpr, { k: "container" }>): void {
	const a = s.a;
	const idSlot = slot(s.depth);
	const miss = label(s, "ct_miss");
	const done = label(s, "ct_done");
	a.call(Helper.get_current_cgroup_id).stx(8, R10, idSlot, R0);
	a.ldMapFd(R1, e.namesFd).mov(R2, R10).add(R2, idSlot).call(Helper.map_lookup_elem);
	a.jeq(R0, 0, miss).ldx(8, R0, R0, 0).ja(done);
	a.label(miss);
	a.ldMapFd(R1, e.missesFd).mov(R2, R10).add(R2, idSlot).mov(R3, R10).add(R3, idSlot).mov(R4, NOEXIST);
	a.call(Helper.map_update_elem);
	a.ldx(8, R0, R10, idSlot)
		.ldImm64(R1, 1n << 63n)
		.or(R0, R1);
	a.label(done);
}

/**
 * --cgroup: nothing runs unless the current task is in the cgroup (or below it)
 * whose directory fd is entry 0 of a BPF_MAP_TYPE_CGROUP_ARRAY
 * (bpf_current_task_under_cgroup, Linux 4.9+; allowed in kprobe, tracepoint and
 * perf-event programs).
 */
export function cgroupScope(s: State, mapFd: number, exit: string): void {
	s.a.ldMapFd(R1, mapFd).mov(R2, 0).call(Helper.current_task_under_cgroup).jne(R0, 1, exit);
}
