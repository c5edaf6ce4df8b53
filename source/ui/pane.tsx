// A pane's title row: a rule with the title in it, highlighted when the pane has
// the keyboard. Without colour the focused title is bracketed instead.
//
//   ── Probes ────────────── 12/1034 ─
//   ──[ Enabled ]────────────────────

import type { Charset } from "./charset.ts";
import { type Line, seg } from "./line.tsx";
import { truncate, width } from "./text.ts";

export function titleLine(title: string, cols: number, focused: boolean, cs: Charset, right = ""): Line {
	const h = cs.hline;
	const label = focused ? `[ ${title} ]` : `  ${title}  `;
	const lead = h;
	const tail = right ? ` ${right} ${h}` : "";
	let fill = cols - width(lead) - width(label) - width(tail);
	let shownLabel = label;
	let shownTail = tail;
	if (fill < 0) {
		shownTail = "";
		fill = cols - width(lead) - width(label);
		if (fill < 0) {
			shownLabel = truncate(label, Math.max(0, cols - width(lead)));
			fill = 0;
		}
	}
	return [
		seg(lead, { dim: !focused, color: focused ? "cyan" : undefined }),
		seg(shownLabel, { bold: true, color: focused ? "cyan" : undefined }),
		seg(h.repeat(fill) + shownTail, { dim: !focused, color: focused ? "cyan" : undefined }),
	];
}
