// Run the real dtop command line.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const DTOP = fileURLToPath(new URL("../../scripts/dtop", import.meta.url));

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

export function runDtop(
	args: string[],
	opts: {
		timeoutMs?: number;
		onStart?: (pid: number) => void;
		env?: Record<string, string>;
		/** Resolve when dtop's output pipes are closed (every byte read), not when it exits. */
		untilClosed?: boolean;
	} = {},
): Promise<CliResult> {
	return new Promise((resolve, reject) => {
		const child = spawn(DTOP, args, {
			stdio: ["ignore", "pipe", "pipe"],
			env: { ...process.env, CI: "true", ...opts.env },
		});
		let stdout = "";
		let stderr = "";
		child.stdout.on("data", (d) => {
			stdout += d;
		});
		child.stderr.on("data", (d) => {
			stderr += d;
		});
		const t = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`dtop ${args.join(" ")} did not finish in time; stderr: ${stderr}`));
		}, opts.timeoutMs ?? 30_000);
		if (child.pid) opts.onStart?.(child.pid);
		child.on(opts.untilClosed ? "close" : "exit", (code) => {
			clearTimeout(t);
			resolve({ code, stdout, stderr });
		});
	});
}
