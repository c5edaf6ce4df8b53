// The drop and error lines DTrace writes (libdtrace's dt_handle.c), with
// dtop's name: the wording of DTrace's drops tests (test/unittest/drops,
// "[DTRACEDROP_*]" with the droptags option) and illumos DTrace's error line.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cpuDropLine, dropLine, errorLine, FAULT } from "../../../source/output/diagnostics.ts";

const read = { id: 5, provider: "syscall", module: "vmlinux", function: "read", name: "entry" };

test("drops per CPU, singular and plural", () => {
	assert.equal(cpuDropLine(123, 1), "dtop: 123 drops on CPU 1\n");
	assert.equal(cpuDropLine(1n, 0), "dtop: 1 drop on CPU 0\n");
	assert.equal(cpuDropLine(7, 3, true), "dtop: 7 aggregation drops on CPU 3\n");
	assert.equal(cpuDropLine(2, 0, false, true), "dtop: [DTRACEDROP_PRINCIPAL] 2 drops on CPU 0\n");
});

test("dynamic variable, speculation and other drops (drops/drp.DTRACEDROP_*)", () => {
	assert.equal(dropLine("dynamic", 1, true), "dtop: [DTRACEDROP_DYNAMIC] 1 dynamic variable drop\n");
	assert.equal(dropLine("dynamic", 3), "dtop: 3 dynamic variable drops\n");
	assert.equal(dropLine("dynamic-rinsing", 2), "dtop: 2 dynamic variable drops with non-empty rinsing list\n");
	assert.equal(dropLine("speculative", 1, true), "dtop: [DTRACEDROP_SPEC] 1 speculative drop\n");
	assert.equal(
		dropLine("speculation-unavailable", 4),
		"dtop: 4 failed speculations (no speculative buffer available)\n",
	);
	assert.equal(dropLine("speculation-busy", 1), "dtop: 1 failed speculation (available buffer(s) still busy)\n");
	assert.equal(dropLine("error-in-error", 1, true), "dtop: [DTRACEDROP_DBLERROR] 1 error in ERROR probe enabling\n");
	assert.equal(dropLine("stack-strings", 2), "dtop: 2 jstack()/ustack() string table overflows\n");
});

test("runtime faults: the enabled probe, the probe, the fault, its address, where", () => {
	assert.equal(
		errorLine({ epid: 2, probe: read, fault: FAULT.BADADDR, addr: 0n, action: 1 }),
		"dtop: error on enabled probe ID 2 (ID 5: syscall:vmlinux:read:entry): invalid address (0x0) in action #1\n",
	);
	assert.equal(
		errorLine({ epid: 3, probe: read, fault: FAULT.DIVZERO, action: 0 }),
		"dtop: error on enabled probe ID 3 (ID 5: syscall:vmlinux:read:entry): divide-by-zero in predicate\n",
	);
	assert.equal(
		errorLine({ epid: 3, probe: read, fault: FAULT.BADALIGN, addr: 0xffff8001n, action: 2, offset: 40 }),
		"dtop: error on enabled probe ID 3 (ID 5: syscall:vmlinux:read:entry): invalid alignment (0xffff8001) in action #2 at BPF offset 40\n",
	);
	assert.equal(errorLine({ epid: 1, probe: read, fault: 77, action: 1 }).includes("unknown fault in action #1"), true);
});

test("a hostile probe name cannot reach the terminal raw", () => {
	const evil = { ...read, provider: "x\x1b[2J", function: "f\u202e" };
	const line = errorLine({ epid: 1, probe: evil, fault: FAULT.DIVZERO, action: 1 });
	assert.doesNotMatch(line.slice(0, -1), /[\x00-\x1f\x7f-\x9f\u202e]/);
	assert.match(line, /x\\e\[2J:vmlinux:f\\u202e:entry/);
});
