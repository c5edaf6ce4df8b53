// `dtop -l` end to end: the built CLI against the real kernel and processes.

import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { buildCli, dtop, ROOT } from "./list-helpers.ts";

const SIMPLE = `${ROOT}test/fixtures/bin/simple`;
const children: ChildProcess[] = [];

before(() => {
	assert.ok(existsSync(SIMPLE), "run scripts/setup to build the fixtures");
	buildCli();
});

after(async () => {
	for (const c of children) c.kill("SIGKILL");
	await Promise.all(
		children.map((c) =>
			c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once("exit", r)),
		),
	);
});

function columns(line: string): string[] {
	return line.trim().split(/\s+/);
}

test("dtop -l lists every provider's probes, aligned like dtrace -l", async () => {
	const r = await dtop(["-l"]);
	assert.equal(r.status, 0, r.stderr);
	const lines = r.stdout.trimEnd().split("\n");
	assert.match(lines[0], /^\s+ID\s+PROVIDER\s+MODULE\s+FUNCTION NAME$/);
	// Right-aligned columns: every row's column ends where the header's does.
	const ends = (l: string) => {
		const out: number[] = [];
		const re = /\S+/g;
		for (let m = re.exec(l); m; m = re.exec(l)) out.push(m.index + m[0].length);
		return out;
	};
	const head = ends(lines[0]);
	const row = lines.find((l) => / syscall /.test(l) && / read entry$/.test(l));
	assert.ok(row, "syscall::read:entry is listed");
	assert.deepEqual(ends(row).slice(0, 4), head.slice(0, 4));
	assert.ok(
		lines.some((l) => /^\s*\d+\s+sdt\s+sched\s+sched_switch$/.test(l)),
		"sdt:sched::sched_switch (empty function)",
	);
	assert.ok(lines.some((l) => /\s+profile\s+profile-997$/.test(l)));
	assert.ok(lines.length > 3000);
	const ids = lines.slice(1).map((l) => Number(columns(l)[0]));
	for (let i = 1; i < ids.length; i++) assert.ok(ids[i] > ids[i - 1], "ids increase");
	assert.match(r.stderr, /fbt .*not available on this kernel/);
});

test("filters: -n (repeatable, partial, globs), -P, -m, -f", async () => {
	const r = await dtop(["-l", "-n", "read:entry", "-n", "syscall::write:"]);
	assert.equal(r.status, 0, r.stderr);
	const rows = r.stdout.trimEnd().split("\n").slice(1).map(columns);
	assert.deepEqual(
		rows.map((c) => c.slice(1).join(":")),
		["syscall:vmlinux:read:entry", "syscall:vmlinux:write:entry", "syscall:vmlinux:write:return"],
	);
	const p = await dtop(["-l", "-P", "profile"]);
	assert.ok(
		p.stdout
			.split("\n")
			.slice(1, -1)
			.every((l) => columns(l)[1] === "profile"),
	);
	const m = await dtop(["-l", "-m", "sched"]);
	assert.ok(
		m.stdout
			.split("\n")
			.slice(1, -1)
			.every((l) => /\ssdt\s+sched\s/.test(l)),
	);
	const f = await dtop(["-l", "-f", "openat*"]);
	assert.deepEqual(
		f.stdout
			.split("\n")
			.slice(1, -1)
			.map((l) => columns(l).slice(3).join(":")),
		["openat:entry", "openat:return", "openat2:entry", "openat2:return"],
	);
});

test("--json: one object per probe with its attach data; -v: fields and argument specs", async () => {
	const j = await dtop(["-l", "--json", "-n", "syscall::read:entry", "-n", "sdt:sched::sched_switch"]);
	assert.equal(j.status, 0, j.stderr);
	const objs = j.stdout
		.trimEnd()
		.split("\n")
		.map((l) => JSON.parse(l));
	assert.equal(objs.length, 2);
	assert.equal(objs[0].kind, "syscall");
	assert.deepEqual(objs[0].tracepoint, { group: "syscalls", event: "sys_enter_read" });
	assert.deepEqual(objs[0].raw, { group: "raw_syscalls", event: "sys_enter" });
	if (process.arch === "x64") assert.equal(objs[0].nr, 0);
	assert.equal(objs[1].kind, "tracepoint");
	const jv = await dtop(["-l", "--json", "-v", "-n", "sdt:sched::sched_switch"]);
	const sw = JSON.parse(jv.stdout);
	assert.ok(sw.tracepoint.id > 0);
	assert.ok(sw.fields.some((f: { name: string; type: string }) => f.name === "prev_comm" && f.type === "char[16]"));
	const v = await dtop(["-l", "-v", "-n", "syscall::openat:entry"]);
	assert.match(v.stdout, /args\[0\]: int dfd/);
	assert.match(v.stdout, /args\[1\]: const char \* filename/);
});

test("-p PID lists the process's USDT and pid probes; $target works", async () => {
	const child = spawn(SIMPLE, ["--wait"], { stdio: ["pipe", "ignore", "ignore"] });
	children.push(child);
	const pid = child.pid!;
	// Let the loader map libsimple.so.
	for (let i = 0; i < 200 && !readFileSync(`/proc/${pid}/maps`, "latin1").includes("libsimple.so"); i++) {
		await new Promise((r) => setTimeout(r, 5));
	}
	const r = await dtop(["-l", "-p", String(pid)]);
	assert.equal(r.status, 0, r.stderr);
	const rows = r.stdout.trimEnd().split("\n").slice(1).map(columns);
	const names = rows.map((c) => c.slice(1).join(":"));
	assert.ok(names.includes(`simple${pid}:simple:fire_line:saw-line`));
	assert.ok(names.includes(`simplelib${pid}:libsimple.so:lib_work:lib-call`));
	assert.ok(names.includes(`pid${pid}:simple:main:entry`));
	assert.ok(names.includes(`pid${pid}:libsimple.so:lib_work:return`));
	assert.ok(
		rows.every((c) => c[1].endsWith(String(pid))),
		"only that process's probes",
	);
	const t = await dtop(["-l", "-p", String(pid), "-n", "simple$target:::saw__*"]);
	assert.equal(t.status, 0, t.stderr);
	assert.deepEqual(
		t.stdout
			.trimEnd()
			.split("\n")
			.slice(1)
			.map((l) => columns(l).slice(1).join(":")),
		[`simple${pid}:simple:fire_line:saw-line`, `simple${pid}:simple:fire_word:saw-word`],
	);
	const v = await dtop(["-l", "-v", "-n", `simple${pid}:::saw-line`]);
	assert.match(v.stdout, /simple \+0x[0-9a-f]+/);
	assert.match(v.stdout, /args\[0\]: -4@%edi/);
	child.kill("SIGKILL");
});

test("-c 'CMD ARGS' lists the command's probes (pid provider included) and kills it", async () => {
	const r = await dtop([
		"-l",
		"-c",
		`${SIMPLE} --sleep-ms 20000`,
		"-n",
		"simple$target:::saw-line",
		"-n",
		"pid$target::fire_line:entry",
	]);
	assert.equal(r.status, 0, r.stderr);
	const rows = r.stdout
		.trimEnd()
		.split("\n")
		.slice(1)
		.map((l) => columns(l).slice(1).join(":"));
	assert.equal(rows.length, 2, r.stdout);
	const pid = Number(/^simple(\d+):/.exec(rows[0])?.[1]);
	assert.deepEqual(rows, [`simple${pid}:simple:fire_line:saw-line`, `pid${pid}:simple:fire_line:entry`]);
	await new Promise((res) => setTimeout(res, 100));
	let state: string | undefined;
	try {
		state = readFileSync(`/proc/${pid}/stat`, "latin1").split(") ")[1]?.[0];
	} catch {}
	assert.ok(state === undefined || state === "Z" || state === "X", `the command was left running (${state})`);
});

test("errors: one line, status 2 for bad input, 1 for no match or a dead pid", async () => {
	const cases: [string[], number, RegExp][] = [
		[["-l", "--bogus"], 2, /^dtop: unknown option '--bogus'$/],
		[["-l", "-Y"], 2, /^dtop: unknown option '-Y'$/],
		[["-l", "-n"], 2, /^dtop: -n needs a probe description/],
		[["-l", "-n", "a:b:c:d:e"], 2, /^dtop: invalid probe description 'a:b:c:d:e': .*too many fields/],
		[["-l", "-n", "syscall::re ad:entry"], 2, /^dtop: invalid probe description/],
		[["-l", "-n", "nosuch:::"], 2, /^dtop: unknown provider 'nosuch'/],
		[["-l", "-n", "pid$target:::"], 2, /^dtop: invalid probe description 'pid\$target:::'.*-p PID/],
		[["-l", "-p", "abc"], 2, /^dtop: -p needs a process id, not 'abc'$/],
		[["-l", "-P", "a:b"], 2, /^dtop: -P takes one field/],
		[["-l", "stray"], 2, /^dtop: unexpected argument 'stray'/],
		[["-l", "-n", "syscall::nosuchcall:"], 1, /^dtop: no probes match 'syscall::nosuchcall:'$/],
		[["-l", "-n", "fbt:::"], 1, /^dtop: fbt .*not available on this kernel/],
		[["-l", "-p", "999999999"], 1, /^dtop: process 999999999 does not exist/],
		[
			["-l", "-n", "pid999999999:::"],
			1,
			/^dtop: provider 'pid999999999' names process 999999999, which does not exist$/,
		],
	];
	for (const [args, status, re] of cases) {
		const r = await dtop(args);
		assert.equal(r.status, status, `${args.join(" ")}: ${r.stderr}`);
		assert.equal(r.stdout, "", args.join(" "));
		assert.equal(r.stderr.trimEnd().split("\n").length, 1, `one line: ${r.stderr}`);
		assert.match(r.stderr.trimEnd(), re, args.join(" "));
	}
});

test("--help and --version", async () => {
	const h = await dtop(["--help"]);
	assert.equal(h.status, 0);
	assert.match(h.stdout, /Usage/);
	assert.match(h.stdout, /-l, --list/);
	const v = await dtop(["--version"]);
	assert.equal(v.status, 0);
	assert.equal(v.stdout.trim(), JSON.parse(readFileSync(`${ROOT}package.json`, "utf8")).version);
});

test("strings from binaries are escaped before printing", async () => {
	const { formatTable } = await import("../../source/app/list.ts");
	const out = formatTable([
		{
			id: 1,
			provider: "evil\x1b]0;x\x07",
			module: "a\nb",
			function: "f\u202e",
			name: "n",
			kind: "profile",
			perCpu: true,
			periodNs: 1,
		},
	]);
	assert.doesNotMatch(out, /[\x00-\x08\x0b-\x1f\x7f\u202e]/);
	assert.match(out, /evil\\e\]0;x\\x07/);
	assert.equal(out.trimEnd().split("\n").length, 2);
});

test("the -l path never loads Ink or React", async () => {
	const { readdirSync } = await import("node:fs");
	const dir = `${ROOT}build/`;
	// Files reachable from a chunk through static imports (what loading it loads).
	const closure = (file: string, seen = new Set<string>()): Set<string> => {
		if (seen.has(file)) return seen;
		seen.add(file);
		const text = readFileSync(`${dir}${file}`, "utf8");
		const base = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
		for (const m of text.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^"'();]*?\bfrom\s*)?["'](\.\/[^"']+)["']/g)) {
			closure(`${base}${m[1].slice(2)}`, seen);
		}
		return seen;
	};
	const chunks = readdirSync(`${dir}chunks`);
	const list = chunks.find((c) => c.startsWith("list-"));
	assert.ok(list, "the list chunk exists");
	const files = new Set([...closure("cli.js"), ...closure(`chunks/${list}`)]);
	assert.ok(files.size >= 3, `static imports were followed (${[...files].join(", ")})`);
	const REACT = "react.transitional.element";
	for (const f of files) assert.ok(!readFileSync(`${dir}${f}`, "utf8").includes(REACT), `${f} holds React`);
	// The marker is real: some chunk (the UI's) does hold React.
	assert.ok(chunks.some((c) => readFileSync(`${dir}chunks/${c}`, "utf8").includes(REACT)));
});
