// Shared helpers for the source/d tests.
import assert from "node:assert/strict";
import { DError, equalIgnoringPositions } from "../../../source/d/index.ts";

/** JSON with bigints, without positions, for readable assertion messages. */
export function show(node: unknown): string {
	return JSON.stringify(
		node,
		(k, v) => (k === "pos" || k === "fnPos" ? undefined : typeof v === "bigint" ? `${v}n` : v),
		1,
	);
}

export function assertSameTree(actual: unknown, expected: unknown, context = ""): void {
	if (!equalIgnoringPositions(actual, expected)) {
		assert.fail(`${context}\nactual:   ${show(actual)}\nexpected: ${show(expected)}`);
	}
}

/** Assert that `fn` throws a D error (of `type` when given) with exactly `message`. */
export function assertDError(fn: () => unknown, message: string, type: typeof DError = DError): void {
	let thrown: unknown;
	try {
		fn();
	} catch (e) {
		thrown = e;
	}
	assert.ok(thrown !== undefined, `expected an error: ${message}`);
	assert.ok(thrown instanceof type, `expected ${type.name}, got ${String(thrown)}`);
	assert.equal((thrown as Error).message, message);
}
