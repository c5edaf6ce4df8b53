// Feature probes remembered per boot: written after a real probe, used by the
// next start, and ignored unless the directory and the file are root's, not
// writable by others, not a link, and name this kernel and this boot.
import assert from "node:assert/strict";
import { chmodSync, chownSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import { afterEach, beforeEach, describe, test } from "node:test";
import { featureCachePath } from "../../../kernel/bpf/feature-cache.ts";
import { clearFeatureCache, probeFeature } from "../../../kernel/bpf/index.ts";
import { kernelMemberOffset, vmlinuxBtf } from "../../../kernel/btf/index.ts";
import { FakeSys, setSys } from "../../../kernel/sys/index.ts";

const DIR = `/run/dtop-test-features-${process.pid}`;
const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
const PLANTED = { supported: false, reason: "planted by the test" };

function plant(body: object = { kernel: release(), boot, features: { ringbuf: PLANTED } }): string {
	const path = featureCachePath() ?? "";
	assert.ok(path.startsWith(`${DIR}/`), path);
	writeFileSync(path, JSON.stringify(body), { mode: 0o600 });
	return path;
}

describe("feature probes remembered per boot", () => {
	beforeEach(() => {
		process.env.DTOP_FEATURE_CACHE = DIR;
		rmSync(DIR, { recursive: true, force: true });
		mkdirSync(DIR, { mode: 0o700 });
		clearFeatureCache();
	});
	afterEach(() => {
		clearFeatureCache();
		rmSync(DIR, { recursive: true, force: true });
		process.env.DTOP_FEATURE_CACHE = "";
	});

	test("a probe's answer is written, named by kernel and boot, and the next start uses it", () => {
		const r = probeFeature("ringbuf");
		assert.equal(r.supported, true);
		const path = featureCachePath()!;
		assert.equal(path, `${DIR}/features-${release()}-${boot}.json`);
		const saved = JSON.parse(readFileSync(path, "utf8"));
		assert.deepEqual(saved, { kernel: release(), boot, features: { ringbuf: { supported: true } } });
		plant();
		clearFeatureCache();
		assert.deepEqual(probeFeature("ringbuf"), PLANTED);
	});

	test("a missing directory is made private", () => {
		rmSync(DIR, { recursive: true });
		probeFeature("ringbuf");
		assert.ok(readFileSync(featureCachePath()!, "utf8").includes('"ringbuf"'));
	});

	const untrusted: [string, () => void][] = [
		["a file owned by another user", () => chownSync(plant(), 65534, 65534)],
		["a group-writable file", () => chmodSync(plant(), 0o620)],
		[
			"a world-writable directory",
			() => {
				plant();
				chmodSync(DIR, 0o777);
			},
		],
		[
			"a directory owned by another user",
			() => {
				plant();
				chownSync(DIR, 65534, 65534);
			},
		],
		[
			"a symbolic link",
			() => {
				const path = plant();
				rmSync(path);
				writeFileSync(`${DIR}/elsewhere`, JSON.stringify({ kernel: release(), boot, features: { ringbuf: PLANTED } }));
				symlinkSync(`${DIR}/elsewhere`, path);
			},
		],
		[
			"another boot's answers",
			() => plant({ kernel: release(), boot: "0".repeat(36), features: { ringbuf: PLANTED } }),
		],
		["another kernel's answers", () => plant({ kernel: "1.0.0", boot, features: { ringbuf: PLANTED } })],
		["a file that is not JSON", () => writeFileSync(plant(), "{ringbuf")],
		[
			"an entry of the wrong shape",
			() => plant({ kernel: release(), boot, features: { ringbuf: { supported: "no" } } }),
		],
	];
	for (const [what, make] of untrusted) {
		test(`${what} is ignored: the kernel is probed again`, () => {
			make();
			assert.deepEqual(probeFeature("ringbuf"), { supported: true });
		});
	}

	test("a fake kernel neither reads nor writes the real one's answers", () => {
		const path = plant();
		const fake = new FakeSys();
		fake.bpfHandler = () => ({ errno: 1 });
		const prev = setSys(fake);
		try {
			const r = probeFeature("ringbuf");
			assert.equal(r.supported, false);
			assert.notEqual(r.reason, PLANTED.reason);
		} finally {
			setSys(prev);
			clearFeatureCache();
		}
		assert.deepEqual(JSON.parse(readFileSync(path, "utf8")).features, { ringbuf: PLANTED });
	});

	test("runs without the cache directory set to '' probe every time", () => {
		process.env.DTOP_FEATURE_CACHE = "";
		assert.equal(featureCachePath(), undefined);
	});

	test("a kernel struct's member offset is read from BTF once per boot, kept beside the features", () => {
		const real = vmlinuxBtf().memberOffset("task_struct", "tgid");
		assert.ok(real !== undefined && real > 0);
		assert.equal(kernelMemberOffset("task_struct", "tgid"), real);
		assert.equal(kernelMemberOffset("task_struct", "no_such_member"), undefined);
		probeFeature("ringbuf");
		const saved = JSON.parse(readFileSync(featureCachePath()!, "utf8"));
		assert.deepEqual(saved.offsets, { "btf:task_struct.tgid": real, "btf:task_struct.no_such_member": -1 });
		assert.deepEqual(saved.features, { ringbuf: { supported: true } });
		// The next start takes the file's number without parsing BTF (a planted one shows it).
		plant({ kernel: release(), boot, features: {}, offsets: { "btf:task_struct.tgid": 4242 } });
		clearFeatureCache();
		assert.equal(kernelMemberOffset("task_struct", "tgid"), 4242);
		// An untrusted file is not read.
		chmodSync(featureCachePath()!, 0o666);
		clearFeatureCache();
		assert.equal(kernelMemberOffset("task_struct", "tgid"), real);
	});
});
