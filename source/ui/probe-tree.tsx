// The probe tree pane: the visible window of the flattened tree, one row per node,
// indented by depth, with expand marks, child counts, enabled marks and the live
// rate of enabled probes. Only the rows on screen are built.

import { escapeForTerminal } from "../util/escape.ts";
import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";
import { type Line, Lines, padLine, seg, styleLine } from "./line.tsx";
import { titleLine } from "./pane.tsx";
import { formatCount, formatRate, truncate, width } from "./text.ts";
import { isLeaf, keepVisible, type TreeRow } from "./tree.ts";

export interface ProbeTreeProps {
	rows: readonly TreeRow[];
	selected: number;
	/** First row shown (the App keeps it; it is corrected to keep the selection visible). */
	top?: number;
	width: number;
	/** Rows including the title row. */
	height: number;
	focused: boolean;
	filter?: string;
	/** Shown instead of rows when the tree is empty. */
	empty?: string;
	/** Rows are still being read (a large filtered tree): the ones so far. */
	loading?: boolean;
}

export function treeRowLine(row: TreeRow, cols: number, cs: Charset, selected: boolean, focused: boolean): Line {
	const { entry } = row;
	const mark = isLeaf(entry) ? cs.leaf : row.expanded ? cs.expanded : cs.collapsed;
	const on = entry.enabled === true ? cs.enabled : entry.enabled === "partial" ? cs.partial : " ";
	const lead = `${selected ? cs.cursor : " "}${"  ".repeat(row.depth)}${mark} `;
	const name = entry.name === "" ? "(none)" : escapeForTerminal(entry.name);
	const count =
		entry.note !== undefined
			? ""
			: entry.countText !== undefined
				? ` (${entry.countText})`
				: entry.childCount !== undefined
					? ` (${formatCount(entry.childCount)})`
					: "";
	const rate = entry.enabled !== false && entry.rate !== undefined ? `${formatRate(entry.rate)}/s` : "";
	const rateCols = rate ? width(rate) + 1 : 0;
	const nameRoom = Math.max(1, cols - width(lead) - 2 - rateCols - (count ? width(count) : 0));
	const shownName = truncate(name, nameRoom, cs.ellipsis);
	// The note (a command line) takes what room is left, cut first.
	const noteRoom = nameRoom - width(shownName) - 2;
	const note =
		entry.note !== undefined && noteRoom >= 4
			? `  ${truncate(escapeForTerminal(entry.note), noteRoom, cs.ellipsis)}`
			: "";
	const line: Line = [
		seg(lead, { dim: !selected }),
		seg(on, { color: entry.enabled === true ? "green" : "yellow" }),
		seg(" "),
		seg(shownName, { bold: entry.enabled !== false }),
	];
	if (count) line.push(seg(count, { dim: true }));
	if (note) line.push(seg(note, { dim: true }));
	if (rate) {
		const used = width(lead) + 2 + width(shownName) + width(count) + width(note);
		const gap = Math.max(1, cols - used - width(rate));
		line.push(seg(" ".repeat(gap)), seg(rate, { color: "green" }));
	}
	if (selected && focused) return padLine(styleLine(line, { inverse: true }), cols, { inverse: true });
	return line;
}

export function treeLines(props: ProbeTreeProps, cs: Charset): Line[] {
	const { rows, width: cols, height, focused } = props;
	const body = Math.max(0, height - 1);
	const selected = Math.min(Math.max(0, props.selected), Math.max(0, rows.length - 1));
	const top = keepVisible(props.top ?? 0, selected, body, rows.length);
	const more = props.loading ? cs.ellipsis : "";
	const position = rows.length > 0 ? `${selected + 1}/${rows.length}${more}` : more;
	const title = props.filter ? `Probes /${escapeForTerminal(props.filter)}` : "Probes";
	const lines: Line[] = [titleLine(title, cols, focused, cs, position)];
	if (rows.length === 0) {
		const why = props.loading ? "reading the probes" : props.filter ? "nothing matches the filter" : "no probes";
		lines.push([seg(` ${props.empty ?? why}`, { dim: true })]);
		return lines;
	}
	const end = Math.min(rows.length, top + body);
	for (let i = top; i < end; i++) lines.push(treeRowLine(rows[i], cols, cs, i === selected, focused));
	return lines;
}

export function ProbeTree(props: ProbeTreeProps) {
	const { cs } = useUi();
	return <Lines lines={treeLines(props, cs)} height={props.height} width={props.width} />;
}
