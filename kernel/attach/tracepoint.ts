// Tracepoints: a perf event of type PERF_TYPE_TRACEPOINT, config = the event id
// from tracefs, with the program linked through BPF_LINK_CREATE (Linux 5.15+ for
// perf links; the cookie needs 5.15 too). The program sees every CPU's firings
// even though the perf event is opened on CPU 0: the program hangs off the
// tracepoint itself, not the perf event. The event is a counting one
// (sample_period 0), as libbpf opens it: some events refuse sampling perf
// events even to root (irq_vectors:irq_work_exit answers EPERM, its
// TRACE_EVENT_PERF_PERM check), and the program runs either way.
import { PERF_FLAG_FD_CLOEXEC, sys } from "../sys/index.ts";
import { closeQuietly, type Link, linkPerfEvent, makeLink } from "./link.ts";
import { PERF_TYPE_TRACEPOINT, perfAttr } from "./perf-attr.ts";

export interface TracepointTarget {
	/** Event id from tracefs `events/GROUP/NAME/id`. */
	id: number;
	/** `group:name`, for messages. */
	name: string;
}

export function attachTracepoint(progFd: number, tp: TracepointTarget, cookie: bigint | number = 0n): Link {
	const perfFd = sys().perfEventOpen(
		perfAttr({ type: PERF_TYPE_TRACEPOINT, config: BigInt(tp.id), sample: 0n }),
		-1,
		0,
		-1,
		PERF_FLAG_FD_CLOEXEC,
	);
	try {
		const linkFd = linkPerfEvent(progFd, perfFd, cookie);
		// The link holds its own reference to the perf event.
		sys().close(perfFd);
		return makeLink("tracepoint", tp.name, 1, [linkFd]);
	} catch (e) {
		closeQuietly([perfFd]);
		throw e;
	}
}
