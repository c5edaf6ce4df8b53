// Runs a fixture under design (b), the stack copy (kernel/unwind/copy.ts): per
// firing of a USDT probe, a uprobe program copies the walk's registers and the
// top of the user stack into a ring buffer; the consumer walks each record in
// user space with the same tables as the kernel walk. Perf-event uprobes, so it
// also runs on Debian's 6.1 (the arm64 VM), which has no uprobe_multi.
import { closeSync, openSync, readFileSync, readSync, realpathSync } from "node:fs";
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
	/**
	 * Pages of [stack] not present (/proc/PID/pagemap) between the sp of the
	 * child's wait and the stack's top, read just before it worked: frames made
	 * later lie below that sp, so these stay absent (exec's random gap below the
	 * argument strings).
	 */
	holes: number[];
}

/** read(2)'s number, as /proc/PID/syscall shows it first. */
const READ_NR = process.arch === "arm64" ? 63 : 0;

/** Resolves once process `pid` sits in read(2) on its stdin (after deepstack's `ready` line it may still be on its way). */
async function readingStdin(pid: number): Promise<void> {
	const reading = new RegExp(`^${READ_NR} 0x0 `);
	for (let i = 0; ; i++) {
		// /proc/PID/syscall: "NR 0x0 …" is read(0, …) in progress.
		if (reading.test(readFileSync(`/proc/${pid}/syscall`, "utf8"))) return;
		if (i === 3000) throw new Error(`process ${pid} never waited for input on stdin`);
		await new Promise((r) => setTimeout(r, 10));
	}
}

/** Pages (their addresses) of process `pid`'s [stack] from its blocked system call's sp to the top that are not present. */
export function stackHoles(pid: number, maps: Mapping[]): number[] {
	const stack = maps.find((m) => m.path === "[stack]");
	if (!stack) throw new Error(`process ${pid} has no [stack] mapping`);
	// /proc/PID/syscall: "nr a1 … a6 sp pc" while blocked in a system call.
	const fields = readFileSync(`/proc/${pid}/syscall`, "utf8").trim().split(" ");
	const sp = Number.parseInt(fields[fields.length - 2], 16);
	if (!(sp >= stack.start && sp < stack.end)) throw new Error(`process ${pid}: sp ${fields.at(-2)} is not in [stack]`);
	const page = 4096;
	const first = Math.floor(sp / page);
	const n = Math.ceil(stack.end / page) - first;
	const buf = Buffer.alloc(8 * n);
	const fd = openSync(`/proc/${pid}/pagemap`, "r");
	try {
		if (readSync(fd, buf, 0, buf.length, first * 8) !== buf.length)
			throw new Error(`short read of /proc/${pid}/pagemap`);
	} finally {
		closeSync(fd);
	}
	const holes: number[] = [];
	for (let i = 0; i < n; i++) if (buf.readBigUInt64LE(8 * i) >> 63n === 0n) holes.push((first + i) * page);
	return holes;
}

/**
 * `file --wait ...args` with a stack copy of `copySize` bytes at USDT probe
 * `usdt`; runs to its end. With `withHole`, starts the child again (up to 40
 * times) until its stack has a page not present above sp.
 */
export async function runCopied(
	file: string,
	usdt: string,
	args: string[],
	copySize = 16384,
	withHole = false,
): Promise<CopiedRun> {
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
	let child = await startWaiting(file, ["--wait", ...args], { ready: true });
	try {
		await readingStdin(child.pid);
		for (let tries = 1; withHole && stackHoles(child.pid, readMaps(child.pid)).length === 0; tries++) {
			await child.kill();
			if (tries === 40) throw new Error(`${file}: 40 processes, none with a page not present in its stack`);
			child = await startWaiting(file, ["--wait", ...args], { ready: true });
			await readingStdin(child.pid);
		}
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
		const holes = stackHoles(child.pid, maps);
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
		return { pid: child.pid, maps, stacks, records: consumer.records, lost, copies, holes };
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
