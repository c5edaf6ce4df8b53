// dtop's own fbt path on a stock kernel (run by scripts/vm-test): D clauses on
// fbt:vmlinux:vfs_read:entry/return compiled by the session, attached with
// fentry/fexit (or kprobes), counted exactly, timed, and their kernel stacks
// symbolized.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Catalog } from "../../source/catalog/index.ts";
import { CatalogProbes } from "../../source/session/catalog-source.ts";
import { Session } from "../../source/session/session.ts";
import { startReader } from "./reader.ts";

function session(target: number): { s: Session; catalog: Catalog } {
	const catalog = new Catalog({ usdt: false });
	const s = new Session({ probes: new CatalogProbes(catalog, target), target });
	return { s, catalog };
}

test("fbt::vfs_read:entry counts exactly the reads of one process", async () => {
	const r = await startReader(250, 64);
	const { s, catalog } = session(r.pid);
	try {
		s.enable("fbt::vfs_read:entry /pid == $target/ { @ = count(); @n[probefunc] = count(); }");
		assert.equal(await r.go(), 0);
		const aggs = s.tick().enablings[0].aggregations;
		assert.equal(aggs[0].rows[0].value, 250);
		assert.deepEqual(aggs[1].rows[0].key, [{ kind: "string", value: "vfs_read" }]);
	} finally {
		r.kill();
		s.close();
		catalog.close();
	}
});

test("the entry/return latency idiom on fbt::vfs_read gives a sane distribution, and arg2 is the size asked", async () => {
	const r = await startReader(100, 512);
	const { s, catalog } = session(r.pid);
	try {
		s.enable(`fbt::vfs_read:entry /pid == $target/ { self->ts = timestamp; @sz[arg2] = count(); }
			fbt::vfs_read:return /self->ts/ { @lat = quantize(timestamp - self->ts); @ret = sum(arg1); self->ts = 0; }`);
		assert.equal(await r.go(), 0);
		const aggs = s.tick().enablings[0].aggregations;
		const sz = aggs.find((a) => a.name === "sz")!;
		assert.deepEqual(
			sz.rows.map((x) => [x.key[0].kind === "int" ? Number(x.key[0].value) : -1, x.value]),
			[[512, 100]],
		);
		const lat = aggs.find((a) => a.name === "lat")!;
		assert.equal(lat.rows[0].value, 100);
		const buckets = lat.rows[0].histogram!.filter((b) => b.count > 0);
		assert.ok(
			buckets.every((b) => b.lo >= 256n && b.lo < 1n << 30n),
			"between 256 ns and 1 s",
		);
		assert.equal(aggs.find((a) => a.name === "ret")!.rows[0].value, 100 * 512, "every read returned 512 bytes");
	} finally {
		r.kill();
		s.close();
		catalog.close();
	}
});

test("kstack() on fbt::vfs_read symbolizes its callers", async () => {
	const r = await startReader(20, 64);
	const { s, catalog } = session(r.pid);
	try {
		s.enable("fbt::vfs_read:entry /pid == $target/ { @[kstack()] = count(); }");
		assert.equal(await r.go(), 0);
		const rows = s.tick().enablings[0].aggregations[0].rows;
		const frames = rows.flatMap((x) => (x.key[0].kind === "stack" ? x.key[0].frames : []));
		assert.ok(
			frames.some((f) => /^vmlinux`ksys_read\+0x/.test(f)),
			frames.join("\n"),
		);
		assert.equal(
			rows.reduce((n, x) => n + x.value, 0),
			20,
		);
	} finally {
		r.kill();
		s.close();
		catalog.close();
	}
});
