import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { isPreemptible, type PreemptionFiles, preemptible, preemptionModel } from "../../../kernel/bpf/preemption.ts";

/** What the kernel said at boot ("Dynamic Preempt: none"), or from debugfs. */
function bootSays(): string | undefined {
	try {
		const m = /\((\w+)\)/.exec(readFileSync("/sys/kernel/debug/sched/preempt", "utf8"));
		if (m) return m[1];
	} catch {
		// not mounted, or EPERM (the development machines' 6.18)
	}
	const log = execFileSync("dmesg", { encoding: "utf8", maxBuffer: 64 << 20 });
	return /Dynamic Preempt: (\w+)/.exec(log)?.[1];
}

test("the running kernel's preemption model is the one it announced at boot", () => {
	const info = preemptionModel();
	const said = bootSays();
	const version = readFileSync("/proc/version", "utf8");
	if (/PREEMPT_DYNAMIC/.test(version)) {
		assert.ok(said, "a PREEMPT_DYNAMIC kernel logs 'Dynamic Preempt: MODE' at boot (or has sched/preempt)");
		assert.equal(info.model, said, `read from ${info.source}`);
	} else {
		assert.notEqual(info.model, "unknown", info.source);
	}
	assert.equal(preemptible(), isPreemptible(info.model));
});

test("DTOP_ASSUME_PREEMPTIBLE overrides the detection both ways", () => {
	const old = process.env.DTOP_ASSUME_PREEMPTIBLE;
	try {
		process.env.DTOP_ASSUME_PREEMPTIBLE = "1";
		assert.equal(preemptible(), true);
		process.env.DTOP_ASSUME_PREEMPTIBLE = "0";
		assert.equal(preemptible(), false);
	} finally {
		if (old === undefined) delete process.env.DTOP_ASSUME_PREEMPTIBLE;
		else process.env.DTOP_ASSUME_PREEMPTIBLE = old;
	}
});

// The files as the two kernels dtop is tested on show them (6.18 here: debugfs
// answers EPERM; Debian's 6.1 in the VM: /boot has no config inside the initramfs).
function files(map: Record<string, string>): PreemptionFiles {
	return { read: (p) => map[p] };
}
const V618 = "Linux version 6.18.44-fc-v1300 (builder@sandboxing) (gcc (GCC) 15.3.0) #1 SMP PREEMPT_DYNAMIC @0\n";
const V61 =
	"Linux version 6.1.0-41-cloud-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1 (2025-11-09)\n";

test("the model from each source, most direct first", () => {
	const cases: [Record<string, string>, string][] = [
		[{ "/sys/kernel/debug/sched/preempt": "none voluntary (full) lazy\n", "/proc/version": V61 }, "full"],
		[{ "/sys/kernel/debug/sched/preempt": "(none) voluntary full\n", "/proc/version": V61 }, "none"],
		[
			{
				"/proc/version": V618,
				"/proc/cmdline": "console=ttyS0 quiet",
				"/proc/config.gz": "CONFIG_PREEMPT_NONE=y\n# CONFIG_PREEMPT is not set\n",
			},
			"none",
		],
		[{ "/proc/version": V61, "/proc/cmdline": "console=ttyS0 preempt=none preempt=full" }, "full"],
		[
			{
				"/proc/version": V61,
				"/proc/cmdline": "console=ttyS0 -- preempt=full",
				"/boot/config-6.1.0-41-cloud-amd64": "CONFIG_PREEMPT_VOLUNTARY=y\n",
			},
			"voluntary",
		],
		[{ "/proc/version": V61, "/proc/cmdline": "preempt=lazy" }, "lazy"],
		[{ "/proc/version": "Linux version 6.6.0 (x@y) #1 SMP PREEMPT Tue\n" }, "full"],
		[{ "/proc/version": "Linux version 6.6.0 (x@y) #1 SMP PREEMPT_RT Tue\n" }, "rt"],
		[{ "/proc/version": "Linux version 6.13.0 (x@y) #1 SMP PREEMPT_LAZY Tue\n" }, "lazy"],
		[{ "/proc/version": "Linux version 5.15.0 (x@y) #1 SMP Tue\n" }, "none"],
		[{ "/proc/version": V61 }, "unknown"],
		[{}, "unknown"],
	];
	for (const [map, want] of cases) assert.equal(preemptionModel(files(map)).model, want, JSON.stringify(map));
	assert.equal(isPreemptible("unknown"), true, "unknown means atomics");
	assert.equal(isPreemptible("voluntary"), false);
	assert.equal(isPreemptible("lazy"), true);
});
