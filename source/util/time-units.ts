// DTrace's time suffixes (dt_options.c, the profile provider), in nanoseconds:
// one table for option values, profile-N/tick-N names and dtop's own flags.
export const NS_PER_UNIT: Readonly<Record<string, number>> = {
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
