// `container` and --cgroup on the real kernel, with cgroup v2 directories the
// test makes and named as docker and systemd name theirs: a USDT fixture in each;
// `@[container]` shows each one's name, a `container ==` predicate counts only
// the one named (also when its cgroup is made after the enabling), and --cgroup
// limits every enabling to one subtree.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { TestCgroups } from "../helpers/cgroups.ts";
import { runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cg = new TestCgroups();
const top = `dtop-ct-${process.pid}`;
const hex = randomBytes(32).toString("hex");
const service = `web-${process.pid}.service`;
const kids: ChildProcess[] = [];
let dockerDir = "";
let serviceDir = "";

function start(): ChildProcess {
	const k = spawn(SIMPLE, ["--loop"], { stdio: "ignore" });
	kids.push(k);
	return k;
}

/** The rows `KEY COUNT` (or `KEY1 KEY2 COUNT`) dtop printed. */
function rows(out: string): string[][] {
	return out
		.split("\n")
		.map((l) => l.trim().split(/\s+/))
		.filter((f) => f.length >= 2 && /^\d+$/.test(f[f.length - 1]!));
}

before(() => {
	dockerDir = cg.make(`${top}/system.slice/docker-${hex}.scope`);
	serviceDir = cg.make(`${top}/system.slice/${service}/sub`);
});

after(async () => {
	for (const k of kids) k.kill("SIGKILL");
	await Promise.all(kids.map((k) => new Promise((r) => (k.exitCode !== null ? r(0) : k.on("exit", r)))));
	await cg.remove();
});

test("container: a key holding each cgroup's container name, and a predicate naming one", async () => {
	const a = start();
	const b = start();
	cg.move(dockerDir, a.pid!);
	// A sub-cgroup of the service: its container is the service.
	cg.move(serviceDir, b.pid!);
	const r = await runDtop([
		"-q",
		"-n",
		`simple*:::saw-line /pid == ${a.pid} || pid == ${b.pid}/ { @[container] = count(); }
		 simple*:::saw-line /container == "${service}"/ { @p[pid] = count(); }
		 profile:::tick-2s { exit(0); }`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const got = rows(r.stdout);
	const names = got.filter((f) => f.length === 2 && !/^\d+$/.test(f[0]!)).map((f) => f[0]);
	assert.deepEqual(names.sort(), [hex.slice(0, 12), service].sort(), r.stdout);
	const pids = got.filter((f) => f.length === 2 && /^\d+$/.test(f[0]!)).map((f) => Number(f[0]));
	assert.deepEqual(pids, [b.pid], r.stdout);
});

test("container: a cgroup made after the enabling is matched from the tick after its first firing", async () => {
	const name = `late-${process.pid}.service`;
	const c = start();
	let made = "";
	const run = runDtop([
		"-q",
		"-n",
		`simple*:::saw-line /container == "${name}"/ { @[pid] = count(); } profile:::tick-5s { exit(0); }`,
	]);
	await sleep(1500);
	made = cg.make(`${top}/${name}`);
	cg.move(made, c.pid!);
	const r = await run;
	assert.equal(r.code, 0, r.stderr);
	const got = rows(r.stdout);
	assert.equal(got.length, 1, r.stdout);
	assert.equal(Number(got[0]![0]), c.pid);
	assert.ok(Number(got[0]![1]) > 0);
});

test("--cgroup: every enabling counts only the processes of that subtree", async () => {
	const a = start();
	const b = start();
	cg.move(dockerDir, a.pid!);
	cg.move(serviceDir, b.pid!);
	const r = await runDtop([
		"-q",
		"--cgroup",
		`/${top}/system.slice/${service}`,
		"-n",
		`simple*:::saw-line /pid == ${a.pid} || pid == ${b.pid}/ { @[pid] = count(); } profile:::tick-2s { exit(0); }`,
	]);
	assert.equal(r.code, 0, r.stderr);
	const got = rows(r.stdout);
	assert.deepEqual(
		got.map((f) => Number(f[0])),
		[b.pid],
		r.stdout,
	);
	// The directory form names the same cgroup.
	const d = await runDtop([
		"-q",
		"--cgroup",
		dockerDir,
		"-n",
		`simple*:::saw-line /pid == ${a.pid} || pid == ${b.pid}/ { @[pid] = count(); } profile:::tick-2s { exit(0); }`,
	]);
	assert.deepEqual(
		rows(d.stdout).map((f) => Number(f[0])),
		[a.pid],
		d.stdout + d.stderr,
	);
});

test("--cgroup: a path that is no cgroup is one sentence", async () => {
	const r = await runDtop(["--cgroup", `/${top}/nonexistent`, "-n", "syscall::read:entry"]);
	assert.notEqual(r.code, 0);
	const lines = r.stderr.trim().split("\n");
	assert.equal(lines.length, 1, r.stderr);
	assert.match(lines[0]!, /^dtop: --cgroup .*nonexistent: no such cgroup under /);
});

test("container: a use it cannot have is one sentence", async () => {
	for (const d of ['BEGIN { printf("%s", container); }', 'BEGIN { trace(container < "a"); }']) {
		const r = await runDtop(["-q", "-n", d]);
		assert.notEqual(r.code, 0);
		const lines = r.stderr.trim().split("\n");
		assert.equal(lines.length, 1, r.stderr);
		// Found while lowering, and printed in dtrace(1)'s form as the checker's errors are.
		assert.match(lines[0]!, /^dtop: invalid probe specifier .*: line 1: 'container' can /);
	}
});
