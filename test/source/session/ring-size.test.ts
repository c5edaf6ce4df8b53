// The per-event ring buffer's size: DTrace's bufsize is each CPU's buffer;
// dtop's one ring is shared by all CPUs, so it is bufsize times the CPUs.
import assert from "node:assert/strict";
import { test } from "node:test";
import { possibleCpuCount } from "../../../kernel/bpf/index.ts";
import { SharedMaps } from "../../../source/session/maps.ts";

const pow2AtLeast = (n: number) => {
	let p = 4096;
	while (p < n) p *= 2;
	return p;
};

test("the ring holds bufsize for each CPU (a power of two)", () => {
	const cpus = possibleCpuCount();
	assert.equal(new SharedMaps().ringBytes, pow2AtLeast((4 << 20) * cpus));
	assert.equal(new SharedMaps(64 << 10).ringBytes, pow2AtLeast((64 << 10) * cpus));
	assert.equal(new SharedMaps(1).ringBytes, pow2AtLeast(cpus));
});
