// dtop's bundle renders frames with source/ui/ink-output.ts in place of Ink's
// Output (whose garbage per frame cost the idle UI ~30 system calls a second in
// young-generation collections). It must make exactly Ink's frame: the same
// writes, clips and transformers go to both here and the strings are compared.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import InkOutput from "../../../node_modules/ink/build/output.js";
import Output, { OUTPUT_CACHE_LIMIT, outputCacheSize } from "../../../source/ui/ink-output.ts";

const ROOT = join(import.meta.dirname, "../../..");
const ESC = "\u001b[";
/** Styles as chalk writes them (start, end), including ones that share an end code. */
const STYLES: [string, string][] = [
	["31m", "39m"],
	["32m", "39m"],
	["38;5;208m", "39m"],
	["41m", "49m"],
	["1m", "22m"],
	["2m", "22m"],
	["7m", "27m"],
	["4m", "24m"],
	["3m", "23m"],
];
const WORDS = ["syscall", "read", "日本", "▸", "█▏", "😀", "a b", "", " ", "123,456/s", "│", "—"];

/** A small deterministic generator (the same frames every run). */
function rng(seed: number) {
	let s = seed >>> 0;
	return (n: number) => {
		s = (s * 1664525 + 1013904223) >>> 0;
		return s % n;
	};
}

function styledText(r: (n: number) => number): string {
	let out = "";
	const open: string[] = [];
	for (let i = 0, n = 1 + r(6); i < n; i++) {
		const k = r(5);
		if (k === 0) {
			const [on, off] = STYLES[r(STYLES.length)] as [string, string];
			out += ESC + on;
			open.push(off);
		} else if (k === 1 && open.length) out += ESC + open.pop();
		else if (k === 2 && r(3) === 0) out += `${ESC}0m`;
		else out += WORDS[r(WORDS.length)];
		if (r(8) === 0) out += "\n";
	}
	while (open.length && r(2)) out += ESC + open.pop();
	return out;
}

type Ops = {
	write: (x: number, y: number, t: string, o: { transformers: ((s: string, i: number) => string)[] }) => void;
	clip: (c: object) => void;
	unclip: () => void;
	get: () => { output: string; height: number };
};

function draw(o: Ops, seed: number, width: number): void {
	const r = rng(seed);
	for (let i = 0, n = 5 + r(25); i < n; i++) {
		const k = r(10);
		if (k === 0) o.clip({ x1: r(width), x2: r(width) + 5, y1: r(10), y2: r(10) + r(20) });
		else if (k === 1) o.clip({ x1: r(width), x2: r(width) + 10 });
		else if (k === 2) o.unclip();
		else {
			const transformers = r(4) === 0 ? [(s: string, i: number) => `${i}${ESC}1m>${ESC}22m${s}`] : [];
			o.write(r(width + 4), r(32), styledText(r), { transformers });
		}
	}
}

test("frames are Ink's own: the same text, styles, clips, wide characters and transformers", () => {
	for (let seed = 1; seed <= 400; seed++) {
		const width = 20 + (seed % 100);
		const height = 1 + (seed % 30);
		const ink = new InkOutput({ width, height }) as unknown as Ops;
		const ours = new Output({ width, height });
		draw(ink, seed, width);
		draw(ours, seed, width);
		assert.deepEqual(ours.get(), ink.get(), `frame ${seed} (${width}×${height})`);
	}
});

test("the same frame drawn again comes out the same (cached lines are not changed by use)", () => {
	for (let seed = 1; seed <= 50; seed++) {
		const frames = [0, 1].map(() => {
			const o = new Output({ width: 80, height: 24 });
			draw(o, seed, 80);
			return o.get().output;
		});
		assert.equal(frames[1], frames[0]);
	}
});

test("its caches stay bounded however many distinct lines are drawn", () => {
	for (let i = 0; i < OUTPUT_CACHE_LIMIT * 3; i++) {
		const o = new Output({ width: 40, height: 2 });
		o.write(0, 0, `${ESC}31mrow ${i}${ESC}39m ${i * 7}/s`, { transformers: [] });
		o.get();
	}
	assert.ok(outputCacheSize() <= 3 * OUTPUT_CACHE_LIMIT, `${outputCacheSize()} entries`);
});

test("the bundle draws with dtop's Output, not Ink's", () => {
	execFileSync(join(ROOT, "scripts/build"), ["--if-stale"], { stdio: "ignore" });
	const chunks = readdirSync(join(ROOT, "build/chunks")).map((f) =>
		readFileSync(join(ROOT, "build/chunks", f), "utf8"),
	);
	const ink = chunks.filter((c) => c.includes("getTerminalWidth"));
	assert.equal(ink.length, 1, "Ink is in one chunk");
	assert.ok(!ink[0].includes("class OutputCaches"), "Ink's Output is in the bundle");
	assert.match(ink[0], /sameStyles/, "dtop's Output is not in the bundle");
});
