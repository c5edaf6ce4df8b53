// Colour on and off. Ink colours through chalk, which decides at import whether the
// output can take colour; FORCE_COLOR makes it able to here, so that the test can
// see that the UI itself writes no SGR sequence when colour is off (NO_COLOR).
process.env.FORCE_COLOR = "3";

import assert from "node:assert/strict";
import { describe, it } from "node:test";

const { App } = await import("../../../source/ui/app.tsx");
const { UNICODE } = await import("../../../source/ui/charset.ts");
const { agg, enabling, FakeController, FakeTree, KEY, renderAt, SAMPLE_TREE, sessionView } = await import(
	"./helpers.tsx"
);

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
