// Which programs are loaded sleepable (kernel/bpf/sleepable.ts): a uprobe
// program (USDT, pid) whose clauses read user memory (copyinstr, copyin,
// copyinto), on a kernel that passes the feature probes. A sleepable program can
// read a page the traced program has not touched yet, which a non-sleepable one
// reports as an invalid address. Programs that use what sleepable programs may
// not (stack-trace maps, the unwinder's per-CPU state, cgroup arrays,
// speculations' per-CPU buffers) stay as they are, and a program the
// verifier refuses sleepable is loaded as before (build.ts).
import { copyFromUserStrId, probeFeature } from "../../kernel/bpf/index.ts";
import type { ClauseProgram } from "../../kernel/codegen/ir.ts";
import type { Clause } from "../d/ast.ts";
import { isKind, type TraceProbe } from "../providers/index.ts";
import { forEachExpr } from "./clause-walk.ts";
import type { SharedMaps } from "./maps.ts";

const USER_READS = new Set(["copyinstr", "copyin", "copyinto"]);

/** Does the clause read user memory? */
export function readsUserMemory(c: Clause): boolean {
	let found = false;
	forEachExpr(c, (e) => {
		if (e.kind === "call" && USER_READS.has(e.fn)) found = true;
		// A member read through a cast of copyin() (source/d/ctypes/user.ts).
		if (e.kind === "kmem" && e.user) found = true;
	});
	return found;
}

/**
 * The sleepable programs of a group, or undefined when it stays as it is: the
 * same programs with the sleepable plan and per-thread working memory.
 */
export function sleepablePrograms(
	probes: TraceProbe[],
	clauses: Clause[],
	programs: ClauseProgram[],
	maps: SharedMaps,
): ClauseProgram[] | undefined {
	if (!isKind(probes[0], "uprobe") || !clauses.some(readsUserMemory)) return undefined;
	const unsuitable = (p: ClauseProgram) =>
		p.stackFd !== undefined || p.ustack !== undefined || p.cgroupScopeFd !== undefined || p.spec !== undefined;
	if (programs.some((p) => unsuitable(p) || p.onError?.clauses.some(unsuitable))) return undefined;
	if (!probeFeature("sleepableUprobe").supported) return undefined;
	const strKfunc = probeFeature("copyFromUserStr").supported ? copyFromUserStrId() : undefined;
	const asSleepable = (p: ClauseProgram): ClauseProgram => ({
		...p,
		sleepable: { strKfunc },
		bufFd: p.bufFd === undefined ? undefined : maps.taskBuf.fd,
		record: p.record && { ...p.record, scratchFd: maps.taskScratch.fd },
		// The ERROR clauses it runs (faults.ts) use the same per-thread memory.
		onError: p.onError && { ...p.onError, clauses: p.onError.clauses.map(asSleepable) },
	});
	return programs.map(asSleepable);
}
