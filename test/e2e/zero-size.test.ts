// A terminal that reports its size as 0×0 (a pseudo-terminal nobody sized, as `script`
// makes when its input is a pipe; some serial consoles). Ink, given a width of 0, asks
// the terminal-size package, which opens /dev/tty on every frame and never closes it:
// a descriptor leaked per frame (≈2 a second, found by the 30-minute soak's heap
// snapshots). dtop's frame writer reports 80×24 instead, so nothing is opened.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { test } from "node:test";
import { DTOP } from "../helpers/cli.ts";
import { sleep } from "../helpers/pty.ts";

/** Descendants of `root` (by /proc's parent links). */
function descendants(root: number): number[] {
	const parent = new Map<number, number>();
	for (const d of readdirSync("/proc")) {
		if (!/^\d+$/.test(d)) continue;
		try {
			const s = readFileSync(`/proc/${d}/stat`, "utf8");
			parent.set(Number(d), Number(s.slice(s.lastIndexOf(")") + 2).split(" ")[1]));
		} catch {
			// gone meanwhile
		}
	}
	const out: number[] = [];
	const walk = (p: number) => {
		for (const [c, pp] of parent) {
			if (pp !== p) continue;
			out.push(c);
			walk(c);
		}
	};
	walk(root);
	return out;
}

function ttyOpens(pid: number): number {
	let n = 0;
	try {
		for (const fd of readdirSync(`/proc/${pid}/fd`)) {
			try {
				if (readlinkSync(`/proc/${pid}/fd/${fd}`) === "/dev/tty") n++;
			} catch {
				// closed meanwhile
			}
		}
	} catch {
		// gone
	}
	return n;
}

test("a 0×0 terminal: the UI draws at 80×24 and opens no /dev/tty per frame", async () => {
	const cmd = `${DTOP} -n 'tick-10ms { @ = count(); }'`;
	const p = spawn("script", ["-qfc", cmd, "/dev/null"], {
		env: { ...process.env, CI: "false", TERM: "xterm-256color", LANG: "C.UTF-8" },
		stdio: ["pipe", "pipe", "pipe"],
	});
	let out = "";
	p.stdout.on("data", (d) => {
		out += d;
	});
	try {
		const deadline = Date.now() + 30000;
		while (!/tick-10ms/.test(out) && Date.now() < deadline) await sleep(100);
		assert.match(out, /tick-10ms/, "the UI never drew its enabling");
		await sleep(3000); // ~30 frames at the 10 Hz tick
		const node = descendants(p.pid ?? 0).find((pid) => {
			try {
				return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("cli.js");
			} catch {
				return false;
			}
		});
		assert.ok(node, "dtop's process was not found under script");
		assert.equal(ttyOpens(node), 0, "dtop holds /dev/tty descriptors it opened for the terminal's size");
	} finally {
		p.stdin.write("q");
		const closed = new Promise((r) => p.on("close", r));
		const t = setTimeout(() => p.kill("SIGKILL"), 5000);
		await closed;
		clearTimeout(t);
	}
});
