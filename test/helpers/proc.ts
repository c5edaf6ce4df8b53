// Reading a process's state from /proc in tests.
import { readFileSync } from "node:fs";

/** The state letter of /proc/PID/stat (T = stopped, Z = zombie), or undefined when gone. */
export function stateOf(pid: number): string | undefined {
	try {
		const st = readFileSync(`/proc/${pid}/stat`, "utf8");
		return st.slice(st.lastIndexOf(")") + 2, st.lastIndexOf(")") + 3);
	} catch {
		return undefined;
	}
}
