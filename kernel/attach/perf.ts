// Timed sampling for the profile provider: a software CPU-clock perf event.
// `profile-N` samples at N Hz on every CPU; `tick-N` fires on one CPU only, at a
// fixed period (DTrace's semantics).
import { PERF_FLAG_FD_CLOEXEC, sys } from "../sys/index.ts";
import { onlineCpuList } from "./cpus.ts";
import { closeQuietly, type Link, linkPerfEvent, makeLink } from "./link.ts";
import { PERF_COUNT_SW_CPU_CLOCK, PERF_TYPE_SOFTWARE, perfAttr } from "./perf-attr.ts";

export interface SampleSpec {
	/** Samples per second on each CPU (profile-N). */
	hz?: number;
	/** Period in nanoseconds (tick-N); fires on one CPU. */
	periodNs?: bigint;
	/** Restrict sampling to one process (-1 / undefined: all). */
	pid?: number;
}

export function attachSampling(progFd: number, spec: SampleSpec, cookie: bigint | number = 0n): Link {
	const fds: number[] = [];
	const perCpu = spec.hz !== undefined;
	const cpus = perCpu ? onlineCpuList() : [0];
	const attr = perCpu
		? perfAttr({
				type: PERF_TYPE_SOFTWARE,
				config: BigInt(PERF_COUNT_SW_CPU_CLOCK),
				sample: BigInt(spec.hz!),
				freq: true,
			})
		: perfAttr({
				type: PERF_TYPE_SOFTWARE,
				config: BigInt(PERF_COUNT_SW_CPU_CLOCK),
				sample: spec.periodNs ?? 1_000_000_000n,
			});
	try {
		for (const cpu of cpus) {
			let perfFd: number;
			try {
				perfFd = sys().perfEventOpen(
					attr,
					spec.pid ?? -1,
					spec.pid && spec.pid > 0 ? -1 : cpu,
					-1,
					PERF_FLAG_FD_CLOEXEC,
				);
			} catch (e) {
				// A possible-but-offline CPU cannot be opened; skip it (ENODEV).
				if ((e as { errno?: number }).errno === 19 && fds.length > 0) continue;
				throw e;
			}
			try {
				fds.push(linkPerfEvent(progFd, perfFd, cookie));
			} finally {
				sys().close(perfFd);
			}
			if (spec.pid && spec.pid > 0) break;
		}
	} catch (e) {
		closeQuietly(fds);
		throw e;
	}
	const what = perCpu ? `${spec.hz} Hz on ${fds.length} CPUs` : `every ${spec.periodNs} ns`;
	return makeLink("perf-sample", what, fds.length, fds);
}
