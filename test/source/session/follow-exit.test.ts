// An enabling that follows processes releases a group of probes once every
// process in it has exited, even when they exit in different rescans. (One
// rescan can find several new processes; their probes share a group. Before,
// only a rescan that saw all of them exit at once released it, so a machine
// starting short-lived processes kept their programs and links forever.)
import assert from "node:assert/strict";
import { test } from "node:test";
import { Session } from "../../../source/session/session.ts";
import { tracingFds } from "../../helpers/bpf-objects.ts";
import { SIMPLE, startSimple } from "../../helpers/fixture.ts";
import { ListProbes } from "../../helpers/probes.ts";

const progs = () => tracingFds().filter((f) => f.endsWith("bpf-prog")).length;

test("a group of two processes' probes is released when the second exits, in a later rescan than the first", async () => {
	const a = await startSimple(["--count", "1"]);
	const b = await startSimple(["--count", "1"]);
	const probes = new ListProbes();
	const s = new Session({ probes });
	try {
		// Named processes: per-process links (a `simple*` description attaches to the file, see widen.ts).
		s.enable(`simple${a.pid}:::saw-line, simple${b.pid}:::saw-line { @[pid] = count(); }`, undefined, {
			allowZero: true,
		});
		const before = progs();
		probes.addUsdt(SIMPLE, a.pid, "simple").addUsdt(SIMPLE, b.pid, "simple");
		s.rematch();
		assert.ok(progs() > before, "the new processes' probes were attached");
		const drop = (pid: number) => {
			const keep = probes.list.filter((p) => !(p.target.kind === "uprobe" && p.target.pid === pid));
			probes.list.splice(0, probes.list.length, ...keep);
		};
		await a.go();
		await a.exited;
		drop(a.pid);
		s.rematch(new Set([a.pid]));
		assert.ok(progs() > before, "still attached while one of its processes lives");
		await b.go();
		await b.exited;
		drop(b.pid);
		s.rematch(new Set([b.pid]));
		assert.equal(progs(), before, "the group's program is released once both have exited");
		// What the processes fired stays counted after their group is gone.
		const rows = s.tick().enablings[0].aggregations[0].rows;
		assert.equal(
			rows.reduce((n, r) => n + r.value, 0),
			2,
		);
	} finally {
		await a.kill();
		await b.kill();
		s.close();
	}
});
