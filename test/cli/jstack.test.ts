// jstack() against Debian's OpenJDK 17 (HotSpot, a real JIT): the JVM's
// compiled and interpreted Java frames are named from the perf map HotSpot
// writes (`-XX:+DumpPerfMapAtExit`, numbers written with 0x), the walk goes
// through them (`-XX:+PreserveFramePointer`) and libjvm.so down to the thread's
// start in libc, and jstack(N) keeps N frames. The Java program is the test's own.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { after, before, describe, test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

const JDK = "/usr/lib/jvm/java-17-openjdk-amd64/bin";
let dir = "";

const SOURCE = `public class Spin {
    static long work(long n) { long s = 0; for (long i = 0; i < n; i++) s += i ^ (s >>> 3); return s; }
    static long outer(int k) { long t = 0; for (int i = 0; i < k; i++) t += work(100000); return t; }
    public static void main(String[] a) {
        long end = System.currentTimeMillis() + Long.parseLong(a[0]);
        long t = 0;
        while (System.currentTimeMillis() < end) t += outer(50);
        if (t == 42) System.out.println(t);
    }
}
`;

before(() => {
	dir = mkdtempSync(`${tmpdir()}/dtop-jstack-`);
	writeFileSync(`${dir}/Spin.java`, SOURCE);
	execFileSync(`${JDK}/javac`, ["-d", dir, `${dir}/Spin.java`]);
});
after(() => rmSync(dir, { recursive: true, force: true }));

const java = (ms: number) =>
	`${JDK}/java -XX:+PreserveFramePointer -XX:+UnlockDiagnosticVMOptions -XX:+DumpPerfMapAtExit -cp ${dir} Spin ${ms}`;

/** The printed stacks: frames and count of each. */
function stacks(out: string): { frames: string[]; count: number }[] {
	return out
		.trim()
		.split(/\n\s*\n/)
		.map((b) => b.split("\n").map((l) => l.trim()))
		.filter((l) => /^\d+$/.test(l.at(-1) ?? ""))
		.map((l) => ({ frames: l.slice(0, -1), count: Number(l.at(-1)) }));
}

describe("jstack() in a HotSpot JVM", () => {
	test("names the JIT's Java frames and walks through them to the thread's start", async () => {
		const r = await runDtop(["-q", "-c", java(2500), "-n", "profile-99 /pid == $target/ { @[jstack()] = count(); }"], {
			timeoutMs: 60_000,
		});
		assert.equal(r.code, 0, r.stderr);
		const all = stacks(r.stdout);
		assert.ok(all.length > 0, r.stdout);
		const spin = all.filter((s) => s.frames.some((f) => f.startsWith("[jit]`long Spin.work(long)+0x")));
		const samples = spin.reduce((n, s) => n + s.count, 0);
		assert.ok(samples >= 20, `samples in Spin.work: ${samples}\n${r.stdout}`);
		for (const s of spin) {
			// Every frame named: no bare address left for code the perf map covers.
			for (const f of s.frames) assert.doesNotMatch(f, /^0x[0-9a-f]+$/, s.frames.join("\n"));
			assert.ok(
				s.frames.some((f) => f.startsWith("libjvm.so`JavaCalls::call_helper(")),
				s.frames.join("\n"),
			);
			assert.ok(
				s.frames.some((f) => f.startsWith("libc.so.6`start_thread+0x")),
				s.frames.join("\n"),
			);
		}
	});

	test("jstack(N) keeps N frames", async () => {
		const r = await runDtop(["-q", "-c", java(1500), "-n", "profile-99 /pid == $target/ { @[jstack(3)] = count(); }"], {
			timeoutMs: 60_000,
		});
		assert.equal(r.code, 0, r.stderr);
		const all = stacks(r.stdout);
		assert.ok(all.length > 0, r.stdout);
		for (const s of all) assert.ok(s.frames.length <= 3, s.frames.join("\n"));
		assert.ok(all.some((s) => s.frames.length === 3));
	});
});
