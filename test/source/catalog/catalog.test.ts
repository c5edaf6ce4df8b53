// The catalog against the real kernel and real processes: the fixture's USDT
// probes (and its shared library's), Debian's python3.11, every system call,
// kernel tracepoints, fbt's reason, pid probes on demand, stable ids.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { tracefs } from "../../../kernel/tracefs/index.ts";
import {
	Catalog,
	type CatalogChange,
	DescriptionError,
	fbtAvailability,
	type PidProbe,
	ProcessNotFoundError,
	type UsdtProbe,
} from "../../../source/catalog/index.ts";

const SIMPLE = new URL("../../fixtures/bin/simple", import.meta.url).pathname;
const PYTHON = "/usr/bin/python3.11";

const children: ChildProcess[] = [];

/** Starts a process that waits on stdin (killed in after()). */
function start(cmd: string, args: string[]): ChildProcess {
	const child = spawn(cmd, args, { stdio: ["pipe", "ignore", "ignore"] });
	children.push(child);
	return child;
}

function exited(child: ChildProcess): Promise<void> {
	return new Promise((r) => {
		if (child.exitCode !== null || child.signalCode !== null) r();
		else child.once("exit", () => r());
	});
}

/** Resolves with the elapsed ms when `pred` holds after a "change" (or rejects after `ms`). */
function until(catalog: Catalog, pred: () => boolean, ms: number): Promise<number> {
	const t0 = performance.now();
	return new Promise((resolve, reject) => {
		if (pred()) return resolve(0);
		const timer = setTimeout(() => {
			off();
			reject(new Error(`not within ${ms} ms`));
		}, ms);
		const off = catalog.subscribe(() => {
			if (!pred()) return;
			clearTimeout(timer);
			off();
			resolve(performance.now() - t0);
		});
	});
}

let catalog: Catalog;

before(() => {
	assert.ok(existsSync(SIMPLE), `${SIMPLE} is missing; run scripts/setup`);
	catalog = new Catalog();
});

after(async () => {
	catalog?.close();
	for (const c of children) c.kill("SIGKILL");
	await Promise.all(children.map(exited));
});

test("every system call has an entry and a return probe, with its tracepoints and number", () => {
	const sys = catalog.probes().filter((p) => p.kind === "syscall");
	const enters = tracefs()
		.eventsOf("syscalls")
		.filter((e) => e.startsWith("sys_enter_"));
	assert.ok(enters.length > 300);
	const byFn = new Map<string, string[]>();
	for (const p of sys) byFn.set(p.function, [...(byFn.get(p.function) ?? []), p.name]);
	assert.equal(byFn.size, enters.length);
	for (const [fn, names] of byFn) assert.deepEqual(names.sort(), ["entry", "return"], fn);
	const [entry, ret] = catalog.match("syscall:vmlinux:read:");
	assert.equal(entry.kind, "syscall");
	if (entry.kind !== "syscall" || ret.kind !== "syscall") return;
	assert.equal(entry.name, "entry");
	assert.equal(ret.name, "return");
	assert.equal(entry.tracepoint.event, "sys_enter_read");
	assert.equal(ret.tracepoint.event, "sys_exit_read");
	assert.equal(entry.raw.event, "sys_enter");
	assert.equal(ret.raw.event, "sys_exit");
	assert.equal(entry.tracepoint.id, tracefs().eventId("syscalls", "sys_enter_read"));
	if (process.arch === "x64") {
		assert.equal(entry.nr, 0);
		assert.equal(
			catalog.match("syscall::openat:entry")[0].kind === "syscall" && catalog.match("syscall::openat:entry")[0],
			catalog.match("syscall::openat:entry")[0],
		);
		for (const p of sys) if (p.kind === "syscall") assert.notEqual(p.nr, undefined, p.function);
	}
});

test("sdt lists every tracepoint, sched::sched_switch among them, with its format on demand", () => {
	const sdt = catalog.probes().filter((p) => p.kind === "tracepoint");
	assert.equal(sdt.length, tracefs().events().length);
	const [sw] = catalog.match("sched::sched_switch");
	assert.ok(sw && sw.kind === "tracepoint");
	if (sw.kind !== "tracepoint") return;
	assert.equal(`${sw.provider}:${sw.module}:${sw.function}:${sw.name}`, "sdt:sched::sched_switch");
	assert.equal(sw.tracepoint.id, tracefs().eventId("sched", "sched_switch"));
	assert.ok(sw.tracepoint.format().fields.some((f) => f.name === "next_pid"));
});

test("fbt is reported unavailable on this kernel, with its reason", () => {
	assert.equal(catalog.fbt.available, false);
	assert.match(catalog.fbt.reason ?? "", /not available on this kernel/);
	assert.match(catalog.fbt.reason ?? "", /kprobe/);
	const info = catalog.providers().find((p) => p.name === "fbt");
	assert.deepEqual(info, { name: "fbt", kind: "fbt", available: false, reason: catalog.fbt.reason });
	assert.deepEqual(catalog.match("fbt:::"), []);
	// The other branch: a kernel with a kprobe PMU and a readable function list.
	const dir = mkdtempSync(join(tmpdir(), "dtop-fbt-"));
	try {
		mkdirSync(join(dir, "kprobe"));
		writeFileSync(join(dir, "available_filter_functions"), "vfs_read\nvfs_write [ext4]\n");
		const ok = fbtAvailability(dir, { kprobePmu: join(dir, "kprobe"), btf: join(dir, "none") });
		assert.deepEqual(ok, { available: true, via: "kprobe" });
		const c = new Catalog({ usdt: false, fbt: ok, tracefs: tracefs() });
		assert.equal(c.fbt.available, true);
	} finally {
		rmSync(dir, { recursive: true });
	}
});

test("profile probes: the usual ones listed, any valid one made on demand with a stable id", () => {
	const names = catalog.match("profile:::").map((p) => p.name);
	for (const n of ["profile-97", "profile-997", "profile-4999", "tick-1", "tick-1000", "tick-1s", "tick-10s"]) {
		assert.ok(names.includes(n), n);
	}
	assert.deepEqual(
		catalog.match("profile:::tick-3s").map((p) => p.name),
		["tick-3s"],
	);
	const [a] = catalog.match("profile:::profile-1234hz");
	const [b] = catalog.match(":::profile-1234hz");
	assert.equal(a.id, b.id);
	assert.ok(a.kind === "profile" && a.perCpu && a.frequencyHz === 1234);
	assert.deepEqual(catalog.match("profile:::profile-99999"), []);
	assert.deepEqual(
		catalog
			.match("profile:::tick-*s")
			.map((p) => p.name)
			.sort(),
		["tick-10s", "tick-1s", "tick-3s"],
	);
});

test("the fixture's USDT probes appear within 1 s and vanish within 1 s of its exit", async (t) => {
	catalog.watch(500);
	const maxBefore = Math.max(...catalog.probes().map((p) => p.id));
	const child = start(SIMPLE, ["--wait"]);
	const pid = child.pid!;
	const appeared = await until(catalog, () => catalog.match(`simple${pid}:::`).length >= 4, 1000);
	const probes = catalog.match(`simple${pid}:::`) as UsdtProbe[];
	assert.deepEqual(probes.map((p) => `${p.provider}:${p.module}:${p.function}:${p.name}`).sort(), [
		`simple${pid}:simple:fire_args:args`,
		`simple${pid}:simple:fire_line:saw-line`,
		`simple${pid}:simple:fire_sema:sema-probe`,
		`simple${pid}:simple:fire_word:saw-word`,
	]);
	for (const p of probes) {
		assert.ok(p.id > maxBefore, "new probes get larger ids");
		assert.equal(p.pid, pid);
		assert.equal(p.usdtProvider, "simple");
		assert.equal(p.sites[0].path, SIMPLE);
		assert.ok(p.sites[0].pcOffset > 0);
	}
	const sema = probes.find((p) => p.name === "sema-probe")!;
	assert.equal(sema.usdtName, "sema__probe");
	assert.ok(sema.sites[0].semaphoreOffset > 0, "the semaphore's file offset is known");
	assert.equal(probes.find((p) => p.name === "saw-line")!.sites[0].args, "-4@%edi");
	// The shared library's probe, under the library's module name.
	const lib = catalog.match(`simplelib${pid}:libsimple.so:lib_work:lib-call`) as UsdtProbe[];
	assert.equal(lib.length, 1);
	assert.match(lib[0].sites[0].path, /libsimple\.so$/);
	// Both spellings, and $target.
	assert.deepEqual(
		catalog.match("simple$target:::saw__line", { target: pid }).map((p) => p.id),
		catalog.match(`simple${pid}:simple:fire_line:saw-line`).map((p) => p.id),
	);
	// Stable ids.
	assert.deepEqual(
		catalog.match(`simple${pid}:::`).map((p) => p.id),
		probes.map((p) => p.id),
	);
	child.kill("SIGKILL");
	const t0 = performance.now();
	await exited(child);
	const removed = new Promise<CatalogChange>((r) => {
		const off = catalog.subscribe((c) => {
			if (c.exited.includes(pid)) {
				off();
				r(c);
			}
		});
	});
	const change = await Promise.race([
		removed,
		new Promise<never>((_, rej) => setTimeout(() => rej(new Error("not removed within 1 s")), 1000)),
	]);
	const gone = performance.now() - t0;
	assert.throws(() => catalog.match(`simple${pid}:::`), ProcessNotFoundError);
	assert.deepEqual(
		catalog.match("simple*:::").filter((p) => p.provider === `simple${pid}`),
		[],
	);
	assert.ok(change.removed.some((p) => p.id === probes[0].id));
	assert.ok(!catalog.processes().some((p) => p.pid === pid), "its state is freed");
	assert.ok(catalog.probe(probes[0].id) === undefined);
	catalog.close();
	t.diagnostic(`appeared after ${appeared.toFixed(0)} ms, gone ${gone.toFixed(0)} ms after exit`);
});

test("Debian's python3.11 shows python<PID>:python3.11:…:function-entry", async () => {
	const child = start(PYTHON, ["-c", "import sys; sys.stdin.read()"]);
	const pid = child.pid!;
	const c = new Catalog({ tracefs: tracefs() });
	try {
		c.watch(100);
		await until(c, () => c.match(`python${pid}:::`).length > 0, 3000);
		const fe = c.match(`python${pid}:python3.11::function-entry`) as UsdtProbe[];
		assert.equal(fe.length, 1);
		assert.equal(fe[0].usdtName, "function__entry");
		assert.ok(
			fe[0].sites.every((s) => s.semaphoreOffset > 0),
			"python's probes have semaphores",
		);
		const names = c.match(`python${pid}:::`).map((p) => p.name);
		for (const n of ["function-return", "gc-start", "gc-done", "import-find-load-start", "audit"]) {
			assert.ok(names.includes(n), n);
		}
		assert.ok(c.match("python*:::function__entry").some((p) => p.provider === `python${pid}`));
	} finally {
		c.close();
		child.kill("SIGKILL");
		await exited(child);
	}
});

test("pid probes are made on demand with file offsets of their symbols", () => {
	const child = start(SIMPLE, ["--wait"]);
	const pid = child.pid!;
	const deadline = Date.now() + 2000;
	// Wait until the loader has mapped libsimple.so.
	while (Date.now() < deadline && catalog.match(`pid${pid}:libsimple.so:lib_work:entry`).length === 0) {
		catalog.refresh();
	}
	const [lw] = catalog.match(`pid${pid}:libsimple.so:lib_work:entry`) as PidProbe[];
	assert.ok(lw, "pid probe in the shared library");
	const elf = ElfFile.open(lw.path);
	assert.equal(lw.offset, elf.addressToOffset(elf.symbols().byName("lib_work")!.address));
	const fire = catalog.match("pid$target:simple:fire_*:", { target: pid }) as PidProbe[];
	assert.deepEqual([...new Set(fire.map((p) => p.function))].sort(), [
		"fire_args",
		"fire_line",
		"fire_sema",
		"fire_word",
	]);
	assert.ok(fire.some((p) => p.which === "return"));
	const again = catalog.match(`pid${pid}:simple:fire_line:entry`);
	assert.equal(again[0].id, fire.find((p) => p.function === "fire_line" && p.name === "entry")!.id);
	const all = catalog.processProbes(pid);
	assert.ok(all.some((p) => p.kind === "usdt") && all.filter((p) => p.kind === "uprobe").length > 100);
	child.kill("SIGKILL");
});

test("unknown providers and dead processes are errors with a sentence", () => {
	assert.throws(
		() => catalog.match("nosuch:::"),
		(e: unknown) => e instanceof DescriptionError && /unknown provider 'nosuch'/.test(e.message),
	);
	assert.throws(() => catalog.match("pid:::"), /needs a process id/);
	assert.throws(() => catalog.match("pid999999999:::"), ProcessNotFoundError);
	assert.doesNotThrow(() => catalog.match("sys*:::"));
});
