// progenyof($target) on the real kernel: a -c target that forks three
// generations of shells, each running the USDT fixture once. Every fixture
// process of the tree is counted once, keyed by pid; the fixture run at the
// same time outside the tree (and other programs' `simple` processes on this
// shared machine) are not counted.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";
import { SIMPLE } from "../helpers/fixture.ts";

test("progenyof($target): every descendant over three generations is counted, nothing else", async () => {
	const dir = mkdtempSync(join(tmpdir(), "dtop-progeny-"));
	const pids = join(dir, "pids");
	const script = join(dir, "tree.sh");
	// gen N runs the fixture (a child, firing for 1.5 s: long enough to be found and
	// attached without holding it), then forks two subshells of gen N+1, up to gen 3:
	// 1 + 2 + 4 + 8 = 15 fixture processes, the deepest four forks below the target.
	writeFileSync(
		script,
		`gen() {
	"${SIMPLE}" --loop >/dev/null & p=$!; echo $p >> "${pids}"; (sleep 1.5; kill $p) & wait $p
	if [ "$1" -lt 3 ]; then (gen $(($1 + 1))) & (gen $(($1 + 1))) & wait; fi
}
sleep 0.5
gen 0
sleep 0.3
`,
	);
	// A fixture that is no descendant of the target, firing all along.
	const outsider = spawn(SIMPLE, ["--loop"], { stdio: "ignore" });
	try {
		const r = await runDtop([
			"-q",
			"-n",
			"simple*:::saw-line /progenyof($target)/ { @[pid] = count(); }",
			"-c",
			`/bin/bash ${script}`,
		]);
		assert.equal(r.code, 0, r.stderr);
		const want = readFileSync(pids, "utf8").trim().split("\n").map(Number).sort();
		assert.equal(want.length, 15);
		const got = new Map<number, number>();
		for (const line of r.stdout.split("\n")) {
			const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(line);
			if (m) got.set(Number(m[1]), Number(m[2]));
		}
		assert.deepEqual([...got.keys()].sort(), want, `counted pids:\n${r.stdout}\n${r.stderr}`);
		for (const [pid, n] of got) assert.ok(n > 0, `pid ${pid} counted ${n} times`);
		assert.equal(got.has(outsider.pid ?? 0), false);
	} finally {
		outsider.kill("SIGKILL");
		rmSync(dir, { recursive: true, force: true });
	}
});
