// What the Events pane shows: the last lines of per-event output (printf,
// trace, the default action) of every enabling, as the controller keeps them
// (source/app/event-feed.ts), and the pane's own state: where it is scrolled,
// whether it is paused (frozen on what it showed), and its filter.

export interface EventLine {
	/** The enabling that printed it (0: dtop's own lines, such as runtime errors). */
	enabling: number;
	/** Safe to write to a terminal (escaped by the controller). */
	text: string;
}

export interface EventsView {
	/** The last lines, oldest first (bounded; unfinished lines at the end). */
	lines: readonly EventLine[];
	/** Lines ever printed (those before the first kept one are gone). */
	total: number;
	/** Records read but not formatted: a flood's earlier ones, whose lines would have left the ring at once. */
	skipped: number;
	/** Records the kernel could not write into the ring buffer (it was full). */
	drops: number;
	/** Runtime faults (unreadable addresses) reported. */
	faults: number;
	/** Bumped on every change. */
	version: number;
}

export const NO_EVENTS: EventsView = { lines: [], total: 0, skipped: 0, drops: 0, faults: 0, version: 0 };

export interface EventsPaneState {
	open: boolean;
	/** Lines scrolled back from the newest (0: follow the output). */
	back: number;
	/** Frozen on these lines (`p`); new ones are still kept, and shown on resume. */
	paused: EventsView | undefined;
	/** Only lines containing this text (case-insensitive). */
	filter: string | undefined;
}

export const EVENTS_CLOSED: EventsPaneState = { open: false, back: 0, paused: undefined, filter: undefined };

const cache = new WeakMap<readonly EventLine[], { filter: string; out: readonly EventLine[] }>();

/** The lines the pane shows: the live or paused ones, through the filter. */
export function shownLines(live: EventsView, pane: EventsPaneState): readonly EventLine[] {
	const lines = (pane.paused ?? live).lines;
	const f = pane.filter?.toLowerCase();
	if (!f) return lines;
	const have = cache.get(lines);
	if (have?.filter === f) return have.out;
	const out = lines.filter((l) => l.text.toLowerCase().includes(f));
	cache.set(lines, { filter: f, out });
	return out;
}
