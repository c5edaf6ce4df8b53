// Releasing many things where one failure must not stop the rest: try each,
// keep the first error, throw it at the end.
export class Attempts {
	#first: unknown;
	#failed = false;

	/** Run `f`; a throw is remembered (the first one), not propagated. */
	readonly run = (f: () => void): void => {
		try {
			f();
		} catch (e) {
			if (!this.#failed) this.#first = e;
			this.#failed = true;
		}
	};

	/** Throw the first error any attempt met. */
	rethrow(): void {
		if (this.#failed) throw this.#first;
	}
}
