// Drives a real dtop session in a pseudo-terminal (the demo target, a few
// enablings: a breakdown, a histogram, a stack) and renders the terminal screen
// to SVG and PNG files in screenshots/. Run by scripts/screenshots.
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Terminal } from "@xterm/headless";
import { projectRoot } from "../source/util/root.ts";
import { KEYS, type Screen, startDtop } from "../test/helpers/pty.ts";

const OUT = join(projectRoot(), "screenshots");
const CELL_W = 8.4;
const CELL_H = 17;

// xterm's 16 standard colours (a dark theme), then the 256-colour cube and greys.
const BASE16 = [
	"#1e1e1e",
	"#cd3131",
	"#0dbc79",
	"#e5e510",
	"#2472c8",
	"#bc3fbc",
	"#11a8cd",
	"#e5e5e5",
	"#666666",
	"#f14c4c",
	"#23d18b",
	"#f5f543",
	"#3b8eea",
	"#d670d6",
	"#29b8db",
	"#ffffff",
];
function palette(n: number): string {
	if (n < 16) return BASE16[n];
	if (n < 232) {
		const i = n - 16;
		const c = [Math.floor(i / 36), Math.floor(i / 6) % 6, i % 6].map((v) => (v ? 55 + v * 40 : 0));
		return `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
	}
	const g = 8 + (n - 232) * 10;
	return `#${g.toString(16).padStart(2, "0").repeat(3)}`;
}

function escapeXml(s: string): string {
	return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function toSvg(term: Terminal): string {
	const b = term.buffer.active;
	const parts: string[] = [];
	const W = Math.ceil(term.cols * CELL_W + 16);
	const H = Math.ceil(term.rows * CELL_H + 16);
	parts.push(
		`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`,
		`<rect width="100%" height="100%" fill="${BASE16[0]}"/>`,
		`<g font-family="DejaVu Sans Mono, monospace" font-size="14px" xml:space="preserve">`,
	);
	const cell = b.getNullCell();
	for (let y = 0; y < term.rows; y++) {
		const line = b.getLine(b.viewportY + y);
		if (!line) continue;
		for (let x = 0; x < term.cols; x++) {
			line.getCell(x, cell);
			const ch = cell.getChars();
			const inverse = cell.isInverse() !== 0;
			let fg = cell.isFgDefault()
				? BASE16[7]
				: cell.isFgRGB()
					? `#${cell.getFgColor().toString(16).padStart(6, "0")}`
					: palette(cell.getFgColor());
			let bg = cell.isBgDefault()
				? undefined
				: cell.isBgRGB()
					? `#${cell.getBgColor().toString(16).padStart(6, "0")}`
					: palette(cell.getBgColor());
			if (inverse) [fg, bg] = [bg ?? BASE16[0], fg];
			const px = 8 + x * CELL_W;
			const py = 8 + y * CELL_H;
			if (bg) parts.push(`<rect x="${px}" y="${py}" width="${CELL_W + 0.5}" height="${CELL_H}" fill="${bg}"/>`);
			if (ch && ch !== " ") {
				const bold = cell.isBold() ? ` font-weight="bold"` : "";
				parts.push(`<text x="${px}" y="${py + 13}" fill="${fg}"${bold}>${escapeXml(ch)}</text>`);
			}
		}
	}
	parts.push("</g></svg>");
	return parts.join("\n");
}

async function shoot(s: Screen, name: string): Promise<void> {
	await new Promise((r) => setTimeout(r, 300));
	const svg = toSvg(s.terminal);
	const svgPath = join(OUT, `${name}.svg`);
	writeFileSync(svgPath, svg);
	execFileSync("rsvg-convert", ["-o", join(OUT, `${name}.png`), svgPath]);
	process.stderr.write(`screenshots: ${name}.png\n`);
}

async function clause(s: Screen, d: string): Promise<void> {
	s.press(":");
	await new Promise((r) => setTimeout(r, 200));
	s.press(d);
	await new Promise((r) => setTimeout(r, 200));
	s.press(KEYS.enter);
	await new Promise((r) => setTimeout(r, 600));
}

/** Move the enabled table's selection (›) to the row matching `re`. */
async function selectRow(s: Screen, re: RegExp): Promise<void> {
	s.press("g"); // first row
	await new Promise((r) => setTimeout(r, 300));
	for (let i = 0; i < 12; i++) {
		const row = s.lines().find((l) => l.includes("│›"));
		if (row && re.test(row)) {
			await new Promise((r) => setTimeout(r, 1200));
			return;
		}
		s.press(KEYS.down);
		await new Promise((r) => setTimeout(r, 250));
	}
	throw new Error(`no enabled row matches ${re}:\n${s.text()}`);
}

async function main(): Promise<void> {
	mkdirSync(OUT, { recursive: true });
	const s = startDtop(["--demo"], { cols: 120, rows: 40 });
	try {
		await s.waitFor(/Probes/);
		await new Promise((r) => setTimeout(r, 1500));
		await clause(s, "simple$target:::saw-word { @[copyinstr(arg0)] = count(); }");
		await clause(s, "simple$target:::saw-line { @ = quantize(arg0); }");
		await clause(s, "simple$target:::saw-line { @[ustack()] = count(); }");
		await clause(s, "syscall:::entry /pid == $target/ { @[probefunc] = count(); }");
		await new Promise((r) => setTimeout(r, 2500));
		// The enabled table: a breakdown, a histogram, a stack.
		for (let i = 0; i < 3 && !/\[ Enabled/.test(s.text()); i++) {
			s.press(KEYS.tab);
			await new Promise((r) => setTimeout(r, 400));
		}
		await selectRow(s, /the \d+/);
		await shoot(s, "dtop");
		await selectRow(s, /quantize/);
		await shoot(s, "histogram");
		await selectRow(s, /fire_line/);
		await shoot(s, "stacks");
		s.press("q");
		await s.exited;
	} finally {
		s.kill();
	}
}

if (process.argv[1]?.endsWith("screenshots.ts")) await main();
