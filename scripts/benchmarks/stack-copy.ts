// The other design for stacks without frame pointers, measured on the same
// workload as section 7: per firing, copy the registers and the top 8 KiB of
// the user stack into a ring buffer (what `perf record --call-graph dwarf`
// does) and unwind in user space with the same tables (kernel/unwind/copy.ts,
// the prototype). Its costs: the copy in the traced process, ring-buffer
// bandwidth, and the consumer's CPU per record, all growing with the rate;
// records the ring buffer had no room for are lost (counted).
import { attachUprobeMulti } from "../../kernel/attach/index.ts";
import { AttachType, BpfMap, MapType, Program, ProgType } from "../../kernel/bpf/index.ts";
import { RingBuffer } from "../../kernel/bpf/ringbuf.ts";
import { ElfFile } from "../../kernel/elf/index.ts";
import { StackCopyConsumer, stackCopyProgram } from "../../kernel/unwind/copy.ts";
import { start } from "./util.ts";

export interface CopySample {
	/** CPU ns per firing of the traced loop. */
	cpu: number;
	/** Consumer CPU (this process: poll, copy out, walk) per record received. */
	consumerNs: number;
	/** Firings whose record was lost (the ring buffer was full). */
	lost: number;
	/** Records received and walked. */
	records: number;
	/** Ring-buffer bytes per second of the loop. */
	bytesPerSecond: number;
	/** Share of walked records whose stack is at least `mainDepth` frames deep. */
	main: number;
}

function hitOffset(binary: string): bigint {
	const p = ElfFile.open(binary)
		.usdtProbes()
		.find((u) => u.provider === "deepstack" && u.name === "hit");
	if (!p) throw new Error(`${binary} has no deepstack:hit probe; rebuild the fixtures.`);
	return BigInt(p.pcOffset);
}

/** `elapsed NS cpu NS` (--count N) or `fired N elapsed NS cpu NS` (--rate): firings, wall and CPU ns of the loop. */
export function loopTiming(line: string, count: number): { n: number; wall: number; cpu: number } {
	const m = /^(?:fired (\d+) )?elapsed (\d+) cpu (\d+)$/.exec(line);
	if (!m) throw new Error(`deepstack printed no timing (${line}); rebuild the fixtures.`);
	return { n: m[1] ? Number(m[1]) : count, wall: Number(m[2]), cpu: Number(m[3]) };
}

/** One run of `binary --wait LOOP...` (--count N, or --rate R --seconds S) under the stack copy. */
export async function stackCopyRun(
	binary: string,
	loop: string[],
	mainDepth: number,
	copySize = 8192,
): Promise<CopySample> {
	const ring = BpfMap.create({
		type: MapType.RINGBUF,
		keySize: 0,
		valueSize: 0,
		maxEntries: 64 << 20,
		name: "bench_copy",
	});
	const counters = BpfMap.create({
		type: MapType.PERCPU_ARRAY,
		keySize: 4,
		valueSize: 8,
		maxEntries: 1,
		name: "bench_copy_ctr",
	});
	let prog: Program | undefined;
	let rb: RingBuffer | undefined;
	let link: { close(): void } | undefined;
	let timer: NodeJS.Timeout | undefined;
	const c = start(binary, ["--wait", ...loop]);
	const count = loop[0] === "--count" ? Number(loop[1]) : 0;
	try {
		prog = Program.load({
			type: ProgType.KPROBE,
			insns: stackCopyProgram({ ringbufFd: ring.fd, countersFd: counters.fd, lostSlot: 0, copySize }),
			name: "bench_copy",
			expectedAttachType: AttachType.BPF_TRACE_UPROBE_MULTI,
			license: "GPL",
		});
		rb = new RingBuffer(ring);
		await c.line(/^ready \d+$/, 10_000);
		const consumer = new StackCopyConsumer(rb, 127);
		consumer.addProcess(c.pid);
		link = attachUprobeMulti(prog.fd, { path: binary, pid: c.pid, sites: [{ offset: hitOffset(binary), cookie: 0n }] });
		const cpu0 = process.cpuUsage();
		timer = setInterval(() => consumer.poll(), 2);
		c.write("\n");
		const t = loopTiming((await c.line(/elapsed /, 600_000)).text, count);
		await c.exited;
		clearInterval(timer);
		timer = undefined;
		while (consumer.poll() > 0);
		const used = process.cpuUsage(cpu0);
		const lost = (counters.lookupPerCpu(Buffer.alloc(4)) ?? []).reduce((s, v) => s + Number(v.readBigUInt64LE(0)), 0);
		let deep = 0;
		for (const [key, count] of consumer.counts) if (key.split(";")[2].split(",").length >= mainDepth) deep += count;
		return {
			cpu: t.cpu / t.n,
			consumerNs: consumer.records ? ((used.user + used.system) * 1000) / consumer.records : 0,
			lost,
			records: consumer.records,
			bytesPerSecond: consumer.bytes / (t.wall / 1e9),
			main: consumer.records ? deep / consumer.records : 0,
		};
	} finally {
		if (timer) clearInterval(timer);
		link?.close();
		c.signal("SIGKILL");
		rb?.close();
		prog?.close();
		ring.close();
		counters.close();
	}
}
