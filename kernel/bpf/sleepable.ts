// Sleepable uprobe programs (BPF_F_SLEEPABLE). A uprobe program that is not
// sleepable reads user memory with bpf_probe_read_user(_str), which cannot fault
// pages in: a string constant the traced program has not touched yet (its page
// never mapped) reads as an invalid address. A sleepable one may use
// bpf_copy_from_user (helper 148) and the kfunc bpf_copy_from_user_str (Linux
// 6.12+), which take the page fault. dtop loads a uprobe program sleepable only
// when it reads user memory (copyin, copyinstr, …) and the kernel passes both
// probes here; its working memory is then per task (task-storage.ts).
//
// Measured on 2026-12-07: Linux 6.18 loads a sleepable KPROBE program with the
// uprobe_multi attach type calling bpf_get_current_task_btf, bpf_task_storage_get
// and bpf_copy_from_user_str. dtop asks for uprobe_multi (6.6+) too: sleepable
// programs on perf-event uprobes are not used.

import { vmlinuxBtf } from "../btf/index.ts";
import { VerifierError } from "../sys/index.ts";
import { Asm, R0, R1, R2, R3, R4, R6, R10 } from "./asm.ts";
import { bootNumber } from "./feature-cache.ts";
import { type FeatureResult, probeFeature } from "./features.ts";
import { AttachType, Program, ProgType } from "./program.ts";
import { taskStorageMap } from "./task-storage.ts";

export const BPF_F_SLEEPABLE = 1 << 4;
export const BPF_LOCAL_STORAGE_GET_F_CREATE = 1;

/** The kfunc bpf_copy_from_user_str's BTF id (Linux 6.12+), remembered per boot; undefined when absent. */
export function copyFromUserStrId(): number | undefined {
	return bootNumber("btf:fn:bpf_copy_from_user_str", () => {
		try {
			return vmlinuxBtf().functionId("bpf_copy_from_user_str");
		} catch {
			return undefined;
		}
	});
}

/** What a sleepable trial program calls to read a user string. */
type StrRead = "helper" | "kfunc";

function trial(read: StrRead): void {
	const map = taskStorageMap(64, "probe_tstore");
	try {
		const a = new Asm();
		a.call("get_current_task_btf").mov(R2, R0).ldMapFd(R1, map.fd).mov(R3, 0);
		a.mov(R4, BPF_LOCAL_STORAGE_GET_F_CREATE).call("task_storage_get");
		a.jeq(R0, 0, "out").mov(R6, R0);
		a.mov(R1, R6).mov(R2, 64).mov(R3, R10).add(R3, -8);
		if (read === "kfunc") {
			const id = copyFromUserStrId();
			if (id === undefined) throw new Error("the kernel's BTF has no bpf_copy_from_user_str (Linux 6.12+)");
			a.mov(R4, 0).callKfunc(id);
		} else {
			a.st(8, R10, -8, 0).call("copy_from_user");
		}
		a.label("out").mov(R0, 0).exit();
		Program.load({
			type: ProgType.KPROBE,
			expectedAttachType: AttachType.BPF_TRACE_UPROBE_MULTI,
			flags: BPF_F_SLEEPABLE,
			name: "probe_sleep",
			insns: a,
			license: "GPL",
		}).close();
	} finally {
		map.close();
	}
}

function why(e: unknown): string {
	return e instanceof VerifierError ? VerifierError.reason(e.log) : (e as Error).message;
}

export function probeSleepableUprobe(): FeatureResult {
	if (!probeFeature("uprobeMulti").supported)
		return { supported: false, reason: "sleepable uprobe programs are used only with uprobe_multi links (Linux 6.6+)" };
	try {
		trial("helper");
		return { supported: true };
	} catch (e) {
		return { supported: false, reason: `the kernel refused a sleepable uprobe program with task storage (${why(e)})` };
	}
}

export function probeCopyFromUserStr(): FeatureResult {
	if (!probeFeature("sleepableUprobe").supported)
		return { supported: false, reason: "needs sleepable uprobe programs" };
	try {
		trial("kfunc");
		return { supported: true };
	} catch (e) {
		return { supported: false, reason: `the kernel refused bpf_copy_from_user_str (${why(e)}); it needs Linux 6.12+` };
	}
}
