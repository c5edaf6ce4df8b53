// The footer: the main keys of where the user is, htop style (key highlighted,
// then what it does), as many as fit. Made from keys.ts; a click on an item
// presses its key.

import { FOOTERS, type KeyContext, type KeyRow, rowById } from "./keys.ts";
import { type Line, Lines, seg } from "./line.tsx";
import { width as textWidth } from "./text.ts";

export type FooterContext = KeyContext;

interface Item {
	row: KeyRow;
	key: string;
	text: string;
	/** First and one-past-last column. */
	from: number;
	to: number;
}

/** The items that fit in `cols` columns, with where each is. */
export function footerItems(context: FooterContext, cols: number): Item[] {
	const items: Item[] = [];
	let used = 0;
	for (const id of FOOTERS[context]) {
		const row = rowById(id);
		if (!row.footer) continue;
		const [key, text] = row.footer;
		const w = textWidth(key) + textWidth(text) + 2;
		if (used + w > cols) break;
		items.push({ row, key, text, from: used, to: used + w });
		used += w;
	}
	return items;
}

/** The key row of the footer item at column `x`. */
export function footerHit(context: FooterContext, cols: number, x: number): KeyRow | undefined {
	return footerItems(context, cols).find((i) => x >= i.from && x < i.to)?.row;
}

export function footerLine(context: FooterContext, cols: number): Line {
	return footerItems(context, cols).flatMap((i) => [seg(i.key, { bold: true, inverse: true }), seg(` ${i.text} `)]);
}

export function Footer({ context, width }: { context: FooterContext; width: number }) {
	return <Lines lines={[footerLine(context, width)]} height={1} width={width} />;
}
