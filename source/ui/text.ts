// Column arithmetic for a fixed-width terminal: display widths, truncation and
// padding that never split a wide character, and compact number formats. Every
// line the UI draws is fitted here, so Ink never has to wrap or truncate.

import type { Charset } from "./charset.ts";

const ASCII_PRINTABLE = /^[\x20-\x7e]*$/;
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\u200b-\u200f\ufeff]$/u;

function isWide(cp: number): boolean {
	return (
		(cp >= 0x1100 && cp <= 0x115f) ||
		(cp >= 0x2e80 && cp <= 0x303e) ||
		(cp >= 0x3041 && cp <= 0x33ff) ||
		(cp >= 0x3400 && cp <= 0x4dbf) ||
		(cp >= 0x4e00 && cp <= 0x9fff) ||
		(cp >= 0xa000 && cp <= 0xa4cf) ||
		(cp >= 0xac00 && cp <= 0xd7a3) ||
		(cp >= 0xf900 && cp <= 0xfaff) ||
		(cp >= 0xfe30 && cp <= 0xfe4f) ||
		(cp >= 0xff00 && cp <= 0xff60) ||
		(cp >= 0xffe0 && cp <= 0xffe6) ||
		(cp >= 0x1f300 && cp <= 0x1f64f) ||
		(cp >= 0x1f900 && cp <= 0x1f9ff) ||
		(cp >= 0x20000 && cp <= 0x3fffd)
	);
}

function charWidth(ch: string): number {
	const cp = ch.codePointAt(0)!;
	if (cp < 0x7f) return 1;
	if (ZERO_WIDTH.test(ch)) return 0;
	return isWide(cp) ? 2 : 1;
}

/** Columns a string occupies (control characters must have been escaped already). */
export function width(s: string): number {
	if (ASCII_PRINTABLE.test(s)) return s.length;
	let w = 0;
	for (const ch of s) w += charWidth(ch);
	return w;
}

/** Cuts `s` to at most `cols` columns, ending in `ellipsis` when something was cut. */
export function truncate(s: string, cols: number, ellipsis = ""): string {
	if (cols <= 0) return "";
	if (width(s) <= cols) return s;
	const ew = width(ellipsis);
	const room = ew > 0 && cols > ew ? cols - ew : cols;
	let out = "";
	let w = 0;
	for (const ch of s) {
		const cw = charWidth(ch);
		if (w + cw > room) break;
		out += ch;
		w += cw;
	}
	return room < cols ? out + ellipsis : out;
}

/** Truncates or pads on the right to exactly `cols` columns. */
export function padEnd(s: string, cols: number, ellipsis = ""): string {
	const t = truncate(s, cols, ellipsis);
	const w = width(t);
	return w < cols ? t + " ".repeat(cols - w) : t;
}

/** Truncates or pads on the left to exactly `cols` columns (numbers). */
export function padStart(s: string, cols: number, ellipsis = ""): string {
	const t = truncate(s, cols, ellipsis);
	const w = width(t);
	return w < cols ? " ".repeat(cols - w) + t : t;
}

/** Keeps the end of a string (paths, symbols) when it has to be cut. */
export function truncateStart(s: string, cols: number, cs: Charset): string {
	if (width(s) <= cols) return s;
	const chars = [...s];
	let out = "";
	let w = width(cs.ellipsis);
	for (let i = chars.length - 1; i >= 0; i--) {
		const cw = charWidth(chars[i]);
		if (w + cw > cols) break;
		out = chars[i] + out;
		w += cw;
	}
	return cs.ellipsis + out;
}

const UNITS = ["", "k", "M", "G", "T", "P"];

/** 999, 1.2k, 12.3k, 123k, 1.2M … — at most 5 columns for counts below 1e18. */
export function formatCount(n: number): string {
	if (!Number.isFinite(n)) return String(n);
	const neg = n < 0;
	let v = Math.abs(n);
	if (v < 10000) return (neg ? "-" : "") + String(Math.round(v));
	let u = 0;
	while (v >= 999.5 && u < UNITS.length - 1) {
		v /= 1000;
		u++;
	}
	const s = v < 9.95 ? v.toFixed(1) : String(Math.round(v));
	return (neg ? "-" : "") + s + UNITS[u];
}

/** A per-second rate: fractions below 10 keep one decimal ("0.5", "7.2"). */
export function formatRate(r: number): string {
	if (r > 0 && r < 10 && !Number.isInteger(r)) return r.toFixed(1);
	return formatCount(r);
}

/** 250ms, 1s, 1.5s, 10s. */
export function formatMs(ms: number): string {
	if (ms < 1000) return `${ms}ms`;
	const s = ms / 1000;
	return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}

/** Integer with thousands separators, for confirmations ("1,234 probes"). */
export function formatInt(n: number): string {
	return Math.round(n)
		.toString()
		.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}
