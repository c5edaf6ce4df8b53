// Output options and their values as DTrace reads them (dt_options.c's
// dt_opt_runtime), applied while running as setopt() does (aggs/tst.keysort,
// multiaggs/tst.sortpos, options/tst.quiet).
import assert from "node:assert/strict";
import { test } from "node:test";
import { EventFormatter } from "../../../source/output/events.ts";
import type { AggregationSnapshot, EventRecord } from "../../../source/output/model.ts";
import { OptionValueError, type OutputOptions, optionValue, setOutputOption } from "../../../source/output/options.ts";

test("values: words, numbers in C's bases, and 0 counting as set", () => {
	assert.equal(optionValue("x", undefined), 1n);
	assert.equal(optionValue("x", ""), undefined);
	for (const w of ["yes", "Enable", "enabled", "TRUE", "on", "set"]) assert.equal(optionValue("x", w), 1n);
	for (const w of ["no", "disable", "Disabled", "false", "OFF", "unset"]) assert.equal(optionValue("x", w), undefined);
	assert.equal(optionValue("x", "0"), 0n);
	assert.equal(optionValue("x", "0x10"), 16n);
	assert.equal(optionValue("x", "010"), 8n);
	assert.throws(
		() => optionValue("aggsortpos", "-1"),
		(e: unknown) =>
			e instanceof OptionValueError && e.message === 'couldn\'t set option "aggsortpos" to "-1": invalid option value',
	);
	assert.throws(() => optionValue("x", "12abc"), OptionValueError);
});

test("the output options; others are not this module's", () => {
	const o: OutputOptions = {};
	assert.ok(setOutputOption(o, "aggsortkey"));
	assert.ok(setOutputOption(o, "aggsortkeypos", "2"));
	assert.ok(setOutputOption(o, "quiet", "0"));
	assert.deepEqual(o, { aggsortkey: true, aggsortkeypos: 2, quiet: true });
	assert.ok(setOutputOption(o, "aggsortkey", "false"));
	assert.equal(o.aggsortkey, false);
	assert.equal(setOutputOption(o, "bufsize", "4m"), false);
});

test("setopt() in a clause changes the printa() calls after it", () => {
	const f = new EventFormatter({ quiet: true });
	const k = (v: number) => ({ kind: "int" as const, value: BigInt(v), size: 4 as const, signed: true });
	const a: AggregationSnapshot = {
		id: 1,
		name: "",
		fn: "sum",
		normal: 1n,
		rows: [
			{ key: [k(1)], data: { fn: "sum", value: 3n } },
			{ key: [k(2)], data: { fn: "sum", value: 1n } },
		],
	};
	f.update([a]);
	const rec: EventRecord = {
		cpu: 0,
		epid: 1,
		timestamp: 0n,
		probe: { id: 1, provider: "dtrace", module: "", function: "", name: "BEGIN" },
		actions: [
			{ kind: "printa", format: "%d ", aggregations: [1] },
			{ kind: "setopt", option: "aggsortkey" },
			{ kind: "printa", format: "%d ", aggregations: [1] },
			{ kind: "setopt", option: "aggsortrev" },
			{ kind: "printa", format: "%d ", aggregations: [1] },
		],
	};
	assert.equal(f.format(rec).text, "2 1 1 2 2 1 ");
	assert.equal(f.setOption("switchrate", "10hz"), false);
});

test('setopt("quiet") mid-record: the line started is not ended, as dtrace(1) rereads quiet at the end', () => {
	const f = new EventFormatter({ testing: true });
	const text = f.format({
		cpu: 0,
		epid: 1,
		timestamp: 0n,
		probe: { id: 1, provider: "dtrace", module: "", function: "", name: "BEGIN" },
		actions: [
			{ kind: "setopt", option: "quiet" },
			{ kind: "trace", value: { kind: "string", value: "x", trusted: true } },
		],
	}).text;
	assert.equal(text, "                   FUNCTION:NAME\n                          :BEGIN x");
});
