// The session against a scripted kernel (FakeSys): which bpf(2) commands an
// enabling makes, and that every descriptor it opened is closed — after a normal
// close, and on each way an enabling can fail half-way (a map, the program, the
// attach). The session's shared maps (hit counters, the zero value, thread-locals)
// are made on first use and live until close(); an enabling's own descriptors go
// with it. The real-kernel tests prove tracing; these prove the bookkeeping.
import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { FakeSys, setSys } from "../../../kernel/sys/index.ts";
import { Session } from "../../../source/session/session.ts";
import { ListProbes } from "../../helpers/probes.ts";

const MAP_CREATE = 0;
const PROG_LOAD = 5;
const LINK_CREATE = 28;
const RAW_TRACEPOINT_OPEN = 17;

let previous: ReturnType<typeof setSys>;
afterEach(() => {
	setSys(previous);
});

function fake(): FakeSys {
	const f = new FakeSys();
	previous = setSys(f);
	return f;
}

const cmds = (f: FakeSys) => f.calls.filter((c) => c.call === "bpf").map((c) => c.args[0] as number);
const CLAUSE = "syscall::getpid:entry { @[pid] = count(); }";

function session(): Session {
	return new Session({ probes: new ListProbes().addSyscall("getpid").addTracepoint("sched", "sched_switch") });
}

/** A session that has enabled and disabled the clause once: what stays open is the session's own. */
async function warm(f: FakeSys): Promise<{ s: Session; shared: Set<number> }> {
	const s = session();
	s.disable(s.enable(CLAUSE));
	await s.settled();
	return { s, shared: new Set(f.open) };
}

const extra = (f: FakeSys, shared: Set<number>) => [...f.open].filter((fd) => !shared.has(fd));

test("an enabling creates maps, loads its program, attaches; close() closes every descriptor", () => {
	const f = fake();
	const s = session();
	s.enable(CLAUSE);
	const c = cmds(f);
	assert.ok(c.includes(MAP_CREATE), "a map was created");
	assert.ok(c.includes(PROG_LOAD), "a program was loaded");
	assert.ok(
		c.includes(LINK_CREATE) ||
			c.includes(RAW_TRACEPOINT_OPEN) ||
			f.calls.some((x) => x.call === "perf_event_open" || x.call === "ioctl"),
		"the program was attached",
	);
	assert.ok(c.indexOf(MAP_CREATE) < c.indexOf(PROG_LOAD), "maps exist before the program that uses them");
	assert.ok(f.open.size > 0);
	s.close();
	assert.deepEqual([...f.open], [], "descriptors left open after close()");
});

test("a disabled enabling closes its own descriptors once its links are detached", async () => {
	const f = fake();
	const { s, shared } = await warm(f);
	s.disable(s.enable(CLAUSE));
	await s.settled();
	assert.deepEqual(extra(f, shared), [], "the enabling's descriptors are closed");
	s.close();
	assert.deepEqual([...f.open], []);
});

for (const [what, failing] of [
	["the program load", PROG_LOAD],
	["a map creation", MAP_CREATE],
] as const) {
	test(`when ${what} fails, the enabling is refused in one line and nothing it opened stays open`, async () => {
		const f = fake();
		const { s, shared } = await warm(f);
		const normal = f.bpfHandler;
		f.bpfHandler = (cmd, attr) => (cmd === failing ? { errno: 1 /* EPERM */ } : normal(cmd, attr));
		assert.throws(
			() => s.enable(CLAUSE),
			(e: Error) => !e.message.includes("\n") && e.message.length > 0,
		);
		assert.deepEqual(extra(f, shared), [], "descriptors of the failed enabling left open");
		assert.equal(s.view().enablings.length, 0, "no enabling was added");
		// The session is still usable once the kernel says yes again.
		f.bpfHandler = normal;
		s.enable(CLAUSE);
		assert.equal(s.view().enablings.length, 1);
		s.close();
		assert.deepEqual([...f.open], []);
	});
}

test("when attaching fails, the loaded program and its maps are closed", async () => {
	const f = fake();
	const { s, shared } = await warm(f);
	const normal = f.bpfHandler;
	f.bpfHandler = (cmd, attr) =>
		cmd === LINK_CREATE || cmd === RAW_TRACEPOINT_OPEN ? { errno: 22 /* EINVAL */ } : normal(cmd, attr);
	const ioctl = f.ioctl.bind(f);
	f.ioctl = () => {
		throw Object.assign(new Error("ioctl: Invalid argument"), { errno: 22 });
	};
	assert.throws(() => s.enable(CLAUSE));
	f.ioctl = ioctl;
	assert.deepEqual(extra(f, shared), [], "descriptors of the failed enabling left open");
	s.close();
	assert.deepEqual([...f.open], []);
});

test("disabling one of two enablings closes only its own descriptors", async () => {
	const f = fake();
	const s = session();
	const a = s.enable(CLAUSE);
	const afterFirst = new Set(f.open);
	const b = s.enable("sdt:sched::sched_switch { @ = count(); }");
	const second = [...f.open].filter((fd) => !afterFirst.has(fd));
	assert.ok(second.length > 0);
	s.disable(b);
	await s.settled();
	assert.deepEqual(
		[...f.open].filter((fd) => second.includes(fd)),
		[],
		"the second enabling's descriptors are closed",
	);
	assert.ok(
		[...afterFirst].every((fd) => f.open.has(fd)),
		"the first enabling's descriptors stay open",
	);
	s.disable(a);
	await s.settled();
	s.close();
	assert.deepEqual([...f.open], []);
});

test("firings the kernel refused as nested (recursion_misses) are counted as the enabling's drops", () => {
	const f = fake();
	const OBJ_GET_INFO_BY_FD = 15;
	const normal = f.bpfHandler;
	const LOOKUP_BATCH = 24;
	f.bpfHandler = (cmd, attr) => {
		if (cmd === LOOKUP_BATCH) return { errno: 2 }; // ENOENT: the maps are empty
		if (cmd !== OBJ_GET_INFO_BY_FD || attr.readUInt32LE(4) !== 224) return normal(cmd, attr);
		// A program's bpf_prog_info: 7 refused nested runs.
		const info = Buffer.from(f.view(attr.readBigUInt64LE(8), 224));
		info.writeBigUInt64LE(7n, 208);
		attr.writeUInt32LE(224, 4);
		return 0;
	};
	const s = session();
	s.enable(CLAUSE);
	assert.equal(s.tick().enablings[0].drops, 7);
	s.close();
});
