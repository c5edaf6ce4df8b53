// The SVG flame graph in a real browser (Debian's chromium, driven by
// playwright-core): it loads without errors, frames are as wide as their
// counts, a click zooms a frame to the full width, Search highlights matches.
// And its text is well-formed XML whatever the names hold.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Browser, chromium, type Page } from "playwright-core";
import { flameGraphSvg, xmlText } from "../../../source/output/flamegraph-svg.ts";

const rows = [
	{ frames: ["libc.so.6`read+0x12", "app`inner+0x4", "app`outer+0x10", "app`main+0x20"], count: 60 },
	{ frames: ["libc.so.6`write+0x8", "app`inner+0x9", "app`outer+0x10", "app`main+0x20"], count: 20 },
	{ frames: ["app`other+0x2", "app`main+0x30"], count: 20 },
	{ frames: ["evil`<script>alert(1)</script>\u001b[31m&\"'+0x1", "app`main+0x40"], count: 1 },
];
const WIDTH = 1000;
const INNER = WIDTH - 20;

let browser: Browser;
let dir: string;
before(async () => {
	dir = mkdtempSync(join(tmpdir(), "dtop-flame-"));
	browser = await chromium.launch({
		executablePath: "/usr/bin/chromium",
		args: [
			"--headless",
			"--no-sandbox",
			"--disable-gpu",
			"--disable-quic",
			"--no-first-run",
			"--disable-background-networking",
			"--disable-component-update",
			"--disable-sync",
		],
	});
});
after(async () => {
	await browser?.close();
	rmSync(dir, { recursive: true, force: true });
});

async function load(svg: string): Promise<{ page: Page; errors: string[] }> {
	const file = join(dir, `g${Math.random().toString(36).slice(2)}.svg`);
	writeFileSync(file, svg);
	const page = await browser.newPage();
	const errors: string[] = [];
	page.on("pageerror", (e) => errors.push(e.message));
	page.on("console", (m) => {
		if (m.type() === "error") errors.push(m.text());
	});
	// Anything the page asks the network for is a defect: the file is self-contained.
	page.on("request", (r) => {
		if (!r.url().startsWith("file:")) errors.push(`request to ${r.url()}`);
	});
	await page.goto(`file://${file}`);
	return { page, errors };
}

const frame = (page: Page, name: string) =>
	page.locator("g.f").filter({ has: page.locator(`title:text-matches("^${name.replace(/[`$]/g, ".")} \\\\(")`) });
const widthOf = async (page: Page, name: string) =>
	Number(await frame(page, name).locator("rect").getAttribute("width"));

describe("flame graph SVG in Chromium", () => {
	test("loads without errors; widths are proportional to counts", async () => {
		const { page, errors } = await load(flameGraphSvg(rows, { width: WIDTH, title: "stacks" }));
		assert.equal(await page.locator("g.f").count(), 8); // all, main, outer, inner, read, write, other, evil
		assert.ok(Math.abs((await widthOf(page, "all")) - INNER) < 0.01);
		assert.ok(Math.abs((await widthOf(page, "app`outer")) - (INNER * 80) / 101) < 0.01);
		assert.ok(Math.abs((await widthOf(page, "libc.so.6`write")) - (INNER * 20) / 101) < 0.01);
		// Frames of one module share a colour; another module's differ.
		const fill = (n: string) => frame(page, n).locator("rect").getAttribute("fill");
		assert.equal(await fill("app`outer"), await fill("app`inner"));
		assert.notEqual(await fill("app`inner"), await fill("libc.so.6`read"));
		assert.deepEqual(errors, []);
		await page.close();
	});

	test("a click zooms: the frame takes the whole width, its callers too, its siblings go", async () => {
		const { page, errors } = await load(flameGraphSvg(rows, { width: WIDTH }));
		await frame(page, "app`inner").locator("rect").click();
		assert.ok(Math.abs((await widthOf(page, "app`inner")) - INNER) < 0.01);
		assert.ok(Math.abs((await widthOf(page, "app`main")) - INNER) < 0.01);
		assert.ok(Math.abs((await widthOf(page, "libc.so.6`read")) - (INNER * 60) / 80) < 0.01);
		assert.equal(await frame(page, "app`other").isVisible(), false);
		assert.equal(await page.locator("#reset").getAttribute("visibility"), "visible");
		await page.locator("#reset").click();
		assert.ok(Math.abs((await widthOf(page, "app`inner")) - (INNER * 80) / 101) < 0.01);
		assert.equal(await frame(page, "app`other").isVisible(), true);
		assert.deepEqual(errors, []);
		await page.close();
	});

	test("Search highlights matching frames and says how much they cover", async () => {
		const { page, errors } = await load(flameGraphSvg(rows, { width: WIDTH }));
		page.once("dialog", (d) => d.accept("libc.so.6`"));
		await page.locator("#search").click();
		await page.locator("#matched", { hasText: "Matched" }).waitFor();
		const fill = (n: string) => frame(page, n).locator("rect").getAttribute("fill");
		assert.equal(await fill("libc.so.6`read"), "rgb(230,0,230)");
		assert.equal(await fill("libc.so.6`write"), "rgb(230,0,230)");
		assert.notEqual(await fill("app`inner"), "rgb(230,0,230)");
		assert.equal(await page.locator("#matched").textContent(), `Matched: ${((80 / 101) * 100).toFixed(1)}%`);
		await page.keyboard.press("Escape");
		assert.notEqual(await fill("libc.so.6`read"), "rgb(230,0,230)");
		assert.deepEqual(errors, []);
		await page.close();
	});

	test("hostile names stay text: no script runs, the name shows escaped", async () => {
		const { page, errors } = await load(flameGraphSvg(rows, { width: WIDTH }));
		assert.equal(await page.locator("script").count(), 1, "only the graph's own script");
		const title = await page.locator("g.f title").filter({ hasText: "evil" }).textContent();
		assert.equal(title, "evil`<script>alert(1)</script>\\e[31m&\"' (1 firing, 0.99%)");
		assert.deepEqual(errors, []);
		await page.close();
	});
});

describe("flameGraphSvg text", () => {
	test("XML-escapes names and replaces characters XML cannot hold", () => {
		assert.equal(xmlText(`a<b>&"'`), "a&lt;b&gt;&amp;&quot;&#39;");
		assert.equal(xmlText("\u0000\u0007\u001b\ud800x"), "\\0\\x07\\e\ufffdx");
		assert.equal(xmlText("😀"), "😀");
		const svg = flameGraphSvg(rows);
		assert.ok(!svg.includes("<script>alert"));
		assert.ok(!/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(svg));
		assert.ok(!svg.includes("http://") || svg.match(/http:\/\//g)?.length === 1, "only the SVG namespace");
	});

	test("too many frames: the narrowest are left out, and the graph says so", () => {
		const many = Array.from({ length: 300 }, (_, i) => ({ frames: [`m\`f${i}+0x1`, "m`main+0x1"], count: i + 1 }));
		const svg = flameGraphSvg(many, { maxFrames: 100 });
		assert.equal(svg.match(/<g class="f"/g)?.length, 100);
		assert.match(svg, /202 narrow frames left out/);
	});

	test("no stacks: a valid, empty graph", () => {
		const svg = flameGraphSvg([]);
		assert.match(svg, /0 firings/);
		assert.equal(svg.match(/<g class="f"/g)?.length, 1);
	});
});
