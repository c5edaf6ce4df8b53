// Ink's Output (ink/build/output.js, Ink 6.8), producing the same frame with a
// fraction of the garbage. Ink's own turns every cell of every frame into a
// styled character and back: a copy of the style list per character, and per
// character two Sets, three arrays and a join to find that nothing changed
// from the character before. For a 120×30 frame that was ~7 MB of garbage, ten
// young-generation collections with a 1 MB semi-space, and each collection
// costs system calls (V8's GC trace calls getpid; pages come and go with mmap,
// madvise, mprotect and munmap): the idle UI of a busy machine, which redraws
// once a second because process counts change, made ~50 system calls a second
// for it. Here characters of one style run share one style list, a character
// whose style equals the one before costs no diff, blank cells are one shared
// object, and lines (as Ink hands them over) keep their styled characters
// across frames in a bounded cache. The bundle (scripts/build) puts this file
// in place of ink/build/output.js.
import {
	type AnsiCode,
	ansiCodesToString,
	diffAnsiCodes,
	reduceAnsiCodesIncremental,
	type StyledChar,
	tokenize,
} from "@alcalzone/ansi-tokenize";
import sliceAnsi from "slice-ansi";
import stringWidth from "string-width";

/** More distinct lines and texts than a few screens hold; a cache restarts empty when full. */
export const OUTPUT_CACHE_LIMIT = 4096;

class BoundedCache<V> {
	readonly #map = new Map<string, V>();
	get(key: string): V | undefined {
		return this.#map.get(key);
	}
	set(key: string, value: V): void {
		if (this.#map.size >= OUTPUT_CACHE_LIMIT) this.#map.clear();
		this.#map.set(key, value);
	}
	get size(): number {
		return this.#map.size;
	}
}

const styledCache = new BoundedCache<readonly StyledChar[]>();
const widthCache = new BoundedCache<number>();
const blockWidthCache = new BoundedCache<number>();

/** Entries held now (for tests). */
export function outputCacheSize(): number {
	return styledCache.size + widthCache.size + blockWidthCache.size;
}

/** As @alcalzone/ansi-tokenize's styledCharsFromTokens(tokenize(line)), one style list per run. Never modified. */
function styledChars(line: string): readonly StyledChar[] {
	const hit = styledCache.get(line);
	if (hit) return hit;
	let codes: AnsiCode[] = [];
	let run: AnsiCode[] | undefined;
	const out: StyledChar[] = [];
	for (const token of tokenize(line)) {
		if (token.type === "ansi") {
			codes = reduceAnsiCodesIncremental(codes, [token]);
			run = undefined;
		} else {
			run ??= [...codes];
			out.push({ type: "char", value: token.value, fullWidth: token.fullWidth, styles: run });
		}
	}
	styledCache.set(line, out);
	return out;
}

function width(text: string): number {
	let w = widthCache.get(text);
	if (w === undefined) {
		w = stringWidth(text);
		widthCache.set(text, w);
	}
	return w;
}

function widestLine(text: string): number {
	let w = blockWidthCache.get(text);
	if (w === undefined) {
		w = 0;
		for (const line of text.split("\n")) w = Math.max(w, width(line));
		blockWidthCache.set(text, w);
	}
	return w;
}

const sameStyles = (a: readonly AnsiCode[], b: readonly AnsiCode[]): boolean => {
	if (a === b) return true;
	if (a.length !== b.length) return false;
	for (let i = 0; i < a.length; i++) {
		const x = a[i] as AnsiCode;
		const y = b[i] as AnsiCode;
		if (x.code !== y.code || x.endCode !== y.endCode) return false;
	}
	return true;
};

/**
 * As styledCharsToString: the same string. Equal consecutive styles give an
 * empty diff there (every code of one is in the other), so they are skipped.
 */
export function styledLine(chars: readonly StyledChar[]): string {
	let ret = "";
	const last = chars.length - 1;
	for (let i = 0; i <= last; i++) {
		const char = chars[i] as StyledChar;
		if (i === 0) {
			if (char.styles.length) ret += ansiCodesToString(char.styles);
		} else {
			const before = (chars[i - 1] as StyledChar).styles;
			if (!sameStyles(before, char.styles)) ret += ansiCodesToString(diffAnsiCodes(before, char.styles));
		}
		ret += char.value;
		if (i === last && char.styles.length) ret += ansiCodesToString(diffAnsiCodes(char.styles, []));
	}
	return ret;
}

/** An empty cell: one object for all (cells are replaced, never changed). */
const BLANK: StyledChar = Object.freeze({
	type: "char",
	value: " ",
	fullWidth: false,
	styles: Object.freeze([]) as [],
});

type Transformer = (s: string, index: number) => string;
interface Clip {
	x1?: number;
	x2?: number;
	y1?: number;
	y2?: number;
}
type Operation =
	| { type: "write"; x: number; y: number; text: string; transformers: Transformer[] }
	| { type: "clip"; clip: Clip }
	| { type: "unclip" };

export default class Output {
	readonly width: number;
	readonly height: number;
	readonly operations: Operation[] = [];

	constructor(options: { width: number; height: number }) {
		this.width = options.width;
		this.height = options.height;
	}

	write(x: number, y: number, text: string, options: { transformers: Transformer[] }): void {
		if (!text) return;
		this.operations.push({ type: "write", x, y, text, transformers: options.transformers });
	}

	clip(clip: Clip): void {
		this.operations.push({ type: "clip", clip });
	}

	unclip(): void {
		this.operations.push({ type: "unclip" });
	}

	get(): { output: string; height: number } {
		const output: (StyledChar | undefined)[][] = [];
		for (let y = 0; y < this.height; y++) output.push(new Array<StyledChar>(this.width).fill(BLANK));
		const clips: Clip[] = [];
		for (const operation of this.operations) {
			if (operation.type === "clip") clips.push(operation.clip);
			if (operation.type === "unclip") clips.pop();
			if (operation.type !== "write") continue;
			const { text, transformers } = operation;
			let { x, y } = operation;
			let lines = text.split("\n");
			const clip = clips.at(-1);
			if (clip) {
				const clipHorizontally = typeof clip.x1 === "number" && typeof clip.x2 === "number";
				const clipVertically = typeof clip.y1 === "number" && typeof clip.y2 === "number";
				// Outside the clip altogether: nothing to do.
				if (clipHorizontally) {
					const w = widestLine(text);
					if (x + w < (clip.x1 as number) || x > (clip.x2 as number)) continue;
				}
				if (clipVertically) {
					if (y + lines.length < (clip.y1 as number) || y > (clip.y2 as number)) continue;
				}
				if (clipHorizontally) {
					const x1 = clip.x1 as number;
					const x2 = clip.x2 as number;
					lines = lines.map((line) => {
						const from = x < x1 ? x1 - x : 0;
						const w = width(line);
						const to = x + w > x2 ? x2 - x : w;
						return sliceAnsi(line, from, to);
					});
					if (x < x1) x = x1;
				}
				if (clipVertically) {
					const y1 = clip.y1 as number;
					const y2 = clip.y2 as number;
					const from = y < y1 ? y1 - y : 0;
					const height = lines.length;
					const to = y + height > y2 ? y2 - y : height;
					lines = lines.slice(from, to);
					if (y < y1) y = y1;
				}
			}
			let offsetY = 0;
			for (let index = 0; index < lines.length; index++) {
				let line = lines[index] as string;
				const currentLine = output[y + offsetY];
				// Text taller than the frame: the rest is not shown.
				if (!currentLine) continue;
				for (const transformer of transformers) line = transformer(line, index);
				let offsetX = x;
				for (const character of styledChars(line)) {
					currentLine[offsetX] = character;
					// The printed width as string-width measures it (as Ink lays out).
					const characterWidth = Math.max(1, width(character.value));
					// A wide character: the cells it covers are cleared.
					for (let i = 1; i < characterWidth; i++) {
						currentLine[offsetX + i] = { type: "char", value: "", fullWidth: false, styles: character.styles };
					}
					offsetX += characterWidth;
				}
				offsetY++;
			}
		}
		const generated = output
			.map((line) => styledLine(line.filter((item): item is StyledChar => item !== undefined)).trimEnd())
			.join("\n");
		return { output: generated, height: output.length };
	}
}
