// struct perf_event_attr (include/uapi/linux/perf_event.h); 128 bytes covers
// every field dtop sets (PERF_ATTR_SIZE_VER7 = 128, Linux 5.x+).

export const PERF_ATTR_SIZE = 128;
export const PERF_TYPE_SOFTWARE = 1;
export const PERF_TYPE_TRACEPOINT = 2;
export const PERF_COUNT_SW_CPU_CLOCK = 0;

export interface PerfAttr {
	type: number;
	config?: bigint;
	/** sample_period, or sample_freq when `freq` is set. */
	sample?: bigint;
	freq?: boolean;
	config1?: bigint;
	config2?: bigint;
}

export function perfAttr(a: PerfAttr): Buffer {
	const b = Buffer.alloc(PERF_ATTR_SIZE);
	b.writeUInt32LE(a.type, 0);
	b.writeUInt32LE(PERF_ATTR_SIZE, 4);
	b.writeBigUInt64LE(a.config ?? 0n, 8);
	b.writeBigUInt64LE(a.sample ?? 1n, 16);
	let flags = 0n;
	if (a.freq) flags |= 1n << 10n;
	b.writeBigUInt64LE(flags, 40);
	b.writeUInt32LE(1, 48); // wakeup_events
	b.writeBigUInt64LE(a.config1 ?? 0n, 56);
	b.writeBigUInt64LE(a.config2 ?? 0n, 64);
	return b;
}
