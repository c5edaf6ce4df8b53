// Mappings by time (session/map-history.ts): what an address was at a record's
// timestamp when the kernel's events say it (dlopen at a fixed address, munmap,
// exec), and /proc's mappings cut by a later munmap.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cutRange, eventMapping, MapHistory } from "../../../source/session/map-history.ts";

const A = eventMapping(0x7000, 0x9000, "/lib/liba.so", 0x1000);
const B = eventMapping(0x7000, 0x9000, "/lib/libb.so", 0x1000);

test("an address names the library mapped there at the record's time, before and after a dlclose and a dlopen at the same place", () => {
	const h = new MapHistory();
	h.mapped(1, A, 100);
	assert.equal(h.find(1, 0x7800, 150)?.path, "/lib/liba.so");
	h.unmapped(1, 0x6000, 0xa000, 200);
	h.mapped(1, B, 300);
	assert.equal(h.find(1, 0x7800, 150)?.path, "/lib/liba.so", "fired before the dlclose");
	assert.equal(h.find(1, 0x7800, 250), undefined, "between the two: nothing mapped there");
	assert.equal(h.find(1, 0x7800, 350)?.path, "/lib/libb.so", "after the second dlopen");
	assert.equal(h.find(1, 0x7800)?.path, "/lib/libb.so", "now");
	assert.equal(h.find(1, 0x7800, 50), undefined, "before the first");
	assert.equal(h.find(2, 0x7800, 150), undefined, "another process");
	// An exec unmaps everything.
	h.unmapped(1, 0, Number.MAX_SAFE_INTEGER, 400);
	assert.equal(h.find(1, 0x7800), undefined);
	assert.equal(h.find(1, 0x7800, 350)?.path, "/lib/libb.so");
});

test("a partial munmap keeps the rest of a mapping, with its file offsets", () => {
	const h = new MapHistory();
	h.mapped(1, A, 100);
	h.unmapped(1, 0x8000, 0x9000, 200);
	assert.equal(h.find(1, 0x7800, 250)?.path, "/lib/liba.so", "the first page stays");
	assert.equal(h.find(1, 0x8800, 250), undefined, "the second is gone");
	assert.equal(h.find(1, 0x8800, 150)?.offset, 0x2000, "and was there before, at its offset");
	const { kept, removed } = cutRange([A], 0x7800, 0x8000);
	assert.deepEqual(
		kept.map((m) => [m.start, m.end, m.offset]),
		[
			[0x7000, 0x7800, 0x1000],
			[0x8000, 0x9000, 0x2000],
		],
	);
	assert.deepEqual(
		removed.map((m) => [m.start, m.end, m.offset]),
		[[0x7800, 0x8000, 0x1800]],
	);
});

test("mappings read from /proc and cut by a munmap stay valid until it", () => {
	const h = new MapHistory();
	h.retired(1, [A], 200);
	assert.equal(h.find(1, 0x7800, 150)?.path, "/lib/liba.so");
	assert.equal(h.find(1, 0x7800, 250), undefined);
	assert.equal(h.find(1, 0x7800), undefined, "not mapped now");
});
