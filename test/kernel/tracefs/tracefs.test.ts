import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { findTracefs, Tracefs, tracefs } from "../../../kernel/tracefs/index.ts";

test("finds (or mounts) tracefs", () => {
	const root = findTracefs();
	assert.ok(existsSync(`${root}/events`));
	assert.equal(tracefs().root, root);
});

test("lists every event quickly, sorted, without reading formats", () => {
	const t0 = performance.now();
	const t = new Tracefs(findTracefs());
	const events = t.events();
	const ms = performance.now() - t0;
	assert.ok(events.length > 1000, `only ${events.length} events`);
	assert.ok(ms < 50, `listing took ${ms.toFixed(1)} ms`);
	assert.ok(events.some((e) => e.group === "sched" && e.name === "sched_switch"));
	for (let i = 1; i < events.length; i++) {
		const a = events[i - 1];
		const b = events[i];
		assert.ok(
			a.group < b.group || (a.group === b.group && a.name < b.name),
			`${a.group}:${a.name} before ${b.group}:${b.name}`,
		);
	}
	assert.ok(t.groups().includes("syscalls"));
	assert.ok(t.eventsOf("syscalls").includes("sys_enter_read"));
	assert.ok(t.has("raw_syscalls", "sys_enter"));
	assert.ok(!t.has("sched", "no_such_event"));
});

test("reads ids and formats of real events", () => {
	const t = tracefs();
	const id = t.eventId("sched", "sched_switch");
	assert.ok(Number.isInteger(id) && id > 0);
	const f = t.format("sched", "sched_switch");
	assert.equal(f.id, id);
	assert.equal(f.name, "sched_switch");
	const next = f.fields.find((x) => x.name === "next_pid");
	assert.ok(next && !next.common && next.size === 4 && next.signed);
	assert.equal(f.fields.find((x) => x.name === "prev_comm")?.type, "char[16]");
	assert.ok(f.fields.filter((x) => x.common).length >= 4);
	assert.strictEqual(t.format("sched", "sched_switch"), f, "formats are cached");
	const raw = t.format("raw_syscalls", "sys_enter");
	assert.deepEqual(
		raw.fields.filter((x) => !x.common).map((x) => [x.name, x.offset, x.size]),
		[
			["id", 8, 8],
			["args", 16, 48],
		],
	);
});

test("unknown and malicious event names are refused with a sentence", () => {
	const t = tracefs();
	assert.throws(() => t.eventId("sched", "nope"), /no tracepoint sched:nope/);
	assert.throws(() => t.format("..", "..%2f"), /not a tracepoint name/);
	assert.throws(() => t.format("sched/../..", "x"), /not a tracepoint name/);
});
