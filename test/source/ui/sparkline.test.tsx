import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ASCII, UNICODE } from "../../../source/ui/charset.ts";
import { UiContext } from "../../../source/ui/context.tsx";
import { Sparkline, sparkline } from "../../../source/ui/sparkline.tsx";
import { renderAt } from "./helpers.tsx";

describe("sparkline", () => {
	it("scales to the largest value with the eight Unicode blocks", () => {
		assert.equal(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8, UNICODE), "▁▂▃▄▅▆▇█");
		assert.equal(sparkline([10, 80], 2, UNICODE), "▁█");
	});
	it("leaves zero ticks blank and right-aligns short histories", () => {
		assert.equal(sparkline([0, 4, 0, 8], 6, UNICODE), "   ▄ █");
		assert.equal(sparkline([], 3, UNICODE), "   ");
		assert.equal(sparkline([0, 0], 2, UNICODE), "  ");
	});
	it("shows only the newest values that fit", () => {
		assert.equal(sparkline([100, 100, 1, 2], 2, UNICODE), "▄█");
	});
	it("has an ASCII fallback", () => {
		const s = sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8, ASCII);
		assert.equal(s, "_.,-=+*#");
		assert.match(s, /^[\x20-\x7e]*$/);
	});
	it("renders as a component with the charset from the context", () => {
		const r = renderAt(
			<UiContext.Provider value={{ cs: ASCII, color: false }}>
				<Sparkline values={[0, 8, 4]} width={5} />
			</UiContext.Provider>,
		);
		assert.equal(r.lastFrame(), "   #-");
		r.unmount();
	});
});
