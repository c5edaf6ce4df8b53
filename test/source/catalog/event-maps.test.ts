// Mappings from the kernel's process events: the exec and mmap records name
// the file (device and inode, read in BPF from the task's mm and file table),
// so the catalog follows a new process of a program it knows without reading
// its /proc/PID/maps.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, realpathSync, rmSync, statSync } from "node:fs";
import { basename } from "node:path";
import { test } from "node:test";
import { tracefs } from "../../../kernel/tracefs/index.ts";
import { Catalog } from "../../../source/catalog/index.ts";
import { Mounts } from "../../../source/catalog/mounts.ts";
import { type FileId, ProcessEvents } from "../../../source/catalog/proc-events.ts";
import { readExecMappings } from "../../../source/catalog/procfs.ts";

const SIMPLE = new URL("../../fixtures/bin/simple", import.meta.url).pathname;
const PREFORK = new URL("../../fixtures/bin/prefork", import.meta.url).pathname;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fileId = (path: string) => {
	const st = statSync(path);
	return { dev: st.dev, inode: st.ino };
};

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
	const t0 = Date.now();
	while (!ok()) {
		if (Date.now() - t0 > ms) throw new Error(`timed out waiting until ${what}`);
		await sleep(10);
	}
}

test("exec and mmap records name the file: the program's and each library's device and inode, and the file offset", async () => {
	assert.ok(existsSync(SIMPLE), "run scripts/setup to build the fixtures");
	const events = new ProcessEvents(tracefs());
	try {
		const child = spawn(SIMPLE, ["--wait"], { stdio: ["pipe", "pipe", "ignore"] });
		const pid = child.pid ?? 0;
		await new Promise((r) => child.stdout.once("data", r));
		const maps = readExecMappings(pid) ?? [];
		child.kill("SIGKILL");
		await sleep(50);
		const mine = events.poll().filter((e) => e.pid === pid);
		const exec = mine.find((e) => e.type === "exec");
		assert.ok(exec && exec.type === "exec");
		const mounts = new Mounts();
		const named = (f: FileId | undefined) => f && { dev: f.dev, inode: f.inode };
		assert.deepEqual(named(exec.file), fileId(SIMPLE), "the exec record names the program's file");
		assert.equal(mounts.resolve(exec.file?.dev ?? 0, exec.file?.fsPath ?? ""), realpathSync(SIMPLE), "and its path");
		// Size and mtime as stat gives them (a file rewritten in place is told from the one parsed without a stat).
		const st = statSync(SIMPLE);
		assert.deepEqual([exec.file?.size, exec.file?.mtimeMs], [st.size, st.mtimeMs], "and its size and mtime");
		const mapped = mine.flatMap((e) => (e.type === "mmap" && e.file ? [e] : []));
		const lib = maps.find((m) => m.path.endsWith("/libsimple.so"));
		const libc = maps.find((m) => /\/libc\.so\.6$/.test(m.path));
		assert.ok(lib && libc, `the fixture maps libsimple.so and libc: ${JSON.stringify(maps)}`);
		for (const m of [lib, libc]) {
			const rec = mapped.find((e) => e.file?.dev === m.dev && e.file.inode === m.inode);
			assert.ok(rec, `an mmap record names ${m.path} (${m.dev}:${m.inode}): ${JSON.stringify(mapped)}`);
			assert.equal(rec.offset, m.offset, `the offset of ${m.path}'s executable mapping`);
			assert.equal(mounts.resolve(m.dev, rec.file?.fsPath ?? ""), realpathSync(m.path), `the path of ${m.path}`);
		}
		assert.equal(
			mine.filter((e) => e.type === "mmap").every((e) => e.type === "mmap" && e.file),
			true,
			"every executable mmap record names its file",
		);
	} finally {
		events.close();
	}
});

test("a program first run by a process that exits at once is parsed from the events' path; its next process reads no /proc/PID/maps", async (t) => {
	// A program no process has run before (a copy: a new inode), beside the fixture's library.
	const copy = `${SIMPLE}-copy${process.pid}`;
	copyFileSync(SIMPLE, copy);
	chmodSync(copy, 0o755);
	t.after(() => rmSync(copy, { force: true }));
	const catalog = new Catalog();
	try {
		catalog.watch();
		const parsed = catalog.mapsReads().parsed;
		// Gone long before the catalog's next poll: its maps cannot be read.
		const first = spawnSync(copy, ["--count", "1"], { stdio: "ignore" });
		assert.equal(first.status, 0);
		await until("the program is parsed from its exec record", () => catalog.mapsReads().parsed > parsed, 3000);
		assert.equal(catalog.mapsReads().pids.has(first.pid ?? 0), false, "its maps were not read");
		const child = spawn(copy, ["--wait"], { stdio: ["pipe", "pipe", "ignore"] });
		t.after(() => child.kill("SIGKILL"));
		const pid = child.pid ?? 0;
		await new Promise((r) => child.stdout.once("data", r));
		const usdt = () => catalog.probes().filter((p) => p.kind === "usdt" && p.pid === pid);
		await until("its probes are in the catalog", () => usdt().length > 0);
		assert.equal(catalog.mapsReads().pids.has(pid), false, "its maps were not read");
		// What the events gave is what its maps say: every object, ld.so included.
		const fromMaps = (readExecMappings(pid) ?? []).map((m) => `${m.dev}:${m.inode}`).sort();
		const fromEvents = catalog
			.processObjects(pid)
			.map((o) => o.key)
			.sort();
		assert.deepEqual(fromEvents, fromMaps);
		assert.ok(
			usdt().some((p) => p.module === "libsimple.so"),
			"the library's probes too",
		);
		assert.ok(catalog.mapsReads().avoided > 0);
	} finally {
		catalog.close();
	}
});

test("a program rewritten in place (same inode) is parsed again: the kernel's size and mtime tell it from the one known", async (t) => {
	const file = `${SIMPLE}-rewrite${process.pid}`;
	copyFileSync(SIMPLE, file);
	chmodSync(file, 0o755);
	t.after(() => rmSync(file, { force: true }));
	const inode = statSync(file).ino;
	const catalog = new Catalog();
	try {
		catalog.watch();
		const first = spawn(file, ["--wait"], { stdio: ["pipe", "pipe", "ignore"] });
		await new Promise((r) => first.stdout.once("data", r));
		const of = (pid: number) => catalog.probes().filter((p) => p.kind === "usdt" && p.pid === pid);
		await until("the first run's probes are in the catalog", () => of(first.pid ?? 0).length > 0);
		first.kill("SIGKILL");
		await new Promise((r) => first.once("exit", r));
		await sleep(300);
		// The same inode, other contents: the pre-fork fixture (its provider is prefork).
		copyFileSync(PREFORK, file);
		assert.equal(statSync(file).ino, inode, "copyFileSync rewrote the file in place");
		const second = spawn(file, ["--children", "0"], { stdio: ["pipe", "pipe", "ignore"] });
		t.after(() => second.kill("SIGKILL"));
		await new Promise((r) => second.stdout.once("data", r));
		const pid = second.pid ?? 0;
		await until("the rewritten program's probes are in the catalog", () =>
			of(pid).some((p) => p.provider === `prefork${pid}`),
		);
		assert.equal(
			of(pid).some((p) => p.provider === `simple${pid}` && p.module === basename(file)),
			false,
			"none of the old contents' probes",
		);
	} finally {
		catalog.close();
	}
});
