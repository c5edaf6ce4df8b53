// The Events pane: over the probe tree and the enabled table, the last lines of
// per-event output of every enabling (printf, trace, the default action), the
// newest at the bottom, followed live unless scrolled back or paused; its title
// says how many lines there are, the drops and faults, the filter and the pause.

import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { type EventsPaneState, type EventsView, shownLines } from "./events-model.ts";
import { type Line, Lines, seg } from "./line.tsx";
import { titleLine } from "./pane.tsx";
import { formatCount } from "./text.ts";

export interface EventsPaneProps {
	events: EventsView;
	pane: EventsPaneState;
	width: number;
	/** Rows including the title row. */
	height: number;
}

export function eventsTitle(events: EventsView, pane: EventsPaneState, shown: number): string {
	const parts = [`Events ${formatCount(events.total)} lines`];
	if (events.skipped) parts.push(`${formatCount(events.skipped)} records scrolled past unformatted`);
	if (pane.filter !== undefined) parts.push(`filter "${pane.filter}": ${formatCount(shown)}`);
	// Lost records are shown, never hidden.
	parts.push(`${formatCount(events.drops)} drops`);
	if (events.faults) parts.push(`${formatCount(events.faults)} errors`);
	if (pane.paused) parts.push("PAUSED");
	return parts.join("  ");
}

export function eventsLines(props: EventsPaneProps, cs: Charset): Line[] {
	const { events, pane, width: cols, height } = props;
	const lines = shownLines(events, pane);
	const body = Math.max(0, height - 1);
	const end = Math.max(0, lines.length - pane.back);
	const start = Math.max(0, end - body);
	const right = pane.back > 0 ? `${cs.more} ${pane.back} newer` : "";
	const out: Line[] = [titleLine(eventsTitle(events, pane, lines.length), cols, true, cs, right)];
	if (lines.length === 0) {
		out.push([
			seg(
				pane.filter !== undefined
					? "no line contains the filter (/ changes it, Esc clears it)"
					: 'nothing printed yet: enable a clause with printf(), trace() or no body with :, e.g. syscall::openat:entry { printf("%s\\n", execname); }',
				{ dim: true },
			),
		]);
		return out;
	}
	for (let i = start; i < end; i++) {
		const l = lines[i];
		// An empty Text takes no row in Ink: a blank line (dtrace prints one after each record) is a space.
		out.push([seg(l.text || " ", l.enabling === 0 ? { color: "red" } : {})]);
	}
	return out;
}

export function EventsPane(props: EventsPaneProps) {
	const { cs } = useUi();
	return <Lines lines={eventsLines(props, cs)} height={props.height} width={props.width} />;
}
