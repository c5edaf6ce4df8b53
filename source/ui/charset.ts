// Terminal capabilities the UI adapts to: Unicode or ASCII glyphs, colour or none.
// Decided once at start from the environment, then passed down through the UI context.

/** The glyphs a frame may use. The ASCII set contains nothing outside 0x20–0x7e. */
export interface Charset {
	unicode: boolean;
	/** Sparkline levels, lowest first (8 of them). */
	spark: readonly string[];
	/** Full bar cell and the partial cells 1/8 … 7/8 (ASCII has no partials). */
	barFull: string;
	barPartial: readonly string[];
	/** Horizontal and vertical rules. */
	hline: string;
	vline: string;
	ellipsis: string;
	/** Tree marks. */
	expanded: string;
	collapsed: string;
	leaf: string;
	enabled: string;
	partial: string;
	/** Selection marker in the first column of a list. */
	cursor: string;
	/** Sort direction arrows in table headers. */
	down: string;
	up: string;
	/** Scroll hints. */
	more: string;
}

export const UNICODE: Charset = {
	unicode: true,
	spark: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"],
	barFull: "█",
	barPartial: ["▏", "▎", "▍", "▌", "▋", "▊", "▉"],
	hline: "─",
	vline: "│",
	ellipsis: "…",
	expanded: "▾",
	collapsed: "▸",
	leaf: " ",
	enabled: "●",
	partial: "◐",
	cursor: "›",
	down: "▼",
	up: "▲",
	more: "↓",
};

export const ASCII: Charset = {
	unicode: false,
	spark: ["_", ".", ",", "-", "=", "+", "*", "#"],
	barFull: "#",
	barPartial: [],
	hline: "-",
	vline: "|",
	ellipsis: "~",
	expanded: "-",
	collapsed: "+",
	leaf: " ",
	enabled: "*",
	partial: "~",
	cursor: ">",
	down: "v",
	up: "^",
	more: "v",
};

type Env = Record<string, string | undefined>;

/**
 * Whether the terminal's character set is UTF-8, by POSIX precedence: the first
 * non-empty of LC_ALL, LC_CTYPE, LANG names the locale. No locale at all (common
 * over SSH without SendEnv) means the C locale, so ASCII.
 */
export function detectUnicode(env: Env = process.env): boolean {
	const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || "";
	return /utf-?8/i.test(locale);
}

/**
 * Whether to use colour and other SGR attributes: off with a non-empty NO_COLOR
 * (no-color.org), `--no-color` on the command line, TERM=dumb, or output that is
 * not a terminal.
 */
export function detectColor(
	env: Env = process.env,
	argv: readonly string[] = process.argv,
	isTTY: boolean = process.stdout.isTTY === true,
): boolean {
	if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
	if (argv.includes("--no-color")) return false;
	if (env.TERM === "dumb") return false;
	return isTTY;
}

export function charsetFor(unicode: boolean): Charset {
	return unicode ? UNICODE : ASCII;
}
