// C++ names from the real command line: demangled by default in ustack()
// frames, probefunc keys and `-l`'s FUNCTION column; `-x nodemangle` shows
// them as the binary holds them. The demangled forms are checked against
// binutils' c++filt (nothing of ours), with the return type of template
// functions left out as dtop prints them.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { buildFixtures, DEEPTHROW } from "../fixtures/fixtures.ts";
import { runDtop } from "../helpers/cli.ts";

const METHOD = "_ZN2ns7Thrower6methodEi";
const cxxfilt = (name: string) => execFileSync("c++filt", [name], { encoding: "utf8" }).trim();

before(() => buildFixtures());

async function dtop(args: string[]): Promise<string> {
	const r = await runDtop(args, { timeoutMs: 60_000 });
	assert.equal(r.code, 0, r.stderr);
	return r.stdout;
}

test("probefunc keys: demangled by default, raw with -x nodemangle", async () => {
	const clause = `pid$target:deepthrow:${METHOD}:entry { @[probefunc] = count(); }`;
	const shown = cxxfilt(METHOD);
	assert.equal(shown, "ns::Thrower::method(int)");
	const out = await dtop(["-q", "-n", clause, "-c", `${DEEPTHROW} 3`]);
	assert.match(out, new RegExp(`^\\s+${shown.replace(/[()]/g, "\\$&")}\\s+3$`, "m"));
	const raw = await dtop(["-q", "-x", "nodemangle", "-n", clause, "-c", `${DEEPTHROW} 3`]);
	assert.match(raw, new RegExp(`^\\s+${METHOD}\\s+3$`, "m"));
});

test("ustack() frames: demangled by default, raw with -x nodemangle", async () => {
	const clause = "libstdcxx$target:::throw { @[ustack()] = count(); }";
	const out = (await dtop(["-q", "-n", clause, "-c", `${DEEPTHROW} 2`])).split("\n").map((l) => l.trim());
	assert.ok(out.some((l) => l.startsWith(`deepthrow\`${cxxfilt(METHOD)}+0x`)));
	// c++filt gives `long down<0>(long)`; dtop leaves template functions' return type out.
	assert.equal(cxxfilt("_Z4downILi0EEll"), "long down<0>(long)");
	assert.ok(out.some((l) => l.startsWith("deepthrow`down<0>(long)+0x")));
	const raw = (await dtop(["-q", "-xnodemangle", "-n", clause, "-c", `${DEEPTHROW} 2`]))
		.split("\n")
		.map((l) => l.trim());
	assert.ok(raw.some((l) => l.startsWith(`deepthrow\`${METHOD}+0x`)));
	assert.ok(raw.some((l) => l.startsWith("deepthrow`_Z4downILi0EEll+0x")));
	assert.ok(!raw.some((l) => l.includes("ns::Thrower")));
});

let waiting: ChildProcess | undefined;
after(() => waiting?.kill("SIGKILL"));

test("-l: the FUNCTION column demangled by default, raw with -x nodemangle; the description still matches the symbol", async () => {
	waiting = spawn(DEEPTHROW, ["--wait", "1"], { stdio: ["pipe", "pipe", "ignore"] });
	const pid = await new Promise<number>((resolve, reject) => {
		waiting?.stdout?.once("data", (d: Buffer) => {
			const m = /ready (\d+)/.exec(String(d));
			if (m) resolve(Number(m[1]));
			else reject(new Error(`unexpected output: ${d}`));
		});
	});
	const desc = `pid${pid}:deepthrow:${METHOD}:entry`;
	const table = await dtop(["-l", "-n", desc]);
	assert.match(table, /^\s*\d+\s+pid\d+\s+deepthrow\s+ns::Thrower::method\(int\) entry$/m);
	const raw = await dtop(["-l", "-x", "nodemangle", "-n", desc]);
	assert.match(raw, new RegExp(`^\\s*\\d+\\s+pid\\d+\\s+deepthrow\\s+${METHOD} entry$`, "m"));
	const json = JSON.parse((await dtop(["-l", "--json", "-n", desc])).trim());
	assert.equal(json.function, "ns::Thrower::method(int)");
	assert.equal(json.symbol, METHOD);
	waiting.stdin?.end("go\n");
});

test("-x with an option dtop does not act on, or a bad value: one line, exit 1 (dtrace's dfatal)", async () => {
	for (const [x, why] of [
		["nosuch", /^dtop: failed to set -x nosuch: Invalid option name$/],
		["nodemangle=maybe", /^dtop: failed to set -x nodemangle: Invalid value for specified option$/],
		["flowindent", /^dtop: -x flowindent is not supported by dtop yet/],
	] as const) {
		const r = await runDtop(["-x", x, "-n", "BEGIN"], { timeoutMs: 30_000 });
		assert.equal(r.code, 1, `${x}: ${r.stderr}`);
		assert.match(r.stderr.trim(), why);
		assert.equal(r.stderr.trim().split("\n").length, 1);
	}
});
