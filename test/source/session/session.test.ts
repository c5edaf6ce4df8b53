import assert from "node:assert/strict";
import { after, test } from "node:test";
import { Session } from "../../../source/session/session.ts";
import type { AggregationView } from "../../../source/session/view.ts";
import { LIBSIMPLE, SIMPLE, startSimple } from "../../helpers/fixture.ts";
import { ListProbes } from "../../helpers/probes.ts";

const sessions: Session[] = [];
after(() => {
	for (const s of sessions) s.close();
});

async function traced(d: string, fixtureArgs: string[], extra?: (p: ListProbes, pid: number) => void) {
	const fx = await startSimple(fixtureArgs);
	const probes = new ListProbes().addUsdt(SIMPLE, fx.pid, "simple").addUsdt(LIBSIMPLE, fx.pid, "libsimple.so");
	extra?.(probes, fx.pid);
	const s = new Session({ probes, target: fx.pid });
	sessions.push(s);
	try {
		s.enable(d);
		s.tick();
		await fx.go();
		assert.equal(await fx.exited, 0);
		return s.tick().enablings[0].aggregations;
	} finally {
		fx.kill();
		s.close();
	}
}

function rows(a: AggregationView): Map<string, number> {
	return new Map(
		a.rows.map((r) => [
			r.key.map((k) => (k.kind === "stack" ? k.frames.join(";") : String(k.value))).join("|"),
			r.value,
		]),
	);
}

test("counts keyed by pid and execname are exact", async () => {
	const [a, b] = await traced("simple$target:::saw-line { @bypid[pid] = count(); @byname[execname] = count(); }", [
		"--count",
		"5000",
	]);
	assert.equal(a.rows.length, 1);
	assert.equal(a.rows[0].value, 5000);
	assert.deepEqual([...rows(b)], [["simple", 5000]]);
});

test("counts keyed by an integer argument and a copyinstr string are exact", async () => {
	const [byWord, byNum] = await traced(
		"simple$target:::saw-word { @w[copyinstr(arg0)] = count(); } simple$target:::args /arg1 > 0/ { @n[arg1 % 4] = count(); }",
		["--count", "800"],
	);
	const w = rows(byWord);
	for (const word of ["the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog"])
		assert.equal(w.get(word), 100, word);
	// args(W, i odd ? -(i+1) : i+1): positive for even i → num = i+1 (odd): 1,3,5,... mod 4 ∈ {1,3}
	assert.deepEqual([...rows(byNum)].sort(), [
		["1", 200],
		["3", 200],
	]);
});

test("sum, min, max, avg, quantize and lquantize of an argument", async () => {
	const aggs = await traced(
		"simple$target:::saw-line { @s = sum(arg0); @mn = min(arg0); @mx = max(arg0); @a = avg(arg0); @q = quantize(arg0); @l = lquantize(arg0, 0, 100, 10); @sd = stddev(arg0); }",
		["--count", "100"],
	);
	const v = Object.fromEntries(aggs.map((a) => [a.name, a.rows[0]]));
	assert.equal(v.s.value, 5050);
	assert.equal(v.mn.value, 1);
	assert.equal(v.mx.value, 100);
	assert.equal(v.a.value, 50);
	// DTrace's integer arithmetic: sqrt(338350/100 - (5050/100)^2) = sqrt(883) → 29
	assert.equal(v.sd.value, 29);
	const q = v.q.histogram!;
	const bucket = (lo: bigint) => q.find((b) => b.lo === lo)?.count;
	assert.equal(bucket(1n), 1);
	assert.equal(bucket(2n), 2);
	assert.equal(bucket(64n), 37);
	const l = v.l.histogram!;
	assert.equal(l[0].edge, "under");
	assert.equal(l[0].count, 0);
	assert.equal(l.at(-1)!.edge, "over");
	assert.equal(l.at(-1)!.count, 1); // 100
	assert.equal(l[1].count, 9); // 1..9
});

test("a predicate on execname and a thread-local latency idiom", async () => {
	const aggs = await traced(
		`simple$target:::saw-line /execname == "simple"/ { self->ts = timestamp; }
		 simple$target:::saw-word /self->ts/ { @lat = quantize(timestamp - self->ts); @n = count(); self->ts = 0; }`,
		["--count", "300"],
	);
	const n = aggs.find((a) => a.name === "n")!;
	assert.equal(n.rows[0].value, 300);
	const lat = aggs.find((a) => a.name === "lat")!;
	assert.equal(lat.rows[0].value, 300);
	assert.ok(
		lat.rows[0].histogram!.every((b) => b.lo >= 0n || b.count === 0),
		"no negative latencies",
	);
});

test("user stacks symbolize to the fixture's functions, in the binary and the shared library", async () => {
	const aggs = await traced(
		"simple$target:::saw-line, simplelib$target:::lib-call { @[probename, ustack()] = count(); }",
		["--count", "50"],
	);
	const r = rows(aggs[0]);
	const line = [...r.keys()].find((k) => k.startsWith("saw-line|"))!;
	assert.ok(line, [...r.keys()].join("\n"));
	assert.match(line, /simple`fire_line\+0x[0-9a-f]+;simple`run\+0x[0-9a-f]+;simple`main\+/);
	assert.equal(r.get(line), 50);
	const lib = [...r.keys()].find((k) => k.startsWith("lib-call|"))!;
	assert.match(lib, /libsimple\.so`lib_work\+0x[0-9a-f]+;simple`run\+/);
});

test("the semaphore-guarded probe fires only while attached, and counts exactly", async () => {
	const fx = await startSimple(["--count", "1000"]);
	const probes = new ListProbes().addUsdt(SIMPLE, fx.pid, "simple");
	const s = new Session({ probes, target: fx.pid });
	try {
		s.enable("simple$target:::sema-probe { @ = count(); }");
		assert.ok((await fx.go()) > 0, "semaphore is set while attached");
		assert.equal(await fx.exited, 0);
		assert.equal(s.tick().enablings[0].aggregations[0].rows[0].value, 1000);
	} finally {
		fx.kill();
		s.close();
	}
});

test("syscall::openat:entry filtered to the fixture counts exactly its opens", async () => {
	const aggs = await traced(
		"syscall::openat:entry /pid == $target/ { @[probefunc] = count(); }",
		["--count", "1", "--open", "777"],
		(p) => p.addSyscall("openat"),
	);
	assert.deepEqual([...rows(aggs[0])], [["openat", 777]]);
});
