import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Session } from "../../../source/session/session.ts";
import { links, programs } from "../../helpers/bpf-objects.ts";
import { SIMPLE, startSimple } from "../../helpers/fixture.ts";
import { ListProbes } from "../../helpers/probes.ts";

const HOLDER = fileURLToPath(new URL("./holder.ts", import.meta.url));

test("kill -9 of a process holding 100 uprobes leaves no program, link or uprobe, and the traced process runs on", async () => {
	const fx = await startSimple(["--count", "10"]);
	const name = `k9_${randomBytes(4).toString("hex")}`;
	const holder = spawn(process.execPath, ["--import", "tsx", HOLDER, String(fx.pid), name], {
		stdio: ["ignore", "pipe", "inherit"],
	});
	try {
		const said = await new Promise<string>((resolve, reject) => {
			createInterface({ input: holder.stdout! }).once("line", resolve);
			holder.once("exit", (c) => reject(new Error(`holder exited with ${c}`)));
		});
		assert.equal(said, "attached 100");
		const mine = programs().find((p) => p.name === name);
		assert.ok(mine, "the holder's program is loaded");
		assert.equal(links().filter((l) => l.progId === mine.id).length, 2);
		holder.kill("SIGKILL");
		const t0 = Date.now();
		while (Date.now() - t0 < 2000 && programs().some((p) => p.name === name))
			await new Promise((r) => setTimeout(r, 20));
		assert.ok(!programs().some((p) => p.name === name), "program gone within 2 s");
		assert.equal(links().filter((l) => l.progId === mine.id).length, 0, "links gone");
		// The semaphore drops back to 0 once the uprobe is gone, and the fixture
		// runs to the end without a trap.
		assert.equal(await fx.go(), 0, "no uprobe left holding the semaphore");
		assert.equal(await fx.exited, 0);
	} finally {
		holder.kill("SIGKILL");
		fx.kill();
	}
});

test("after disable the probe stops counting, and its program and links are gone", async () => {
	const fx = await startSimple(["--count", "200"]);
	const probes = new ListProbes().addUsdt(SIMPLE, fx.pid, "simple");
	const s = new Session({ probes, target: fx.pid });
	try {
		const before = new Set(programs().map((p) => p.id));
		const id = s.enable("simple$target:::saw-line { @ = count(); }");
		const added = programs().filter((p) => !before.has(p.id));
		assert.equal(added.length, 1);
		s.tick();
		s.disable(id);
		// The kernel frees programs and links after an RCU grace period.
		const t0 = Date.now();
		while (Date.now() - t0 < 1000 && programs().some((p) => p.id === added[0].id))
			await new Promise((r) => setTimeout(r, 10));
		assert.ok(!programs().some((p) => p.id === added[0].id), "program released");
		assert.equal(links().filter((l) => l.progId === added[0].id).length, 0);
		// Enable a second counter that stays on; the first must not count any more.
		const id2 = s.enable("simple$target:::saw-word { @ = count(); }");
		await fx.go();
		assert.equal(await fx.exited, 0);
		const v = s.tick();
		assert.deepEqual(
			v.enablings.map((e) => e.id),
			[id2],
		);
		assert.equal(v.enablings[0].aggregations[0].rows[0].value, 200);
	} finally {
		fx.kill();
		s.close();
	}
});

test("99 Hz sampling of a busy process yields stacks whose top frame is its busy function", async () => {
	const fx = await startSimple(["--count", "1", "--busy", "2000"]);
	const probes = new ListProbes().addUsdt(SIMPLE, fx.pid, "simple").addProfile(99);
	const s = new Session({ probes, target: fx.pid });
	try {
		s.enable("profile:::profile-99 /pid == $target/ { @[ustack()] = count(); }");
		await fx.go();
		assert.equal(await fx.exited, 0);
		const rows = s.tick().enablings[0].aggregations[0].rows;
		let total = 0;
		let top = 0;
		for (const r of rows) {
			const k = r.key[0];
			assert.equal(k.kind, "stack");
			total += r.value;
			if (k.kind === "stack" && /^simple`busy_spin\+0x/.test(k.frames[0] ?? "")) top += r.value;
		}
		// 2 s at 99 Hz: about 200 samples on an idle machine, fewer when it shares its CPU.
		assert.ok(total >= 40, `only ${total} samples`);
		assert.ok(top / total >= 0.9, `${top} of ${total} samples have busy_spin on top`);
	} finally {
		fx.kill();
		s.close();
	}
});
