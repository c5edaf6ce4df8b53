// printf's %Y and %T: a walltimestamp (nanoseconds since the epoch) in local
// time. %Y is DTrace's rearranged ctime(3), "2004 Jan 25 13:00:00"; %T is its
// strftime("%a, %d %b %G %T %Z"), "Sun, 25 Jan 2004 13:00:00 PST" (with %G,
// the ISO week-based year, as DTrace has it). The zone abbreviation comes from
// Intl, which names zones without a common abbreviation "GMT+1" where glibc
// may say "CET".

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

interface Local {
	year: number;
	month: number; // 0-11
	day: number;
	hour: number;
	minute: number;
	second: number;
	weekday: number; // 0 = Sunday
	zone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
	const key = timeZone ?? "";
	let f = formatters.get(key);
	if (!f) {
		f = new Intl.DateTimeFormat("en-US", {
			timeZone,
			year: "numeric",
			month: "numeric",
			day: "numeric",
			hour: "numeric",
			minute: "numeric",
			second: "numeric",
			weekday: "short",
			timeZoneName: "short",
			hourCycle: "h23",
		});
		formatters.set(key, f);
	}
	return f;
}

function local(ns: bigint, timeZone: string | undefined): Local {
	// time_t sec = ns / NANOSEC, as DTrace computes it (truncating).
	const ms = Number(BigInt.asUintN(64, ns) / 1_000_000_000n) * 1000;
	const date = new Date(Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : 0);
	const parts: Record<string, string> = {};
	for (const p of formatter(timeZone).formatToParts(date)) parts[p.type] = p.value;
	return {
		year: Number(parts.year),
		month: Number(parts.month) - 1,
		day: Number(parts.day),
		hour: Number(parts.hour) % 24,
		minute: Number(parts.minute),
		second: Number(parts.second),
		weekday: DAYS.indexOf(parts.weekday),
		zone: parts.timeZoneName ?? "",
	};
}

function two(n: number): string {
	return n.toString().padStart(2, "0");
}

/** %Y: ctime's "Sun Jan 25 13:00:00 2004" with the year moved to the front. */
export function formatTimeY(ns: bigint, timeZone?: string): string {
	const t = local(ns, timeZone);
	const ctime = `${DAYS[t.weekday]} ${MONTHS[t.month]}${t.day.toString().padStart(3)} ${two(t.hour)}:${two(t.minute)}:${two(t.second)} ${t.year}\n`;
	return ctime.slice(20, 24) + ctime.slice(3, 19);
}

/** The ISO 8601 week-based year of a calendar date (strftime's %G). */
export function isoWeekYear(year: number, month: number, day: number): number {
	const d = new Date(Date.UTC(year, month, day));
	const weekday = (d.getUTCDay() + 6) % 7; // Monday = 0
	d.setUTCDate(d.getUTCDate() - weekday + 3); // the Thursday of this week
	return d.getUTCFullYear();
}

/** %T: RFC 822, "Sun, 25 Jan 2004 13:00:00 PST". */
export function formatTimeT(ns: bigint, timeZone?: string): string {
	const t = local(ns, timeZone);
	const g = isoWeekYear(t.year, t.month, t.day);
	return `${DAYS[t.weekday]}, ${two(t.day)} ${MONTHS[t.month]} ${g} ${two(t.hour)}:${two(t.minute)}:${two(t.second)} ${t.zone}`;
}
