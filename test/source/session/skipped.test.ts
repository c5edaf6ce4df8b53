// The session attaches what the kernel accepts and keeps what it refused
// (for the one-line report and the UI), with real libc and real tracepoints.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { readMaps } from "../../../kernel/elf/procmaps.ts";
import { skippedSummary } from "../../../source/session/build.ts";
import { Session } from "../../../source/session/session.ts";
import { startSimple } from "../../helpers/fixture.ts";
import { ListProbes } from "../../helpers/probes.ts";

test("Session.skipped names the libc functions the kernel refused; the rest count, beside raw tracepoints", async () => {
	const fx = await startSimple(["--count", "5"]);
	const probes = new ListProbes().addTracepoint("sched", "sched_process_exit");
	const libc = readMaps(fx.pid).find((m) => /\/libc\.so\.6$/.test(m.path))!.path;
	const elf = ElfFile.open(libc);
	for (const name of ["pthread_spin_lock", "pthread_spin_unlock", "write", "fflush"]) {
		const sym = elf.symbols().byName(name)!;
		probes.add({
			provider: `pid${fx.pid}`,
			module: "libc.so.6",
			function: name,
			name: "entry",
			target: {
				kind: "uprobe",
				path: libc,
				offset: BigInt(elf.addressToOffset(sym.address)!),
				ret: false,
				pid: fx.pid,
			},
		});
	}
	const s = new Session({ probes, target: fx.pid });
	try {
		const id = s.enable(
			`pid$target:libc.so.6::entry, sdt:sched::sched_process_exit /pid == $target/ { @[probefunc, probename] = count(); }`,
		);
		const skipped = s.skipped(id);
		assert.deepEqual(
			skipped.map((x) => x.probe),
			[`pid${fx.pid}:libc.so.6:pthread_spin_lock:entry`],
		);
		assert.match(skipped[0].reason, /cannot probe the instruction there \(ENOTSUPP\)/);
		assert.match(skippedSummary(skipped) ?? "", /^1 probe skipped \(.*pthread_spin_lock/);
		await fx.go();
		assert.equal(await fx.exited, 0);
		const rows = s.tick().enablings[0].aggregations[0].rows;
		const count = (fn: string) => rows.find((r) => r.key[0].kind === "string" && r.key[0].value === fn)?.value;
		assert.ok((count("write") ?? 0) >= 1, JSON.stringify(rows));
		assert.equal(count(""), 1, "sched_process_exit of the target, through a raw tracepoint");
	} finally {
		fx.kill();
		s.close();
	}
});
