// Runs a fixture under design (b), the stack copy (kernel/unwind/copy.ts): per
// firing of a USDT probe, a uprobe program copies the walk's registers and the
// top of the user stack into a ring buffer; the consumer walks each record in
// user space with the same tables as the kernel walk. Perf-event uprobes, so it
// also runs on Debian's 6.1 (the arm64 VM), which has no uprobe_multi.
import { realpathSync } from "node:fs";
import { attachUprobePerf, type Link } from "../../../kernel/attach/index.ts";
import { BpfMap, MapType, Program, ProgType } from "../../../kernel/bpf/index.ts";
import { RingBuffer } from "../../../kernel/bpf/ringbuf.ts";
import { type Mapping, readMaps } from "../../../kernel/elf/index.ts";
import { StackCopyConsumer, stackCopyProgram } from "../../../kernel/unwind/copy.ts";
import type { StopReason } from "../../../kernel/unwind/walk.ts";
import { startWaiting } from "./child.ts";
import { usdtSite } from "./run.ts";

export interface CopiedRun {
	pid: number;
	maps: Mapping[];
	/** Distinct stacks as walked, with their counts. */
	stacks: { stop: StopReason; frames: number[]; count: number }[];
	records: number;
	/** Records the ring buffer had no room for. */
	lost: number;
	/** Per record: its sp and the bytes of stack it carried. */
	copies: { sp: number; copied: number }[];
}

/** `file --wait ...args` with a stack copy of `copySize` bytes at USDT probe `usdt`; runs to its end. */
export async function runCopied(file: string, usdt: string, args: string[], copySize = 16384): Promise<CopiedRun> {
	const ring = BpfMap.create({
		type: MapType.RINGBUF,
		keySize: 0,
		valueSize: 0,
		maxEntries: 16 << 20,
		name: "uw_copy",
	});
	const counters = BpfMap.create({
		type: MapType.PERCPU_ARRAY,
		keySize: 4,
		valueSize: 8,
		maxEntries: 1,
		name: "uw_copy_lost",
	});
	let prog: Program | undefined;
	let rb: RingBuffer | undefined;
	let link: Link | undefined;
	let timer: NodeJS.Timeout | undefined;
	const child = await startWaiting(file, ["--wait", ...args], { ready: true });
	try {
		prog = Program.load({
			type: ProgType.KPROBE,
			insns: stackCopyProgram({ ringbufFd: ring.fd, countersFd: counters.fd, lostSlot: 0, copySize }),
			name: "uw_copy",
			license: "GPL",
		});
		rb = new RingBuffer(ring);
		const consumer = new StackCopyConsumer(rb, 127);
		consumer.addProcess(child.pid);
		const copies: CopiedRun["copies"] = [];
		consumer.onRecord = (s, rec) => copies.push({ sp: Number(rec.readBigUInt64LE(16)), copied: s.copied });
		const maps = readMaps(child.pid);
		const path = realpathSync(file);
		link = attachUprobePerf(prog.fd, { path, pid: child.pid, sites: [usdtSite({ file: path, usdt })] });
		timer = setInterval(() => consumer.poll(), 5);
		child.go();
		const end = await child.exited;
		clearInterval(timer);
		timer = undefined;
		while (consumer.poll() > 0);
		if (end.code !== 0) throw new Error(`${file} ${args.join(" ")} exited with ${end.code ?? end.signal}`);
		const lost = (counters.lookupPerCpu(Buffer.alloc(4)) ?? []).reduce((s, v) => s + Number(v.readBigUInt64LE(0)), 0);
		const stacks = [...consumer.counts].map(([key, count]) => {
			const [, stop, frames] = key.split(";");
			return { stop: Number(stop) as StopReason, frames: frames.split(",").map(Number), count };
		});
		return { pid: child.pid, maps, stacks, records: consumer.records, lost, copies };
	} finally {
		if (timer) clearInterval(timer);
		link?.close();
		await child.kill();
		rb?.close();
		prog?.close();
		ring.close();
		counters.close();
	}
}
