// A sparkline of per-tick counts: one cell per tick, newest on the right, scaled
// to the largest value shown. A zero is a blank cell, so "nothing happened" and
// "a little happened" never look alike.

import { Text } from "ink";
import type { Charset } from "./charset.ts";
import { useUi } from "./context.tsx";

export function sparkline(values: readonly number[], cols: number, cs: Charset): string {
	if (cols <= 0) return "";
	const shown = values.length > cols ? values.slice(values.length - cols) : values;
	let max = 0;
	for (const v of shown) if (v > max) max = v;
	const levels = cs.spark.length;
	let out = " ".repeat(cols - shown.length);
	for (const v of shown) {
		if (!(v > 0) || max === 0) {
			out += " ";
			continue;
		}
		const level = Math.min(levels, Math.max(1, Math.ceil((v / max) * levels)));
		out += cs.spark[level - 1];
	}
	return out;
}

export function Sparkline({ values, width }: { values: readonly number[]; width: number }) {
	const { cs, color } = useUi();
	return <Text color={color ? "green" : undefined}>{sparkline(values, width, cs)}</Text>;
}
