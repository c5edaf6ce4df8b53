// kernel/sys: the system-call boundary. Everything above uses `sys()`; tests
// may install a fake with `setSys()`.
import { createNativeSys } from "./native.ts";
import type { Sys } from "./sys.ts";

export * from "./arch.ts";
export * from "./errno.ts";
export * from "./errors.ts";
export { FakeSys } from "./fake.ts";
export * from "./native-memory.ts";
export * from "./sys.ts";

let current: Sys | undefined;
let native: Sys | undefined;

/** Is the Sys in use (or the one sys() would make) the real kernel's, not a test's fake? */
export function isNativeSys(): boolean {
	return current === undefined || current === native;
}

/** The Sys in use: the native one unless a test installed another. */
export function sys(): Sys {
	if (!current) {
		current = createNativeSys();
		native = current;
	}
	return current;
}

/** Install a Sys (a fake in unit tests); returns the previous one. */
export function setSys(next: Sys | undefined): Sys | undefined {
	const prev = current;
	current = next;
	return prev;
}
