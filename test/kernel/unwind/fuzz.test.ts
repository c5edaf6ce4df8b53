// Property tests: mutated and truncated call frame information in copies of
// real objects. Building a table either succeeds — with a well-formed table,
// the damage confined to FrameErrors and UNKNOWN/UNSUPPORTED ranges — or throws
// ElfError (when the damage is to the ELF structure itself); never another
// exception, never a hang.
import { before, describe, test } from "node:test";
import fc from "fast-check";
import { buildFixtures, DEEPSTACK, DEEPTHROW } from "../../fixtures/fixtures.ts";
import { build, damaged, mutation, type Target, target } from "./fuzz-lib.ts";

const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";

describe("corrupt call frame information", () => {
	let targets: Target[];
	before(() => {
		buildFixtures();
		targets = [target(DEEPSTACK), target(DEEPTHROW), target(DEEPSTACK.replace(/deepstack$/, "deepstack-debugframe"))];
	});

	test("random bytes written over .eh_frame, .eh_frame_hdr and .debug_frame", () => {
		for (const t of targets) {
			fc.assert(
				fc.property(fc.array(mutation(t), { minLength: 1, maxLength: 12 }), (muts) => {
					build(damaged(t, muts), t.name);
				}),
				{ numRuns: 150 },
			);
		}
	});

	test("record length fields set to random values", () => {
		for (const t of targets) {
			const [off, size] = t.areas[0];
			fc.assert(
				fc.property(fc.integer({ min: 0, max: Math.floor(size / 4) - 1 }), fc.integer(), (word, value) => {
					const buf = Buffer.from(t.buf);
					buf.writeInt32LE(value, off + word * 4);
					build(buf, t.name);
				}),
				{ numRuns: 150 },
			);
		}
	});

	test("sections cut short (the section header claims the old size)", () => {
		for (const t of targets) {
			fc.assert(
				fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (cut) => {
					const [off, size] = t.areas[0];
					const buf = Buffer.from(t.buf.subarray(0, off + Math.floor(cut * size)));
					build(buf, t.name);
				}),
				{ numRuns: 60 },
			);
		}
	});

	test("libc.so.6 with random damage: a table, errors, no exception", () => {
		const t = target(LIBC);
		fc.assert(
			fc.property(fc.array(mutation(t), { minLength: 1, maxLength: 40 }), (muts) => {
				build(damaged(t, muts), t.name);
			}),
			{ numRuns: 25 },
		);
	});
});
