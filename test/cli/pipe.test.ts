// `dtop … | head`: when the reader goes, dtop cleans up as on any quit — its
// -c command ends with it and nothing of dtop's stays in the kernel.
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { test } from "node:test";
import { DTOP } from "../helpers/cli.ts";

function running(pattern: string): string[] {
	try {
		return execFileSync("pgrep", ["-f", pattern], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
	} catch {
		return []; // pgrep exits 1 when nothing matches
	}
}

test("batch output into `| head -1`: dtop exits on EPIPE and its -c command does not outlive it", async () => {
	const marker = "37.125"; // a sleep nobody else runs
	const sh = spawn(
		"/bin/sh",
		["-c", `${DTOP} -n 'syscall:::entry { @[probefunc] = count(); }' --interval 100ms -c 'sleep ${marker}' | head -1`],
		{ stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, CI: "true" } },
	);
	let out = "";
	sh.stdout.on("data", (d) => {
		out += d;
	});
	const code = await new Promise<number | null>((resolve, reject) => {
		const t = setTimeout(() => {
			sh.kill("SIGKILL");
			reject(new Error("dtop | head did not finish within 20 s"));
		}, 20_000);
		sh.on("exit", (c) => {
			clearTimeout(t);
			resolve(c);
		});
	});
	assert.equal(code, 0);
	assert.ok(out.length > 0, "head printed a line");
	const t0 = Date.now();
	while (running(`sleep ${marker}`).length && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 50));
	assert.deepEqual(running(`sleep ${marker}`), [], "the -c command was ended");
});
