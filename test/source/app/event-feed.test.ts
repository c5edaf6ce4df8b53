// The Events pane's feed without the kernel: records in (as the session's ring
// buffer gives them), escaped lines out, bounded, with drops, faults, exit()
// and rates counted.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventFeed, type FeedSource, LineRing } from "../../../source/app/event-feed.ts";
import type { RuntimeFault } from "../../../source/output/diagnostics.ts";
import type { Action } from "../../../source/output/model.ts";
import type { OrderedRecord } from "../../../source/session/events.ts";
import { sessionView } from "../ui/helpers.tsx";

const probe = { id: 7, provider: "syscall", module: "vmlinux", function: "getppid", name: "entry" };

function rec(enabling: number, actions: Action[], cpu = 0): OrderedRecord {
	return { cpu, epid: 1, probe, timestamp: 1n, actions, enabling };
}
const printf = (format: string, ...args: string[]): Action => ({
	kind: "printf",
	format,
	args: args.map((value) => ({ kind: "string", value })),
});

class Fake implements FeedSource {
	recording = true;
	batches: { records: OrderedRecord[]; faults: RuntimeFault[]; drops: Map<number, bigint> }[] = [];
	faulted: RuntimeFault[] = [];
	quietIds = new Set<number>([1]);
	pollEvents() {
		return this.batches.shift() ?? { records: [], faults: [], drops: new Map() };
	}
	fault(f: RuntimeFault) {
		this.faulted.push(f);
	}
	view() {
		return sessionView();
	}
	quiet(id: number) {
		return this.quietIds.has(id);
	}
}

describe("the event feed", () => {
	it("splits printf's text into lines, keeps an unfinished one at the end, escapes traced strings", () => {
		const src = new Fake();
		const feed = new EventFeed(src);
		src.batches.push({
			records: [rec(1, [printf("a %s\n", "x\x1b[2Jy")]), rec(1, [printf("b ")]), rec(1, [printf("c\nd")])],
			faults: [],
			drops: new Map(),
		});
		assert.equal(feed.poll(), true);
		const v = feed.view();
		assert.deepEqual(
			v.lines.map((l) => l.text),
			["a x\\e[2Jy", "b c", "d"],
		);
		assert.ok(v.lines.every((l) => !l.text.includes("\x1b")));
		// Disabled: the unfinished line is printed as it is.
		feed.finish(1);
		assert.deepEqual(
			feed.view().lines.map((l) => l.text),
			["a x\\e[2Jy", "b c", "d"],
		);
	});

	it("prints dtrace's heading and probe line for an enabling that is not quiet", () => {
		const src = new Fake();
		const feed = new EventFeed(src);
		src.batches.push({ records: [rec(2, [])], faults: [], drops: new Map() });
		feed.poll();
		const lines = feed.view().lines.map((l) => l.text);
		assert.match(lines[0], /CPU\s+ID\s+FUNCTION:NAME/);
		assert.match(lines[1], /^\s+0\s+7\s+getppid:entry\s*$/);
	});

	it("counts drops, reports faults as lines, remembers exit(), rates per enabling", () => {
		const src = new Fake();
		const feed = new EventFeed(src);
		const fault: RuntimeFault = { epid: 1, probe, fault: 1, addr: 0n, action: 1 };
		src.batches.push({
			records: [rec(1, [printf("x\n")]), rec(1, [{ kind: "exit", status: 3 }])],
			faults: [fault],
			drops: new Map([[1, 5n]]),
		});
		feed.poll();
		const v = feed.view();
		assert.equal(v.drops, 5);
		assert.equal(v.faults, 1);
		assert.deepEqual(src.faulted, [fault]);
		assert.ok(v.lines.some((l) => l.enabling === 0 && /error on enabled probe ID 1/.test(l.text)));
		assert.deepEqual(feed.takeExits(), [{ enabling: 1, status: 3 }]);
		assert.deepEqual(feed.takeExits(), []);
		feed.roll(500);
		assert.equal(feed.rate(1), 4);
		assert.equal(feed.rate(9), undefined);
	});

	it("keeps at most its capacity of lines; a flood's earlier records are counted, not formatted", () => {
		const src = new Fake();
		const feed = new EventFeed(src, 100);
		const records = Array.from({ length: 250 }, (_, i) => rec(1, [printf("n %s\n", String(i))]));
		records[10].actions.push({ kind: "exit", status: 1 });
		src.batches.push({ records, faults: [], drops: new Map() });
		feed.poll();
		const v = feed.view();
		assert.equal(v.lines.length, 100);
		assert.equal(v.lines[0].text, "n 150");
		assert.equal(v.lines[99].text, "n 249");
		assert.equal(v.skipped, 150);
		assert.deepEqual(feed.takeExits(), [{ enabling: 1, status: 1 }]);
		feed.roll(1000);
		assert.equal(feed.rate(1), 250);
	});

	it("a ring keeps the newest lines in order", () => {
		const r = new LineRing(3);
		for (let i = 0; i < 7; i++) r.push({ enabling: 1, text: String(i) });
		assert.deepEqual(
			r.toArray().map((l) => l.text),
			["4", "5", "6"],
		);
		assert.equal(r.total, 7);
	});

	it("reads nothing while no clause records", () => {
		const src = new Fake();
		src.recording = false;
		src.batches.push({ records: [rec(1, [printf("x\n")])], faults: [], drops: new Map() });
		assert.equal(new EventFeed(src).poll(), false);
		assert.equal(src.batches.length, 1);
	});
});
