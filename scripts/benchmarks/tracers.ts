// Starting the two tracers the way a user does, and knowing when they are
// ready: dtop prints "dtop: script 'F' matched M probes" on stderr once every
// link is attached; bpftrace runs BEGIN after attaching its probes, so a
// `BEGIN { printf("ready\n"); }` clause says the same.
import { Asm, AttachType, Program, ProgType, R0 } from "../../kernel/bpf/index.ts";
import { BPFTRACE, type Child, DTOP, ensureBuilt, start } from "./util.ts";

export interface Ready {
	child: Child;
	/** ms from spawn to ready */
	startMs: number;
}

/** `dtop --json [-p PID] -n CLAUSE` in batch mode, resolved once attached. */
export async function startDtop(clause: string, pid?: number, timeoutMs = 120_000): Promise<Ready> {
	const args = ["--json", "-n", clause];
	if (pid !== undefined) args.unshift("-p", String(pid));
	ensureBuilt();
	const t0 = performance.now();
	const child = start(DTOP, args);
	try {
		const l = await Promise.race([
			child.errLine(/matched \d+ probes?\b/, timeoutMs),
			child.exited.then((e) => {
				throw new Error(`dtop exited (${e.code ?? e.signal}) before attaching: ${child.stderr().slice(0, 500)}`);
			}),
		]);
		return { child, startMs: l.at - t0 };
	} catch (e) {
		child.signal("SIGKILL");
		throw e;
	}
}

/**
 * `bpftrace [-p PID] -e 'PROGRAM BEGIN { printf("ready\n"); } END { printf("end\n"); }'`, resolved
 * once attached. END prints as soon as a signal is taken, before the (slow) detach.
 */
export async function startBpftrace(program: string, pid?: number, timeoutMs = 180_000): Promise<Ready> {
	const args = ["-e", `${program} BEGIN { printf("ready\\n"); } END { printf("end\\n"); }`];
	if (pid !== undefined) args.unshift("-p", String(pid));
	const t0 = performance.now();
	const child = start(BPFTRACE, args);
	try {
		const l = await Promise.race([
			child.line(/^ready$/, timeoutMs),
			child.exited.then((e) => {
				throw new Error(`bpftrace exited (${e.code ?? e.signal}) before attaching: ${child.stderr().slice(0, 500)}`);
			}),
		]);
		return { child, startMs: l.at - t0 };
	} catch (e) {
		child.signal("SIGKILL");
		throw e;
	}
}

/** Total firings in dtop's --json output (last print): counts, or histogram sums. */
export function dtopTotal(stdout: string): number {
	const lines = stdout.split("\n").filter((l) => l.startsWith("{"));
	let total = 0;
	// The last print holds one line per aggregation; all share the final time stamp.
	const last = lines.map((l) => JSON.parse(l) as { time: string; rows: DtopRow[] });
	const time = last.at(-1)?.time;
	for (const a of last) {
		if (a.time !== time) continue;
		for (const r of a.rows) {
			if (r.histogram) for (const b of r.histogram) total += b.count;
			else total += Number(r.value);
		}
	}
	return total;
}

interface DtopRow {
	value: unknown;
	histogram?: { count: number }[];
}

/** Total firings in bpftrace's exit output: `@: N`, `@[...]: N` and `hist` buckets. */
export function bpftraceTotal(stdout: string): number {
	let total = 0;
	for (const l of stdout.split("\n")) {
		const m = /^@(?:\w*)?: (\d+)$/.exec(l) ?? /^\]: (\d+)$/.exec(l) ?? /^\[[^\]]*[\])]\s+(\d+) \|/.exec(l);
		if (m) total += Number(m[1]);
	}
	return total;
}

/** `r0 = 0; exit`: the floor every tracer pays, loaded for uprobe_multi or for perf/tracepoint links. */
export function emptyProgram(kind: "uprobe-multi" | "uprobe-perf" | "tracepoint"): Program {
	const insns = new Asm().mov(R0, 0).exit();
	return Program.load({
		type: kind === "tracepoint" ? ProgType.TRACEPOINT : ProgType.KPROBE,
		insns,
		name: `bench_empty_${kind === "tracepoint" ? "tp" : "up"}`,
		expectedAttachType: kind === "uprobe-multi" ? AttachType.BPF_TRACE_UPROBE_MULTI : undefined,
	});
}
