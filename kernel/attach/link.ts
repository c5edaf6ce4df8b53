// A Link is one attachment of a BPF program to probe(s). Closing it detaches;
// the kernel also detaches when the process dies (every fd closes), which is
// what makes "nothing left after kill -9" hold.
import { SyscallError, sys } from "../sys/index.ts";

export interface Link {
	/** e.g. "uprobe_multi", "tracepoint", "perf-uprobe", "perf-sample". */
	readonly kind: string;
	/** What it is attached to, for messages. */
	readonly target: string;
	/** Number of probe sites the link covers. */
	readonly count: number;
	readonly fds: readonly number[];
	close(): void;
	/** Detach without blocking the caller (the kernel's teardown runs on a worker thread). */
	closeAsync(): Promise<void>;
}

export const BPF_LINK_CREATE = 28;
export const BPF_PERF_EVENT = 41;
export const BPF_TRACE_UPROBE_MULTI = 48;

const open = new Set<Link>();

/** Links not yet closed in this process (tests assert this drains to zero). */
export function openLinks(): number {
	return open.size;
}

/**
 * Detach every link still open, all at once: a tracepoint's perf event waits out
 * an RCU grace period when it is released (60–90 ms each here), and closed on
 * worker threads those waits overlap instead of adding up. For the way out.
 */
export async function closeOpenLinks(): Promise<void> {
	await Promise.allSettled([...open].map((l) => l.closeAsync()));
}

export function makeLink(kind: string, target: string, count: number, fds: number[]): Link {
	let closed = false;
	const link: Link = {
		kind,
		target,
		count,
		fds,
		close() {
			if (closed) return;
			closed = true;
			open.delete(link);
			let first: unknown;
			for (const fd of fds) {
				try {
					sys().close(fd);
				} catch (e) {
					first ??= e;
				}
			}
			if (first) throw first;
		},
		async closeAsync() {
			if (closed) return;
			closed = true;
			open.delete(link);
			const results = await Promise.allSettled(fds.map((fd) => sys().closeAsync(fd)));
			const failed = results.find((r) => r.status === "rejected");
			if (failed) throw (failed as PromiseRejectedResult).reason;
		},
	};
	open.add(link);
	return link;
}

/** BPF_LINK_CREATE for a perf event fd (tracepoint, uprobe, kprobe, sampling event). */
export function linkPerfEvent(progFd: number, perfFd: number, cookie: bigint | number): number {
	const attr = Buffer.alloc(48);
	attr.writeUInt32LE(progFd, 0);
	attr.writeUInt32LE(perfFd, 4);
	attr.writeUInt32LE(BPF_PERF_EVENT, 8);
	attr.writeBigUInt64LE(BigInt.asUintN(64, BigInt(cookie)), 16);
	return sys().bpf(BPF_LINK_CREATE, attr, "attaching a program to a perf event");
}

/** Close fds, ignoring errors: used on failure paths before rethrowing. */
export function closeQuietly(fds: Iterable<number>): void {
	for (const fd of fds) {
		try {
			sys().close(fd);
		} catch (e) {
			if (!(e instanceof SyscallError)) throw e;
		}
	}
}
