// A child process that reads a file exactly N times, held stopped until the test
// has told its BPF programs which process to watch. busybox is static, so the
// child makes no dynamic-loader reads: after the SIGCONT every vfs_read it does is
// one of dd's N reads of `bs` bytes.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BUSYBOX = "/bin/busybox";

export interface Reader {
	pid: number;
	/** Let it run; resolves with its exit code once it has done its reads. */
	go(): Promise<number>;
	kill(): void;
}

function stateOf(pid: number): string | undefined {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
		return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
	} catch {
		return undefined;
	}
}

/** Start a reader that will make `reads` reads of `bs` bytes each; resolves once it is stopped. */
export async function startReader(reads: number, bs: number): Promise<Reader> {
	const dir = mkdtempSync(join(tmpdir(), "dtop-fbt-"));
	const file = join(dir, "data");
	writeFileSync(file, Buffer.alloc(reads * bs + 1, 0x61));
	const child = spawn(
		BUSYBOX,
		["sh", "-c", `kill -STOP $$; exec ${BUSYBOX} dd if=${file} of=/dev/null bs=${bs} count=${reads} 2>/dev/null`],
		{ stdio: "ignore" },
	);
	const exited = new Promise<number>((resolve) => child.on("exit", (code, sig) => resolve(code ?? (sig ? 128 : -1))));
	const pid = child.pid;
	if (pid === undefined) throw new Error("could not start busybox");
	const deadline = Date.now() + 30_000;
	while (stateOf(pid) !== "T") {
		if (Date.now() > deadline || child.exitCode !== null) {
			child.kill("SIGKILL");
			rmSync(dir, { recursive: true, force: true });
			throw new Error("the reader child never stopped itself");
		}
		await new Promise((r) => setTimeout(r, 5));
	}
	return {
		pid,
		async go() {
			process.kill(pid, "SIGCONT");
			try {
				return await exited;
			} finally {
				rmSync(dir, { recursive: true, force: true });
			}
		},
		kill() {
			if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
			rmSync(dir, { recursive: true, force: true });
		},
	};
}
