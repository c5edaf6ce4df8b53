// The Detail pane's lines for an enabling's D variables: each global scalar as
// `name = value`, each associative array as a table of key → value rows (at
// most as many as the session read, with how many it has).

import type { KeyPart, VariableView } from "../session/view.ts";
import { escapeForTerminal } from "../util/escape.ts";
import type { Charset } from "./charset.ts";
import { formatKey, formatKeyPart } from "./format.ts";
import { type Line, seg } from "./line.tsx";
import { formatCount, padEnd, width } from "./text.ts";

function valueText(v: KeyPart): string {
	return v.kind === "string" ? `"${formatKeyPart(v)}"` : formatKeyPart(v);
}

export function variableLines(vars: readonly VariableView[], cols: number, cs: Charset): Line[] {
	const lines: Line[] = [];
	const scalars = vars.filter((v) => v.kind === "scalar");
	if (scalars.length) {
		lines.push([seg("variables", { dim: true })]);
		for (const v of scalars)
			lines.push([seg(`  ${escapeForTerminal(v.name)} = `), seg(valueText(v.value), { bold: true })]);
	}
	for (const v of vars) {
		if (v.kind === "error") lines.push([seg(`variables: ${v.text}`, { color: "red" })]);
		if (v.kind !== "assoc") continue;
		if (lines.length) lines.push([]);
		const more = v.count > v.elements.length ? ` (the first ${v.elements.length})` : "";
		lines.push([seg(`${escapeForTerminal(v.name)}[] ${formatCount(v.count)} elements${more}`, { dim: true })]);
		if (v.elements.length === 0) {
			lines.push([seg("  (empty)", { dim: true })]);
			continue;
		}
		const keys = v.elements.map((e) => `[${formatKey(e.key)}]`);
		const keyCols = Math.min(Math.max(...keys.map(width)), Math.max(8, Math.floor(cols / 2)));
		v.elements.forEach((e, i) => {
			lines.push([seg(`  ${padEnd(keys[i], keyCols, cs.ellipsis)} `), seg(valueText(e.value), { bold: true })]);
		});
	}
	return lines;
}
