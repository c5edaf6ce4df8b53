// Start the pre-fork server fixture (test/fixtures/prefork.c) and start or end
// its workers during a test.
import { type ChildProcessByStdio, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { BIN_DIR } from "../fixtures/fixtures.ts";
import { lineReader } from "./lines.ts";

export const PREFORK = `${BIN_DIR}/prefork`;
/** The same program with its symbol table stripped. */
export const PREFORK_STRIPPED = `${BIN_DIR}/prefork-stripped`;

export interface Prefork {
	child: ChildProcessByStdio<Writable, Readable, null>;
	/** The parent. */
	pid: number;
	/** The workers alive now, oldest first. */
	workers: number[];
	/** Starts one more worker; resolves with its pid. */
	spawn(): Promise<number>;
	/** Ends the oldest worker (and waits for it); resolves with its pid. */
	endOldest(): Promise<number>;
	/** Ends everything (the workers end with their parent). */
	stop(): Promise<void>;
}

export async function startPrefork(children: number, binary = PREFORK): Promise<Prefork> {
	if (!existsSync(binary)) throw new Error(`${binary} is not built: run scripts/setup`);
	const child = spawn(binary, ["--children", String(children)], { stdio: ["pipe", "pipe", "inherit"] });
	const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
	const line = lineReader(child.stdout, "prefork", 10_000);
	const expect = async (re: RegExp): Promise<number> => {
		const l = await line();
		const m = re.exec(l);
		if (!m) throw new Error(`prefork said '${l}', expected ${re}`);
		return Number(m[1]);
	};
	const pid = await expect(/^ready (\d+)$/);
	const workers: number[] = [];
	for (let i = 0; i < children; i++) workers.push(await expect(/^child (\d+)$/));
	return {
		child,
		pid,
		workers,
		async spawn() {
			child.stdin.write("+\n");
			const w = await expect(/^child (\d+)$/);
			workers.push(w);
			return w;
		},
		async endOldest() {
			child.stdin.write("-\n");
			const w = await expect(/^ended (\d+)$/);
			workers.splice(workers.indexOf(w), 1);
			return w;
		},
		async stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
			await exited;
		},
	};
}
