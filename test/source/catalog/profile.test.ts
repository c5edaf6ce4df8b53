import assert from "node:assert/strict";
import { test } from "node:test";
import { LISTED_PROFILE_NAMES, parseProfileName } from "../../../source/catalog/index.ts";

test("profile-N and tick-N follow DTrace's unit rules", () => {
	const cases: [string, ReturnType<typeof parseProfileName>][] = [
		["profile-997", { perCpu: true, periodNs: 1003009, frequencyHz: 997 }],
		["profile-1hz", { perCpu: true, periodNs: 1e9, frequencyHz: 1 }],
		["tick-1", { perCpu: false, periodNs: 1e9, frequencyHz: 1 }],
		["tick-1s", { perCpu: false, periodNs: 1e9 }],
		["tick-1sec", { perCpu: false, periodNs: 1e9 }],
		["tick-10ms", { perCpu: false, periodNs: 10e6 }],
		["tick-250msec", { perCpu: false, periodNs: 250e6 }],
		["profile-500us", { perCpu: true, periodNs: 500e3 }],
		["profile-500usec", { perCpu: true, periodNs: 500e3 }],
		["tick-2min", { perCpu: false, periodNs: 120e9 }],
		["tick-1m", { perCpu: false, periodNs: 60e9 }],
		["tick-1h", { perCpu: false, periodNs: 3600e9 }],
		["tick-1hour", { perCpu: false, periodNs: 3600e9 }],
		["tick-1d", { perCpu: false, periodNs: 86400e9 }],
		["profile-5000", { perCpu: true, periodNs: 200000, frequencyHz: 5000 }],
		["profile-200000ns", { perCpu: true, periodNs: 200000 }],
		["profile-5001", undefined],
		["profile-100us", undefined],
		["profile-0", undefined],
		["tick-0s", undefined],
		["tick-1fortnight", undefined],
		["tick-", undefined],
		["profile", undefined],
		["tock-1s", undefined],
		["tick--1", undefined],
		["tick-1.5s", undefined],
	];
	for (const [name, want] of cases) assert.deepEqual(parseProfileName(name), want, name);
});

test("the listed names are the usual ones and all valid", () => {
	for (const n of ["profile-97", "profile-199", "profile-499", "profile-997", "profile-1999", "profile-4001"]) {
		assert.ok(LISTED_PROFILE_NAMES.includes(n), n);
	}
	for (const n of ["profile-4999", "tick-1", "tick-10", "tick-100", "tick-500", "tick-1000", "tick-5000", "tick-1s"]) {
		assert.ok(LISTED_PROFILE_NAMES.includes(n), n);
	}
	for (const n of LISTED_PROFILE_NAMES) assert.ok(parseProfileName(n), n);
});
