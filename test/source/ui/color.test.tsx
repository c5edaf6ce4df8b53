// Colour on and off. Ink colours through chalk, which decides at import whether the
// output can take colour; FORCE_COLOR makes it able to here, so that the test can
// see that the UI itself writes no SGR sequence when colour is off (NO_COLOR).
process.env.FORCE_COLOR = "3";

import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";

const { App } = await import("../../../source/ui/app.tsx");
const { UNICODE } = await import("../../../source/ui/charset.ts");
const { agg, enabling, FakeController, FakeTree, KEY, renderAt, SAMPLE_TREE, sessionView } = await import(
	"./helpers.tsx"
);
const { runInteractive } = await import("../../../source/ui/run.tsx");

class Out extends EventEmitter {
	isTTY = true;
	chunks: string[] = [];
	constructor(
		public columns: number,
		public rows: number,
	) {
		super();
	}
	write = (s: string) => {
		this.chunks.push(s);
		return true;
	};
	get text() {
		return this.chunks.join("");
	}
}

class In extends EventEmitter {
	isTTY = true;
	private queue: string[] = [];
	write(s: string) {
		this.queue.push(s);
		this.emit("readable");
	}
	read = () => this.queue.shift() ?? null;
	setEncoding() {}
	setRawMode() {}
	resume() {}
	pause() {}
	ref() {}
	unref() {}
}

const SGR = /\x1b\[[0-9;]*m/;

function frames(color: boolean) {
	const tree = new FakeTree(SAMPLE_TREE);
	tree.enabled.set("syscall:vmlinux:read:entry", { rate: 5, enablingId: 1 });
	const view = sessionView({
		drops: 3,
		paused: true,
		enablings: [
			enabling(1, {
				rate: 5,
				history: [1, 2, 3],
				aggregations: [
					agg({
						keys: ["execname"],
						rows: [
							{
								key: [{ kind: "string", value: "bash" }],
								value: 5,
								rate: 5,
								last10s: 5,
								last60s: 5,
								total: 5,
								history: [],
							},
						],
					}),
				],
			}),
		],
	});
	const r = renderAt(
		<App controller={new FakeController(tree, view)} columns={100} rows={30} ui={{ cs: UNICODE, color }} />,
		100,
		30,
	);
	return { r, out: () => r.frames.join("") };
}

describe("colour", () => {
	it("is written when on", async () => {
		const { r, out } = frames(true);
		await r.press(KEY.right, ":", "x");
		assert.match(out(), SGR);
		r.unmount();
	});
	it("is never written when off (NO_COLOR, --no-color): selection, prompt cursor and all", async () => {
		const { r, out } = frames(false);
		await r.press(KEY.right, KEY.tab, "?", KEY.escape, ":", "x");
		assert.doesNotMatch(out(), SGR);
		assert.match(r.lastFrame(), /^: x_$/m);
		assert.match(out(), /›/);
		r.unmount();
	});
});

// Incremental rendering rewrites only changed lines; with colour on, what one tick
// costs on the wire (the budget: 4 KB at 120x40).
describe("bytes per tick", () => {
	it("stay under 4 KB at 120x40 with 8 busy enablings and a 12-key breakdown", async () => {
		const row = (key: string, value: number) => ({
			key: [{ kind: "string" as const, value: key }],
			value,
			rate: value / 7,
			last10s: value,
			last60s: value,
			total: value,
			history: [],
		});
		// Every number, sparkline and bar changes on every tick: worse than a steady state.
		const view = (t: number) =>
			sessionView({
				rate: 100 + t,
				enablings: Array.from({ length: 8 }, (_, i) =>
					enabling(i + 1, {
						rate: (t * 7 + i * 13) % 500,
						total: t * 100 + i,
						history: Array.from({ length: 60 }, (_, j) => ((t + j) * (i + 3)) % 23),
						aggregations: [
							agg({
								keys: ["execname"],
								rows: Array.from({ length: 12 }, (_, k) => row(`proc${k}`, (t + 1) * (k + 1) * 37)),
							}),
						],
					}),
				),
			});
		const out = new Out(120, 40);
		const input = new In();
		const controller = new FakeController(new FakeTree(SAMPLE_TREE), view(0));
		const run = runInteractive(controller, {
			stdout: out as unknown as NodeJS.WriteStream,
			stdin: input as unknown as NodeJS.ReadStream,
			stderr: new Out(120, 40) as unknown as NodeJS.WriteStream,
			env: { LANG: "en_US.UTF-8" },
			argv: [],
			color: true,
			cleanup: () => {},
		});
		const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
		await wait(150);
		const sizes: number[] = [];
		for (let t = 1; t <= 3; t++) {
			const before = Buffer.byteLength(out.text);
			controller.update(view(t));
			await wait(200);
			sizes.push(Buffer.byteLength(out.text) - before);
		}
		input.write("q");
		await run;
		for (const n of sizes) assert.ok(n > 500 && n < 4096, `${sizes} bytes per tick`);
		assert.match(out.text, /\x1b\[3\dm/, "measured with colour on");
	});
});
