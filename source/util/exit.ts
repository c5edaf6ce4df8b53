// What must run however dtop leaves: a reader gone from the pipe (EPIPE on
// `dtop … | head`), a fatal error. The tracing modes register their cleanup
// (release the kernel objects, end the -c command) here while they run.
const handlers = new Set<() => void>();

/** Run `fn` if dtop exits early; returns the function that unregisters it. */
export function atExit(fn: () => void): () => void {
	handlers.add(fn);
	return () => handlers.delete(fn);
}

/** Run every registered cleanup once (each failure is ignored: dtop is leaving). */
export function runAtExit(): void {
	for (const fn of [...handlers]) {
		handlers.delete(fn);
		try {
			fn();
		} catch {
			// best effort on the way out
		}
	}
}
