// Runs the built CLI (build/cli.js, rebuilt by scripts/build when stale).
import { execFileSync, spawn } from "node:child_process";

export const ROOT = new URL("../../", import.meta.url).pathname;
export const CLI = `${ROOT}build/cli.js`;

export function buildCli(): void {
	execFileSync(`${ROOT}scripts/build`, ["--if-stale"], { stdio: "inherit" });
}

export interface Run {
	status: number | null;
	stdout: string;
	stderr: string;
	ms: number;
}

export function dtop(args: string[], timeoutMs = 20_000): Promise<Run> {
	const t0 = performance.now();
	return new Promise((resolve, reject) => {
		const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
		let stdout = "";
		let stderr = "";
		child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
		child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
		const timer = setTimeout(() => {
			child.kill("SIGKILL");
			reject(new Error(`dtop ${args.join(" ")} did not finish in ${timeoutMs} ms`));
		}, timeoutMs);
		child.on("close", (status) => {
			clearTimeout(timer);
			resolve({ status, stdout, stderr, ms: performance.now() - t0 });
		});
	});
}
