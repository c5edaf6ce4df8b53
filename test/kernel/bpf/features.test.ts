import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, beforeEach, describe, test } from "node:test";
import { tracingFds } from "../../helpers/bpf-objects.ts";

const VMLINUX_BTF = "/sys/kernel/btf/vmlinux";

import {
	allFeatures,
	clearFeatureCache,
	FEATURE_TITLES,
	type FeatureName,
	kernelConfig,
	NotSupportedError,
	openObjectList,
	openObjects,
	probeFeature,
	requireFeature,
} from "../../../kernel/bpf/index.ts";
import { FakeSys, setSys } from "../../../kernel/sys/index.ts";

// These tests probe the kernel itself, never this boot's remembered answers (feature-cache.test.ts).
process.env.DTOP_FEATURE_CACHE = "";
const fdsAtStart = tracingFds();
after(() => {
	assert.equal(openObjects(), 0, `still open: ${JSON.stringify(openObjectList())}`);
	assert.deepEqual(tracingFds(), fdsAtStart);
});

describe("feature probes on this kernel (6.18, no kprobes)", () => {
	beforeEach(() => clearFeatureCache());

	for (const name of [
		"bpfCookie",
		"uprobeMulti",
		"perfLink",
		"ringbuf",
		"buildIdStack",
		"batchLookup",
		"uprobe",
	] as const) {
		test(`${name} is supported`, () => {
			assert.deepEqual(probeFeature(name), { supported: true });
			assert.doesNotThrow(() => requireFeature(name));
		});
	}

	test("kprobes are unsupported, with a reason naming the missing kernel option and the missing file", () => {
		const r = probeFeature("kprobe");
		assert.equal(r.supported, false);
		assert.equal(
			r.reason,
			"the kernel was built without CONFIG_KPROBES: /sys/bus/event_source/devices/kprobe does not exist, so fbt probes need another kernel",
		);
		assert.throws(
			() => requireFeature("kprobe"),
			(e: unknown) =>
				e instanceof NotSupportedError &&
				e.feature === "kprobes" &&
				e.message === `kprobes is not available on this kernel: ${r.reason}`,
		);
	});

	test("BTF is reported as it is: this kernel publishes /sys/kernel/btf/vmlinux", () => {
		// The design notes expected no BTF here; the kernel does publish it (CONFIG_DEBUG_INFO_BTF=y).
		assert.equal(existsSync(VMLINUX_BTF), true);
		assert.equal(readFileSync(VMLINUX_BTF).readUInt16LE(0), 0xeb9f);
		assert.deepEqual(probeFeature("btf"), { supported: true });
	});

	test("fentry is unsupported here even with BTF: the kernel refuses the program", () => {
		const r = probeFeature("fentry");
		assert.equal(r.supported, false);
		assert.match(r.reason!, /^the kernel refused an fentry program on vfs_read \(.*EPERM\)/);
		assert.throws(() => requireFeature("fentry"), NotSupportedError);
	});

	test("results are cached until cleared, and allFeatures covers every probe", () => {
		const a = probeFeature("ringbuf");
		assert.equal(probeFeature("ringbuf"), a);
		clearFeatureCache();
		assert.notEqual(probeFeature("ringbuf"), a);
		const all = allFeatures();
		assert.deepEqual(Object.keys(all).sort(), Object.keys(FEATURE_TITLES).sort());
		for (const [name, r] of Object.entries(all)) {
			assert.equal(typeof r.supported, "boolean");
			if (!r.supported) assert.ok((r.reason ?? "").length > 20, `${name} explains itself`);
		}
	});

	test("the kernel's build options are readable from /proc/config.gz", () => {
		assert.equal(kernelConfig("CONFIG_KPROBES"), "n");
		assert.equal(kernelConfig("CONFIG_BPF_SYSCALL"), "y");
		assert.equal(kernelConfig("CONFIG_NO_SUCH_OPTION_AT_ALL"), undefined);
	});
});

describe("feature probes read errnos the way libbpf does (fake kernel)", () => {
	function withFake(handler: (cmd: number, attr: Buffer) => number | { errno: number }, name: FeatureName) {
		clearFeatureCache();
		const fake = new FakeSys();
		fake.bpfHandler = handler;
		const prev = setSys(fake);
		try {
			return probeFeature(name);
		} finally {
			setSys(prev);
			clearFeatureCache();
		}
	}

	test("uprobe_multi: EINVAL from the link means the kernel lacks it", () => {
		const r = withFake((cmd) => (cmd === 28 ? { errno: 22 } : 100), "uprobeMulti");
		assert.equal(r.supported, false);
		assert.match(r.reason!, /failed with EINVAL instead of EBADF; it needs Linux 6.6/);
	});

	test("uprobe_multi: EBADF for pid -1 too means broken PID filtering (6.6–6.8)", () => {
		const r = withFake((cmd) => (cmd === 28 ? { errno: 9 } : 100), "uprobeMulti");
		assert.equal(r.supported, false);
		assert.match(r.reason!, /filters by thread instead of process/);
	});

	test("uprobe_multi: EBADF then EINVAL is a working kernel", () => {
		let links = 0;
		const r = withFake((cmd) => (cmd === 28 ? { errno: ++links === 1 ? 9 : 22 } : 100), "uprobeMulti");
		assert.deepEqual(r, { supported: true });
	});

	test("uprobe_multi: a kernel that refuses the attach type at load time", () => {
		const r = withFake((cmd) => (cmd === 5 ? { errno: 22 } : 100), "uprobeMulti");
		assert.equal(r.supported, false);
		assert.match(r.reason!, /does not know the uprobe_multi attach type .* Linux 6.6/);
	});

	test("batch lookup: EINVAL means one key at a time", () => {
		const r = withFake((cmd) => (cmd === 24 ? { errno: 22 } : 100), "batchLookup");
		assert.equal(r.supported, false);
		assert.match(r.reason!, /BPF_MAP_LOOKUP_BATCH failed with EINVAL/);
	});

	test("cookies: a verifier refusal of the helper", () => {
		const r = withFake((cmd) => (cmd === 5 ? { errno: 22 } : 100), "bpfCookie");
		assert.equal(r.supported, false);
		assert.match(r.reason!, /bpf_get_attach_cookie .* Linux 5.15/);
	});
});
