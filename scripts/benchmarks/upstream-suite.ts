// Runs DTrace for Linux's unit tests (oracle/dtrace-utils test/unittest) against
// dtop the way DTrace's runtest.sh runs them against dtrace, and prints how many
// pass, by area and by first reason of failure. The tests are read in place.
//
// What runtest.sh does, and this does too:
//  - tst.*.d with a .r (or .x86_64.r / .aarch64.r) file, and every err.*.d
//    (err.* must exit 1; err.D_TAG.* are run with -xerrtags and stderr must
//    name [D_TAG]); tst.* are run with no trigger;
//  - the command is `dtrace -s test/unittest/AREA/FILE.d OPTS` from the root of
//    the checkout, OPTS from `@@runtest-opts:`; _DTRACE_TESTING=t in the
//    environment (dtrace then leaves the CPU and ID columns out);
//  - the output is stdout, then `-- @@stderr --` and stderr if stderr is not
//    empty; the test's .r.p postprocessor is applied when it exists; hex
//    numbers become {ptr}; lines are sorted before comparing unless @@nosort;
//  - a timeout (TERM, then KILL 5 s later) fails unless @@timeout-success.
// Left out (counted as skipped): @@skip, a trigger other than none (@@trigger,
// .t), .sh and .c tests, .x environment checks, `$_pid` options.
// dtop prints "dtop:" where dtrace prints "dtrace:"; that is the only
// normalisation.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

type Verdict = {
	test: string;
	area: string;
	pass: boolean;
	skip?: string;
	reason?: string;
	xfail?: string;
	diff?: string;
};

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
	const i = argv.indexOf(name);
	if (i < 0) return undefined;
	const v = argv[i + 1];
	argv.splice(i, 2);
	return v;
};
const bool = (name: string): boolean => {
	const i = argv.indexOf(name);
	if (i < 0) return false;
	argv.splice(i, 1);
	return true;
};
const areasArg = flag("--areas");
const timeoutS = Number(flag("--timeout") ?? "10");
const jobs = Math.max(1, Number(flag("--jobs") ?? "1"));
const jsonOut = flag("--json");
const onlyArg = flag("--only");
const showFailures = bool("--failures");
const showDiff = bool("--diff");
const root = resolve(argv[0] ?? "/work/ref/dtrace-utils/test/unittest");
if (!existsSync(root)) {
	console.error(`upstream-suite: ${root} does not exist (fetch oracle/dtrace-utils and unpack test/unittest there).`);
	process.exit(2);
}
// runtest.sh runs from the checkout's root, so paths read test/unittest/...
const checkout = resolve(root, "../..");
const here = resolve(dirname(new URL(import.meta.url).pathname), "../..");
const cli = join(here, "build/cli.js");
const arch = process.arch === "arm64" ? "aarch64" : "x86_64";

function walk(dir: string, out: string[]): void {
	for (const name of readdirSync(dir).sort()) {
		const p = join(dir, name);
		// A dangling link (a .r.p into test/utils when only test/unittest was unpacked) is not a test.
		const st = statSync(p, { throwIfNoEntry: false });
		if (!st) continue;
		if (st.isDirectory()) walk(p, out);
		else if (/^(tst|err)\..*\.d$/.test(name)) out.push(p);
	}
}

const areas = areasArg ? areasArg.split(",") : readdirSync(root).filter((n) => statSync(join(root, n)).isDirectory());
const files: string[] = [];
for (const a of areas) if (existsSync(join(root, a))) walk(join(root, a), files);

/** runtest.sh's extract_options: `@@NAME: value` in the file or a test.options above it. */
function option(file: string, name: string): string | undefined {
	const re = new RegExp(`@@${name}(?: *:(.*)| (.*)|$)`, "m");
	let f = file;
	let dir = dirname(file);
	for (;;) {
		if (existsSync(f)) {
			const m = re.exec(readFileSync(f, "latin1"));
			if (m) return (m[1] ?? m[2] ?? "").replace(/\*\/\s*$/, "").trim();
		}
		if (dir === root || dir.length < root.length) return undefined;
		f = join(dir, "test.options");
		dir = dirname(dir);
	}
}

function executable(p: string): boolean {
	try {
		return (statSync(p).mode & 0o111) !== 0;
	} catch {
		return false;
	}
}

function expectedFile(base: string): string | undefined {
	for (const f of [`${base}.${arch}.r`, `${base}.r`]) if (existsSync(f)) return f;
	return undefined;
}

function sortLines(text: string): string {
	const lines = text.split("\n");
	if (lines[lines.length - 1] === "") lines.pop();
	const bufs = lines.map((l) => Buffer.from(l, "latin1"));
	bufs.sort(Buffer.compare);
	return bufs.map((b) => b.toString("latin1")).join("\n");
}

function postprocess(base: string, out: string): string {
	let text = out;
	if (executable(`${base}.r.p`)) {
		const r = spawnSync(`${base}.r.p`, [], { input: Buffer.from(out, "latin1"), cwd: checkout, timeout: 10_000 });
		if (r.status === 0) text = r.stdout.toString("latin1");
	}
	return text
		.split("\n")
		.map((l) => (/^==[0-9]+== /.test(l) ? l : l.replace(/0x[0-9a-f]+/g, "{ptr}")))
		.join("\n")
		.replace(/at BPF pc [1-9][0-9]*/g, "at BPF pc NNN");
}

/** A short name for why dtop stopped: its first error line without the specifics. */
function category(stderr: string): string {
	const line =
		stderr.split("\n").find((l) => /^dtop: /.test(l) && !/matched \d+ probe/.test(l)) ?? stderr.split("\n")[0] ?? "";
	let m = /not supported(?: yet)?[^:]*?:? ?(.*)$/i.exec(line);
	const unsupported = /(?:is not supported|not supported yet|unsupported|not implemented|cannot yet)/i.test(line);
	let s = line
		.replace(/^dtop: /, "")
		.replace(/^[^ ]*:\d+:\d+: /, "")
		.replace(/^(line|at) \d+(:\d+)?(, column \d+)?:? /, "")
		.replace(/"[^"]*"|'[^']*'|`[^`]*`/g, "…")
		.replace(/\b\d+\b/g, "N");
	if (unsupported) {
		// Keep the construct's name (it is often quoted) but not numbers or positions.
		const named = line.replace(/^dtop: /, "").replace(/^(line|at) \d+(:\d+)?(, column \d+)?:? /, "");
		m = /(?:^|: )(.*?)\s*(?:is |are )?(?:not supported|unsupported|not implemented|cannot yet)/i.exec(named);
		s = `unsupported: ${(m?.[1] ?? s).slice(0, 60)}`;
	}
	return s.slice(0, 90) || "(no message)";
}

function runOne(file: string): Promise<Verdict> {
	const rel = relative(checkout, file);
	const area = relative(root, file).split("/")[0] ?? "";
	const name = file.split("/").pop() ?? "";
	const base = file.replace(/\.d$/, "");
	const isErr = name.startsWith("err.");
	const v: Verdict = { test: relative(root, file), area, pass: false };
	const rfile = expectedFile(base);
	const xfail = option(file, "xfail");
	if (xfail !== undefined) v.xfail = xfail || "(expected to fail)";
	const skip = option(file, "skip");
	const trigger = option(file, "trigger");
	const opts = option(file, "runtest-opts") ?? "";
	if (!isErr && !rfile) v.skip = "no .r file";
	else if (skip !== undefined) v.skip = "@@skip";
	else if (trigger !== undefined && trigger !== "none") v.skip = "needs a trigger";
	else if (executable(`${base}.t`)) v.skip = "needs a trigger";
	else if (executable(`${base}.sh`) || existsSync(`${base}.c`)) v.skip = "shell or C test";
	else if (executable(`${base}.x`) || executable(join(dirname(file), "test.x"))) v.skip = ".x environment check";
	else if (/\$_pid/.test(opts)) v.skip = "needs a trigger ($_pid)";
	if (v.skip) return Promise.resolve(v);
	const tag = /^err\.(D_[A-Z0-9_]+)\./.exec(name)?.[1];
	const args = [cli, "-s", rel];
	if (tag) args.push("-xerrtags");
	if (opts) args.push(...opts.split(/\s+/).filter(Boolean));
	const t = Math.max(timeoutS, Math.min(Number(option(file, "timeout") ?? 0) || 0, 60));
	return new Promise((done) => {
		const child = spawn("node", ["--v8-pool-size=1", ...args], {
			cwd: checkout,
			env: { ...process.env, _DTRACE_TESTING: "t", LC_COLLATE: "C" },
			stdio: ["ignore", "pipe", "pipe"],
		});
		const out: Buffer[] = [];
		const err: Buffer[] = [];
		child.stdout.on("data", (b: Buffer) => out.push(b));
		child.stderr.on("data", (b: Buffer) => err.push(b));
		let timedOut = false;
		const term = setTimeout(() => {
			timedOut = true;
			child.kill("SIGTERM");
			setTimeout(() => child.kill("SIGKILL"), 5000).unref();
		}, t * 1000);
		child.on("close", (code, signal) => {
			clearTimeout(term);
			const stdout = Buffer.concat(out).toString("latin1");
			const stderr = Buffer.concat(err).toString("latin1");
			const norm = (s: string) => s.replace(/^dtop:/gm, "dtrace:");
			let combined = norm(stdout);
			if (stderr.length > 0) combined += `-- @@stderr --\n${norm(stderr)}`;
			const got = postprocess(base, combined);
			const nosort = option(file, "nosort") !== undefined;
			let differs = false;
			if (rfile) {
				const want = readFileSync(rfile, "latin1");
				differs = nosort ? want !== got : sortLines(want) !== sortLines(got);
				if (differs && showDiff) v.diff = `--- expected\n${want}--- dtop\n${got}`;
			}
			const status = code ?? (signal ? 128 : 0);
			const expected = isErr ? 1 : 0;
			if (timedOut && option(file, "timeout-success") === undefined) v.reason = "timeout";
			else if (tag && !stderr.includes(`[${tag}]`))
				v.reason = status === 1 ? "err: no errtag (exit status right)" : `err: exit status ${status}`;
			else if (!timedOut && status !== expected) {
				if (isErr) v.reason = `err: exit status ${status}`;
				else v.reason = category(stderr) || `exit status ${status}`;
			} else if (differs) v.reason = isErr ? "err: message differs (exit status right)" : "output differs";
			else v.pass = true;
			done(v);
		});
	});
}

async function main(): Promise<void> {
	const only = onlyArg ? new RegExp(onlyArg) : undefined;
	const todo = files.filter((f) => !only || only.test(f));
	const results: Verdict[] = [];
	let next = 0;
	const worker = async () => {
		while (next < todo.length) {
			const f = todo[next++] as string;
			const v = await runOne(f);
			results.push(v);
			if (!v.skip) process.stderr.write(`${v.pass ? "PASS" : "FAIL"} ${v.test}${v.reason ? `  (${v.reason})` : ""}\n`);
			if (v.diff) process.stderr.write(`${v.diff}\n`);
		}
	};
	await Promise.all(Array.from({ length: jobs }, worker));
	results.sort((a, b) => a.test.localeCompare(b.test));
	const ran = results.filter((r) => !r.skip);
	const passed = ran.filter((r) => r.pass);
	const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : "-");
	const print = (s: string) => process.stdout.write(`${s}\n`);
	print(`upstream suite: ${root}`);
	print(
		`ran ${ran.length}, passed ${passed.length} (${pct(passed.length, ran.length)}), failed ${ran.length - passed.length}, skipped ${results.length - ran.length}`,
	);
	const xp = passed.filter((r) => r.xfail).length;
	const xf = ran.filter((r) => r.xfail && !r.pass).length;
	if (xp + xf) print(`  of which DTrace itself expects to fail (@@xfail): ${xf} failed, ${xp} passed`);
	print("\nby area (passed/ran; tst passed/ran, err passed/ran):");
	for (const a of [...new Set(results.map((r) => r.area))]) {
		const rs = ran.filter((r) => r.area === a);
		const tst = rs.filter((r) => r.test.split("/").pop()?.startsWith("tst."));
		const err = rs.filter((r) => !tst.includes(r));
		const n = (xs: Verdict[]) => `${xs.filter((r) => r.pass).length}/${xs.length}`;
		print(`  ${a.padEnd(16)} ${n(rs).padStart(8)}   tst ${n(tst).padStart(7)}   err ${n(err).padStart(7)}`);
	}
	const tally = (xs: string[]) => {
		const m = new Map<string, number>();
		for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
		return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
	};
	print("\nfailures by first reason:");
	for (const [k, n] of tally(ran.filter((r) => !r.pass).map((r) => r.reason ?? "?")))
		print(`  ${String(n).padStart(5)}  ${k}`);
	print("\nskipped:");
	for (const [k, n] of tally(results.filter((r) => r.skip).map((r) => r.skip ?? "?")))
		print(`  ${String(n).padStart(5)}  ${k}`);
	if (showFailures) {
		print("\nfailed tests:");
		for (const r of ran.filter((r) => !r.pass)) print(`  ${r.test}  (${r.reason})`);
	}
	if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(results, null, 1)}\n`);
}

await main();
