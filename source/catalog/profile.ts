// The profile provider: `profile-N` fires on every CPU, `tick-N` on one CPU,
// N times a second, or every N units with a suffix. DTrace's rules: a bare
// number is a rate in hertz; suffixes ns/nsec, us/usec, ms/msec, s/sec,
// m/min, h/hour, d/day give a period, hz a rate; the shortest period allowed
// is 200 µs (DTrace's profile_interval_min), so the fastest rate is 5000 Hz.

/** The probes `-l` shows, as DTrace does (any other valid N is made on demand). */
export const LISTED_PROFILE_NAMES = [
	"profile-97",
	"profile-199",
	"profile-499",
	"profile-997",
	"profile-1999",
	"profile-4001",
	"profile-4999",
	"tick-1",
	"tick-10",
	"tick-100",
	"tick-500",
	"tick-1000",
	"tick-5000",
	"tick-1s",
	"tick-10s",
];

const UNIT_NS: Record<string, number> = {
	ns: 1,
	nsec: 1,
	us: 1e3,
	usec: 1e3,
	ms: 1e6,
	msec: 1e6,
	s: 1e9,
	sec: 1e9,
	m: 60e9,
	min: 60e9,
	h: 3600e9,
	hour: 3600e9,
	d: 86400e9,
	day: 86400e9,
};

export const MIN_PERIOD_NS = 200_000;

export interface ProfileSpec {
	perCpu: boolean;
	periodNs: number;
	frequencyHz?: number;
}

/** Parses `profile-997`, `tick-1s`, `profile-5ms`, `tick-10hz`; undefined when the name is not a valid profile probe. */
export function parseProfileName(name: string): ProfileSpec | undefined {
	const m = /^(profile|tick)-(\d{1,12})([a-z]*)$/.exec(name);
	if (!m) return undefined;
	const n = Number(m[2]);
	const unit = m[3];
	if (n <= 0) return undefined;
	const perCpu = m[1] === "profile";
	if (unit === "" || unit === "hz") {
		const periodNs = Math.round(1e9 / n);
		if (periodNs < MIN_PERIOD_NS) return undefined;
		return { perCpu, periodNs, frequencyHz: n };
	}
	const scale = UNIT_NS[unit];
	if (scale === undefined) return undefined;
	const periodNs = n * scale;
	if (periodNs < MIN_PERIOD_NS || !Number.isSafeInteger(periodNs)) return undefined;
	return { perCpu, periodNs };
}
