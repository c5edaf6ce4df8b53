// kill -9 of dtop holding ~400 tracepoint links leaves nothing of it in the
// kernel 2 s later, and a normal quit is as quick.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { test } from "node:test";
import { heldBy, links, mapIds, programs } from "../helpers/bpf-objects.ts";
import { DTOP } from "../helpers/cli.ts";

const CLAUSE = "sdt:[a-h]*:: { @ = count(); }";

/** dtop tracing CLAUSE in batch mode, once it has said how many probes it attached. */
async function started(clause = CLAUSE): Promise<{ child: ChildProcess; probes: number; exited: Promise<number> }> {
	const child = spawn(DTOP, ["-b", "-n", clause], {
		stdio: ["ignore", "ignore", "pipe"],
		env: { ...process.env, CI: "true" },
	});
	const exited = new Promise<number>((resolve) => child.once("exit", () => resolve(Date.now())));
	let err = "";
	const probes = await new Promise<number>((resolve, reject) => {
		const t = setTimeout(() => reject(new Error(`dtop did not start: ${err}`)), 60_000);
		child.stderr!.on("data", (d) => {
			err += d;
			const m = /matched (\d+) probes?\b/.exec(err);
			if (m) {
				clearTimeout(t);
				resolve(Number(m[1]));
			}
		});
		child.once("exit", (c) => reject(new Error(`dtop exited with ${c}: ${err}`)));
	});
	return { child, probes, exited };
}

/** Milliseconds until none of the programs, links and maps `pid` held is in the kernel (or `limit` passed). */
async function goneWithin(held: ReturnType<typeof heldBy>, limit: number): Promise<number> {
	const t0 = Date.now();
	const left = () => {
		const p = new Set(programs().map((x) => x.id));
		const l = new Set(links().map((x) => x.id));
		const m = new Set(mapIds());
		return {
			programs: held.programs.filter((id) => p.has(id)).length,
			links: held.links.filter((id) => l.has(id)).length,
			maps: held.maps.filter((id) => m.has(id)).length,
		};
	};
	for (;;) {
		const now = left();
		if (now.programs + now.links + now.maps === 0) return Date.now() - t0;
		if (Date.now() - t0 > limit)
			assert.fail(
				`after ${limit} ms the kernel still holds ${JSON.stringify(now)} of dtop's ${JSON.stringify({ programs: held.programs.length, links: held.links.length, maps: held.maps.length })}`,
			);
		await new Promise((r) => setTimeout(r, 20));
	}
}

test("kill -9 of dtop holding ~400 tracepoints leaves no program, link or map of it 2 s later", async () => {
	const { child, probes, exited } = await started();
	try {
		assert.ok(probes >= 300, `${probes} tracepoints`);
		const held = heldBy(child.pid!);
		assert.ok(held.links.length >= probes, `${held.links.length} links held for ${probes} probes`);
		const t0 = Date.now();
		child.kill("SIGKILL");
		const ms = await goneWithin(held, 2000);
		const died = (await exited) - t0;
		console.log(`# ${probes} tracepoints: kernel clean ${ms} ms after kill -9; the process was gone after ${died} ms`);
	} finally {
		child.kill("SIGKILL");
	}
});

test("a normal quit (SIGTERM) of dtop holding ~400 tracepoints takes under 3 s and leaves nothing", async () => {
	const { child, probes, exited } = await started();
	try {
		const held = heldBy(child.pid!);
		const t0 = Date.now();
		child.kill("SIGTERM");
		const quit = (await exited) - t0;
		const ms = await goneWithin(held, 2000);
		console.log(`# ${probes} tracepoints: quit in ${quit} ms, kernel clean ${ms} ms later`);
		assert.ok(quit < 3000, `quit took ${quit} ms`);
	} finally {
		child.kill("SIGKILL");
	}
});

test("sdt::: (every tracepoint, the syscalls group's too) attaches, and kill -9 leaves nothing of it 2 s later", async () => {
	const { child, probes, exited } = await started("sdt::: { @ = count(); }");
	try {
		assert.ok(probes >= 1000, `${probes} tracepoints`);
		const held = heldBy(child.pid!);
		const t0 = Date.now();
		child.kill("SIGKILL");
		const ms = await goneWithin(held, 2000);
		console.log(
			`# sdt::: (${probes} tracepoints, ${held.links.length} links): kernel clean ${ms} ms after kill -9; the process was gone after ${(await exited) - t0} ms`,
		);
	} finally {
		child.kill("SIGKILL");
	}
});
