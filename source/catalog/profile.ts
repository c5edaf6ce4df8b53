// The profile provider: `profile-N` fires on every CPU, `tick-N` on one CPU,
// N times a second, or every N units with a suffix. DTrace's rules: a bare
// number is a rate in hertz; suffixes ns/nsec, us/usec, ms/msec, s/sec,
// m/min, h/hour, d/day give a period, hz a rate; the shortest period allowed
// is 200 µs (DTrace's profile_interval_min), so the fastest rate is 5000 Hz.
import { NS_PER_UNIT } from "../util/time-units.ts";

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
	const scale = NS_PER_UNIT[unit];
	if (scale === undefined) return undefined;
	const periodNs = n * scale;
	if (periodNs < MIN_PERIOD_NS || !Number.isSafeInteger(periodNs)) return undefined;
	return { perCpu, periodNs };
}
