// Every kernel object and native mapping kernel/bpf and kernel/sys hand out is
// recorded here until closed, so tests (and a shutdown path) can prove nothing was leaked.

export type ObjectKind = "map" | "program" | "ringbuf" | "memory" | "link" | "perf_event";

export interface OpenObject {
	readonly kind: ObjectKind;
	readonly name: string;
	/** The file descriptor, or -1 for objects that have none (native memory). */
	readonly fd: number;
}

const open = new Set<OpenObject>();

/** Record an open object; pass the returned token to `untrack` when it is closed. */
export function track(kind: ObjectKind, name: string, fd = -1): OpenObject {
	const o: OpenObject = { kind, name, fd };
	open.add(o);
	return o;
}

export function untrack(token: OpenObject | undefined): void {
	if (token) open.delete(token);
}

/** How many objects created through kernel/bpf are still open. */
export function openObjects(): number {
	return open.size;
}

/** The objects still open, for a leak report. */
export function openObjectList(): OpenObject[] {
	return [...open];
}
