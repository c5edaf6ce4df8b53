// Section 7: start-up of the three forms dtop ships in: the checkout
// (scripts/dtop), the npm package (npm pack, installed into a scratch prefix)
// and the single executable (dist/dtop-linux-x64, with and without its V8 code
// cache), against bpftrace in the same run; and where dtop's start-up time goes,
// from a bpftrace trace of its system calls (exec, the files it opens, bpf()).
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import xterm from "@xterm/headless";
import * as pty from "node-pty";
import pkg from "../../package.json" with { type: "json" };
import { buildSea } from "../packaging/sea.ts";
import { startBpftrace } from "./tracers.ts";
import {
	adopt,
	BPFTRACE,
	DTOP,
	fmt,
	haveBpftrace,
	median,
	progress,
	ROOT,
	type Row,
	ratio,
	type SectionResult,
	type Simple,
	sleep,
	spread,
	start,
	startSimple,
	timeCommand,
} from "./util.ts";

const { Terminal } = xterm as unknown as { Terminal: typeof import("@xterm/headless").Terminal };
const WORK = join(ROOT, ".cache/bench-startup");
const USDT = "simple$target:::saw-line { @ = count(); }";
const SYSCALL = "syscall::getppid:entry { @ = count(); }";
const BATCH = ["-n", "syscall::getpid:entry { @ = count(); }", "-c", "/bin/true"];
const BT_BATCH = ["-e", "tracepoint:syscalls:sys_enter_getpid { @ = count(); }", "-c", "/bin/true"];

/** The environment `sudo` gives dtop: this process's, less what env_reset drops and Node reads at start. */
function sudoEnv(): NodeJS.ProcessEnv {
	const env = { ...process.env };
	delete env.NODE_EXTRA_CA_CERTS;
	delete env.NODE_OPTIONS;
	return env;
}

interface Form {
	name: string;
	cmd: string;
	/** For the timeline: how to run it with the command name `dtopbench`. */
	bench: { cmd: string; args: string[] };
	env: NodeJS.ProcessEnv;
	/** Measure its first UI frame too (the first three forms always are). */
	frame?: boolean;
}

function prepare(): Form[] {
	rmSync(WORK, { recursive: true, force: true });
	mkdirSync(WORK, { recursive: true });
	progress("startup: npm pack and install into a scratch prefix");
	const tgz = execFileSync("npm", ["pack", "--silent", "--pack-destination", WORK], { cwd: ROOT, encoding: "utf8" })
		.trim()
		.split("\n")
		.pop();
	const prefix = join(WORK, "prefix");
	execFileSync(
		"npm",
		["install", "-g", "--silent", "--no-audit", "--no-fund", "--prefix", prefix, join(WORK, tgz ?? "")],
		{
			stdio: "ignore",
		},
	);
	const node = join(WORK, "node-as-dtopbench");
	mkdirSync(node);
	symlinkSync(process.execPath, join(node, "dtopbench"));
	const sea = join(WORK, "sea");
	mkdirSync(sea);
	return [
		{
			name: "checkout (`scripts/dtop`)",
			cmd: DTOP,
			bench: { cmd: join(node, "dtopbench"), args: [join(ROOT, "build/cli.js")] },
			env: sudoEnv(),
		},
		{
			name: "npm package",
			cmd: join(prefix, "bin/dtop"),
			bench: { cmd: join(node, "dtopbench"), args: [join(prefix, "lib/node_modules/dtop/build/cli.js")] },
			env: sudoEnv(),
		},
		{
			name: "single executable",
			cmd: join(ROOT, "dist/dtop-linux-x64"),
			bench: { cmd: join(sea, "dtopbench"), args: [] },
			env: sudoEnv(),
		},
		{
			name: "single executable, no code cache",
			cmd: join(WORK, "dtop-linux-x64-nocache"),
			bench: { cmd: "", args: [] },
			env: sudoEnv(),
		},
		{
			name: "npm package, NODE_EXTRA_CA_CERTS set",
			cmd: join(prefix, "bin/dtop"),
			bench: { cmd: "", args: [] },
			env: process.env,
		},
		...baseline(),
	];
}

/**
 * DTOP_BENCH_BEFORE="COMMIT..." (space-separated): those commits' checkouts too
 * (git archive into .cache, built), so a change's before and after are measured
 * in one run.
 */
function baseline(): Form[] {
	const commits = (process.env.DTOP_BENCH_BEFORE ?? "").split(/[\s,]+/).filter(Boolean);
	return commits.map((commit) => {
		const dir = join(WORK, `before-${commit}`);
		mkdirSync(dir, { recursive: true });
		execFileSync("sh", ["-c", `git -C "$0" archive "$1" | tar -x -C "$2"`, ROOT, commit, dir]);
		symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
		// Built files git does not hold: the fixtures (--demo runs one).
		cpSync(join(ROOT, "test/fixtures/bin"), join(dir, "test/fixtures/bin"), { recursive: true });
		execFileSync(join(dir, "scripts/build"), { stdio: "ignore" });
		return {
			name: `checkout before, at ${commit.slice(0, 7)}`,
			cmd: join(dir, "scripts/dtop"),
			bench: { cmd: "", args: [] },
			env: sudoEnv(),
		};
	});
}

/** The runs behind a median: each one for a few, their count and range for many. */
function runsNote(xs: readonly number[], unit: string): string {
	if (xs.length <= 7) return spread(xs, unit);
	const lo = Math.min(...xs);
	const hi = Math.max(...xs);
	return `${xs.length} runs, ${fmt(lo, "", lo >= 100 ? 0 : 1)}–${fmt(hi, "", hi >= 100 ? 0 : 1)} ${unit}`;
}

/** Spawn to `matched N probes` (printed once every link is attached; `args` include --json); then SIGINT. */
async function ready(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
	const t0 = performance.now();
	const c = start(cmd, args, { env });
	try {
		const l = await Promise.race([
			c.errLine(/matched \d+ probes?\b/, 60_000),
			c.exited.then((e) => {
				throw new Error(`${cmd} exited (${e.code ?? e.signal}) before attaching: ${c.stderr().slice(0, 400)}`);
			}),
		]);
		return l.at - t0;
	} finally {
		await c.interrupt(30_000).catch(() => c.signal("SIGKILL"));
	}
}

/** Spawn to exit (node's own start: `node -e 0`; dtop's -V). */
async function spawnToExit(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<number> {
	const t0 = performance.now();
	const c = start(cmd, args, { env });
	const e = await c.exited;
	if (e.code !== 0)
		throw new Error(`${cmd} ${args.join(" ")} exited ${e.code ?? e.signal}: ${c.stderr().slice(0, 300)}`);
	return e.at - t0;
}

/** Spawn to the first full frame of `--demo` in a 120×40 pseudo-terminal. */
async function firstFrame(cmd: string, env: NodeJS.ProcessEnv): Promise<number> {
	const term = new Terminal({ cols: 120, rows: 40, allowProposedApi: true });
	const t0 = performance.now();
	const p = pty.spawn(cmd, ["--demo"], {
		name: "xterm-256color",
		cols: 120,
		rows: 40,
		env: { ...env, CI: "false", TERM: "xterm-256color", LANG: "C.UTF-8" } as Record<string, string>,
	});
	adopt(p.pid);
	const lines = () => {
		const b = term.buffer.active;
		return Array.from({ length: 40 }, (_, i) => b.getLine(b.viewportY + i)?.translateToString(true) ?? "");
	};
	const full = (l: string[]) =>
		/^dtop\s/.test(l[0]) && l.slice(-3).some((x) => /q Quit/.test(x)) && l.some((x) => /▸|>/.test(x));
	let first: number | undefined;
	let pending = Promise.resolve();
	p.onData((d) => {
		const at = performance.now();
		pending = pending.then(
			() =>
				new Promise<void>((r) =>
					term.write(d, () => {
						if (first === undefined && full(lines())) first = at - t0;
						r();
					}),
				),
		);
	});
	const exited = new Promise<void>((r) => p.onExit(() => r()));
	try {
		const deadline = performance.now() + 30_000;
		while (first === undefined && performance.now() < deadline) await sleep(10);
		if (first === undefined) throw new Error(`${cmd} --demo: no full frame in 30 s:\n${lines().join("\n")}`);
		return first;
	} finally {
		p.write("q");
		await Promise.race([exited, sleep(5000)]);
		try {
			process.kill(p.pid, "SIGKILL");
		} catch {
			// gone
		}
		term.dispose();
	}
}

const TIMELINE = `
tracepoint:sched:sched_process_exec /comm == "dtopbench"/ { printf("T %llu exec\\n", nsecs); }
tracepoint:syscalls:sys_enter_openat /comm == "dtopbench"/ { printf("T %llu open %s\\n", nsecs, str(args->filename)); }
tracepoint:syscalls:sys_enter_bpf /comm == "dtopbench"/ { printf("T %llu bpf %d\\n", nsecs, args->cmd); }
tracepoint:syscalls:sys_enter_write /comm == "dtopbench" && args->fd == 2/ { printf("T %llu write2\\n", nsecs); }
BEGIN { printf("ready\\n"); }`;

const PHASES = [
	"node start (exec → the bundle is read)",
	"bundle load, flags, D parse (→ the first /proc/PID file)",
	"node start, bundle from memory, flags, D parse (exec → the first /proc/PID file)",
	"catalog scan: /proc and every mapped object's USDT notes (→ koffi is loaded)",
	"koffi load (→ the first bpf())",
	"BPF feature checks, maps, program load, attach (→ `matched` is written)",
] as const;

/** One traced start: the phase durations (ms), from bpftrace's time stamps of dtop's system calls. */
async function timeline(form: Form, pid: number): Promise<number[]> {
	// Paths are longer than bpftrace's default 64-byte strings.
	const bt = start(BPFTRACE, ["-e", TIMELINE], { env: { ...process.env, BPFTRACE_STRLEN: "200" } });
	await bt.line(/^ready$/, 60_000);
	await ready(form.bench.cmd, [...form.bench.args, "--json", "-p", String(pid), "-n", USDT], form.env);
	await sleep(200);
	await bt.interrupt(30_000);
	const ev = bt
		.stdout()
		.split("\n")
		.filter((l) => l.startsWith("T "))
		.map((l) => {
			const [, ns, what, ...rest] = l.split(" ");
			return { t: Number(ns) / 1e6, what, arg: rest.join(" ") };
		});
	const at = (f: (e: (typeof ev)[number]) => boolean) => ev.find(f)?.t ?? Number.NaN;
	const exec = at((e) => e.what === "exec");
	const sea = form.bench.args.length === 0;
	// The single executable reads no bundle: its code is in memory; its node start ends at the first /proc read.
	const bundle = sea ? Number.NaN : at((e) => e.what === "open" && e.arg.endsWith("/build/cli.js"));
	const proc = at((e) => e.what === "open" && /^\/proc\/\d+\//.test(e.arg) && e.t > exec);
	const koffi = at((e) => e.what === "open" && /koffi\/package\.json$/.test(e.arg));
	const bpf = at((e) => e.what === "bpf" && e.t > koffi);
	const done = at((e) => e.what === "write2" && e.t > bpf);
	return sea
		? [Number.NaN, Number.NaN, proc - exec, koffi - proc, bpf - koffi, done - bpf]
		: [bundle - exec, proc - bundle, Number.NaN, koffi - proc, bpf - koffi, done - bpf];
}

export async function startup(opts: { quick: boolean }): Promise<SectionResult> {
	// DTOP_BENCH_STARTUP_RUNS: more rounds where the machine is busy (medians of more runs).
	const runs = opts.quick ? 2 : Number(process.env.DTOP_BENCH_STARTUP_RUNS) || 5;
	const bt = haveBpftrace();
	const forms = prepare();
	progress("startup: building dist/dtop-linux-x64 and a copy without the code cache");
	await buildSea("x64");
	await buildSea("x64", { out: forms[3].cmd, codeCache: false });
	copyFileSync(forms[2].cmd, forms[2].bench.cmd);
	let simple: Simple | undefined;
	const rows: Row[] = [];
	const after: string[] = [];
	try {
		simple = await startSimple(["--count", "1"]);
		const pid = simple.pid;
		const usdt: number[][] = forms.map(() => []);
		const sys: number[][] = forms.map(() => []);
		const frame: number[][] = forms.map(() => []);
		const cpu: number[][] = forms.map(() => []);
		const floor: number[] = [];
		const version: number[][] = forms.map(() => []);
		const batch: number[][] = forms.map(() => []);
		const list: number[][] = forms.map(() => []);
		const btBatch: number[] = [];
		const btList: number[] = [];
		const btCpu: number[] = [];
		const btUsdt: number[] = [];
		const btSys: number[] = [];
		for (let i = 0; i < runs; i++) {
			progress(`startup: round ${i + 1}/${runs}`);
			floor.push(await spawnToExit(process.execPath, ["-e", "0"], sudoEnv()));
			for (const [k, f] of forms.entries()) {
				version[k].push(await spawnToExit(f.cmd, ["-V"], f.env));
				batch[k].push(await spawnToExit(f.cmd, BATCH, f.env));
				list[k].push(await spawnToExit(f.cmd, ["-l"], f.env));
				usdt[k].push(await ready(f.cmd, ["--json", "-p", String(pid), "-n", USDT], f.env));
				sys[k].push(await ready(f.cmd, ["--json", "-n", SYSCALL], f.env));
				if (k < 3 || f.frame) frame[k].push(await firstFrame(f.cmd, f.env));
				cpu[k].push((await timeCommand(f.cmd, ["-n", SYSCALL, "-c", "/bin/true"], { env: f.env })).cpuMs);
			}
			if (bt) {
				btBatch.push(await spawnToExit(BPFTRACE, BT_BATCH, process.env));
				btList.push(await spawnToExit(BPFTRACE, ["-l"], process.env));
				btCpu.push(
					(
						await timeCommand(BPFTRACE, [
							"-e",
							"tracepoint:syscalls:sys_enter_getppid { @ = count(); }",
							"-c",
							"/bin/true",
						])
					).cpuMs,
				);
			}
			if (bt) {
				btUsdt.push(
					await startBpftraceReady(
						`usdt:${join(ROOT, "test/fixtures/bin/simple")}:simple:saw__line { @ = count(); }`,
						pid,
					),
				);
				btSys.push(await startBpftraceReady("tracepoint:syscalls:sys_enter_getppid { @ = count(); }"));
			}
		}
		const peer = (xs: number[]) => (xs.length ? fmt(median(xs), "ms") : "bpftrace missing");
		for (const [k, f] of forms.entries()) {
			rows.push({
				what: `spawn → probes attached, 1 USDT probe (\`-p PID -n '${USDT}'\`): ${f.name}`,
				dtop: fmt(median(usdt[k]), "ms"),
				peer: peer(btUsdt),
				ratio: ratio(median(usdt[k]), median(btUsdt)),
				notes: `dtop ${runsNote(usdt[k], "ms")}${btUsdt.length ? `; bpftrace ${runsNote(btUsdt, "ms")}` : ""}`,
			});
		}
		for (const [k, f] of forms.entries()) {
			rows.push({
				what: `spawn → probes attached, \`${SYSCALL}\` (bpftrace: \`tracepoint:syscalls:sys_enter_getppid\`): ${f.name}`,
				dtop: fmt(median(sys[k]), "ms"),
				peer: peer(btSys),
				ratio: ratio(median(sys[k]), median(btSys)),
				notes: `dtop ${runsNote(sys[k], "ms")}${btSys.length ? `; bpftrace ${runsNote(btSys, "ms")}` : ""}`,
			});
		}
		for (const [k, f] of forms.entries()) {
			rows.push({
				what: `spawn → exit of a whole batch run, \`dtop ${BATCH.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")}\` (bpftrace: \`tracepoint:syscalls:sys_enter_getpid\`): ${f.name}`,
				dtop: fmt(median(batch[k]), "ms"),
				peer: peer(btBatch),
				ratio: ratio(median(batch[k]), median(btBatch)),
				notes: `dtop ${runsNote(batch[k], "ms")}${btBatch.length ? `; bpftrace ${runsNote(btBatch, "ms")}` : ""}`,
			});
		}
		for (const [k, f] of forms.entries()) {
			rows.push({
				what: `spawn → exit of \`dtop -l\` (bpftrace: \`bpftrace -l\`): ${f.name}`,
				dtop: fmt(median(list[k]), "ms"),
				peer: peer(btList),
				ratio: ratio(median(list[k]), median(btList)),
				notes: `dtop ${runsNote(list[k], "ms")}${btList.length ? `; bpftrace ${runsNote(btList, "ms")}` : ""}`,
			});
		}
		for (const [k, f] of forms.entries()) {
			rows.push({
				what: `CPU time (user + system, all threads) of a whole batch run, \`-n '${SYSCALL}' -c /bin/true\`, start to exit: ${f.name}`,
				dtop: fmt(median(cpu[k]), "ms"),
				peer: btCpu.length ? fmt(median(btCpu), "ms") : "bpftrace missing",
				ratio: ratio(median(cpu[k]), median(btCpu)),
				notes: `dtop ${runsNote(cpu[k], "ms")}${btCpu.length ? `; bpftrace ${runsNote(btCpu, "ms")}` : ""}`,
			});
		}
		rows.push({
			what: "node's own start: spawn → exit of `node -e 0` (the floor under every form)",
			dtop: fmt(median(floor), "ms"),
			peer: "",
			ratio: "",
			notes: runsNote(floor, "ms"),
		});
		for (const [k, f] of forms.entries()) {
			rows.push({
				what: `spawn → exit of \`dtop -V\` (node start and the bundle's load, nothing traced): ${f.name}`,
				dtop: fmt(median(version[k]), "ms"),
				peer: "",
				ratio: "",
				notes: runsNote(version[k], "ms"),
			});
		}
		for (const [k, f] of forms.entries()) {
			if (!(k < 3 || f.frame)) continue;
			rows.push({
				what: `spawn → first full UI frame (\`--demo\`): ${f.name}`,
				dtop: fmt(median(frame[k]), "ms"),
				peer: "goal ≤ 300 ms",
				ratio: ratio(median(frame[k]), 300),
				notes: runsNote(frame[k], "ms"),
			});
		}
		if (bt) {
			for (const f of [forms[1], forms[2]]) {
				const phases: number[][] = PHASES.map(() => []);
				for (let i = 0; i < 3; i++) {
					progress(`startup: timeline of ${f.name}, ${i + 1}/3`);
					const ph = await timeline(f, pid);
					for (const [j, v] of ph.entries()) phases[j].push(v);
				}
				for (const [j, name] of PHASES.entries()) {
					if (phases[j].every(Number.isNaN)) continue;
					rows.push({
						what: `where the time goes, ${f.name}, 1 USDT probe: ${name}`,
						dtop: fmt(median(phases[j]), "ms"),
						peer: "",
						ratio: "",
						notes: runsNote(phases[j], "ms"),
					});
				}
			}
		}
	} finally {
		simple?.kill();
	}
	after.push(
		"NODE_EXTRA_CA_CERTS (set on this machine for its registry proxy; `sudo` drops it) makes every Node start read and parse a CA bundle, about 40 ms; every row but the one naming it runs without it, as `sudo dtop` does, and scripts/dtop unsets it (dtop makes no TLS connections).",
	);
	after.push(
		"With `-p PID` a batch run reads only that process's objects (`simple$target` names it), so the catalog phase is the target's maps and notes. " +
			"`node -e 0` is the floor: whatever dtop does, its forms cannot start faster than node itself on this machine, and that floor alone is near bpftrace's whole time to attach. " +
			"The npm package's bin starts node with scripts/dtop's flags (`env -S -u NODE_EXTRA_CA_CERTS node --v8-pool-size=1 --single-threaded --max-semi-space-size=1`); the single executable cannot take node flags under Node 20 and sets `--semi-space-growth-factor=1` at its start instead (the same 1 MB young generation). " +
			"The single executable's V8 code cache (Node's `useCodeCache`) holds what V8 compiles before anything runs (the top level); the functions dtop runs are compiled lazily at run time with or without it. " +
			"A fuller cache was tried and not kept: the bundle compiled with `vm.Script` and a cache taken by `createCachedData()` at the end of a real `-l` and batch run (1.0 MB against 0.3 MB) made `-V` 28 ms and `-l` 18 ms more CPU and a batch `-c` run 3 ms less (20 runs each, medians, load average 8–11): V8 deserializes the whole cache at every start, which costs about what compiling the functions lazily does. " +
			"Node 20 has no compile cache for the npm package's bin (`module.enableCompileCache` and `NODE_COMPILE_CACHE` came with Node 22.1), and `--snapshot-blob` needs a blob built by the very node binary that runs it, named on its command line, which a shebang cannot give.",
	);
	return {
		id: "startup",
		title: "7. Start-up: checkout, npm package, single executable",
		method:
			`The three forms dtop ${pkg.version} ships in, and bpftrace, started alternately in each of ${runs} rounds with the same probes. ` +
			"Probes attached: from spawn until dtop's `matched N probes` (printed after every link is attached) or bpftrace's BEGIN output. " +
			"The USDT rows trace an idle `test/fixtures/bin/simple` by pid (a batch run scans only the process its clauses name). " +
			"CPU time: the same run under `perf stat -e task-clock`, which load on the machine hardly changes (wall times here do). " +
			"First frame: `--demo` in a 120×40 pseudo-terminal feeding a headless xterm.js, until the screen shows the header, the tree and the key footer. " +
			"Where the time goes: a bpftrace script time-stamps the system calls of one dtop start (its command named `dtopbench`): exec, " +
			`the openat() of the bundle, of the first /proc/PID file, of koffi's package.json, the first bpf() after it, and the write of \`matched\`; 3 runs, medians. ` +
			`The package is \`npm pack\` installed with \`npm install -g --prefix\`; the single executable is \`scripts/package\`'s, once with a V8 code cache (as shipped) and once without.`,
		rows,
		after,
	};
}

async function startBpftraceReady(program: string, pid?: number): Promise<number> {
	const r = await startBpftrace(program, pid);
	await r.child.interrupt(60_000).catch(() => r.child.signal("SIGKILL"));
	return r.startMs;
}
