// `--flamegraph FILE.svg` from the real command line: the ustack() aggregation
// of a real run (Debian's python3.11 at its audit probe) written as an SVG,
// loaded in Debian's headless Chromium (driven by playwright-core, already the
// SVG writer's test driver): no errors, no request leaves the file, the root
// counts every firing dtop printed, and a click on a frame zooms into it.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Browser, chromium } from "playwright-core";
import { buildFixtures, DEEPTHROW } from "../fixtures/fixtures.ts";
import { runDtop } from "../helpers/cli.ts";

let browser: Browser;
const dir = mkdtempSync(join(tmpdir(), "dtop-flamecli-"));
before(async () => {
	browser = await chromium.launch({
		executablePath: "/usr/bin/chromium",
		args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
	});
});
after(async () => {
	await browser?.close();
	rmSync(dir, { recursive: true, force: true });
});

test("python3.11's audit stacks as an SVG flame graph: it loads, counts every firing, and a click zooms", async () => {
	const svg = join(dir, "python.svg");
	const r = await runDtop(
		[
			"-q",
			"-n",
			"python$target:::audit { @[ustack()] = count(); }",
			"-c",
			'/usr/bin/python3.11 -c "import json"',
			"--flamegraph",
			svg,
		],
		{ timeoutMs: 90_000 },
	);
	assert.equal(r.code, 0, r.stderr);
	const printed = r.stdout
		.split("\n")
		.map((l) => l.trim())
		.filter((l) => /^\d+$/.test(l))
		.reduce((n, l) => n + Number(l), 0);
	assert.ok(printed > 50, `firings printed: ${printed}`);

	const page = await browser.newPage();
	const errors: string[] = [];
	page.on("pageerror", (e) => errors.push(e.message));
	page.on("console", (m) => {
		if (m.type() === "error") errors.push(m.text());
	});
	page.on("request", (q) => {
		if (!q.url().startsWith("file:")) errors.push(`request to ${q.url()}`);
	});
	await page.goto(`file://${svg}`);
	const inner = Number(await page.locator("svg").getAttribute("data-inner"));
	const frames = page.locator("g.f");
	assert.ok((await frames.count()) > 20, "frames drawn");
	const titled = (re: RegExp) => frames.filter({ has: page.locator("title", { hasText: re }) });
	const all = titled(/^all \(/);
	assert.match((await all.locator("title").textContent()) ?? "", new RegExp(`^all \\(${printed} firings`));
	const width = async (g: ReturnType<typeof titled>) => Number(await g.first().locator("rect").getAttribute("width"));
	// Every stack passes through Py_BytesMain: the full width.
	assert.ok(Math.abs((await width(titled(/^python3\.11`Py_BytesMain \(/))) - inner) < 0.01);

	// A frame that holds some of the firings, not all: a click makes it the whole width.
	const n = await frames.count();
	let target = -1;
	for (let i = 0; i < n && target < 0; i++) {
		const w = Number(await frames.nth(i).locator("rect").getAttribute("width"));
		if (w > inner * 0.15 && w < inner * 0.85) target = i;
	}
	assert.ok(target >= 0, "a frame narrower than the graph");
	const chosen = frames.nth(target);
	const name = (await chosen.locator("title").textContent()) ?? "";
	await chosen.locator("rect").click();
	const zoomed = titled(new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`));
	assert.ok(Math.abs((await width(zoomed)) - inner) < 0.01, `${name} zoomed to the full width`);
	assert.equal(await page.locator("#reset").getAttribute("visibility"), "visible");
	assert.deepEqual(errors, []);
	await page.close();
});

test("--flamegraph without a stack aggregation says so, writes nothing and exits 1", async () => {
	buildFixtures();
	const svg = join(dir, "none.svg");
	const r = await runDtop(
		["-q", "-n", "libstdcxx$target:::throw { @[probename] = count(); }", "-c", `${DEEPTHROW} 2`, "--flamegraph", svg],
		{ timeoutMs: 60_000 },
	);
	assert.equal(r.code, 1, r.stderr);
	assert.match(r.stderr, /^dtop: no stacks to draw in .*none\.svg: no aggregation keyed by ustack\(\) or kstack\(\)/m);
	assert.equal(existsSync(svg), false);
});
