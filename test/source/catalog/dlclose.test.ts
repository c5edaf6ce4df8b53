// munmap followed: a library dlclose'd leaves its process's objects (and its
// USDT probes leave the catalog), and one dlopen'd at the same address after
// it is the one there. The fixture (dlswap) loads libswapa.so, closes it, and
// loads libswapb.so (the same layout) where it was.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { test } from "node:test";
import { tracefs } from "../../../kernel/tracefs/index.ts";
import { Catalog } from "../../../source/catalog/index.ts";
import { ProcessEvents } from "../../../source/catalog/proc-events.ts";
import { BIN_DIR, buildFixtures } from "../../fixtures/fixtures.ts";
import { lineReader } from "../../helpers/lines.ts";

const DLSWAP = `${BIN_DIR}/dlswap`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
	const t0 = Date.now();
	while (!ok()) {
		if (Date.now() - t0 > ms) throw new Error(`timed out waiting until ${what}`);
		await sleep(10);
	}
}

function startSwap() {
	const child = spawn(DLSWAP, [BIN_DIR, "--wait"], { stdio: ["pipe", "pipe", "inherit"] });
	const line = lineReader(child.stdout, "dlswap", 10_000);
	return { child, pid: child.pid ?? 0, line, go: () => child.stdin.write("\n") };
}

test("a dlclose'd library leaves the catalog (its objects and probes); the one dlopen'd where it was is there", async (t) => {
	buildFixtures();
	const catalog = new Catalog();
	const events = new ProcessEvents(tracefs());
	t.after(() => {
		catalog.close();
		events.close();
	});
	assert.equal(events.munmapUnfollowed, undefined, "this kernel follows munmap");
	catalog.watch();
	const swap = startSwap();
	t.after(() => swap.child.kill("SIGKILL"));
	const modules = () => catalog.processObjects(swap.pid).map((o) => o.module);
	const providers = () =>
		new Set(catalog.probes().flatMap((p) => (p.kind === "usdt" && p.pid === swap.pid ? [p.usdtProvider] : [])));
	const a = await swap.line();
	assert.match(a, /^a 0x[0-9a-f]+$/);
	await until("libswapa.so is among the process's objects", () => modules().includes("libswapa.so"));
	assert.ok(providers().has("swapa"), `swapa's probe: ${[...providers()]}`);
	swap.go();
	assert.equal(await swap.line(), "fired");
	swap.go();
	const b = await swap.line();
	assert.equal(b.slice(2), a.slice(2), "libswapb.so was mapped where libswapa.so was");
	await until("libswapb.so is among the process's objects", () => modules().includes("libswapb.so"));
	await until("libswapa.so is no longer", () => !modules().includes("libswapa.so"), 3000);
	assert.deepEqual([providers().has("swapa"), providers().has("swapb")], [false, true], "swapa's probe gone");
	// The kernel's record of the dlclose names the library (its first mapping's file) and the range.
	const lib = statSync(`${BIN_DIR}/libswapa.so`);
	const unmaps = events.poll().filter((e) => e.type === "munmap" && e.pid === swap.pid);
	const closed = unmaps.find((e) => e.type === "munmap" && e.file?.inode === lib.ino && e.file.dev === lib.dev);
	assert.ok(
		closed && closed.type === "munmap",
		`a munmap record names libswapa.so: ${JSON.stringify(unmaps, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
	);
	const fn = Number.parseInt(a.slice(2), 16);
	assert.ok(closed.start <= fn && fn < closed.start + closed.length, "its range covers the library's code");
	swap.go();
	swap.go();
});

test("munmap records only ranges that begin in a file's mapping: anonymous memory writes none", async (t) => {
	const events = new ProcessEvents(tracefs());
	t.after(() => events.close());
	// 200 private anonymous mappings of 1 MiB, each unmapped (as malloc's large blocks are), in a process of its own.
	// (A shared anonymous mapping has a file: shmem's.)
	const py = spawn(
		"python3",
		["-c", "import mmap\nfor i in range(200):\n m = mmap.mmap(-1, 1 << 20, flags=mmap.MAP_PRIVATE); m.close()"],
		{
			stdio: "ignore",
		},
	);
	await new Promise((r) => py.on("exit", r));
	await sleep(50);
	const mine = events.poll().filter((e) => e.pid === py.pid);
	const unmaps = mine.filter((e) => e.type === "munmap");
	assert.ok(
		mine.some((e) => e.type === "exec"),
		"the process's events were read",
	);
	assert.ok(unmaps.length < 50, `${unmaps.length} munmap records for 200 anonymous munmaps`);
	assert.ok(
		unmaps.every((e) => e.type === "munmap" && e.file),
		"each names a file",
	);
});
