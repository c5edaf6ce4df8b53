// An interactive SVG flame graph of a stack aggregation, for `--flamegraph
// FILE.svg`: one self-contained file (its script inline, no external resource),
// root at the bottom, each frame as wide as the firings through it, coloured by
// the object it is in. In a browser: hover for counts, click a frame to zoom
// into it (its width becomes the whole width; click "Reset zoom", the root or
// press Escape to go back), "Search" (or Ctrl-F) highlights frames matching a
// text and says what share of firings they cover.
//
// Names come from binaries and are hostile: they are XML-escaped, characters
// XML cannot carry become visible escapes, and the script reads them from the
// document, never from code (nothing a name holds is ever run).
import { escapeForTerminal } from "../util/escape.ts";
import { type FlameNode, type FlameRow, flameTree, moduleHue } from "./flame-tree.ts";

export interface FlameGraphOptions {
	title?: string;
	/** Image width in pixels (default 1200). */
	width?: number;
	/** Most frames drawn; the narrowest beyond it are left out, and the graph says how many (default 20,000). */
	maxFrames?: number;
}

const ROW = 16;
const TOP = 48;
const BOTTOM = 28;
const PAD = 10;
const CHAR = 7; // average glyph width of 12px monospace, for fitting labels

/** Text safe for XML 1.0 character data and attributes. */
export function xmlText(s: string): string {
	return escapeForTerminal(s)
		.replace(/[\ud800-\udfff]/g, (c, i: number, all: string) => {
			// Lone surrogates are not XML characters; pairs are fine.
			const code = c.charCodeAt(0);
			const pair = code < 0xdc00 ? /[\udc00-\udfff]/.test(all[i + 1] ?? "") : /[\ud800-\udbff]/.test(all[i - 1] ?? "");
			return pair ? c : "\ufffd";
		})
		.replace(/[\ufffe\uffff]/g, "\ufffd")
		.replace(/&/g, "&amp;")
		.replace(/</g, "&lt;")
		.replace(/>/g, "&gt;")
		.replace(/"/g, "&quot;")
		.replace(/'/g, "&#39;");
}

function colour(n: FlameNode): string {
	if (n.module === "vmlinux") return "hsl(28,85%,60%)";
	if (n.module === "") return "hsl(0,0%,72%)";
	const hue = moduleHue(n.module);
	// Warm to cool around the wheel, kept light enough for black text.
	return `hsl(${hue},${55 + (hue % 20)}%,${62 + (hue % 12)}%)`;
}

function fit(name: string, px: number): string {
	const chars = Math.floor((px - 6) / CHAR);
	if (chars < 3) return "";
	return name.length <= chars ? name : `${name.slice(0, chars - 2)}..`;
}

/** The SVG document for the stacks `rows` (frames innermost first, with counts). */
export function flameGraphSvg(rows: readonly FlameRow[], options: FlameGraphOptions = {}): string {
	const width = options.width ?? 1200;
	const maxFrames = options.maxFrames ?? 20_000;
	const root = flameTree(rows);
	const inner = width - 2 * PAD;

	// Frames in breadth order, keeping the widest when there are too many.
	const all: { node: FlameNode; depth: number; x: number }[] = [];
	const walk = (n: FlameNode, depth: number, x: number) => {
		all.push({ node: n, depth, x });
		let at = x;
		for (const c of n.children) {
			walk(c, depth + 1, at);
			at += c.value;
		}
	};
	walk(root, 0, 0);
	let shown = all;
	let omitted = 0;
	if (all.length > maxFrames) {
		const edge = [...all].sort((a, b) => b.node.value - a.node.value)[maxFrames - 1].node.value;
		shown = all.filter((f) => f.node.value >= edge).slice(0, maxFrames);
		omitted = all.length - shown.length;
	}
	const depth = shown.reduce((d, f) => Math.max(d, f.depth), 0);
	const height = TOP + (depth + 1) * ROW + BOTTOM;
	const total = Math.max(1, root.value);

	const frames: string[] = [];
	for (const f of shown) {
		const x = f.x / total;
		const w = f.node.value / total;
		const px = w * inner;
		const y = height - BOTTOM - (f.depth + 1) * ROW;
		const pct = ((f.node.value / total) * 100).toFixed(2);
		const name = xmlText(f.node.name);
		const label = f.node.value === 1 ? "firing" : "firings";
		frames.push(
			`<g class="f" data-x="${x}" data-w="${w}" data-d="${f.depth}"><title>${name} (${f.node.value} ${label}, ${pct}%)</title>` +
				`<rect x="${(PAD + x * inner).toFixed(2)}" y="${y}" width="${px.toFixed(2)}" height="${ROW - 1}" rx="2" fill="${colour(f.node)}"/>` +
				`<text x="${(PAD + x * inner + 3).toFixed(2)}" y="${y + ROW - 4}">${xmlText(fit(f.node.name, px))}</text></g>`,
		);
	}
	const title = xmlText(options.title ?? "Flame graph");
	const note = omitted > 0 ? ` (${omitted} narrow frames left out)` : "";
	return `<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<svg version="1.1" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" data-inner="${inner}" data-pad="${PAD}">
<style>
text { font: 12px monospace; fill: #000; pointer-events: none; }
.f rect { stroke: #fff; stroke-width: 0.5; cursor: pointer; }
.f:hover rect { stroke: #000; }
.f.hidden { display: none; }
.ui { font: 12px sans-serif; cursor: pointer; fill: #333; pointer-events: all; }
#title { font: bold 17px sans-serif; }
</style>
<rect width="100%" height="100%" fill="#f8f8f8"/>
<text id="title" x="${width / 2}" y="24" text-anchor="middle">${title}</text>
<text class="ui" id="reset" x="${PAD}" y="24" visibility="hidden">Reset zoom</text>
<text class="ui" id="search" x="${width - PAD}" y="24" text-anchor="end">Search</text>
<text class="ui" id="matched" x="${width - PAD}" y="${height - 8}" text-anchor="end"></text>
<text class="ui" id="details" x="${PAD}" y="${height - 8}">${root.value} firings${xmlText(note)}</text>
<g id="frames">
${frames.join("\n")}
</g>
<script><![CDATA[
${SCRIPT}
]]></script>
</svg>
`;
}

// The browser side: zoom and search over the data-x/-w/-d fractions each frame
// carries. Plain ES2015, no external code.
const SCRIPT = `(function () {
	"use strict";
	var svg = document.documentElement;
	var inner = +svg.getAttribute("data-inner"), pad = +svg.getAttribute("data-pad");
	var frames = [].slice.call(document.querySelectorAll("g.f"));
	var reset = document.getElementById("reset"), details = document.getElementById("details");
	var matched = document.getElementById("matched"), idle = details.textContent;
	var HIGHLIGHT = "rgb(230,0,230)", CHAR = ${CHAR};
	function num(g, k) { return +g.getAttribute("data-" + k); }
	function nameOf(g) { var t = g.querySelector("title").textContent; return t.slice(0, t.lastIndexOf(" (")); }
	function label(g, px) {
		var n = nameOf(g), c = Math.floor((px - 6) / CHAR);
		return c < 3 ? "" : n.length <= c ? n : n.slice(0, c - 2) + "..";
	}
	function place(g, x, w) {
		var px = w * inner, r = g.querySelector("rect"), t = g.querySelector("text");
		r.setAttribute("x", (pad + x * inner).toFixed(2));
		r.setAttribute("width", px.toFixed(2));
		t.setAttribute("x", (pad + x * inner + 3).toFixed(2));
		t.textContent = label(g, px);
	}
	function zoom(target) {
		var x0 = num(target, "x"), w0 = num(target, "w"), d0 = num(target, "d"), eps = 1e-12;
		frames.forEach(function (g) {
			var x = num(g, "x"), w = num(g, "w"), d = num(g, "d");
			if (d < d0 && x <= x0 + eps && x + w >= x0 + w0 - eps) { place(g, 0, 1); g.classList.remove("hidden"); }
			else if (d >= d0 && x >= x0 - eps && x + w <= x0 + w0 + eps) { place(g, (x - x0) / w0, w / w0); g.classList.remove("hidden"); }
			else g.classList.add("hidden");
		});
		reset.setAttribute("visibility", d0 === 0 ? "hidden" : "visible");
	}
	function unzoom() { zoom(frames[0]); }
	function search(term) {
		var spans = [];
		frames.forEach(function (g) {
			var r = g.querySelector("rect");
			if (!r.hasAttribute("data-fill")) r.setAttribute("data-fill", r.getAttribute("fill"));
			var hit = term !== "" && nameOf(g).toLowerCase().indexOf(term.toLowerCase()) >= 0;
			r.setAttribute("fill", hit ? HIGHLIGHT : r.getAttribute("data-fill"));
			if (hit) spans.push([num(g, "x"), num(g, "x") + num(g, "w")]);
		});
		spans.sort(function (a, b) { return a[0] - b[0]; });
		var covered = 0, end = -1;
		spans.forEach(function (s) {
			if (s[0] >= end) { covered += s[1] - s[0]; end = s[1]; }
			else if (s[1] > end) { covered += s[1] - end; end = s[1]; }
		});
		matched.textContent = term === "" ? "" : "Matched: " + (covered * 100).toFixed(1) + "%";
	}
	frames.forEach(function (g) {
		g.addEventListener("click", function () { zoom(g); });
		g.addEventListener("mouseover", function () { details.textContent = g.querySelector("title").textContent; });
		g.addEventListener("mouseout", function () { details.textContent = idle; });
	});
	reset.addEventListener("click", unzoom);
	document.getElementById("search").addEventListener("click", function () {
		var term = window.prompt("Search for (text in a frame's name):", "");
		if (term !== null) search(term);
	});
	window.addEventListener("keydown", function (e) {
		if (e.key === "Escape") { unzoom(); search(""); }
		if ((e.ctrlKey || e.metaKey) && e.key === "f") { e.preventDefault(); document.getElementById("search").dispatchEvent(new MouseEvent("click")); }
	});
})();`;
