// fbt attach on whatever kernel runs the tests. These development machines have
// BTF but refuse BPF tracing programs (EPERM even for root) and have no kprobes
// (CONFIG_KPROBES off), so every fbt attach must say so; on the stock kernel of
// scripts/vm-test (which runs this file too) the same calls attach, and only
// functions that do not exist are refused. test/vm/fbt.vmtest.ts proves the
// attached programs count, time and walk stacks correctly there.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import {
	attachFentry,
	attachKprobe,
	attachKprobeMulti,
	fbtMode,
	fentryTarget,
	kprobeMultiSupport,
	openLinks,
} from "../../../kernel/attach/index.ts";
import { Asm, AttachType, Program, ProgType, probeFeature, R0 } from "../../../kernel/bpf/index.ts";
import { NotSupportedError } from "../../../kernel/sys/index.ts";

const hasKprobes = existsSync("/sys/bus/event_source/devices/kprobe/type");

function kprobeProgram(expectedAttachType = 0): Program {
	return Program.load({
		type: ProgType.KPROBE,
		insns: new Asm().mov(R0, 0).exit(),
		name: "fbt_nothing",
		expectedAttachType,
		license: "GPL",
	});
}

function notSupported(pattern: RegExp) {
	return (e: unknown) => {
		assert.ok(e instanceof NotSupportedError, `a NotSupportedError, not ${(e as Error)?.stack}`);
		assert.match(e.message, pattern);
		assert.ok(!/\n\s+at /.test(e.message), "no stack trace in the message");
		return true;
	};
}

test("fbtMode picks fentry, else kprobes, else explains both refusals", () => {
	const fentry = probeFeature("fentry");
	const kprobe = probeFeature("kprobe");
	assert.equal(kprobe.supported, hasKprobes, "the kprobe feature follows the kprobe PMU");
	if (!fentry.supported && !kprobe.supported) {
		assert.throws(
			() => fbtMode(),
			notSupported(/^fbt \(kernel function probes\) is not available on this kernel: fentry: .+; kprobes: .+/),
		);
		const e = (() => {
			try {
				fbtMode();
			} catch (x) {
				return x as NotSupportedError;
			}
		})();
		assert.ok(e?.reason.includes(fentry.reason ?? "?"));
		assert.ok(e?.reason.includes(kprobe.reason ?? "?"));
	} else {
		assert.equal(fbtMode().mode, fentry.supported ? "fentry" : "kprobe");
	}
});

test("fentry on vfs_read: attaches where trampolines work, otherwise the reason is the kernel's refusal", () => {
	const fentry = probeFeature("fentry");
	if (!fentry.supported) {
		// This machine: "the kernel refused an fentry program on vfs_read (... EPERM) ..."
		assert.ok(fentry.reason && fentry.reason.length > 20);
		for (const kind of ["entry", "return"] as const) {
			assert.throws(() => fentryTarget("vfs_read", kind), notSupported(/fentry|fexit/));
			assert.throws(
				() => attachFentry(0, { function: "vfs_read", kind }),
				(e: unknown) => e instanceof NotSupportedError && e.reason === fentry.reason,
			);
		}
		return;
	}
	const t = fentryTarget("vfs_read", "return");
	assert.equal(t.load.type, ProgType.TRACING);
	assert.equal(t.load.expectedAttachType, AttachType.BPF_TRACE_FEXIT);
	assert.equal(t.function.argSlots, 4);
	const prog = Program.load({ ...t.load, insns: new Asm().mov(R0, 0).exit(), name: "fexit_nothing", license: "GPL" });
	try {
		attachFentry(prog.fd, { function: "vfs_read", kind: "return", cookie: 9n }).close();
	} finally {
		prog.close();
	}
	assert.throws(() => fentryTarget("dtop_no_such_function", "entry"), notSupported(/BTF does not describe/));
});

test("kprobe on vfs_read: attaches where the kprobe PMU exists, otherwise says the kernel has no kprobes", () => {
	const prog = kprobeProgram();
	try {
		if (!hasKprobes) {
			for (const retprobe of [false, true]) {
				assert.throws(
					() => attachKprobe(prog.fd, { function: "vfs_read", retprobe, cookie: 1n }),
					notSupported(/^kprobes is not available on this kernel: .*kprobe/),
				);
			}
		} else {
			attachKprobe(prog.fd, { function: "vfs_read", cookie: 1n }).close();
			attachKprobe(prog.fd, { function: "vfs_read", retprobe: true }).close();
		}
		assert.throws(
			() => attachKprobe(prog.fd, { function: "dtop_no_such_function" }),
			notSupported(hasKprobes ? /no kernel function named dtop_no_such_function/ : /kprobe/),
		);
	} finally {
		prog.close();
	}
});

test("kprobe_multi is refused with its reason where the kernel lacks it", () => {
	const support = kprobeMultiSupport();
	assert.ok(support.supported || (support.reason && support.reason.length > 20));
	let prog: Program | undefined;
	try {
		prog = kprobeProgram(AttachType.BPF_TRACE_KPROBE_MULTI);
	} catch (e) {
		// Kernels before 5.18 refuse the attach type at load time; so must the probe.
		assert.equal(support.supported, false);
		assert.ok(e instanceof Error);
		return;
	}
	try {
		if (!support.supported) {
			assert.throws(
				() => attachKprobeMulti(prog.fd, { functions: ["vfs_read"] }),
				(e: unknown) => e instanceof NotSupportedError && e.reason === support.reason,
			);
		} else {
			attachKprobeMulti(prog.fd, { functions: ["vfs_read", "vfs_write"], cookies: [1n, 2n] }).close();
		}
	} finally {
		prog.close();
	}
	assert.equal(openLinks(), 0);
});
