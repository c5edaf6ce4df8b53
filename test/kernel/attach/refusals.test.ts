// What the kernel refuses alone is skipped and the rest attached, with real
// libc functions and real tracepoints.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
	attachTracepoint,
	attachUprobeMulti,
	attachUprobeMultiSkipping,
	type Link,
	type UprobeSite,
} from "../../../kernel/attach/index.ts";
import { Asm, Program, ProgType, R0 } from "../../../kernel/bpf/index.ts";
import { ElfFile } from "../../../kernel/elf/index.ts";
import { readMaps } from "../../../kernel/elf/procmaps.ts";
import { SyscallError } from "../../../kernel/sys/index.ts";
import { tracefs } from "../../../kernel/tracefs/index.ts";
import { startSimple } from "../../helpers/fixture.ts";

const ENOTSUPP = 524;
const noop = () => new Asm().mov(R0, 0).exit();

test("uprobe_multi over every libc function attaches all but the ones the kernel refuses (pthread_spin_lock), bisecting", async () => {
	const fx = await startSimple(["--count", "1"]);
	const prog = Program.load({ type: ProgType.KPROBE, insns: noop(), name: "t_refuse", expectedAttachType: 48 });
	const links: Link[] = [];
	try {
		const libc = readMaps(fx.pid).find((m) => /\/libc\.so\.6$/.test(m.path))!.path;
		const elf = ElfFile.open(libc);
		const seen = new Set<bigint>();
		const funcs: { name: string; site: UprobeSite }[] = [];
		for (const s of elf.symbols().symbols) {
			const off = s.size > 0 ? elf.addressToOffset(s.address) : undefined;
			if (off === undefined || seen.has(BigInt(off))) continue;
			seen.add(BigInt(off));
			funcs.push({ name: s.name, site: { offset: BigInt(off), cookie: BigInt(funcs.length) } });
		}
		assert.ok(funcs.length > 1000, `${funcs.length} functions in libc`);
		const spec = { path: libc, pid: fx.pid, sites: funcs.map((f) => f.site) };
		// Today's kernel refuses the whole link for one site.
		assert.throws(
			() => attachUprobeMulti(prog.fd, spec),
			(e: unknown) => e instanceof SyscallError && e.errno === ENOTSUPP,
		);
		const refused: string[] = [];
		links.push(
			...attachUprobeMultiSkipping(
				prog.fd,
				spec,
				(e) => e instanceof SyscallError && e.errno === ENOTSUPP,
				(i) => refused.push(funcs[i].name),
			),
		);
		assert.ok(refused.includes("pthread_spin_lock"), `refused: ${refused.join(" ")}`);
		assert.ok(refused.length < 20, `refused only a few: ${refused.length}`);
		const attached = links.reduce((n, l) => n + l.count, 0);
		assert.equal(attached + refused.length, funcs.length, "every site is attached or refused");
		// Bisection, not one link per site.
		const bound = 2 * refused.length * Math.ceil(Math.log2(funcs.length)) + 1;
		assert.ok(links.length <= bound, `${links.length} links for ${refused.length} refusals (bound ${bound})`);
		// Each refused site really is refused alone, and nothing else is.
		for (const name of refused) {
			const f = funcs.find((x) => x.name === name)!;
			assert.throws(() => attachUprobeMulti(prog.fd, { ...spec, sites: [f.site] }));
		}
	} finally {
		for (const l of links) l.close();
		prog.close();
		fx.kill();
	}
});

test("a tracepoint that refuses sampling perf events (irq_vectors:irq_work_exit, EPERM even to root) attaches", () => {
	const prog = Program.load({ type: ProgType.TRACEPOINT, insns: noop(), name: "t_irqwork" });
	try {
		const id = tracefs().eventId("irq_vectors", "irq_work_exit");
		const link = attachTracepoint(prog.fd, { id, name: "irq_vectors:irq_work_exit" }, 1n);
		assert.equal(link.count, 1);
		link.close();
	} finally {
		prog.close();
	}
});
