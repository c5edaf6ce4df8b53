// profile-N and tick-N: arg0 is the kernel pc (0 when the sample hit user
// mode) and arg1 the user pc (0 in the kernel), as in DTrace (profile-n/
// tst.profile.d's uses of arg0/arg1). Both were the same register before.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runDtop } from "../helpers/cli.ts";

/** Counts by (arg0 != 0, arg1 != 0), from dtop's printing at exit. */
async function modes(prog: string, command: string): Promise<Map<string, number>> {
	const r = await runDtop(["-q", "-n", prog, "-c", command], { timeoutMs: 60_000, untilClosed: true });
	assert.equal(r.code, 0, r.stderr);
	const m = new Map<string, number>();
	for (const l of r.stdout.split("\n")) {
		const f = l.trim().split(/\s+/);
		if (f.length === 3) m.set(`${f[0]},${f[1]}`, Number(f[2]));
	}
	return m;
}

const PROG = "profile-997 /pid == $target/ { @[arg0 != 0, arg1 != 0] = count(); }";

test("a program computing in user mode: its samples have arg1 (the user pc) and arg0 = 0", async () => {
	const m = await modes(PROG, "awk 'BEGIN { for (i = 0; i < 3e7; i++) x += i }'");
	assert.equal(m.get("1,1"), undefined, "never both");
	assert.ok((m.get("0,1") ?? 0) > 10 * (m.get("1,0") ?? 0), JSON.stringify([...m]));
});

test("a program copying in the kernel: its samples have arg0 (the kernel pc) and arg1 = 0", async () => {
	const m = await modes(PROG, "dd if=/dev/zero of=/dev/null bs=1M count=4000");
	assert.equal(m.get("1,1"), undefined, "never both");
	assert.ok((m.get("1,0") ?? 0) > 10 * (m.get("0,1") ?? 0), JSON.stringify([...m]));
});

test("tick-N: exactly one of arg0 and arg1 is set on every firing", async () => {
	const m = await modes("tick-200hz { @[arg0 != 0, arg1 != 0] = count(); }", "sleep 1");
	assert.equal(m.get("1,1"), undefined);
	assert.equal(m.get("0,0"), undefined);
	assert.ok([...m.values()].reduce((a, b) => a + b, 0) > 50);
});
