// The Detail pane's line for an enabling's speculations: DTrace's three
// counts (records refused for specsize, speculation() finding every id busy
// or none free), highlighted once any is non-zero.
import type { SpecCounts } from "../session/speculation.ts";
import { type Line, seg } from "./line.tsx";
import { formatCount } from "./text.ts";

export function speculationLines(c: SpecCounts): Line[] {
	const text =
		`speculations: ${formatCount(c.drops)} speculative drops, ` +
		`${formatCount(c.unavailable)} failed (no buffer available), ${formatCount(c.busy)} failed (busy)`;
	const bad = c.drops > 0 || c.unavailable > 0 || c.busy > 0;
	return [[seg(text, bad ? { color: "yellow" } : { dim: true })]];
}
