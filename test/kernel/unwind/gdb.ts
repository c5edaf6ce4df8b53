// GDB as an independent oracle for user stacks: attach to a stopped process and
// list its frames with their pcs. GDB adds frames that have no return address on
// the stack — functions inlined into their caller, and tail calls it infers from
// DWARF call-site information — so those are marked and the tests skip them.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface GdbFrame {
	pc: number;
	name: string | undefined;
	/** gdb's frame type: NORMAL, SIGTRAMP, INLINE, TAILCALL, ... */
	type: string;
}

const SCRIPT = `
import gdb
names = {getattr(gdb, n): n[:-6] for n in dir(gdb) if n.endswith("_FRAME") and isinstance(getattr(gdb, n), int)}
f = gdb.newest_frame()
while f is not None:
    print("FRAME", hex(f.pc()), names.get(f.type(), "?"), f.name())
    f = f.older()
`;

/** The frames gdb finds in process `pid` (which should be stopped), newest first, past main and _start. */
export function gdbFrames(pid: number): GdbFrame[] {
	const out = execFileSync(
		"gdb",
		[
			"-batch",
			"-nx",
			"-ex",
			"set backtrace past-main on",
			"-ex",
			"set backtrace past-entry on",
			"-p",
			String(pid),
			"-ex",
			`python exec(${JSON.stringify(SCRIPT)})`,
		],
		{ encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 120_000 },
	);
	const frames: GdbFrame[] = [];
	for (const line of out.split("\n")) {
		const m = /^FRAME (0x[0-9a-f]+) (\S+) (.*)$/.exec(line);
		if (m) frames.push({ pc: Number(m[1]), type: m[2], name: m[3] === "None" ? undefined : m[3] });
	}
	if (frames.length === 0) throw new Error(`gdb listed no frames for process ${pid}:\n${out}`);
	return frames;
}

/** The frames that are real stack frames (skipping gdb's inline and tail-call frames). */
export function realFrames(frames: GdbFrame[]): GdbFrame[] {
	return frames.filter((f) => f.type !== "INLINE" && f.type !== "TAILCALL");
}

/** Resolves once process `pid` is in a stopped state (T), or rejects after `timeoutMs`. */
export async function waitStopped(pid: number, timeoutMs = 20_000): Promise<void> {
	const end = Date.now() + timeoutMs;
	for (;;) {
		const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
		if (/\) [Tt] /.test(stat)) return;
		if (Date.now() > end) throw new Error(`process ${pid} did not stop within ${timeoutMs} ms (${stat.slice(0, 80)})`);
		await new Promise((r) => setTimeout(r, 5));
	}
}
