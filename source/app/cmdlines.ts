// Command lines of the processes the tree shows beside their pids, read at most
// once every few seconds per process (a server's title changes, so not once
// for good): an expanded program with hundreds of processes must not cost
// hundreds of reads every tick.
import { readCmdline } from "../catalog/index.ts";

const FRESH_MS = 5000;
const LIMIT = 4096;
const seen = new Map<number, { cmd: string | undefined; at: number }>();

/** The command line of `pid` (undefined: exited), as readCmdline gives it, at most FRESH_MS old. */
export function cmdlineOf(pid: number): string | undefined {
	const now = Date.now();
	const have = seen.get(pid);
	if (have && now - have.at < FRESH_MS) return have.cmd;
	const cmd = readCmdline(pid);
	if (seen.size >= LIMIT) seen.clear();
	seen.set(pid, { cmd, at: now });
	return cmd;
}
