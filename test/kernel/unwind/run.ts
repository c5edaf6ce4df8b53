// Runs a fixture under a counting unwinder program: start it (waiting), load it
// into the unwinder, attach to a USDT probe, let it run to the end, read the
// counts. The process's mappings are kept for symbolizing after it exits.
import { realpathSync } from "node:fs";
import { attachUprobeMulti, type Link } from "../../../kernel/attach/index.ts";
import { ElfFile, type Mapping, readMaps } from "../../../kernel/elf/index.ts";
import type { Unwinder } from "../../../kernel/unwind/unwinder.ts";
import { startWaiting, type WaitingChild } from "./child.ts";
import { type Counted, type CountProgram, readCounts } from "./harness.ts";

export interface ProbeRef {
	/** The object holding the probe (the fixture, or a library it maps). */
	file: string;
	/** A USDT probe name (`hit`, `throw`, ...). */
	usdt: string;
}

export function usdtSite(ref: ProbeRef, cookie = 1n) {
	const p = ElfFile.open(ref.file)
		.usdtProbes()
		.find((x) => x.name === ref.usdt);
	if (!p) throw new Error(`${ref.file} has no USDT probe '${ref.usdt}'; rebuild the fixtures.`);
	return { offset: BigInt(p.pcOffset), refCtrOffset: BigInt(p.semaphoreOffset), cookie };
}

export interface Run {
	child: WaitingChild;
	maps: Mapping[];
	counted: Counted[];
	/** The fixture's own last lines (e.g. `elapsed … cpu …`). */
	output: RegExpMatchArray | undefined;
}

export async function runUnder(
	u: Unwinder,
	prog: CountProgram,
	probe: ProbeRef,
	cmd: string,
	args: string[],
	opts: {
		ready?: boolean;
		/** Load the process into the unwinder before attaching (default true). */
		load?: boolean;
		/** A line the fixture prints at the end, returned as `output`. */
		result?: RegExp;
		/** Called once the process runs. */
		started?: (pid: number) => Promise<void>;
	} = {},
): Promise<Run> {
	const child = await startWaiting(cmd, args, { ready: opts.ready ?? true });
	const links: Link[] = [];
	try {
		if (opts.load !== false) u.addProcess(child.pid);
		const maps = readMaps(child.pid);
		const file = realpathSync(probe.file);
		links.push(attachUprobeMulti(prog.prog.fd, { path: file, pid: child.pid, sites: [usdtSite({ ...probe, file })] }));
		child.go();
		await opts.started?.(child.pid);
		const output = opts.result ? await child.line(opts.result) : undefined;
		const end = await child.exited;
		if (end.code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${end.code ?? end.signal}`);
		return { child, maps, counted: readCounts(prog, u), output };
	} finally {
		for (const l of links) l.close();
		await child.kill();
	}
}
